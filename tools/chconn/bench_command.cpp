// `chconn bench`: a bounded workload through any strategy, for comparing them on a real server.
//
//   chconn --port 9000 bench --strategy pooled --concurrency 2 --count 20000 --duration 30s
//   chconn bench --strategy direct --query "SELECT number FROM numbers(100)" --json
//
// C worker threads run the query through chconn::Client (a lease per query, as an application
// would), or with --lease-per-thread on one lease per thread held for the whole run: the baseline
// of one long-lived connection per thread. The run stops when --count queries have been started or
// --duration has passed, whichever comes first; both limits are finite by default. Queries in
// flight when the duration ends are finished (each within --query-timeout) and counted. Result blocks
// are streamed and dropped (select() with an empty callback), so memory does not grow with them.
//
// With the pooled strategy, --concurrency above the pool's max_size (the DSN's pool_max, default
// 10) makes threads queue for connections; the stats' waiting and wait times show it. The mock
// strategy answers every query with an empty result and never connects: a run with it measures
// the tool's and the strategy layer's own overhead (its call record is cleared every 100 ms).
//
// Reported: throughput, latency percentiles (p50, p90, p99, max; successful queries only, measured
// around acquire + query + release), errors by kind with the first message of each, and the
// strategy's stats() after the run. --json prints one JSON object instead (see print_json for its
// fields). A progress line is drawn on stderr only when stderr is a terminal.
//
// Hot path: each worker appends to its own latency vector and error counters, and publishes its
// progress with a relaxed store of a counter only it writes; the only shared write is the relaxed
// fetch_add that claims the next query of --count. Nothing is locked; the vectors are merged after
// every worker has been joined.
//
// Faults and failover (`--manager`, `--fault`, `--timeline`):
//   --manager      queries go through a ConnectionManager (its retry policy, retry budget, breaker
//                  and health thread, with their defaults) instead of a bare Client, as a service
//                  that wants failures absorbed would use chconn. Each call has a deadline that
//                  covers its retries: --deadline, by default three times the query timeout (each
//                  attempt's query still ends at the query timeout).
//   --fault AT:CMD runs the shell command CMD (its output on stderr) AT after the start, e.g.
//                  `--fault "5s:kill -STOP 1234" --fault "15s:kill -CONT 1234"`: a scripted fault
//                  during the load. Commands still pending when the run ends are not run.
//   --timeline     queries ok and failed per second of the run (implied by --fault).
// The report then has an event log — every fault command (start, exit status) and every breaker
// transition (each failover host's breaker, and the manager's breaker of the strategy), with its
// time since the start — and, for the failover strategy, each host's stats after the run:
// breaker, decayed errors, successes, failures, times skipped while its breaker refused, last error.
// scripts/fault-bench runs the fault scenarios of the fault tests this way against sandbox servers.
//
// Exit code: 0 when every query succeeded, 1 when some failed (the report is printed either way),
// 2 for bad flags.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chconn/client/client.h"
#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/failover.h"
#include "chconn/strategy/mock.h"
#include "chconn/strategy/strategy.h"
#include "cli.h"
#include "strategy_choice.h"

namespace chconn::cli {
namespace {

using BenchClock = std::chrono::steady_clock;

constexpr std::size_t k_error_kinds = static_cast<std::size_t>(ErrorKind::usage) + 1;
constexpr std::uint64_t k_max_count = 1'000'000'000;
constexpr std::size_t k_max_concurrency = 256;
constexpr std::size_t k_max_reserve = std::size_t{1} << 20;  // latencies reserved up front, per thread
constexpr std::size_t k_max_timeline_s = 3600;  // seconds of the per-second timeline; later ones share the last

// One worker's results. Only its thread writes them while it runs (done is also read by the
// progress line); aligned so that workers never share a cache line.
struct alignas(64) Worker {
  std::vector<std::int64_t> latencies_ns;  // successful queries
  std::array<std::uint64_t, k_error_kinds> errors{};
  std::array<std::string, k_error_kinds> first_error{};
  std::atomic<std::uint64_t> done{0};  // queries finished, successful or not
  std::vector<std::uint32_t> ok_by_s;  // --timeline: per second since the start
  std::vector<std::uint32_t> failed_by_s;
};

// What happened during the run, in time order once sorted: fault commands and breaker transitions.
struct Event {
  double at_s = 0;  // since the start of the run
  std::string what;
};

class EventLog {
 public:
  explicit EventLog(BenchClock::time_point start) : start_(start) {}
  void add(std::string what) {
    const double at = std::chrono::duration<double>(BenchClock::now() - start_).count();
    std::lock_guard lock(mutex_);
    events_.push_back({at, std::move(what)});
  }
  std::vector<Event> sorted() const {
    std::lock_guard lock(mutex_);
    std::vector<Event> out = events_;
    std::stable_sort(out.begin(), out.end(), [](const Event& a, const Event& b) { return a.at_s < b.at_s; });
    return out;
  }

