// ShadowStrategy: primary leases observed for their read-only statements, a digest of each sampled
// result taken as the blocks pass, and one worker thread that runs the statement on the candidate
// and compares digests.
#include "chconn/strategy/shadow.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "chconn/resilience/retry.h"
#include "chconn/strategy/observed.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/io.h"
#include "core/config_detail.h"
#include "wire/cityhash.h"

namespace chconn {

std::string redact_sql_literals(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  sql::Lexer lexer(sql);
  for (sql::Token t = lexer.next(); t.kind != sql::TokenKind::end; t = lexer.next()) {
    const bool literal = t.kind == sql::TokenKind::string_literal || t.kind == sql::TokenKind::heredoc ||
                         (t.kind == sql::TokenKind::unterminated && !t.text.empty() &&
                          (t.text.front() == '\'' || t.text.front() == '$'));
    out += literal ? std::string_view("'***'") : t.text;
  }
  return out;
}

namespace {

constexpr std::size_t k_max_queue = 65536;
constexpr std::uint64_t k_row_mul = 0x9e3779b97f4a7c15ULL;

// Whether the statement orders its result: ORDER BY outside any parentheses or brackets.
bool orders_result(std::string_view sql) {
  sql::Lexer lexer(sql);
  int depth = 0;
  bool after_order = false;
  for (sql::Token t = lexer.next(); t.kind != sql::TokenKind::end; t = lexer.next()) {
    if (!t.significant()) continue;
    if (t.kind == sql::TokenKind::open_round || t.kind == sql::TokenKind::open_square) ++depth;
    if (t.kind == sql::TokenKind::close_round || t.kind == sql::TokenKind::close_square) --depth;
    if (depth == 0 && after_order && sql::is_keyword(t, "BY")) return true;
    after_order = depth == 0 && sql::is_keyword(t, "ORDER");
  }
  return false;
}

// A result reduced to a few numbers: its columns, rows and two checksums of the rows.
struct Digest {
  std::string columns;  // "name Type, name Type"
  std::uint64_t rows = 0;
  std::uint64_t unordered = 0;  // sum of the rows' hashes: the same in any order
  std::uint64_t ordered = 0;    // the rows' hashes chained in order

  void set_columns(const Block& header) {
    columns.clear();
    for (std::size_t c = 0; c < header.column_count(); ++c) {
      if (c != 0) columns += ", ";
      columns += header.name(c) + " " + header.column(c)->type()->name();
    }
  }

  // Hashes each row of `block` (every cell's bytes as the wire carries them), column by column.
  void add(const Block& block) {
    const std::size_t n = block.rows();
    std::vector<std::uint64_t> row(n, 0);
    wire::Writer scratch_bytes;
    for (std::size_t c = 0; c < block.column_count(); ++c) {
      const Column& column = *block.column(c);
      const auto cell = [&](std::size_t r, std::uint64_t h) { row[r] = wire::fmix64(row[r] * k_row_mul + h + c); };
      if (const auto* fixed = dynamic_cast<const FixedWidthColumn*>(&column)) {
        const std::span<const std::uint8_t> bytes = fixed->raw_bytes();
        const std::size_t w = fixed->value_size();
        for (std::size_t r = 0; r < n; ++r) cell(r, wire::city_hash64(bytes.data() + r * w, w));
      } else if (const auto* strings = dynamic_cast<const ColumnString*>(&column)) {
        for (std::size_t r = 0; r < n; ++r) {
          const std::string_view s = (*strings)[r];
          cell(r, wire::city_hash64(s.data(), s.size()));
        }
      } else {
        // Any other column: each cell as a one-row column's wire bytes.
        const ColumnRef one = column.clone_empty();
        for (std::size_t r = 0; r < n; ++r) {
          one->clear();
          one->append_range(column, r, 1);
          scratch_bytes.clear();
          one->save_prefix(scratch_bytes);
          one->save_body(scratch_bytes);
          cell(r, wire::city_hash64(scratch_bytes.view().data(), scratch_bytes.size()));
        }
      }
    }
    for (std::size_t r = 0; r < n; ++r) {
      unordered += row[r];
      ordered = wire::fmix64(ordered * k_row_mul + row[r]);
    }
    rows += n;
  }
};

struct Job {
  std::string sql;
  Settings settings;
  Params params;
  std::string query_id;
  Digest primary;
};

}  // namespace

class ShadowStrategy::State {
 public:
  State(std::shared_ptr<ConnectionStrategy> candidate, ShadowOptions options)
      : candidate_(std::move(candidate)), options_(std::move(options)), random_(options_.random_seed) {}

  const ShadowOptions& options() const noexcept { return options_; }
  const std::shared_ptr<ConnectionStrategy>& candidate() const noexcept { return candidate_; }

  void start() {
    worker_ = std::jthread([this] { run(); });
  }

