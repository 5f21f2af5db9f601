#include "chconn/resilience/retry.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "chconn/resilience/rolling_window.h"

namespace chconn {

namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t k_golden = 0x9e3779b97f4a7c15ULL;

std::uint64_t random_seed() {
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) ^ rd();
}

void validate(const RetryOptions& o) {
  auto fail = [](const std::string& what) { throw Error(ErrorKind::config, "retry policy: " + what); };
  if (o.max_attempts < 1 || o.max_attempts > 100) fail("max_attempts must be in 1 .. 100");
  if (o.base_delay < Clock::duration::zero()) fail("base_delay must not be negative");
  if (o.max_delay < o.base_delay) fail("max_delay must be at least base_delay");
  if (o.overall_timeout <= Clock::duration::zero()) fail("overall_timeout must be positive");
}

void validate(const RetryBudgetOptions& o) {
  auto fail = [](const std::string& what) { throw Error(ErrorKind::config, "retry budget: " + what); };
  if (!(o.ratio >= 0.0) || o.ratio > 10.0) fail("ratio must be in 0 .. 10");
  if (o.window < 1s || o.window > 1h) fail("window must be in 1 s .. 1 h");
  if (!(o.min_retries_per_second >= 0.0) || o.min_retries_per_second > 1e6) {
    fail("min_retries_per_second must be in 0 .. 1000000");
  }
}

}  // namespace

std::string_view to_string(RetryVerdict verdict) noexcept {
  switch (verdict) {
    case RetryVerdict::retry: return "retry";
    case RetryVerdict::not_retryable: return "the error is not retryable";
    case RetryVerdict::not_idempotent: return "the operation is not idempotent (mark it safe to repeat if it is)";
    case RetryVerdict::rows_delivered: return "rows were already delivered to the caller";
    case RetryVerdict::source_read:
      return "the insert had already taken blocks from its source, which cannot be read a second time";
    case RetryVerdict::attempts_exhausted: return "no attempts left";
    case RetryVerdict::deadline: return "the next attempt would start past the deadline";
    case RetryVerdict::budget_exhausted: return "the retry budget is exhausted (too many retries recently)";
  }
  return "unknown";
}

// ---- RandomSource ----

RandomSource::RandomSource(std::uint64_t seed) noexcept : state_(seed != 0 ? seed : random_seed()) {}