 private:
  BenchClock::time_point start_;
  mutable std::mutex mutex_;
  std::vector<Event> events_;
};

struct Fault {
  std::chrono::milliseconds at{};
  std::string command;
};

struct Plan {
  std::string query;
  std::string strategy;
  std::uint64_t count = 0;
  std::chrono::milliseconds duration{};
  std::size_t concurrency = 1;
  bool lease_per_thread = false;
  QueryOptions options;
  ConnectionManager* manager = nullptr;      // --manager
  std::chrono::milliseconds call_timeout{};  // --manager: each call's deadline (--deadline)
  bool timeline = false;
  std::vector<Fault> faults;
};

struct Summary {
  std::uint64_t requests = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  double elapsed_s = 0;
  bool stopped_by_count = false;
  std::vector<std::int64_t> latencies_ns;  // sorted
  std::array<std::uint64_t, k_error_kinds> errors{};
  std::array<std::string, k_error_kinds> first_error{};
  StrategyStats stats{};
  std::vector<std::uint64_t> ok_by_s;  // --timeline
  std::vector<std::uint64_t> failed_by_s;
  std::vector<Event> events;
  std::vector<HostStats> hosts;  // failover strategy only
};

void run_worker(Worker& worker, Client client, const Plan& plan, std::atomic<std::uint64_t>& claimed,
                BenchClock::time_point begin, BenchClock::time_point end) {
  worker.latencies_ns.reserve(
      static_cast<std::size_t>(std::min<std::uint64_t>(plan.count / plan.concurrency + 1, k_max_reserve)));
  if (plan.timeline) {
    const auto seconds = static_cast<std::size_t>(std::chrono::ceil<std::chrono::seconds>(end - begin).count()) + 1;
    worker.ok_by_s.assign(std::min(seconds, k_max_timeline_s), 0);
    worker.failed_by_s.assign(worker.ok_by_s.size(), 0);
  }
  // Counts a query finished at `at` in its second of the timeline (when there is one).
  const auto tick = [&](std::vector<std::uint32_t>& by_s, BenchClock::time_point at) {
    if (by_s.empty()) return;
    const auto s = static_cast<std::size_t>(std::chrono::duration_cast<std::chrono::seconds>(at - begin).count());
    ++by_s[std::min(s, by_s.size() - 1)];
  };
  const std::function<void(const Block&)> discard = [](const Block&) {};  // made once, not per query
  std::optional<Lease> held;                                              // --lease-per-thread
  std::uint64_t done = 0;
  for (;;) {
    if (claimed.fetch_add(1, std::memory_order_relaxed) >= plan.count) break;
    const auto start = BenchClock::now();
    if (start >= end) break;
    try {
      if (plan.manager != nullptr) {
        ExecuteOptions o;
        o.strategy = plan.strategy;
        o.deadline = Deadline::after(plan.call_timeout).named("the --deadline");
        o.query = plan.options;
        (void)plan.manager->select(plan.query, discard, o);
      } else if (plan.lease_per_thread) {
        if (!held) held.emplace(client.lease());
        try {
          (*held)->select(plan.query, discard, plan.options);
        } catch (const Error& e) {
          // As every caller does (Lease::note_error); a dropped connection's lease is ended, and
          // the next query takes a new one.
          held->note_error(e);
          if (held->broken()) held.reset();
          throw;
        }
      } else {
        client.select(plan.query, discard, plan.options);
      }
      const auto finished = BenchClock::now();  // one clock read for the latency and the timeline
      worker.latencies_ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(finished - start).count());
      tick(worker.ok_by_s, finished);
    } catch (const Error& e) {
      const auto k = static_cast<std::size_t>(e.kind());
      if (worker.errors[k]++ == 0) worker.first_error[k] = e.message();
      tick(worker.failed_by_s, BenchClock::now());
    }
    worker.done.store(++done, std::memory_order_relaxed);
  }
}

std::string seconds_text(double s, int precision = 3) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(precision) << s;
  return out.str();
}

