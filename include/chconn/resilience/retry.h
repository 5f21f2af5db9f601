// Retries: when to try an operation again, how long to wait first, and a budget that keeps an
// outage from multiplying the load on the servers.
//
//   RetryPolicy   decides whether a failed attempt may be retried and draws the wait before the
//                 next one: capped exponential backoff with full jitter,
//                 wait = uniform[0, min(max_delay, base_delay * 2^(attempt-1))] after attempt n.
//                 It retries only what chconn::classify() marks retryable, only idempotent
//                 operations, never once rows were handed to the caller, never past the deadline.
//   RetryBudget   Envoy/Finagle-style: retries may be at most `ratio` of the requests of the last
//                 `window`, with a floor of min_retries_per_second so a quiet client can still
//                 retry. When every request fails, retries stop growing with the load.
//   Sleeper       how run_with_retry waits: thread_sleeper() really sleeps; ManualSleeper advances
//                 a ManualClock, so tests never sleep.
//   run_with_retry(op, policy, budget, clock, sleeper[, context]) runs op until it succeeds or a
//                 retry is refused, and rethrows the last chconn::Error annotated with the attempt
//                 count, why it was not retried, and what each earlier attempt met.
//
// Idempotency: RetryContext::idempotent defaults to true, which is right for SELECTs. An INSERT
// must set it to false, unless the caller made it safe to repeat (e.g. insert_deduplication_token
// on a Replicated table). Streaming: once the operation has handed rows to the caller's callback it
// sets RetryContext::rows_delivered; a retry would deliver them twice, so none follows.
//
// Writes: an attempt that failed after its request reached the server may have been applied (a
// reset or a timeout says nothing about whether the server committed). When a write
// (RetryContext::writes) fails in the end, the error names the earlier attempts that may have
// been applied, so the caller knows the data may be stored although the call failed. An operation
// that knows an attempt sent nothing (no connection could be had) sets RetryContext::nothing_sent.
//
// Thread safety: RetryPolicy and RetryBudget may be shared by any number of threads. ManualSleeper
// is thread-safe. RetryContext belongs to one call. RetryBudget keeps a reference to its Clock and
// ManualSleeper to its ManualClock; each must outlive the object that refers to it.
//
// Example:
//   chconn::RetryPolicy policy({.max_attempts = 3, .base_delay = std::chrono::milliseconds(100)});
//   chconn::RetryBudget budget;                                  // shared by all callers
//   chconn::RetryContext ctx{.deadline = chconn::Deadline::after(std::chrono::seconds(30))};
//   auto rows = chconn::run_with_retry([&] { return conn.select_all(sql); },
//                                      policy, &budget, chconn::steady_clock(),
//                                      chconn::thread_sleeper(), ctx);
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "chconn/core/clock.h"
#include "chconn/core/error.h"

namespace chconn {

struct RetryOptions {
  // Attempts in all, the first one included (1 disables retries).
  int max_attempts = 3;
  // The wait before the first retry is drawn from [0, base_delay]; the bound doubles each time.
  Clock::duration base_delay = std::chrono::milliseconds(200);
  Clock::duration max_delay = std::chrono::seconds(5);
  // No retry starts, and no wait is scheduled, later than this after the first attempt started
  // (combined with RetryContext::deadline, the earlier wins). A retry of a long analytical query
  // costs as much as the query did; past a minute it is better to report the failure.
  Clock::duration overall_timeout = std::chrono::seconds(60);
  // Seed of the jitter; 0 picks a random one. Set it in tests for reproducible waits.
  std::uint64_t random_seed = 0;
};

// What one call of run_with_retry knows about the operation it retries.
struct RetryContext {
  // Safe to run twice. True for reads; an INSERT only when the caller made it safe.
  bool idempotent = true;
  // Set by the operation as soon as it hands rows to the caller: no retry after that.
  bool rows_delivered = false;
  // Set by an insert as soon as it takes its blocks from a source that is read once (an
  // InsertSource): a retry would send other rows, or none, so none follows.
  bool source_read = false;
  // No retry starts, and no wait is scheduled, past this.
  Deadline deadline = Deadline::never();
  // The operation changes data (an INSERT, ALTER ...): the final error of a retried call says which
  // earlier attempts may have been applied.
  bool writes = false;
  // Set by the operation when the attempt that is failing sent nothing to the server (e.g. no
  // connection could be had), so it cannot have been applied. run_with_retry clears it before
  // each attempt; an attempt that leaves it false is taken to have reached the server.
  bool nothing_sent = false;
};

enum class RetryVerdict : std::uint8_t {
  retry,
  not_retryable,       // classify(error).retryable is false
  not_idempotent,      // RetryContext::idempotent is false
  rows_delivered,      // rows already reached the caller
  source_read,         // an insert's read-once source was already read
  attempts_exhausted,  // max_attempts reached
  deadline,            // the wait would end at or past the deadline
  budget_exhausted,    // the RetryBudget refused (only from run_with_retry)
};

// A phrase for messages: "the error is not retryable", "no attempts left", ...
std::string_view to_string(RetryVerdict verdict) noexcept;

struct RetryDecision {
  RetryVerdict verdict = RetryVerdict::not_retryable;
  // The wait before the next attempt; meaningful when verdict == retry.
  Clock::duration delay{};

