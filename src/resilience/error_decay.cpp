#include "chconn/resilience/error_decay.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <tuple>

#include "chconn/core/error.h"

namespace chconn {

struct ErrorDecay::Impl {
  Impl(std::size_t hosts, ErrorDecayOptions o, const Clock& c)
      : opt(o), clock(c), counts(hosts, 0), period_start(c.now()) {}

  // With `mu` held: applies the half-lives that have ended since period_start.
  void decay(Clock::time_point now) {
    if (now <= period_start) return;  // a clock read out of order across threads: nothing to do
    const Clock::duration elapsed = now - period_start;
    const auto periods = static_cast<std::uint64_t>(elapsed / opt.half_life);
    if (periods == 0) return;
    if (periods >= 64) {
      std::fill(counts.begin(), counts.end(), std::uint64_t{0});
    } else {
      for (std::uint64_t& c : counts) c >>= periods;
    }
    // Keep the boundaries fixed: the part of the current period that has passed still counts.
    period_start = now - elapsed % opt.half_life;
  }

  void check(std::size_t host) const {
    if (host >= counts.size()) {
      throw Error(ErrorKind::usage, "error decay: host index " + std::to_string(host) + " is out of range (" +
                                        std::to_string(counts.size()) + " hosts)");
    }
  }

  const ErrorDecayOptions opt;
  const Clock& clock;
  mutable std::mutex mu;
  std::vector<std::uint64_t> counts;
  Clock::time_point period_start;
};

ErrorDecay::ErrorDecay(std::size_t hosts, ErrorDecayOptions options, const Clock& clock) {
  validate(options);
  impl_ = std::make_unique<Impl>(hosts, options, clock);
}

ErrorDecay::~ErrorDecay() = default;

std::size_t ErrorDecay::size() const noexcept { return impl_->counts.size(); }
const ErrorDecayOptions& ErrorDecay::options() const noexcept { return impl_->opt; }

void ErrorDecay::record_error(std::size_t host_index, std::uint64_t n) {
  impl_->check(host_index);
  const Clock::time_point now = impl_->clock.now();
  std::lock_guard lock(impl_->mu);
  impl_->decay(now);
  std::uint64_t& c = impl_->counts[host_index];
  const std::uint64_t cap = impl_->opt.max_error_cap;
  c = (n >= cap || c >= cap - n) ? cap : c + n;
}

std::uint64_t ErrorDecay::count(std::size_t host_index) const {
  impl_->check(host_index);
  const Clock::time_point now = impl_->clock.now();
  std::lock_guard lock(impl_->mu);
  impl_->decay(now);
  return impl_->counts[host_index];
}

std::vector<std::uint64_t> ErrorDecay::snapshot() const {
  const Clock::time_point now = impl_->clock.now();
  std::lock_guard lock(impl_->mu);
  impl_->decay(now);
  return impl_->counts;
}

void ErrorDecay::reset() {
  const Clock::time_point now = impl_->clock.now();
  std::lock_guard lock(impl_->mu);
  std::fill(impl_->counts.begin(), impl_->counts.end(), std::uint64_t{0});
  impl_->period_start = now;
}

bool host_rank_less(const HostRank& a, const HostRank& b) noexcept {
  return std::tie(a.errors, a.priority, a.tie_breaker, a.index) <
         std::tie(b.errors, b.priority, b.tie_breaker, b.index);
}

std::vector<std::size_t> order_hosts(std::span<const HostRank> ranks) {
  std::vector<HostRank> sorted(ranks.begin(), ranks.end());
  std::sort(sorted.begin(), sorted.end(), host_rank_less);
  std::vector<std::size_t> out;
  out.reserve(sorted.size());
  for (const HostRank& r : sorted) out.push_back(r.index);
  return out;
}

}  // namespace chconn