double ms_of(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

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

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

// The progress line on stderr, redrawn by the main thread while the workers run.
class Progress {
 public:
  Progress(bool enabled, std::uint64_t count, std::chrono::milliseconds duration)
      : enabled_(enabled),
        count_(count),
        duration_s_(std::chrono::duration<double>(duration).count()),
        start_(BenchClock::now()) {}

  void draw(std::uint64_t done) {
    if (!enabled_) return;
    const double s = std::chrono::duration<double>(BenchClock::now() - start_).count();
    constexpr int k_width = 30;
    // Whichever limit is nearer decides how full the bar is.
    const double by_count = count_ == 0 ? 0 : static_cast<double>(done) / static_cast<double>(count_);
    const double by_time = duration_s_ <= 0 ? 0 : s / duration_s_;
    const double fraction = std::min(1.0, std::max(by_count, by_time));
    const int filled = static_cast<int>(fraction * k_width);
    std::string line = "\r[" + std::string(static_cast<std::size_t>(filled), '#') +
                       std::string(static_cast<std::size_t>(k_width - filled), ' ') + "] " + std::to_string(done) +
                       "/" + std::to_string(count_) + " queries, " + seconds_text(s, 1) + " s";
    if (s > 0) line += ", " + seconds_text(static_cast<double>(done) / s, 0) + " q/s";
    line += "\033[K";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
  }

  void clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  bool enabled_;
  std::uint64_t count_;
  double duration_s_;
  BenchClock::time_point start_;
  bool shown_ = false;
};

Summary run_bench(ConnectionFactory& factory, const Plan& plan, bool show_progress) {
  std::vector<Worker> workers(plan.concurrency);
  std::atomic<std::uint64_t> claimed{0};
  std::mutex mutex;
  std::condition_variable finished_cv;
  std::size_t finished = 0;
  Progress progress(show_progress, plan.count, plan.duration);
  // The mock records every call; a long run would grow that record without bound, so it is
  // forgotten at every progress tick.
  auto* mock = dynamic_cast<MockStrategy*>(factory.get(plan.strategy).get());

  const auto start = BenchClock::now();
  const auto end = start + plan.duration;
  // Listeners may fire after this function returns (the manager's health thread), so they share
  // the log rather than point into this frame.
  const auto events = std::make_shared<EventLog>(start);
  auto* failover = dynamic_cast<FailoverStrategy*>(factory.get(plan.strategy).get());
  if (failover != nullptr) {
    const std::vector<HostStats> hosts = failover->host_stats();
    for (std::size_t i = 0; i < failover->host_count(); ++i) {
      failover->breaker(i).add_listener([events, address = hosts[i].address](CircuitState from, CircuitState to) {
        events->add("breaker of host " + address + ": " + std::string(to_string(from)) + " -> " +
                    std::string(to_string(to)));
      });
    }
  }
  if (plan.manager != nullptr) {
    plan.manager->breaker(plan.strategy)
        .add_listener([events, name = plan.strategy](CircuitState from, CircuitState to) {
          events->add("manager's breaker of strategy " + name + ": " + std::string(to_string(from)) + " -> " +
                      std::string(to_string(to)));
        });
  }

  std::vector<std::thread> threads;
  threads.reserve(plan.concurrency);
  for (Worker& w : workers) {
    threads.emplace_back([&, client = Client(factory, plan.strategy)] {
      run_worker(w, client, plan, claimed, start, end);
      std::lock_guard lock(mutex);
      ++finished;
      finished_cv.notify_all();
    });
  }
  // --fault: each command at its time, one after the other, unless the workers are done by then.
  std::thread fault_thread([&] {
    for (const Fault& f : plan.faults) {
      {
        std::unique_lock lock(mutex);
        if (finished_cv.wait_until(lock, start + f.at, [&] { return finished == threads.size(); })) {
          events->add("fault not run, the run had ended: " + f.command);
          continue;
        }
      }
      events->add("fault: " + f.command);
      const std::string line = "(" + f.command + ") 1>&2";
      const int status = std::system(line.c_str());
      const int code = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      events->add("fault done, exit status " + std::to_string(code) + ": " + f.command);
    }
  });
  {
    std::unique_lock lock(mutex);
    while (!finished_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished == threads.size(); })) {
      lock.unlock();
      std::uint64_t done = 0;
      for (const Worker& w : workers) done += w.done.load(std::memory_order_relaxed);
      progress.draw(done);
      if (mock) mock->server().clear_records();
      lock.lock();
    }
  }
  for (std::thread& t : threads) t.join();
  const auto stop = BenchClock::now();
  fault_thread.join();
  progress.clear();

  Summary s;
  s.elapsed_s = std::chrono::duration<double>(stop - start).count();
  std::size_t total_ok = 0;
  for (const Worker& w : workers) total_ok += w.latencies_ns.size();
  s.latencies_ns.reserve(total_ok);
  for (Worker& w : workers) {
    s.requests += w.done.load(std::memory_order_relaxed);
    s.latencies_ns.insert(s.latencies_ns.end(), w.latencies_ns.begin(), w.latencies_ns.end());
    for (std::size_t k = 0; k < k_error_kinds; ++k) {
      s.errors[k] += w.errors[k];
      if (s.first_error[k].empty()) s.first_error[k] = w.first_error[k];
    }
    // The timeline ends at the last second in which a query finished.
    for (std::size_t i = 0; i < w.ok_by_s.size(); ++i) {
      if (w.ok_by_s[i] == 0 && w.failed_by_s[i] == 0) continue;
      if (s.ok_by_s.size() <= i) {
        s.ok_by_s.resize(i + 1, 0);
        s.failed_by_s.resize(i + 1, 0);
      }
      s.ok_by_s[i] += w.ok_by_s[i];
      s.failed_by_s[i] += w.failed_by_s[i];
    }
  }
  std::sort(s.latencies_ns.begin(), s.latencies_ns.end());
  s.ok = s.latencies_ns.size();
  s.failed = s.requests - s.ok;
  s.stopped_by_count = s.requests >= plan.count;
  s.hosts = factory.get(plan.strategy)->host_stats();
  s.events = events->sorted();
  s.stats = factory.get(plan.strategy)->stats();
  return s;
}