  bool retry() const noexcept { return verdict == RetryVerdict::retry; }
};

// A small, seedable, thread-safe pseudo-random source (splitmix64 over an atomic counter): with
// one thread and a fixed seed the sequence is reproducible.
class RandomSource {
 public:
  // seed 0 picks a random seed.
  explicit RandomSource(std::uint64_t seed = 0) noexcept;
  RandomSource(const RandomSource& other) noexcept : state_(other.state_.load(std::memory_order_relaxed)) {}
  RandomSource& operator=(const RandomSource& other) noexcept {
    state_.store(other.state_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return *this;
  }

  std::uint64_t next() noexcept;
  // Uniform in [0, bound] (inclusive); 0 when bound <= 0.
  Clock::duration uniform(Clock::duration bound) noexcept;

 private:
  std::atomic<std::uint64_t> state_;
};

class RetryPolicy {
 public:
  // Throws Error(ErrorKind::config) if the options are out of range.
  explicit RetryPolicy(RetryOptions options = {});

  const RetryOptions& options() const noexcept { return options_; }

  // The upper bound of the wait after failed attempt `attempt` (1-based):
  // min(max_delay, base_delay * 2^(attempt-1)).
  Clock::duration backoff_bound(int attempt) const noexcept;
  // A wait drawn uniformly from [0, backoff_bound(attempt)] ("full jitter").
  Clock::duration backoff(int attempt) const noexcept;

  // Whether attempt `attempt` (1-based), which failed with `error`, may be followed by another,
  // and the wait before it. Checks, in order: retryable, idempotent, rows delivered, attempts left,
  // and that now + wait stays before ctx.deadline.
  RetryDecision decide(const Error& error, int attempt, const RetryContext& ctx, const Clock& clock) const;
  bool should_retry(const Error& error, int attempt, const RetryContext& ctx, const Clock& clock) const {
    return decide(error, attempt, ctx, clock).retry();
  }

 private:
  RetryOptions options_;
  mutable RandomSource random_;
};

struct RetryBudgetOptions {
  // Retries may be at most this share of the requests of the window (Envoy's and Finagle's 20%).
  double ratio = 0.2;
  // How far back requests and retries count (1 s .. 1 h, one-second buckets).
  Clock::duration window = std::chrono::seconds(10);
  // Retries always allowed per second of window, whatever the request count: a client making a
  // few calls a minute can still retry them, and a whole outage adds at most one retry a second
  // on top of the ratio.
  double min_retries_per_second = 1.0;
};

struct RetryBudgetMetrics {
  std::uint64_t requests_in_window = 0;
  std::uint64_t retries_in_window = 0;
  // Retries the window allows now: max(ratio * requests, min_retries_per_second * window).
  std::uint64_t retries_allowed = 0;
  // Since the budget was made.
  std::uint64_t retries_granted = 0;
  std::uint64_t retries_rejected = 0;
};

class RetryBudget {
 public:
  // Throws Error(ErrorKind::config) if the options are out of range.
  explicit RetryBudget(RetryBudgetOptions options = {}, const Clock& clock = steady_clock());
  ~RetryBudget();
  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  // Counts one request (a first attempt; retries are not requests).
  void record_request();
  // Takes one retry from the budget, or returns false (and counts a rejection) when the window's
  // retries already reach max(ratio * requests, min_retries_per_second * window).
  bool try_acquire_retry();

  RetryBudgetMetrics metrics() const;
  std::uint64_t rejected() const;
  const RetryBudgetOptions& options() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How run_with_retry waits between attempts.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep_for(Clock::duration d) = 0;
};

// Blocks the calling thread (std::this_thread::sleep_for). Stateless; shared.
Sleeper& thread_sleeper() noexcept;

// For tests: "sleeping" advances a ManualClock by the duration and records it.
class ManualSleeper final : public Sleeper {
 public:
  explicit ManualSleeper(ManualClock& clock) noexcept : clock_(clock) {}
  void sleep_for(Clock::duration d) override {
    std::lock_guard lock(mu_);
    sleeps_.push_back(d);
    clock_.advance(d);
  }
  std::vector<Clock::duration> sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

