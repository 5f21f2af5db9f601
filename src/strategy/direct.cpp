// DirectStrategy: connect per lease, close on return. The counters are atomics: there is no other
// shared state, so no lock.
#include "chconn/strategy/direct.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "chconn/core/error.h"
#include "strategy/host_checks.h"

namespace chconn {

class DirectStrategy::State final : public LeaseOwner {
 public:
  State(std::shared_ptr<Connector> connector, DirectOptions options)
      : options_(std::move(options)),
        connector_(std::move(connector)),
        clock_(options_.clock ? options_.clock : &steady_clock()),
        checks_(connector_ ? connector_->host_connectors() : std::vector<std::shared_ptr<Connector>>{}, *clock_) {
    if (!connector_) throw Error(ErrorKind::usage, "DirectStrategy needs a connector (got null)");
  }

  Lease acquire(Deadline caller_deadline, const std::shared_ptr<State>& self) {
    const Deadline deadline =
        caller_deadline.earliest(Deadline::after(options_.connect_timeout, *clock_).named("the connect timeout"));
    std::unique_ptr<Connection> connection;
    try {
      connection = connector_->connect(deadline);
      if (!connection)
        throw Error(ErrorKind::usage, "connector '" + connector_->describe() + "' returned no connection");
    } catch (...) {
      connect_failures_.fetch_add(1, std::memory_order_relaxed);
      throw;
    }
    created_.fetch_add(1, std::memory_order_relaxed);
    if (options_.ping_on_acquire) {
      try {
        connection->ping(deadline);
      } catch (...) {
        connection->close();
        closed_.fetch_add(1, std::memory_order_relaxed);
        throw;
      }
    }
    in_use_.fetch_add(1, std::memory_order_relaxed);
    acquired_.fetch_add(1, std::memory_order_relaxed);
    return Lease(self, std::move(connection));
  }

  void give_back(std::unique_ptr<Connection> connection, void*, LeaseEnd) noexcept override {
    connection->close();
    connection.reset();
    in_use_.fetch_sub(1, std::memory_order_relaxed);
    closed_.fetch_add(1, std::memory_order_relaxed);
  }

  StrategyStats stats() const noexcept {
    StrategyStats s;
    s.in_use = in_use_.load(std::memory_order_relaxed);
    s.open = s.in_use;
    s.acquired = acquired_.load(std::memory_order_relaxed);
    s.created = created_.load(std::memory_order_relaxed);
    s.closed = closed_.load(std::memory_order_relaxed);
    s.connect_failures = connect_failures_.load(std::memory_order_relaxed);
    return s;
  }

  std::vector<HostStats> host_stats() const { return checks_.stats(); }

  std::vector<HostCheck> check_hosts(const HostCheckOptions& o) {
    if (checks_.empty()) return {};
    return checks_.check(o, options_.connect_timeout, "direct '" + options_.name + "'");
  }

  const DirectOptions options_;

 private:
  const std::shared_ptr<Connector> connector_;
  const Clock* const clock_;
  detail::HostChecks checks_;  // per-host health checks when the connector tries several hosts
  std::atomic<std::size_t> in_use_{0};
  std::atomic<std::uint64_t> acquired_{0};
  std::atomic<std::uint64_t> created_{0};
  std::atomic<std::uint64_t> closed_{0};
  std::atomic<std::uint64_t> connect_failures_{0};
};

DirectOptions direct_options(const Config& config) {
  DirectOptions o;
  // native_connector(config) gives each host its own connect timeout, which ends its attempt and
  // is what a message names. The hosts' turns add a little time each, so a bound of exactly their
  // sum would pass during the last host's turn, just before that host's own timeout, and be the
  // limit named; with one timeout more it is only a backstop.
  const std::size_t hosts = std::max<std::size_t>(1, config.hosts.size());
  o.connect_timeout = config.timeouts.connect * static_cast<long>(hosts == 1 ? 1 : hosts + 1);
  return o;
}

DirectStrategy::DirectStrategy(const Config& config)
    : DirectStrategy(native_connector(config), direct_options(config)) {}

DirectStrategy::DirectStrategy(std::shared_ptr<Connector> connector, DirectOptions options)
    : state_(std::make_shared<State>(std::move(connector), std::move(options))) {}

DirectStrategy::~DirectStrategy() = default;

Lease DirectStrategy::acquire(Deadline deadline) { return state_->acquire(deadline, state_); }

const std::string& DirectStrategy::name() const noexcept { return state_->options_.name; }

StrategyStats DirectStrategy::stats() const { return state_->stats(); }

std::vector<HostStats> DirectStrategy::host_stats() const { return state_->host_stats(); }

std::vector<HostCheck> DirectStrategy::check_hosts(const HostCheckOptions& options) {
  return state_->check_hosts(options);
}

}  // namespace chconn