double throughput(const Summary& s) { return s.elapsed_s > 0 ? static_cast<double>(s.ok) / s.elapsed_s : 0; }

void print_text(std::ostream& out, const Plan& plan, const Summary& s) {
  const auto ms = [](std::int64_t ns) { return seconds_text(ms_of(ns), 3); };
  out << "query:       " << plan.query << '\n'
      << "strategy:    " << plan.strategy
      << (plan.manager != nullptr ? " (through a ConnectionManager: retries, breaker, health checks)"
          : plan.lease_per_thread ? " (one lease per thread)"
                                  : " (a lease per query)")
      << ", " << plan.concurrency << (plan.concurrency == 1 ? " thread" : " threads") << '\n'
      << "queries:     " << s.requests << " in " << seconds_text(s.elapsed_s) << " s (stopped by "
      << (s.stopped_by_count ? "--count" : "--duration") << "), " << s.ok << " ok, " << s.failed << " failed\n"
      << "throughput:  " << seconds_text(throughput(s), 1) << " queries/s\n"
      << "latency ms:  p50 " << ms(percentile(s.latencies_ns, 50)) << "  p90 " << ms(percentile(s.latencies_ns, 90))
      << "  p99 " << ms(percentile(s.latencies_ns, 99)) << "  max "
      << ms(s.latencies_ns.empty() ? 0 : s.latencies_ns.back()) << "  mean " << seconds_text(mean_ms(s.latencies_ns), 3)
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
      << "             total wait " << seconds_text(std::chrono::duration<double>(st.total_wait).count(), 6)
      << " s, max wait " << seconds_text(std::chrono::duration<double>(st.max_wait).count(), 6) << " s\n";
  if (!s.hosts.empty()) {
    out << "hosts:\n";
    for (const HostStats& h : s.hosts) {
      out << "  " << h.address << ": breaker " << to_string(h.breaker) << ", errors " << h.errors << ", successes "
          << h.successes << ", failures " << h.failures << ", skipped " << h.skipped;
      if (!h.last_error.empty()) out << ", last error: " << h.last_error;
      out << '\n';
    }
  }
  if (!s.events.empty()) {
    out << "events:\n";
    for (const Event& e : s.events) out << "  +" << seconds_text(e.at_s) << " s  " << e.what << '\n';
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
//    "last_error"}...] (failover only), "events": [{"at_s", "what"}...],
//    "timeline": [{"second", "ok", "failed"}...] (with --timeline or --fault)}
void print_json(std::ostream& out, const Plan& plan, const Summary& s) {
  const auto num = [](double v) { return seconds_text(v, 6); };
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

// "AT:COMMAND" → Fault, sorted by time. AT is a duration as parse_duration() reads it.
std::vector<Fault> parse_faults(const std::vector<std::string>& specs) {
  std::vector<Fault> faults;
  for (const std::string& spec : specs) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= spec.size()) {
      throw Error(ErrorKind::usage, "--fault wants AT:COMMAND, e.g. \"5s:kill -STOP 1234\"; got \"" + spec + "\"");
    }
    Fault f;
    f.at = parse_duration(std::string_view(spec).substr(0, colon), "--fault");
    if (f.at.count() < 0) throw Error(ErrorKind::usage, "--fault: the time must not be negative");
    f.command = spec.substr(colon + 1);
    faults.push_back(std::move(f));
  }
  std::stable_sort(faults.begin(), faults.end(), [](const Fault& a, const Fault& b) { return a.at < b.at; });
  return faults;
}

class BenchCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    // `chconn --strategy X bench` (the query command's flag, before the subcommand) counts too.
    parent_strategy_ = app.get_option_no_throw("--strategy");
    CLI::App* sub = app.add_subcommand(
        "bench", "run a bounded workload through a strategy and report throughput, latency and the strategy's stats");
    sub->add_option("-q,--query", query_, "the query to run (default: SELECT 1)");
    sub->add_option("--strategy", strategy_,
                    "connection strategy: " + std::string(k_strategy_names) +
                        " (default: the DSN's strategy=, CHCONN_STRATEGY, or by CHCONN_ENV: direct)");
    sub->add_option("--count", count_, "stop after this many queries (default 10000)")
        ->check(CLI::Range(std::uint64_t{1}, k_max_count));
    sub->add_option("--duration", duration_, "stop after this long, e.g. 30s, 2m (default 60s)");
    sub->add_option("-c,--concurrency", concurrency_, "worker threads (default 1)")
        ->check(CLI::Range(std::size_t{1}, k_max_concurrency));
    sub->add_flag("--lease-per-thread", lease_per_thread_,
                  "each thread keeps one lease for the whole run (the baseline of one long-lived connection per "
                  "thread) instead of taking a lease per query");
    sub->add_flag("--json", json_, "print the report as one JSON object on stdout");
    sub->add_flag("--manager", manager_,
                  "run the queries through a ConnectionManager (retries, retry budget, breaker, health thread) "
                  "instead of a bare client");
    sub->add_option("--deadline", deadline_,
                    "with --manager: each call's deadline, covering its retries (default: three times the query "
                    "timeout)");
    sub->add_option("--fault", faults_,
                    "AT:COMMAND, repeatable: run the shell command COMMAND (output on stderr) AT after the start, "
                    "e.g. \"5s:kill -STOP 1234\"; the report lists it with the breaker transitions");
    sub->add_flag("--timeline", timeline_, "report the queries ok and failed in each second of the run");
    return sub;
  }

  int run(const Context& context) override {
    const std::chrono::milliseconds duration = parse_duration(duration_, "--duration");
    if (duration.count() <= 0) throw Error(ErrorKind::usage, "--duration must be greater than zero");
    if (query_.empty()) throw Error(ErrorKind::usage, "--query must not be empty");

    Config config = context.connection.to_config();
    std::string flag = strategy_;
    if (flag.empty() && parent_strategy_ && parent_strategy_->count() > 0) flag = parent_strategy_->as<std::string>();
    const auto factory = std::make_shared<ConnectionFactory>();

    Plan plan;
    plan.strategy = select_strategy(*factory, config, flag);
    plan.query = query_;
    plan.count = count_;
    plan.duration = duration;
    plan.concurrency = concurrency_;
    plan.lease_per_thread = lease_per_thread_;
    plan.options.params = context.params;
    plan.faults = parse_faults(faults_);
    plan.timeline = timeline_ || !plan.faults.empty();
    std::unique_ptr<ConnectionManager> manager;
    if (manager_) {
      manager = std::make_unique<ConnectionManager>(factory);
      manager->start();
      plan.manager = manager.get();
      plan.call_timeout = deadline_.empty() ? 3 * config.timeouts.query : parse_duration(deadline_, "--deadline");
      if (plan.call_timeout.count() <= 0) throw Error(ErrorKind::usage, "--deadline must be greater than zero");
    }

    const Summary summary = run_bench(*factory, plan, ::isatty(STDERR_FILENO) != 0);
    if (manager) manager->stop();
    if (json_)
      print_json(std::cout, plan, summary);
    else
      print_text(std::cout, plan, summary);
    std::cout.flush();
    return summary.failed == 0 ? 0 : 1;
  }

 private:
  CLI::Option* parent_strategy_ = nullptr;
  std::string query_ = "SELECT 1";
  std::string strategy_;
  std::uint64_t count_ = 10000;
  std::string duration_ = "60s";
  std::size_t concurrency_ = 1;
  bool lease_per_thread_ = false;
  bool json_ = false;
  bool manager_ = false;
  std::vector<std::string> faults_;
  std::string deadline_;
  bool timeline_ = false;
};

}  // namespace

std::unique_ptr<Command> make_bench_command() { return std::make_unique<BenchCommand>(); }

}  // namespace chconn::cli
