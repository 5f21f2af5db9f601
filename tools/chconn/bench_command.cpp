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
// A rollout (`--strategy rollout`, docs/guide.md "Migrating safely"):
//   --rollout-a / --rollout-b NAME|DSN   the arms (a strategy name, or a DSN of its own)
//   --rollout-share PERCENT              the share to B at the start
//   --rollout-step AT:SHARE|kill|revive  moves the share or flips the kill switch during the load,
//                                        e.g. --rollout-step 5s:50 --rollout-step 10s:100
//                                        --rollout-step 15s:kill (in the event log; implies --timeline)
// The report then has each arm's leases, failed leases, acquire errors, acquires rerouted by the
// kill switch and lease hold time percentiles.
//
// Exit code: 0 when every query succeeded, 1 when some failed (the report is printed either way),
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench.h"
#include "chconn/client/client.h"
#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/rollout.h"
#include "cli.h"
#include "strategy_choice.h"

namespace chconn::cli {
namespace {

using namespace bench;

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

// "AT:SHARE|kill|revive" → RolloutStep, sorted by time.
std::vector<RolloutStep> parse_rollout_steps(const std::vector<std::string>& specs) {
  std::vector<RolloutStep> steps;
  for (const std::string& spec : specs) {
    const auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= spec.size()) {
      throw Error(ErrorKind::usage,
                  "--rollout-step wants AT:SHARE, AT:kill or AT:revive, e.g. 5s:50; got \"" + spec + "\"");
    }
    RolloutStep r;
    r.at = parse_duration(std::string_view(spec).substr(0, colon), "--rollout-step");
    const std::string_view action = std::string_view(spec).substr(colon + 1);
    if (action == "kill") {
      r.kill = true;
    } else if (action == "revive") {
      r.revive = true;
    } else {
      r.share = parse_rollout_share(action, "--rollout-step");
    }
    steps.push_back(r);
  }
  std::stable_sort(steps.begin(), steps.end(), [](const RolloutStep& a, const RolloutStep& b) { return a.at < b.at; });
  return steps;
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
    sub->add_option("--rollout-a", rollout_a_,
                    "with --strategy rollout: arm A, a strategy name or a DSN of its own (default: the DSN's "
                    "rollout_a=, else pooled)");
    sub->add_option("--rollout-b", rollout_b_,
                    "with --strategy rollout: arm B, a strategy name or a DSN of its own (default: the DSN's "
                    "rollout_b=)");
    sub->add_option("--rollout-share", rollout_share_,
                    "with --strategy rollout: percent of leases to arm B at the start, 0..100 (default: the DSN's "
                    "rollout_share=, CHCONN_ROLLOUT_SHARE, else 0)");
    sub->add_option("--rollout-step", rollout_steps_,
                    "AT:SHARE, AT:kill or AT:revive, repeatable: move the rollout's share, or flip its kill switch, "
                    "AT after the start, e.g. 5s:50 10s:100 15s:kill; the report lists them with the per-arm "
                    "figures");
    return sub;
  }

  int run(const Context& context) override {
    const std::chrono::milliseconds duration = parse_duration(duration_, "--duration");
    if (duration.count() <= 0) throw Error(ErrorKind::usage, "--duration must be greater than zero");
    if (query_.empty()) throw Error(ErrorKind::usage, "--query must not be empty");

    Config config = context.connection.to_config();
    if (!rollout_a_.empty()) config.rollout.a = rollout_a_;
    if (!rollout_b_.empty()) config.rollout.b = rollout_b_;
    if (!rollout_share_.empty()) config.rollout.share = parse_rollout_share(rollout_share_, "--rollout-share");
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
    plan.rollout_steps = parse_rollout_steps(rollout_steps_);
    if (!plan.rollout_steps.empty() && !dynamic_cast<RolloutStrategy*>(factory->get(plan.strategy).get())) {
      throw Error(ErrorKind::usage, "--rollout-step needs --strategy rollout");
    }
    plan.timeline = timeline_ || !plan.faults.empty() || !plan.rollout_steps.empty();
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
  std::string rollout_a_;
  std::string rollout_b_;
  std::string rollout_share_;
  std::vector<std::string> rollout_steps_;
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
