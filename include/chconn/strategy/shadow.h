// ShadowStrategy: parallel running, the migration plan's "keep old code during transition". The
// caller is served by the primary strategy alone; a sample of its read-only statements is run again
// on a candidate strategy (a new cluster, a newer ClickHouse version, another strategy) in the
// background, and the two results are compared (docs/guide.md, "Migrating safely").
//
// What the caller sees: a lease of the primary (observed, chconn/strategy/observed.h), whose calls
// behave exactly as the primary's. The mirroring adds to the caller's call only what it must see
// to compare: for a sampled statement, each block the caller gets is hashed on the caller's thread
// as it passes (a CityHash64 per cell, about the cost of reading the block once more), and at the
// call's end one small job (the SQL, its parameters and settings, the digest) is offered to a
// bounded queue without waiting: a full queue drops the job and counts it. The candidate's errors,
// latency and memory never reach the caller. Nothing else is kept: a digest is a few numbers
// whatever the result's size.
//
// Which statements: read-only ones only, as the one SQL lexer says (sql::is_read_only: SELECT,
// WITH, SHOW, DESCRIBE, EXISTS, EXPLAIN) through execute, select and query; inserts and every other
// statement are not mirrored, nor a statement with external tables (their data cannot be read
// twice). Of those, ShadowOptions::sample percent (a seeded random choice). A write is mirrored only
// when the user opts in for it: ShadowOptions::mirror_write(sql) returns true for that statement
// (for example a CREATE TABLE or an INSERT ... SELECT that the candidate needs too); such a
// statement is mirrored every time, unsampled, through execute, and compared like a read (a
// write's result is usually empty, so what differs is mostly the candidate's error).
// A statement whose primary call threw, or whose cursor was dropped before its end, is not
// mirrored (there is nothing to compare).
//
// The comparison, on the shadow's worker thread: the candidate runs the statement with the same
// parameters, settings and database (not the primary's query id: the candidate's is fresh) within
// ShadowOptions::candidate_timeout (acquire and query together), streamed (memory bounded by one
// block). Then, in order: the column names and types, the row count, and a checksum of the rows —
// order-insensitive (a sum of row hashes) unless the statement has an ORDER BY outside parentheses,
// where the order is part of the result and the checksum follows it. The first difference, or the
// candidate's error, is a ShadowMismatch given to ShadowOptions::on_mismatch (on the worker thread;
// it must not block for long, and what it throws is ignored) and counted. Its SQL has every string
// literal replaced by '***' (ShadowOptions::redact_literals), since a literal may hold a password
// (remote(..., 'user', 'password'), s3 keys); parameters are never quoted.
//
// One worker thread, started with the strategy, runs the mirrors one at a time: the candidate
// never sees more than one mirrored statement at once from this strategy. The destructor stops it:
// jobs still queued are dropped (counted), and a mirror running then ends within its own
// candidate_timeout. wait_idle() waits for the queue to empty (tests, a clean shutdown).
//
// stats(), maintain(), host_stats(), host_breakers() and check_hosts() are the primary's (the
// candidate is the shadow's own business; its strategy object is the caller's to inspect).
//
// Thread safety: every member may be called from any thread. Lifetimes: leases may outlive the
// strategy (their observers then offer nothing more); both strategies live as long as the shadow.
//
// Example (validating a cluster on a newer ClickHouse before switching):
//   auto current = std::make_shared<chconn::PooledStrategy>(chconn::native_connector(a), a);
//   auto next = std::make_shared<chconn::PooledStrategy>(chconn::native_connector(b), b);
//   auto shadow = std::make_shared<chconn::ShadowStrategy>(current, next, chconn::ShadowOptions{
//       .sample = 5,  // 5 % of the reads
//       .on_mismatch = [](const chconn::ShadowMismatch& m) { log_warning(m.what + ": " + m.diff); }});
//   factory->register_strategy(shadow);
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/clock.h"
#include "chconn/strategy/strategy.h"

namespace chconn {

// One difference between the primary's and the candidate's result of a statement.
struct ShadowMismatch {
  std::string query_id;  // the primary's query id
  std::string sql;       // the statement, string literals redacted (see above)
  // What differs first: "candidate error", "columns", "rows" or "checksum".
  std::string what;
  // A short account: "rows: primary 10, candidate 9"; "columns: primary (x UInt64), candidate
  // (x UInt32)"; the candidate's error message.
  std::string diff;
};

// Fill with designated initialisers: {.sample = 5}.
struct ShadowOptions {
  std::string name = "shadow";
  // Percent of read-only statements mirrored, 0 to 100 (fractions allowed). Else Error(config).
  double sample = 100;
  // Mirrors waiting at most, 1 to 65536 (else Error(config)); a full queue drops the newest.
  std::size_t queue_capacity = 64;
  // Each mirror's whole budget on the candidate (acquire and query). Positive, else Error(config).
  std::chrono::milliseconds candidate_timeout = std::chrono::seconds(30);
  // Replace string literals in ShadowMismatch::sql by '***'.
  bool redact_literals = true;
  // Opts a statement that is not read-only in to mirroring (see above); called on the caller's
  // thread, must not throw. Empty: no write is mirrored.
  std::function<bool(std::string_view sql)> mirror_write{};
  // Told every mismatch and candidate error, on the worker thread. Empty: only counted.
  std::function<void(const ShadowMismatch&)> on_mismatch{};
  // Seed of the sampling choice; 0: a random seed.
  std::uint64_t random_seed = 0;
  // The clock candidate_timeout is counted on (the one the candidate's strategy checks deadlines
  // against). null: steady_clock(). Must outlive the strategy.
  const Clock* clock = nullptr;
};

// The statement with every string literal (and heredoc) replaced by '***', for reports.
std::string redact_sql_literals(std::string_view sql);

class ShadowStrategy final : public ConnectionStrategy {
 public:
  // Strategies never null (else Error(usage)), options in range (else Error(config) naming the
  // option). Starts the worker thread.
  ShadowStrategy(std::shared_ptr<ConnectionStrategy> primary, std::shared_ptr<ConnectionStrategy> candidate,
                 ShadowOptions options = {});
  ~ShadowStrategy() override;
  ShadowStrategy(const ShadowStrategy&) = delete;
  ShadowStrategy& operator=(const ShadowStrategy&) = delete;

  using ConnectionStrategy::acquire;
  Lease acquire(Deadline deadline) override;
  Lease acquire_for(std::string_view key, Deadline deadline) override;
  const std::string& name() const noexcept override;
  StrategyStats stats() const override;
  MaintenanceReport maintain() override;
  std::vector<HostStats> host_stats() const override;
  std::vector<CircuitBreaker*> host_breakers() override;
  std::vector<HostCheck> check_hosts(const HostCheckOptions& options) override;

  std::optional<ShadowStats> shadow_stats() const override;  // always set
  const std::shared_ptr<ConnectionStrategy>& primary() const noexcept { return primary_; }
  const std::shared_ptr<ConnectionStrategy>& candidate() const noexcept;
  double sample() const noexcept;
  // Waits until no mirror is queued or running, at most until `deadline`; true when idle.
  bool wait_idle(Deadline deadline) const;

  class State;

 private:
  std::shared_ptr<ConnectionStrategy> primary_;
  std::shared_ptr<State> state_;
};

}  // namespace chconn
