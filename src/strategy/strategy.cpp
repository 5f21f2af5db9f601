// Sums of strategy figures, for strategies made of others (failover, rollout).
#include "chconn/strategy/strategy.h"

#include <algorithm>

namespace chconn {

StrategyStats& operator+=(StrategyStats& a, const StrategyStats& b) noexcept {
  a.open += b.open;
  a.idle += b.idle;
  a.in_use += b.in_use;
  a.connecting += b.connecting;
  a.waiting += b.waiting;
  a.acquired += b.acquired;
  a.created += b.created;
  a.closed += b.closed;
  a.connect_failures += b.connect_failures;
  a.validation_failures += b.validation_failures;
  a.session_closes += b.session_closes;
  a.acquire_timeouts += b.acquire_timeouts;
  a.leaks_reported += b.leaks_reported;
  a.total_wait += b.total_wait;
  a.max_wait = std::max(a.max_wait, b.max_wait);
  return a;
}

MaintenanceReport& operator+=(MaintenanceReport& a, const MaintenanceReport& b) noexcept {
  a.closed_idle += b.closed_idle;
  a.closed_expired += b.closed_expired;
  a.leaks_reported += b.leaks_reported;
  a.created += b.created;
  a.connect_failures += b.connect_failures;
  return a;
}

}  // namespace chconn
