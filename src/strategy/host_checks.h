// Health checks host by host for a strategy whose connector tries several hosts in turn (direct
// and pooled made from a Config with several hosts): each host is checked through its own
// connector (Connector::host_connectors) with a new connection and a ping, on a budget of its own,
// concurrently with the others. Without this a check through acquire() would spend its whole
// budget on a silent first host and report the strategy down while the next host serves calls.
// Internal.
//
// Thread safety: check() and stats() may be called from any thread; at most one check of a host
// is in flight at once (a second one finds it claimed and skips it, charging nothing).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/connection/connector.h"
#include "chconn/core/clock.h"
#include "chconn/core/error.h"
#include "chconn/strategy/strategy.h"
#include "core/concurrent.h"

namespace chconn::detail {

// Throws Error(usage), naming `owner` ("failover 'db'"), for options check_hosts cannot use: a
// timeout that is not positive, or a max_concurrency of zero.
void validate_host_check_options(const HostCheckOptions& options, std::string_view owner);

// Whether a host's check may contact it now: `claim` holds its in-flight flag and the round's
// start limit has not passed. Otherwise sets c.not_checked to why not and returns false; the host
// is then not contacted and nothing is recorded for it.
bool may_check(const ExclusiveClaim& claim, Deadline start_by, const Clock& clock, HostCheck& c);

// One check of a host that may be contacted: runs `probe` with a deadline `budget` from now on
// `clock` (named "the health check budget") and records in `c` that it was checked, how long it
// took, and whether it passed or the error's text. Returns the error when the probe failed; the
// caller keeps its own books (successes, failures, breakers) from that.
std::optional<Error> run_check(HostCheck& c, const Clock& clock, Clock::duration budget,
                               const std::function<void(Deadline)>& probe);

class HostChecks {
 public:
  // `hosts`: the connectors of the hosts, in order (empty: no per-host checks). `clock` must
  // outlive this object.
  HostChecks(std::vector<std::shared_ptr<Connector>> hosts, const Clock& clock);

  bool empty() const noexcept { return hosts_.empty(); }

  // Checks every host: connect, ping, close, within min(options.timeout, max_budget) from that
  // host's own start. A host whose turn comes after options.start_by, or whose check is already in
  // flight, is not contacted and not charged. Validates `options` first (owner names the strategy).
  std::vector<HostCheck> check(const HostCheckOptions& options, Clock::duration max_budget, std::string_view owner);

  // One entry per host: its address, and what its checks found (successes and failures count
  // checks, and errors is failures; last_error and ping_latency are the last check's). There is no
  // breaker per host here: has_breaker is false, breaker and retry_in keep their defaults, and
  // pool is empty.
  std::vector<HostStats> stats() const;

 private:
  struct Host {
    std::shared_ptr<Connector> connector;
    std::string address;
    std::atomic<bool> checking{false};
    std::atomic<std::uint64_t> successes{0};
    std::atomic<std::uint64_t> failures{0};
    mutable std::mutex mutex;  // guards the two below
    std::string last_error;
    std::optional<Clock::duration> ping_latency;
  };

  HostCheck check_host(Host& host, Clock::duration budget, Deadline start_by);

  std::vector<std::unique_ptr<Host>> hosts_;
  const Clock* clock_;
};

}  // namespace chconn::detail
