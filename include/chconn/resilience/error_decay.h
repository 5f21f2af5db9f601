// ErrorDecay: per-host error counters that halve every half-life, and the order in which to try
// hosts — ClickHouse's own rule for replicas (PoolWithFailoverBase, the settings
// distributed_replica_error_half_life = 60 s and distributed_replica_error_cap = 1000).
//
// A host's count goes up by one per error (up to max_error_cap, so a host that was down for an hour
// is forgiven within a few half-lives of coming back) and is halved, rounding down, once per
// elapsed half_life. Decay is lazy: it is applied from the Clock whenever the counters are read or
// written, with any number of half-lives at once after a long pause (64 or more clear them).
// Unlike ClickHouse, which restarts the period at the moment it decays (losing the part of a
// period that had already passed), the period boundaries here stay fixed: counts halve exactly
// every half_life however often they are read.
//
// Host order (order_hosts): fewer errors first, then lower priority value, then the load-balancing
// policy's tie-breaker, then the lower index. ClickHouse's distributed_replica_max_ignored_errors is
// effective_errors(). Policies (random, in_order, round_robin, nearest_hostname...) belong to the
// strategy; they only fill in HostRank::tie_breaker.
//
// Thread safety: ErrorDecay may be shared by any number of threads. The Clock must outlive it.
//
// Example:
//   chconn::ErrorDecay decay(hosts.size(), {.half_life = std::chrono::seconds(60)}, clock);
//   decay.record_error(2);
//   auto errors = decay.snapshot();
//   std::vector<chconn::HostRank> ranks;
//   for (std::size_t i = 0; i < hosts.size(); ++i)
//     ranks.push_back({.errors = errors[i], .priority = hosts[i].priority, .tie_breaker = rng(), .index = i});
//   for (std::size_t i : chconn::order_hosts(ranks)) { /* try hosts[i] */ }
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "chconn/core/clock.h"
#include "chconn/core/resilience_options.h"

namespace chconn {

class ErrorDecay {
 public:
  // `hosts` counters, all zero. Throws Error(ErrorKind::config) if half_life is not positive or
  // max_error_cap is zero.
  explicit ErrorDecay(std::size_t hosts, ErrorDecayOptions options = {}, const Clock& clock = steady_clock());
  ~ErrorDecay();
  ErrorDecay(const ErrorDecay&) = delete;
  ErrorDecay& operator=(const ErrorDecay&) = delete;

  std::size_t size() const noexcept;
  const ErrorDecayOptions& options() const noexcept;

  // Adds `n` errors to host `host_index` (capped). Throws Error(ErrorKind::usage) if out of range.
  void record_error(std::size_t host_index, std::uint64_t n = 1);
  // The decayed count of one host. Throws Error(ErrorKind::usage) if out of range.
  std::uint64_t count(std::size_t host_index) const;
  // All decayed counts, by host index, read at one instant.
  std::vector<std::uint64_t> snapshot() const;
  // Forgets all errors.
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ClickHouse's distributed_replica_max_ignored_errors: the first `max_ignored` errors of a host do
// not count when ordering.
constexpr std::uint64_t effective_errors(std::uint64_t errors, std::uint64_t max_ignored) noexcept {
  return errors > max_ignored ? errors - max_ignored : 0;
}

// What a host is ordered by; smaller is tried first in each field.
struct HostRank {
  std::uint64_t errors = 0;       // decayed (and possibly effective_errors()) count
  std::int64_t priority = 0;      // configured priority; lower is preferred, as in ClickHouse
  std::uint64_t tie_breaker = 0;  // from the load-balancing policy: random, distance, rotation...
  std::size_t index = 0;          // the host's position; the last, deterministic tie-breaker
};

// Lexicographic (errors, priority, tie_breaker, index).
bool host_rank_less(const HostRank& a, const HostRank& b) noexcept;

// The indexes of `ranks` in the order to try them.
std::vector<std::size_t> order_hosts(std::span<const HostRank> ranks);

}  // namespace chconn
