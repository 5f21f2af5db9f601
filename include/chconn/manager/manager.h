// ConnectionManager: circuit breaking, retries, health checks and metrics on top of a
// ConnectionFactory (the ClickHouseConnectionManager of the plan chconn was built from; see
// docs/design.md, "Where it comes from"). It uses the factory and never the other way round
// (DESIGN.md, Layers): the factory's strategies know nothing of it.
//
//   acquire(strategy, deadline)  a lease from the factory's strategy `strategy` (the default when
//                                empty), gated by that strategy's CircuitBreaker: while it is open,
//                                Error(circuit_open) at once. The lease reports back when it ends
//                                (a host-failure error on it, or a broken peer, is a failure).
//                                For a FailoverStrategy the per-host breakers inside it do the
//                                per-host work; the manager's breaker sees the strategy as a whole.
//                                With ManagerOptions::circuit_breaker false, no breaker gates it.
//   execute(sql, params, opts)   acquire + Connection::execute, retried by the RetryPolicy within
//                                the RetryBudget: only retryable errors (classify()), only
//                                idempotent statements — reads (SELECT, WITH, SHOW, DESCRIBE,
//                                EXISTS, EXPLAIN) by default, anything else only when
//                                ExecuteOptions::idempotent says so — each retry on a fresh lease.
//                                With retry.max_attempts 1 a call is one attempt, its error
//                                rethrown unchanged, bounded only by the caller's deadline and
//                                the strategy's own timeouts (ManagerOptions::plain(), what a
//                                Client uses by default).
//   select(sql, on_block, opts)  streaming; retried like execute but never once a block has been
//                                handed to on_block (it would see rows twice).
//   insert(table, blocks, opts)  `table` as Connection::insert() takes it, parsed before a lease is
//                                taken (text that is not a valid target is Error(usage)); retried
//                                only when ExecuteOptions::idempotent is true.
//   query(sql, params, opts)     a Cursor: the result pulled block by block on a lease of its own;
//                                never retried.
//   insert(table, opts)          an Inserter: blocks pushed one at a time on a lease of its own;
//                                never retried.
//   start() / stop()             a background health thread: every health_interval it runs
//                                run_health_check_once(). stop() wakes and joins it; the destructor
//                                calls stop().
//   run_health_check_once()      for every strategy of the factory, concurrently: a ping of one
//                                connection (of each host, for a FailoverStrategy) through its
//                                breaker, so a half-open breaker is probed by the health check
//                                rather than by a caller, then its maintain() (reap idle and
//                                expired connections, refill min_idle, report leaks). Returns the
//                                HealthReport, which health() keeps.
//   metrics_text()               Prometheus text exposition (version 0.0.4) of pool gauges, the
//                                acquire wait histogram, query counters by outcome, breaker states,
//                                retries and retry-budget rejections.
//
// Health-check time: every check (a strategy's, or a failover host's) has a budget of its own,
// health_check_timeout from when it starts, so a silent server spends its own budget and nobody
// else's. Checks run concurrently, at most health_check_concurrency strategies at a time and as
// many hosts of each failover, on threads joined before the round returns. A round starts no check
// later than health_check_timeout after it began; a check whose turn comes later is "not checked"
// and so is one that finds another check of the same strategy or host in flight, or a breaker that
// refuses: nothing is recorded for it. So a round takes one health_check_timeout when the checks
// fit the concurrency, and never more than two, plus the maintain() calls that follow the checks.
//
// Time comes from ManagerOptions::clock and waits between retries go through ManagerOptions::sleeper,
// so tests drive both with a ManualClock and a ManualSleeper. The health thread waits on a condition
// variable in real time (health_interval); tests call run_health_check_once() instead.
//
// Thread safety: every member may be called from any number of threads. Lifetimes: leases may
// outlive the manager (they keep its counters alive); the factory is held shared; the Clock and
// Sleeper must outlive the manager and its leases. Reports and metrics never contain a password:
// they hold only chconn::Error messages, which never do.
//
// Example:
//   auto factory = std::make_shared<chconn::ConnectionFactory>();
//   chconn::initialize(*factory, config);
//   chconn::ConnectionManager manager(factory, {.health_interval = std::chrono::seconds(15)});
//   manager.start();
//   chconn::Result r = manager.execute("SELECT count() FROM events");   // retried if the host drops
//   manager.execute("INSERT INTO t SELECT ...", {}, {.idempotent = true}); // the caller vouches for it
//   std::cout << manager.metrics_text();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/connection/connection.h"
#include "chconn/connection/params.h"
#include "chconn/connection/result.h"
#include "chconn/core/clock.h"
#include "chconn/core/log.h"
#include "chconn/factory/factory.h"
#include "chconn/resilience/circuit_breaker.h"
#include "chconn/resilience/retry.h"
#include "chconn/strategy/lease.h"
#include "chconn/strategy/strategy.h"
#include "chconn/wire/block.h"