std::uint64_t RandomSource::next() noexcept {
  std::uint64_t z = state_.fetch_add(k_golden, std::memory_order_relaxed) + k_golden;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Clock::duration RandomSource::uniform(Clock::duration bound) noexcept {
  if (bound <= Clock::duration::zero()) return Clock::duration::zero();
  const auto n = static_cast<std::uint64_t>(bound.count());
  // Modulo bias is below 2^-30 for any bound under a century of nanoseconds.
  const std::uint64_t r = n == std::numeric_limits<std::uint64_t>::max() ? next() : next() % (n + 1);
  return Clock::duration(static_cast<Clock::duration::rep>(r));
}

// ---- RetryPolicy ----

RetryPolicy::RetryPolicy(RetryOptions options) : options_(options), random_(options.random_seed) { validate(options_); }

Clock::duration RetryPolicy::backoff_bound(int attempt) const noexcept {
  const Clock::duration base = options_.base_delay;
  const Clock::duration cap = options_.max_delay;
  const int shift = std::max(attempt, 1) - 1;
  if (base <= Clock::duration::zero()) return Clock::duration::zero();
  if (shift >= 62 || base.count() > (cap.count() >> shift)) return cap;
  return std::min(cap, Clock::duration(base.count() << shift));
}

Clock::duration RetryPolicy::backoff(int attempt) const noexcept { return random_.uniform(backoff_bound(attempt)); }

RetryDecision RetryPolicy::decide(const Error& error, int attempt, const RetryContext& ctx, const Clock& clock) const {
  if (!classify(error).retryable) return {.verdict = RetryVerdict::not_retryable};
  if (!ctx.idempotent) return {.verdict = RetryVerdict::not_idempotent};
  if (ctx.rows_delivered) return {.verdict = RetryVerdict::rows_delivered};
  if (ctx.source_read) return {.verdict = RetryVerdict::source_read};
  if (attempt >= options_.max_attempts) return {.verdict = RetryVerdict::attempts_exhausted};
  const Clock::duration delay = backoff(attempt);
  // The next attempt must start strictly before the deadline: no wait is scheduled past it.
  if (!ctx.deadline.is_never() && delay >= ctx.deadline.remaining(clock)) {
    return {.verdict = RetryVerdict::deadline, .delay = delay};
  }
  return {.verdict = RetryVerdict::retry, .delay = delay};
}

// ---- RetryBudget ----

struct RetryBudget::Impl {
  Impl(RetryBudgetOptions o, const Clock& c)
      : opt(o),
        clock(c),
        window(o.window),
        floor(static_cast<std::uint64_t>(
            std::floor(o.min_retries_per_second * std::chrono::duration<double>(o.window).count()))) {}

  // With `mu` held.
  std::uint64_t allowed(std::uint64_t requests) const {
    const auto by_ratio = static_cast<std::uint64_t>(std::floor(opt.ratio * static_cast<double>(requests)));
    return std::max(by_ratio, floor);
  }

  const RetryBudgetOptions opt;
  const Clock& clock;
  mutable std::mutex mu;
  RollingCounters<2> window;  // 0: requests, 1: retries
  const std::uint64_t floor;
  std::uint64_t granted = 0;
  std::uint64_t rejected = 0;
};

RetryBudget::RetryBudget(RetryBudgetOptions options, const Clock& clock) {
  validate(options);
  impl_ = std::make_unique<Impl>(options, clock);
}

RetryBudget::~RetryBudget() = default;

void RetryBudget::record_request() {
  const Clock::time_point now = impl_->clock.now();
  std::lock_guard lock(impl_->mu);
  impl_->window.add(now, 0);
}

bool RetryBudget::try_acquire_retry() {
  const Clock::time_point now = impl_->clock.now();
  std::lock_guard lock(impl_->mu);
  const auto t = impl_->window.totals(now);
  if (t[1] >= impl_->allowed(t[0])) {
    ++impl_->rejected;
    return false;
  }
  impl_->window.add(now, 1);
  ++impl_->granted;
  return true;
}

RetryBudgetMetrics RetryBudget::metrics() const {
  const Clock::time_point now = impl_->clock.now();
  std::lock_guard lock(impl_->mu);
  const auto t = impl_->window.totals(now);
  return {.requests_in_window = t[0],
          .retries_in_window = t[1],
          .retries_allowed = impl_->allowed(t[0]),
          .retries_granted = impl_->granted,
          .retries_rejected = impl_->rejected};
}

std::uint64_t RetryBudget::rejected() const {
  std::lock_guard lock(impl_->mu);
  return impl_->rejected;
}

const RetryBudgetOptions& RetryBudget::options() const noexcept { return impl_->opt; }

// ---- Sleepers ----

namespace {
class ThreadSleeper final : public Sleeper {
 public:
  void sleep_for(Clock::duration d) override {
    if (d > Clock::duration::zero()) std::this_thread::sleep_for(d);
  }
};
}  // namespace

Sleeper& thread_sleeper() noexcept {
  static ThreadSleeper sleeper;
  return sleeper;
}

namespace detail {

namespace {
// `message` on one line, cut at a character boundary after `limit` bytes.
std::string short_message(std::string_view message, std::size_t limit) {
  std::string out;
  std::size_t cut = message.size();
  if (cut > limit) {
    cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  }
  out.reserve(cut + 3);
  for (char c : message.substr(0, cut)) out += (c == '\n' || c == '\r') ? ' ' : c;
  if (cut < message.size()) out += "...";
  return out;
}
}  // namespace

void AttemptLog::add(int attempt, const Error& error, bool nothing_sent) {
  ++count_;
  if (!nothing_sent) {
    ++maybe_applied_count_;
    if (maybe_applied_.size() < k_listed) maybe_applied_.push_back(attempt);
  }
  if (listed_.size() >= k_listed) return;
  std::string entry = "#" + std::to_string(attempt) + " " + std::string(to_string(error.kind()));
  if (error.kind() == ErrorKind::server) entry += " (code " + std::to_string(error.server_code()) + ")";
  entry += ": " + short_message(error.message(), k_message_bytes);
  if (nothing_sent) entry += " (nothing sent)";
  listed_.push_back(std::move(entry));
}

std::string AttemptLog::annotation(int attempt, int max_attempts, RetryVerdict verdict, bool writes) const {
  std::string out = verdict == RetryVerdict::attempts_exhausted
                        ? "failed after " + std::to_string(attempt) + " attempts"
                        : "attempt " + std::to_string(attempt) + " of " + std::to_string(max_attempts) +
                              ", not retried: " + std::string(to_string(verdict));
  if (count_ == 0) return out;
  if (writes && maybe_applied_count_ > 0) {
    const bool several = maybe_applied_count_ > 1;
    out += several ? "; earlier attempts " : "; earlier attempt ";
    for (std::size_t i = 0; i < maybe_applied_.size(); ++i) out += (i ? ", " : "") + std::to_string(maybe_applied_[i]);
    if (maybe_applied_count_ > maybe_applied_.size()) {
      out += " and " + std::to_string(maybe_applied_count_ - maybe_applied_.size()) + " more";
    }
    out += several ? " may have been applied (they" : " may have been applied (it";
    out += " failed after the request was sent, so the server may have stored the data although this call failed)";
  }
  out += "; earlier attempts: ";
  for (std::size_t i = 0; i < listed_.size(); ++i) out += (i ? "; " : "") + listed_[i];
  if (count_ > listed_.size()) out += "; and " + std::to_string(count_ - listed_.size()) + " more";
  out += "; last attempt";
  return out;
}

}  // namespace detail

}  // namespace chconn