 private:
  ManualClock& clock_;
  mutable std::mutex mu_;
  std::vector<Clock::duration> sleeps_;
};

namespace detail {

// The failed attempts of one run_with_retry call before the last, kept for the final error:
// "#1 network: connection reset by peer; #2 ...". Bounded whatever the attempts: the first
// k_listed attempts are kept, each message cut to k_message_bytes.
class AttemptLog {
 public:
  static constexpr std::size_t k_listed = 5;
  static constexpr std::size_t k_message_bytes = 120;

  void add(int attempt, const Error& error, bool nothing_sent);
  bool empty() const noexcept { return count_ == 0; }

  // "failed after 3 attempts" or "attempt 2 of 3, not retried: <why>", then, when there were
  // earlier attempts, which of them may have been applied (for a write) and the list.
  std::string annotation(int attempt, int max_attempts, RetryVerdict verdict, bool writes) const;

 private:
  std::vector<std::string> listed_;      // at most k_listed entries
  std::vector<int> maybe_applied_;       // at most k_listed attempt numbers
  std::size_t count_ = 0;                // attempts added
  std::size_t maybe_applied_count_ = 0;  // attempts added that reached the server
};

// What op returns, whether it is called as op(attempt) or op().
template <class F, bool = std::is_invocable_v<F&, int>>
struct retry_result {
  using type = std::invoke_result_t<F&>;
};
template <class F>
struct retry_result<F, true> {
  using type = std::invoke_result_t<F&, int>;
};
template <class F>
using retry_result_t = typename retry_result<F>::type;

template <class F>
decltype(auto) invoke_attempt(F& op, int attempt) {
  if constexpr (std::is_invocable_v<F&, int>) {
    return op(attempt);
  } else {
    return op();
  }
}
}  // namespace detail

// Runs `op` (callable as op() or op(int attempt), attempt 1-based) until it returns, or throws a
// chconn::Error that the policy, the budget (if not null) or the deadline does not allow to retry;
// then rethrows that last error, annotated ("attempt 2 of 3, not retried: <why>" or "failed after 3
// attempts", then what the earlier attempts met: see detail::AttemptLog) unless it was a first
// attempt's non-retryable error, which is rethrown unchanged. Exceptions that are not
// chconn::Error propagate at once. One request is recorded in the budget per call.
//
// ctx.deadline is narrowed to policy.options().overall_timeout from now (named "the retry overall
// timeout" in messages when it is the earlier). No attempt starts once ctx.deadline has passed,
// even when a wait overran. The operation sets ctx.rows_delivered when it hands rows to the caller.
template <class F>
detail::retry_result_t<F> run_with_retry(F&& op, const RetryPolicy& policy, RetryBudget* budget, const Clock& clock,
                                         Sleeper& sleeper, RetryContext& ctx) {
  ctx.deadline = ctx.deadline.earliest(
      Deadline::after(policy.options().overall_timeout, clock).named("the retry overall timeout"));
  if (budget != nullptr) budget->record_request();
  detail::AttemptLog earlier;
  for (int attempt = 1;; ++attempt) {
    ctx.nothing_sent = false;
    try {
      return detail::invoke_attempt(op, attempt);
    } catch (const Error& error) {
      RetryDecision decision = policy.decide(error, attempt, ctx, clock);
      if (decision.retry() && budget != nullptr && !budget->try_acquire_retry()) {
        decision.verdict = RetryVerdict::budget_exhausted;
      }
      if (decision.retry()) {
        sleeper.sleep_for(decision.delay);
        // A wait can overrun (a descheduled thread): an attempt started past the deadline could not
        // finish within it, and would still send the server work.
        if (ctx.deadline.expired(clock)) decision.verdict = RetryVerdict::deadline;
      }
      if (!decision.retry()) {
        if (attempt == 1 && decision.verdict == RetryVerdict::not_retryable) throw;
        throw error.with_context(
            earlier.annotation(attempt, policy.options().max_attempts, decision.verdict, ctx.writes));
      }
      earlier.add(attempt, error, ctx.nothing_sent);
    }
  }
}

// The same with a default context: an idempotent read with no deadline but the policy's.
template <class F>
detail::retry_result_t<F> run_with_retry(F&& op, const RetryPolicy& policy, RetryBudget* budget, const Clock& clock,
                                         Sleeper& sleeper) {
  RetryContext ctx;
  return run_with_retry(std::forward<F>(op), policy, budget, clock, sleeper, ctx);
}

}  // namespace chconn
