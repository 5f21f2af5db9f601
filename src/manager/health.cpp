// The health report's rendering, and the statement classifier execute() retries by.
#include <algorithm>
#include <chrono>
#include <string>

#include "chconn/core/sql.h"
#include "chconn/manager/manager.h"

namespace chconn {

namespace {

// "OK", "FAILING", "NOT CHECKED" or "NOT CHECKED (why)".
std::string outcome(bool checked, bool ok, const std::string& not_checked) {
  if (checked) return ok ? "OK" : "FAILING";
  return not_checked.empty() ? "NOT CHECKED" : "NOT CHECKED (" + not_checked + ")";
}

std::string format_wait(Clock::duration d) {
  if (d == Clock::duration::max()) return "until reset";
  return duration_text(d);
}

}  // namespace

bool HealthReport::healthy() const noexcept {
  return std::all_of(strategies.begin(), strategies.end(), [](const StrategyHealth& s) { return s.ok; });
}

std::string to_string(const HealthReport& report) {
  std::string out;
  for (const StrategyHealth& s : report.strategies) {
    out += "strategy " + s.name + (s.is_default ? " (default)" : "") + ": ";
    out += outcome(s.checked, s.ok, s.not_checked);
    out += ", breaker " + std::string(to_string(s.breaker));
    if (s.latency) out += ", ping " + duration_text(*s.latency);
    out += ", connections " + std::to_string(s.stats.open) + " open / " + std::to_string(s.stats.idle) + " idle / " +
           std::to_string(s.stats.in_use) + " in use";
    if (s.stats.waiting != 0) out += " / " + std::to_string(s.stats.waiting) + " waiting";
    out += ", errors " + std::to_string(s.error_count) + "\n";
    if (!s.last_error.empty()) out += "  last error: " + s.last_error + "\n";
    for (const HostHealth& h : s.hosts) {
      out += "  host " + h.address + ": ";
      out += outcome(h.checked, h.ok, h.not_checked);
      if (h.has_breaker) {
        out += ", breaker " + std::string(to_string(h.breaker));
        if (h.breaker == CircuitState::open) out += " (retry in " + format_wait(h.retry_in) + ")";
      }
      if (h.latency && h.ok) out += ", ping " + duration_text(*h.latency);
      out += h.has_breaker ? ", errors " + std::to_string(h.error_count) + "\n"
                           : ", failed checks " + std::to_string(h.error_count) + "\n";
      if (!h.last_error.empty()) out += "    last error: " + h.last_error + "\n";
    }
  }
  out += report.healthy() ? "healthy\n" : "UNHEALTHY\n";
  return out;
}

bool is_read_only_statement(std::string_view sql) noexcept { return sql::is_read_only(sql); }

}  // namespace chconn