namespace chconn {

struct ManagerOptions {
  RetryOptions retry{};
  RetryBudgetOptions retry_budget{};
  // One breaker per strategy name; `name` is replaced by the strategy's name.
  CircuitBreakerOptions breaker{};
  // False: no breaker gates calls or health checks (breaker() still returns one, which nothing
  // consults); failures are still counted for health() and the metrics.
  bool circuit_breaker = true;
  // How often the health thread runs a check.
  std::chrono::milliseconds health_interval = std::chrono::seconds(10);
  // Each health check's own budget (acquire + ping), from when it starts; also the time after the
  // start of a round past which no check starts. See "Health-check time" above.
  std::chrono::milliseconds health_check_timeout = std::chrono::seconds(5);
  // Strategies checked at once in a round, and hosts of each FailoverStrategy checked at once
  // (each on its own thread). At least 1.
  std::size_t health_check_concurrency = 8;
  // Upper bounds (seconds) of the acquire wait histogram's buckets, increasing.
  std::vector<double> acquire_wait_buckets{0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};
  // null: steady_clock(). Must outlive the manager and its leases.
  const Clock* clock = nullptr;
  // How run_with_retry waits between attempts; null: thread_sleeper(). Must outlive the manager.
  Sleeper* sleeper = nullptr;
  // Breaker transitions and health-check failures; null: silent.
  std::shared_ptr<const Logger> logger{};

