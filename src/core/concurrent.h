// Running a bounded number of tasks at once and joining them before returning: how the health
// checks check several hosts and strategies concurrently, so that one silent server costs a round
// one timeout instead of one per check queued behind it. Internal.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

namespace chconn::detail {

// Calls task(i) exactly once for every i in [0, count), at most `max_parallel` calls at a time:
// on the calling thread and up to max_parallel - 1 threads of its own, each taking the next index
// in turn, so tasks start in index order. Returns once every call has returned: no thread outlives
// this call, and nothing a task captured by reference is used after it. When a thread cannot be
// started, the ones that did (the caller's at least) run the rest. An exception thrown by a task
// stops no other task; the first one is rethrown after all have ended. max_parallel 0 counts as 1.
//
// Each task must end by itself (everything it blocks on needs a deadline); `task` is called from
// several threads at once and must be safe to call so.
void run_concurrently(std::size_t count, std::size_t max_parallel, const std::function<void(std::size_t)>& task);

// Claims `flag` for one holder at a time: held() is true when this claim set it, and then the
// destructor clears it again. What keeps a health check of one host or strategy from starting
// while another check of it is still in flight.
class ExclusiveClaim {
 public:
  explicit ExclusiveClaim(std::atomic<bool>& flag) noexcept
      : flag_(flag), held_(!flag.exchange(true, std::memory_order_acquire)) {}
  ~ExclusiveClaim() {
    if (held_) flag_.store(false, std::memory_order_release);
  }
  ExclusiveClaim(const ExclusiveClaim&) = delete;
  ExclusiveClaim& operator=(const ExclusiveClaim&) = delete;

  bool held() const noexcept { return held_; }

 private:
  std::atomic<bool>& flag_;
  bool held_;
};

}  // namespace chconn::detail
