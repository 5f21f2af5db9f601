// detail::run_concurrently, the bounded fan-out the health checks use: every task runs once, no
// more than the limit at a time, all joined before it returns, and a task's exception is rethrown
// only after the others have run. Tasks meet through atomics; nothing waits for time to pass.
#include "core/concurrent.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/mock_support.h"

namespace chconn {
namespace {

TEST(RunConcurrently, RunsEveryTaskOnceAtMostTheLimitAtATime) {
  constexpr std::size_t k_tasks = 10;
  constexpr std::size_t k_limit = 3;
  std::vector<std::atomic<int>> runs(k_tasks);
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> peak{0};
  std::mutex mutex;
  std::set<std::thread::id> threads;
  detail::run_concurrently(k_tasks, k_limit, [&](std::size_t i) {
    const std::size_t now = ++in_flight;
    std::size_t seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    // The first tasks wait until the limit is in flight at once: proof that they run concurrently.
    test::wait_until([&] { return peak.load() >= k_limit; });
    ++runs[i];
    {
      std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
    }
    --in_flight;
  });
  for (std::size_t i = 0; i < k_tasks; ++i) EXPECT_EQ(runs[i].load(), 1) << "task " << i;
  EXPECT_EQ(peak.load(), k_limit);
  EXPECT_EQ(threads.size(), k_limit);  // the caller and two threads of its own
  EXPECT_TRUE(threads.count(std::this_thread::get_id()));
  EXPECT_EQ(in_flight.load(), 0u);
}

TEST(RunConcurrently, ALimitOfOneOrZeroRunsInOrderOnTheCaller) {
  const std::thread::id caller = std::this_thread::get_id();
  for (std::size_t limit : {0u, 1u}) {
    std::vector<std::size_t> order;
    detail::run_concurrently(4, limit, [&](std::size_t i) {
      EXPECT_EQ(std::this_thread::get_id(), caller);
      order.push_back(i);
    });
    EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2, 3})) << "limit " << limit;
  }
  std::thread::id ran_on;
  detail::run_concurrently(1, 8, [&](std::size_t) { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, caller);  // one task needs no thread
  detail::run_concurrently(0, 8, [](std::size_t) { ADD_FAILURE() << "no task to run"; });
}

TEST(RunConcurrently, AThrowingTaskStopsNoOtherAndIsRethrownAfterAll) {
  std::atomic<int> ran{0};
  try {
    detail::run_concurrently(6, 3, [&](std::size_t i) {
      ++ran;
      if (i == 1) throw std::runtime_error("task 1 failed");
    });
    ADD_FAILURE() << "the task's exception was swallowed";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "task 1 failed");
  }
  EXPECT_EQ(ran.load(), 6);
}

}  // namespace
}  // namespace chconn
