#include "strategy/host_checks.h"

#include <algorithm>
#include <utility>

#include "chconn/core/error.h"

namespace chconn::detail {

void validate_host_check_options(const HostCheckOptions& options, std::string_view owner) {
  if (options.timeout <= std::chrono::milliseconds::zero()) {
    throw Error(ErrorKind::usage, std::string(owner) + ": check_hosts needs a positive timeout");
  }
  if (options.max_concurrency == 0) {
    throw Error(ErrorKind::usage, std::string(owner) + ": check_hosts needs a max_concurrency of at least 1");
  }
}

HostChecks::HostChecks(std::vector<std::shared_ptr<Connector>> hosts, const Clock& clock) : clock_(&clock) {
  hosts_.reserve(hosts.size());
  for (std::shared_ptr<Connector>& connector : hosts) {
    auto h = std::make_unique<Host>();
    h->address = connector->describe();
    h->connector = std::move(connector);
    hosts_.push_back(std::move(h));
  }
}

std::vector<HostCheck> HostChecks::check(const HostCheckOptions& options, Clock::duration max_budget,
                                         std::string_view owner) {
  validate_host_check_options(options, owner);
  const Clock::duration budget = std::min<Clock::duration>(options.timeout, max_budget);
  std::vector<HostCheck> out(hosts_.size());
  run_concurrently(hosts_.size(), options.max_concurrency,
                   [&](std::size_t i) { out[i] = check_host(*hosts_[i], budget, options.start_by); });
  return out;
}

bool may_check(const ExclusiveClaim& claim, Deadline start_by, const Clock& clock, HostCheck& c) {
  if (!claim.held()) {
    c.not_checked = "a check of this host was already in flight";
    return false;
  }
  if (start_by.expired(clock)) {
    c.not_checked = "no time left: the check round's start limit passed before its turn";
    return false;
  }
  return true;
}

std::optional<Error> run_check(HostCheck& c, const Clock& clock, Clock::duration budget,
                               const std::function<void(Deadline)>& probe) {
  c.checked = true;
  const Clock::time_point start = clock.now();
  try {
    probe(Deadline::after(budget, start).named("the health check budget"));
    c.latency = clock.now() - start;
    c.ok = true;
    return std::nullopt;
  } catch (const Error& e) {
    c.latency = clock.now() - start;
    c.error = e.what();
    return e;
  }
}

HostCheck HostChecks::check_host(Host& h, Clock::duration budget, Deadline start_by) {
  HostCheck c{.address = h.address};
  const ExclusiveClaim claim(h.checking);
  if (!may_check(claim, start_by, *clock_, c)) return c;
  const std::optional<Error> failed = run_check(c, *clock_, budget, [&](Deadline d) {
    std::unique_ptr<Connection> connection = h.connector->connect(d);
    if (!connection) throw Error(ErrorKind::usage, "connector '" + h.address + "' returned no connection");
    connection->ping(d);
    connection->close();
  });
  if (!failed) h.successes.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(h.mutex);
  h.ping_latency = failed ? std::nullopt : std::optional(c.latency);
  if (failed &&
      classify(*failed).host_failure) {  // a refused login is the caller's to see in `c.error`, not the host's
    h.failures.fetch_add(1, std::memory_order_relaxed);
    h.last_error = failed->what();
  }
  return c;
}

std::vector<HostStats> HostChecks::stats() const {
  std::vector<HostStats> out;
  out.reserve(hosts_.size());
  for (const auto& h : hosts_) {
    HostStats s;
    s.address = h->address;
    s.has_breaker = false;
    s.successes = h->successes.load(std::memory_order_relaxed);
    s.failures = h->failures.load(std::memory_order_relaxed);
    s.errors = s.failures;
    {
      std::lock_guard lock(h->mutex);
      s.last_error = h->last_error;
      s.ping_latency = h->ping_latency;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace chconn::detail
