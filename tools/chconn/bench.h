// The parts of `chconn bench` (see bench_command.cpp for what it does): the plan of a run, its
// summary, the run loop (bench_run.cpp) and the reports (bench_report.cpp).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>
#include <vector>

#include "chconn/connection/connection.h"
#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/strategy.h"

namespace chconn::cli::bench {

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

// --rollout-step AT:SHARE|kill|revive: what to do to the rollout strategy AT after the start.
struct RolloutStep {
  std::chrono::milliseconds at{};
  double share = 0;  // when neither kill nor revive
  bool kill = false;
  bool revive = false;
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
  std::vector<RolloutStep> rollout_steps;  // sorted by time
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
  std::vector<ArmStats> arms;    // rollout strategy only
};

// Runs `plan` on `factory`'s strategy and gathers what the workers measured; the progress line is
// drawn on stderr when `show_progress`.
Summary run_bench(ConnectionFactory& factory, const Plan& plan, bool show_progress);

// "12.345": a number (seconds, milliseconds, queries per second) with `precision` decimals.
std::string fixed_text(double value, int precision = 3);
// A share in percent as the user would write it: "0.5", "50".
std::string share_text(double percent);

// The report as text, or as one JSON object (--json).
void print_text(std::ostream& out, const Plan& plan, const Summary& s);
void print_json(std::ostream& out, const Plan& plan, const Summary& s);

}  // namespace chconn::cli::bench