  // What a Client uses unless told otherwise (chconn/client/client.h): one attempt per call
  // (retry.max_attempts = 1: an error is rethrown as it came, and no retry overall_timeout bounds
  // the call) and no circuit breaker; leases, counters, metrics and health checks as usual.
  static ManagerOptions plain() {
    ManagerOptions o;
    o.retry.max_attempts = 1;
    o.circuit_breaker = false;
    return o;
  }
};

// Options of one execute / select / insert.
struct ExecuteOptions {
  // The factory strategy to use; empty: the factory's default.
  std::string strategy{};
  // Who the statement is for (a user or tenant id), passed to the strategy's acquire_for(): a
  // rollout strategy sends one key always to the same side (chconn/strategy/rollout.h); other
  // strategies ignore it. Empty: none. Not sent to the server.
  std::string routing_key{};
  // Safe to run twice? Unset: true for reads (see the header comment), false for everything else
  // (and for insert()).
  std::optional<bool> idempotent{};
  // insert() of a span of blocks into a Replicated*MergeTree table: retry it after a lost reply or
  // a failed replica like a read, sending the same blocks again, which the table's insert
  // deduplication drops if the first attempt stored them (ClickHouse keeps the hashes of the
  // table's last replicated_deduplication_window blocks, 100 by default, for any replica of the
  // shard). Before the first attempt the table is checked on the server (once per manager,
  // strategy and table): Error(usage) unless its engine is Replicated*MergeTree and the insert's
  // insert_deduplicate is on, so a retry can never double rows of a table that does not
  // deduplicate. Error(usage) too with `idempotent` set, for the insert of an InsertSource (read
  // once, so it cannot be sent again) and for execute()/select(). Limits: the table drops any block
  // identical to a recent one, a deliberate repeat too; materialized views fed by the table
  // deduplicate only with deduplicate_blocks_in_dependent_materialized_views; a Distributed table
  // is refused (deduplication holds on the shards' tables, not through it).
  bool deduplicated_retry = false;
  // No attempt starts, and no retry wait is scheduled, past this; each attempt's query runs within it.
  Deadline deadline = Deadline::never();
  // Query id, settings, parameters, timeout and callbacks of each attempt (execute()'s params
  // argument adds to query.params; a name in both is Error(usage)).
  QueryOptions query{};
};

// A host of a FailoverStrategy in a HealthReport.
struct HostHealth {
  std::string address;
  bool has_breaker = true;  // false: a host of direct or pooled over a host list (see HostStats)
  CircuitState breaker = CircuitState::closed;
  std::uint64_t error_count = 0;           // decayed error count (failed checks when !has_breaker)
  std::string last_error;                  // the last check's error, else the last host failure; empty if none
  bool checked = false;                    // contacted by the last check (see not_checked)
  std::string not_checked;                 // why not: its breaker refused, a check was in flight, no time left
  bool ok = false;                         // the last check's ping succeeded
  std::optional<Clock::duration> latency;  // of the last successful ping
  Clock::duration retry_in{};              // time until it is tried again (open breaker); zero otherwise
  // The replication lag the last check read (failover with max_replica_delay), and whether it is
  // above that limit (then acquires try the host last); see HostStats.
  std::optional<std::chrono::seconds> replica_delay;
  bool stale = false;
};

struct StrategyHealth {
  std::string name;
  bool is_default = false;
  CircuitState breaker = CircuitState::closed;  // the manager's breaker of this strategy
  std::uint64_t error_count = 0;                // host failures seen through the manager, since it was made
  std::string last_error;                       // the last of them, or of a failed health check; empty if none
  bool checked = false;                         // contacted by the last check (failover: at least one host)
  std::string not_checked;                      // why not (for failover: see its hosts); empty when checked
  bool ok = false;                              // the ping (for failover: at least one host's) succeeded
  std::optional<Clock::duration> latency;       // of the last successful ping (failover: the fastest host)
  StrategyStats stats;
  MaintenanceReport maintenance;  // what the check's maintain() did
  std::vector<HostHealth> hosts;  // FailoverStrategy only
};

struct HealthReport {
  Clock::time_point checked_at{};
  std::vector<StrategyHealth> strategies;
  // Every strategy answered its ping.
  bool healthy() const noexcept;
};

// A readable multi-line rendering, as `chconn health` prints it.
std::string to_string(const HealthReport& report);

// Whether `sql` is a read (SELECT, WITH, SHOW, DESCRIBE/DESC, EXISTS, EXPLAIN), after leading
// whitespace, comments and parentheses: what execute() retries by default.
bool is_read_only_statement(std::string_view sql) noexcept;

// A query's result pulled block by block on a lease of its own: what ConnectionManager::query()
// and Client::query() return (Connection's QueryCursor, chconn/connection/connection.h, with the
// lease it runs on).
//
//   chconn::Cursor cursor = chconn::client().query("SELECT * FROM big");
//   while (std::optional<chconn::Block> block = cursor.next()) consume(*block);
//
// When next() returns nullopt or throws, the lease ends at once (the connection goes back to its
// pool, or is dropped if the error broke it: Lease::note_error) and summary() keeps the totals,
// extremes, progress and profile. Destroying or moving onto a cursor that has not ended cancels
// the query (Cancel, then a drain within the cancel drain timeout) before the lease ends. Never
// retried: its blocks reach the caller as they come. Move-only; one thread at a time.
class Cursor {
 public:
  Cursor() = default;
  // `on_end` is told once how the result ended (null: to its end; else the error).
  Cursor(Lease lease, std::unique_ptr<QueryCursor> cursor, std::function<void(const Error*)> on_end = {});
  Cursor(Cursor&& other) noexcept;
  Cursor& operator=(Cursor&& other) noexcept;
  ~Cursor();

  // The next non-empty block, or nullopt at the end of the result (and after an error, or on an
  // empty Cursor).
  std::optional<Block> next();
  // See QueryCursor::summary(); kept after the lease ended.
  const Result& summary() const noexcept;
  // True once next() returned nullopt or threw (and for an empty Cursor).
  bool done() const noexcept { return cursor_ == nullptr; }

 private:
  // Ends the query (cancelled if it had not ended) and then the lease.
  void end() noexcept;