  void stop() noexcept {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cancel_.request_stop();
    wake_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  // Whether a read-only statement is mirrored this time.
  bool sampled() noexcept {
    if (options_.sample >= 100) return true;
    if (options_.sample <= 0) return false;
    const double u = static_cast<double>(random_.next() >> 11) / static_cast<double>(std::uint64_t{1} << 53);
    return u * 100 < options_.sample;
  }

  bool write_opted_in(std::string_view sql) const noexcept {
    if (!options_.mirror_write) return false;
    try {
      return options_.mirror_write(sql);
    } catch (...) {
      return false;
    }
  }

  void offer(Job job) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || queue_.size() >= options_.queue_capacity) {
        dropped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      queue_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

  std::size_t queued() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  bool wait_idle(Deadline deadline) const {
    std::unique_lock lock(mu_);
    const auto idle = [&] { return (queue_.empty() && !running_) || stopping_; };
    if (deadline.is_never()) {
      idle_.wait(lock, idle);
      return true;
    }
    while (!idle()) {
      const Clock::duration left = deadline.remaining();
      if (left <= Clock::duration::zero()) return false;
      idle_.wait_for(lock, std::min<Clock::duration>(left, std::chrono::milliseconds(100)));
    }
    return true;
  }

  std::atomic<std::uint64_t> reads{0};
  std::atomic<std::uint64_t> writes_mirrored{0};
  std::atomic<std::uint64_t> not_read_only{0};
  std::atomic<std::uint64_t> sampled_out{0};
  std::atomic<std::uint64_t> primary_failed{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> compared{0};
  std::atomic<std::uint64_t> matched{0};
  std::atomic<std::uint64_t> mismatched{0};
  std::atomic<std::uint64_t> candidate_errors{0};

 private:
  void run() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
          dropped.fetch_add(queue_.size(), std::memory_order_relaxed);
          queue_.clear();
          idle_.notify_all();
          return;
        }
        job = std::move(queue_.front());
        queue_.pop_front();
        running_ = true;
      }
      mirror(job);
      {
        std::lock_guard lock(mu_);
        running_ = false;
      }
      idle_.notify_all();
    }
  }

  void report(const Job& job, std::string what, std::string diff) noexcept {
    if (!options_.on_mismatch) return;
    try {
      ShadowMismatch m;
      m.query_id = job.query_id;
      m.sql = options_.redact_literals ? redact_sql_literals(job.sql) : job.sql;
      m.what = std::move(what);
      m.diff = std::move(diff);
      options_.on_mismatch(m);
    } catch (...) {  // NOLINT(bugprone-empty-catch): the callback's failures are its own
    }
  }

  void mirror(const Job& job) noexcept {
    compared.fetch_add(1, std::memory_order_relaxed);
    Digest candidate;
    try {
      const Deadline deadline =
          Deadline::after(options_.candidate_timeout, options_.clock != nullptr ? *options_.clock : steady_clock());
      Lease lease = candidate_->acquire(deadline);
      QueryOptions o;
      o.settings = job.settings;
      o.params = job.params;
      o.deadline = deadline;
      o.stop = cancel_.get_token();
      try {
        const Result r = lease->select(
            job.sql, [&](const Block& b) { candidate.add(b); }, o);
        candidate.set_columns(r.header);
      } catch (const Error& e) {
        lease.note_error(e);
        throw;
      }
    } catch (const std::exception& e) {
      candidate_errors.fetch_add(1, std::memory_order_relaxed);
      report(job, "candidate error", e.what());
      return;
    }
    const Digest& p = job.primary;
    std::string what;
    std::string diff;
    if (p.columns != candidate.columns) {
      what = "columns";
      diff = "columns: primary (" + p.columns + "), candidate (" + candidate.columns + ")";
    } else if (p.rows != candidate.rows) {
      what = "rows";
      diff = "rows: primary " + std::to_string(p.rows) + ", candidate " + std::to_string(candidate.rows);
    } else if (const bool ordered = orders_result(job.sql);
               ordered ? p.ordered != candidate.ordered : p.unordered != candidate.unordered) {
      what = "checksum";
      diff = "checksum: the same " + std::to_string(p.rows) + " rows and columns, different values" +
             (ordered ? " or order (the statement has ORDER BY)" : "");
    }
    if (what.empty()) {
      matched.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    mismatched.fetch_add(1, std::memory_order_relaxed);
    report(job, std::move(what), std::move(diff));
  }

  std::shared_ptr<ConnectionStrategy> candidate_;
  ShadowOptions options_;
  RandomSource random_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  mutable std::condition_variable idle_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  bool running_ = false;
  std::stop_source cancel_;
  std::jthread worker_;
};

namespace {

// Digests one sampled call's blocks and offers the job at its end.
class DigestObserver final : public QueryObserver {
 public:
  DigestObserver(std::weak_ptr<ShadowStrategy::State> state, std::string sql, const QueryOptions& options)
      : state_(std::move(state)) {
    job_.sql = std::move(sql);
    job_.settings = options.settings;
    job_.params = options.params;
  }

  void on_block(const Block& block) noexcept override {
    if (failed_) return;
    try {
      job_.primary.add(block);
    } catch (...) {
      failed_ = true;
    }
  }

