// `chconn bench`'s reports: the text one and the JSON one (--json), from a run's Summary.
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "bench.h"
#include "chconn/format/text.h"

namespace chconn::cli::bench {

std::string fixed_text(double value, int precision) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(precision) << value;
  return out.str();
}

namespace {

double ms_of(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

std::string share_text(double percent) {
  std::ostringstream out;
  out << percent;
  return out.str();
}

namespace {

// Nearest-rank percentile of sorted values; 0 for none.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

double mean_ms(const std::vector<std::int64_t>& v) {
  if (v.empty()) return 0;
  long double sum = 0;
  for (std::int64_t x : v) sum += static_cast<long double>(x);
  return static_cast<double>(sum / static_cast<long double>(v.size())) / 1e6;
}

// A JSON string literal (the format layer's one JSON escaper).
std::string json_string(std::string_view s) {
  std::string out;
  text::append_json_string(out, s);
  return out;
}

double throughput(const Summary& s) { return s.elapsed_s > 0 ? static_cast<double>(s.ok) / s.elapsed_s : 0; }

}  // namespace

void print_text(std::ostream& out, const Plan& plan, const Summary& s) {
  const auto ms = [](std::int64_t ns) { return fixed_text(ms_of(ns), 3); };
  out << "query:       " << plan.query << '\n'
      << "strategy:    " << plan.strategy
      << (plan.manager != nullptr ? " (through a ConnectionManager: retries, breaker, health checks)"
          : plan.lease_per_thread ? " (one lease per thread)"
                                  : " (a lease per query)")
      << ", " << plan.concurrency << (plan.concurrency == 1 ? " thread" : " threads") << '\n'
      << "queries:     " << s.requests << " in " << fixed_text(s.elapsed_s) << " s (stopped by "
      << (s.stopped_by_count ? "--count" : "--duration") << "), " << s.ok << " ok, " << s.failed << " failed\n"
      << "throughput:  " << fixed_text(throughput(s), 1) << " queries/s\n"
      << "latency ms:  p50 " << ms(percentile(s.latencies_ns, 50)) << "  p90 " << ms(percentile(s.latencies_ns, 90))
      << "  p99 " << ms(percentile(s.latencies_ns, 99)) << "  max "
      << ms(s.latencies_ns.empty() ? 0 : s.latencies_ns.back()) << "  mean " << fixed_text(mean_ms(s.latencies_ns), 3)
      << '\n';
  out << "errors:      ";
  if (s.failed == 0)
    out << "none\n";
  else {
    out << s.failed << '\n';
    for (std::size_t k = 0; k < k_error_kinds; ++k) {
      if (s.errors[k] == 0) continue;
      out << "  " << to_string(static_cast<ErrorKind>(k)) << ": " << s.errors[k] << " (first: " << s.first_error[k]
          << ")\n";
    }
  }
  const StrategyStats& st = s.stats;
  out << "stats:       open " << st.open << ", idle " << st.idle << ", in use " << st.in_use << ", connecting "
      << st.connecting << ", waiting " << st.waiting << "\n"
      << "             acquired " << st.acquired << ", created " << st.created << ", closed " << st.closed
      << ", connect failures " << st.connect_failures << ", validation failures " << st.validation_failures
      << ", acquire timeouts " << st.acquire_timeouts << ", leaks reported " << st.leaks_reported << "\n"
      << "             total wait " << fixed_text(std::chrono::duration<double>(st.total_wait).count(), 6)
      << " s, max wait " << fixed_text(std::chrono::duration<double>(st.max_wait).count(), 6) << " s\n";
  if (!s.hosts.empty()) {
    out << "hosts:\n";
    for (const HostStats& h : s.hosts) {
      out << "  " << h.address << ": breaker " << to_string(h.breaker) << ", errors " << h.errors << ", successes "
          << h.successes << ", failures " << h.failures << ", skipped " << h.skipped;
      if (!h.last_error.empty()) out << ", last error: " << h.last_error;
      out << '\n';
    }
  }
  if (!s.arms.empty()) {
    out << "arms:        leases / failed leases / acquire errors / rerouted by the kill switch; lease hold ms\n";
    for (const ArmStats& a : s.arms) {
      const auto held_ms = [](Clock::duration d) {
        return fixed_text(std::chrono::duration<double, std::milli>(d).count());
      };
      out << "  " << a.arm << " (" << a.strategy << "): share now " << share_text(a.share) << " %, leases " << a.leases
          << ", failed " << a.failed << ", acquire errors " << a.acquire_errors << ", rerouted " << a.rerouted
          << "; held p50 " << held_ms(a.held_p50) << "  p90 " << held_ms(a.held_p90) << "  p99 " << held_ms(a.held_p99)
          << '\n';
    }
  }
  if (!s.events.empty()) {
    out << "events:\n";
    for (const Event& e : s.events) out << "  +" << fixed_text(e.at_s) << " s  " << e.what << '\n';
  }
  if (plan.timeline) {
    out << "timeline:    queries finished per second (ok / failed)\n";
    for (std::size_t i = 0; i < s.ok_by_s.size(); ++i) {
      out << "  " << std::setw(4) << i << " s  " << std::setw(8) << s.ok_by_s[i] << " / " << s.failed_by_s[i] << '\n';
    }
  }
}

// One JSON object:
//   {"query", "strategy", "concurrency", "lease_per_thread", "limits": {"count", "duration_s"},
//    "stopped_by": "count"|"duration", "requests", "ok", "failed", "elapsed_s", "throughput_qps",
//    "latency_ms": {"p50", "p90", "p99", "max", "min", "mean"},
//    "errors": {"<kind>": {"count", "first"}...},
//    "stats": {"open", "idle", "in_use", "connecting", "waiting", "acquired", "created", "closed",
//              "connect_failures", "validation_failures", "acquire_timeouts", "leaks_reported",
//              "total_wait_s", "max_wait_s"},
//    "manager": bool, "hosts": [{"address", "breaker", "errors", "successes", "failures", "skipped",
//    "last_error"}...] (failover only), "arms": [{"arm", "strategy", "share", "leases", "failed",
//    "acquire_errors", "rerouted", "held_ms": {"p50", "p90", "p99"}, "acquired"}...] (rollout only),
//    "events": [{"at_s", "what"}...],
//    "timeline": [{"second", "ok", "failed"}...] (with --timeline or --fault)}
void print_json(std::ostream& out, const Plan& plan, const Summary& s) {
  const auto num = [](double v) { return fixed_text(v, 6); };
  const auto lat = [&](std::int64_t ns) { return num(ms_of(ns)); };
  const StrategyStats& st = s.stats;
  out << "{\"query\":" << json_string(plan.query) << ",\"strategy\":" << json_string(plan.strategy)
      << ",\"concurrency\":" << plan.concurrency
      << ",\"lease_per_thread\":" << (plan.lease_per_thread ? "true" : "false")
      << ",\"limits\":{\"count\":" << plan.count
      << ",\"duration_s\":" << num(std::chrono::duration<double>(plan.duration).count()) << "}"
      << ",\"stopped_by\":" << (s.stopped_by_count ? "\"count\"" : "\"duration\"") << ",\"requests\":" << s.requests
      << ",\"ok\":" << s.ok << ",\"failed\":" << s.failed << ",\"elapsed_s\":" << num(s.elapsed_s)
      << ",\"throughput_qps\":" << num(throughput(s))
      << ",\"latency_ms\":{\"p50\":" << lat(percentile(s.latencies_ns, 50))
      << ",\"p90\":" << lat(percentile(s.latencies_ns, 90)) << ",\"p99\":" << lat(percentile(s.latencies_ns, 99))
      << ",\"max\":" << lat(s.latencies_ns.empty() ? 0 : s.latencies_ns.back())
      << ",\"min\":" << lat(s.latencies_ns.empty() ? 0 : s.latencies_ns.front())
      << ",\"mean\":" << num(mean_ms(s.latencies_ns)) << "},\"errors\":{";
  bool first = true;
  for (std::size_t k = 0; k < k_error_kinds; ++k) {
    if (s.errors[k] == 0) continue;
    out << (first ? "" : ",") << json_string(to_string(static_cast<ErrorKind>(k))) << ":{\"count\":" << s.errors[k]
        << ",\"first\":" << json_string(s.first_error[k]) << "}";
    first = false;
  }
  out << "},\"stats\":{\"open\":" << st.open << ",\"idle\":" << st.idle << ",\"in_use\":" << st.in_use
      << ",\"connecting\":" << st.connecting << ",\"waiting\":" << st.waiting << ",\"acquired\":" << st.acquired
      << ",\"created\":" << st.created << ",\"closed\":" << st.closed << ",\"connect_failures\":" << st.connect_failures
      << ",\"validation_failures\":" << st.validation_failures << ",\"acquire_timeouts\":" << st.acquire_timeouts
      << ",\"leaks_reported\":" << st.leaks_reported
      << ",\"total_wait_s\":" << num(std::chrono::duration<double>(st.total_wait).count())
      << ",\"max_wait_s\":" << num(std::chrono::duration<double>(st.max_wait).count()) << "}";
  out << ",\"manager\":" << (plan.manager != nullptr ? "true" : "false") << ",\"hosts\":[";
  for (std::size_t i = 0; i < s.hosts.size(); ++i) {
    const HostStats& h = s.hosts[i];
    out << (i == 0 ? "" : ",") << "{\"address\":" << json_string(h.address)
        << ",\"breaker\":" << json_string(to_string(h.breaker)) << ",\"errors\":" << h.errors
        << ",\"successes\":" << h.successes << ",\"failures\":" << h.failures << ",\"skipped\":" << h.skipped
        << ",\"last_error\":" << json_string(h.last_error) << "}";
  }
  out << "],\"arms\":[";
  for (std::size_t i = 0; i < s.arms.size(); ++i) {
    const ArmStats& a = s.arms[i];
    const auto held_ms = [&](Clock::duration d) { return num(std::chrono::duration<double, std::milli>(d).count()); };
    out << (i == 0 ? "" : ",") << "{\"arm\":" << json_string(a.arm) << ",\"strategy\":" << json_string(a.strategy)
        << ",\"share\":" << num(a.share) << ",\"leases\":" << a.leases << ",\"failed\":" << a.failed
        << ",\"acquire_errors\":" << a.acquire_errors << ",\"rerouted\":" << a.rerouted
        << ",\"held_ms\":{\"p50\":" << held_ms(a.held_p50) << ",\"p90\":" << held_ms(a.held_p90)
        << ",\"p99\":" << held_ms(a.held_p99) << "},\"acquired\":" << a.pool.acquired << "}";
  }
  out << "],\"events\":[";
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    out << (i == 0 ? "" : ",") << "{\"at_s\":" << num(s.events[i].at_s) << ",\"what\":" << json_string(s.events[i].what)
        << "}";
  }
  out << "],\"timeline\":[";
  for (std::size_t i = 0; i < s.ok_by_s.size(); ++i) {
    out << (i == 0 ? "" : ",") << "{\"second\":" << i << ",\"ok\":" << s.ok_by_s[i]
        << ",\"failed\":" << s.failed_by_s[i] << "}";
  }
  out << "]}\n";
}

}  // namespace chconn::cli::bench