  Lease lease_;
  std::unique_ptr<QueryCursor> cursor_;
  Result summary_;
  std::function<void(const Error*)> on_end_;
};

// The push form of the streaming insert on a lease of its own: what ConnectionManager::insert(table)
// and Client::insert(table) return (Connection's InsertStream, chconn/connection/insert_source.h,
// with the lease it runs on).
//
//   chconn::Inserter ins = chconn::client().insert("events");
//   for (...) ins.write(block);  // each block is sent before write() returns
//   ins.finish();                // the server's acknowledgement: the insert is done
//
// When finish() returns or an error ends the insert, the lease ends at once (the connection goes
// back to its pool, or is dropped if the error broke it: Lease::note_error). A block that does not
// match the table is Error(usage) with nothing of it sent, and the insert stays open. Destroying or
// moving onto an inserter that has not finished abandons the insert: the blocks sent stay inserted
// (see InsertStream), a warning is logged and the manager counts a cancelled call. Never retried.
// Move-only; one thread at a time.
class Inserter {
 public:
  Inserter() = default;
  // `on_end` is told once how the insert ended (null: finished; else the error, a cancelled one
  // when abandoned).
  Inserter(Lease lease, std::unique_ptr<InsertStream> stream, std::function<void(const Error*)> on_end = {});
  Inserter(Inserter&& other) noexcept;
  Inserter& operator=(Inserter&& other) noexcept;
  ~Inserter();

  // The server's sample block (see InsertStream::sample()); empty once the insert has ended.
  const Block& sample() const noexcept;
  // Error(usage) once the insert has ended (and on an empty Inserter).
  void write(const Block& block);
  void finish();
  // True once finish() returned or an error ended the insert (and for an empty Inserter).
  bool done() const noexcept { return stream_ == nullptr; }
  // The blocks and rows sent so far; kept after the insert ended.
  InsertProgress progress() const noexcept { return stream_ ? stream_->progress() : progress_; }

 private:
  // Ends the insert (abandoned if it had not finished) and then the lease.
  void end() noexcept;
  // The error of a call that ended the insert: the lease is told, the outcome counted, the lease ended.
  void fail(const Error& error) noexcept;

  Lease lease_;
  std::unique_ptr<InsertStream> stream_;
  InsertProgress progress_;
  std::function<void(const Error*)> on_end_;
};

class ConnectionManager {
 public:
  // Throws Error(usage) for a null factory, Error(config) for bad retry, budget or breaker options.
  explicit ConnectionManager(std::shared_ptr<ConnectionFactory> factory, ManagerOptions options = {});
  ~ConnectionManager();
  ConnectionManager(const ConnectionManager&) = delete;
  ConnectionManager& operator=(const ConnectionManager&) = delete;

  Lease acquire(std::string_view strategy = {}, Deadline deadline = Deadline::never());
  Lease acquire(Deadline deadline) { return acquire({}, deadline); }
  // acquire() routed by `routing_key` (the strategy's acquire_for; see ExecuteOptions::routing_key).
  Lease acquire_for(std::string_view routing_key, std::string_view strategy = {},
                    Deadline deadline = Deadline::never());

  Result execute(std::string_view sql, const Params& params = {}, const ExecuteOptions& options = {});
  Result select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                const ExecuteOptions& options = {});
  void insert(std::string_view table, std::span<const Block> blocks, const ExecuteOptions& options = {});
  // The streaming insert (Connection::insert with an InsertSource). Retried by the same rules as the
  // span insert only until the source was first asked for a block: a source is read once.
  void insert(std::string_view table, InsertSource& source, const ExecuteOptions& options = {});
  // acquire + Connection::insert(table, options): the push form on a lease of its own (see
  // Inserter). `table` is parsed before a lease is taken. Not retried; its outcome is counted in the
  // metrics when it ends (success, the error's kind, or cancelled when abandoned).
  Inserter insert(std::string_view table, const ExecuteOptions& options = {});
  // acquire + Connection::query: a cursor on a lease of its own (see Cursor). `params` add to
  // options.query.params. Not retried; its outcome is counted in the metrics when it ends
  // (success, or the error's kind), not when it is destroyed early.
  Cursor query(std::string_view sql, const Params& params = {}, const ExecuteOptions& options = {});

  // Starts the health thread (no-op when running).
  void start();
  // Stops and joins it (no-op when not running). Never throws.
  void stop() noexcept;
  bool running() const noexcept;

  HealthReport run_health_check_once();
  // The last report (empty before the first check).
  HealthReport health() const;
  // Health checks run since the manager was made.
  std::uint64_t health_checks() const noexcept;

  std::string metrics_text() const;

  // The breaker of strategy `name` (made on first use). For tests and operators.
  CircuitBreaker& breaker(std::string_view strategy);
  const std::shared_ptr<ConnectionFactory>& factory() const noexcept;
  const ManagerOptions& options() const noexcept;

  struct Impl;  // shared with the leases; internal

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace chconn