  void on_end(const Result* summary) noexcept override {
    const std::shared_ptr<ShadowStrategy::State> state = state_.lock();
    if (!state) return;
    if (summary == nullptr || failed_) {
      state->primary_failed.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    try {
      job_.primary.set_columns(summary->header);
      job_.query_id = summary->query_id;
      state->offer(std::move(job_));
    } catch (...) {
      state->primary_failed.fetch_add(1, std::memory_order_relaxed);
    }
  }

 private:
  std::weak_ptr<ShadowStrategy::State> state_;
  Job job_;
  bool failed_ = false;
};

class ShadowObserver final : public LeaseObserver {
 public:
  explicit ShadowObserver(std::weak_ptr<ShadowStrategy::State> state) : state_(std::move(state)) {}

  void on_lease_end(const LeaseOutcome&) noexcept override {}

  std::unique_ptr<QueryObserver> on_query(std::string_view sql, const QueryOptions& options) noexcept override {
    const std::shared_ptr<ShadowStrategy::State> state = state_.lock();
    if (!state) return nullptr;
    if (!options.external_tables.empty()) {
      state->not_read_only.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    if (sql::is_read_only(sql)) {
      state->reads.fetch_add(1, std::memory_order_relaxed);
      if (!state->sampled()) {
        state->sampled_out.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
      }
    } else if (state->write_opted_in(sql)) {
      state->writes_mirrored.fetch_add(1, std::memory_order_relaxed);
    } else {
      state->not_read_only.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    try {
      return std::make_unique<DigestObserver>(state_, std::string(sql), options);
    } catch (...) {
      state->primary_failed.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
  }

 private:
  std::weak_ptr<ShadowStrategy::State> state_;
};

}  // namespace

ShadowStrategy::ShadowStrategy(std::shared_ptr<ConnectionStrategy> primary,
                               std::shared_ptr<ConnectionStrategy> candidate, ShadowOptions options)
    : primary_(std::move(primary)) {
  // A null strategy is the caller's code, Error(usage); a bad option is Error(config) naming it, as
  // the pool's and Config::validate()'s are.
  if (!primary_ || !candidate) throw Error(ErrorKind::usage, "ShadowStrategy needs a primary and a candidate strategy");
  if (!config_detail::valid_percent(options.sample)) {
    throw Error(ErrorKind::config, "ShadowOptions::sample must be a percentage from 0 to 100");
  }
  if (options.queue_capacity < 1 || options.queue_capacity > k_max_queue) {
    throw Error(ErrorKind::config, "ShadowOptions::queue_capacity must be from 1 to 65536");
  }
  if (options.candidate_timeout <= std::chrono::milliseconds::zero()) {
    throw Error(ErrorKind::config, "ShadowOptions::candidate_timeout must be positive");
  }
  state_ = std::make_shared<State>(std::move(candidate), std::move(options));
  state_->start();
}

ShadowStrategy::~ShadowStrategy() { state_->stop(); }

Lease ShadowStrategy::acquire(Deadline deadline) {
  return observe_lease(primary_->acquire(deadline), std::make_unique<ShadowObserver>(state_));
}

Lease ShadowStrategy::acquire_for(std::string_view key, Deadline deadline) {
  return observe_lease(primary_->acquire_for(key, deadline), std::make_unique<ShadowObserver>(state_));
}

const std::string& ShadowStrategy::name() const noexcept { return state_->options().name; }
const std::shared_ptr<ConnectionStrategy>& ShadowStrategy::candidate() const noexcept { return state_->candidate(); }
double ShadowStrategy::sample() const noexcept { return state_->options().sample; }
StrategyStats ShadowStrategy::stats() const { return primary_->stats(); }
MaintenanceReport ShadowStrategy::maintain() { return primary_->maintain(); }
std::vector<HostStats> ShadowStrategy::host_stats() const { return primary_->host_stats(); }
std::vector<CircuitBreaker*> ShadowStrategy::host_breakers() { return primary_->host_breakers(); }
std::vector<HostCheck> ShadowStrategy::check_hosts(const HostCheckOptions& options) {
  return primary_->check_hosts(options);
}

std::optional<ShadowStats> ShadowStrategy::shadow_stats() const {
  const State& s = *state_;
  ShadowStats out;
  out.reads = s.reads.load(std::memory_order_relaxed);
  out.writes_mirrored = s.writes_mirrored.load(std::memory_order_relaxed);
  out.not_read_only = s.not_read_only.load(std::memory_order_relaxed);
  out.sampled_out = s.sampled_out.load(std::memory_order_relaxed);
  out.primary_failed = s.primary_failed.load(std::memory_order_relaxed);
  out.dropped = s.dropped.load(std::memory_order_relaxed);
  out.compared = s.compared.load(std::memory_order_relaxed);
  out.matched = s.matched.load(std::memory_order_relaxed);
  out.mismatched = s.mismatched.load(std::memory_order_relaxed);
  out.candidate_errors = s.candidate_errors.load(std::memory_order_relaxed);
  out.queued = s.queued();
  return out;
}

bool ShadowStrategy::wait_idle(Deadline deadline) const { return state_->wait_idle(deadline); }

}  // namespace chconn
