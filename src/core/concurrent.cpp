#include "core/concurrent.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace chconn::detail {

void run_concurrently(std::size_t count, std::size_t max_parallel, const std::function<void(std::size_t)>& task) {
  if (count == 0) return;
  std::atomic<std::size_t> next{0};
  std::mutex mutex;  // guards first
  std::exception_ptr first;
  const auto work = [&]() noexcept {
    for (std::size_t i = next.fetch_add(1, std::memory_order_relaxed); i < count;
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      try {
        task(i);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first) first = std::current_exception();
      }
    }
  };
  const std::size_t helpers = std::min(count, std::max<std::size_t>(max_parallel, 1)) - 1;
  std::vector<std::thread> threads;
  threads.reserve(helpers);  // before any thread starts: a failure here leaves nothing to join
  for (std::size_t i = 0; i < helpers; ++i) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the ones running take the remaining tasks
    }
  }
  work();
  for (std::thread& t : threads) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace chconn::detail
