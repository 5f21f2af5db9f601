// ConnectionManager: its public members and Cursor. The shared state is in manager_impl.h; health
// rounds are in health.cpp, the Prometheus text in metrics.cpp.
#include "chconn/manager/manager.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/strategy/observed.h"
#include "core/concurrent.h"
#include "manager/manager_impl.h"

namespace chconn {

// --- ConnectionManager ---

ConnectionManager::ConnectionManager(std::shared_ptr<ConnectionFactory> factory, ManagerOptions options)
    : impl_(std::make_shared<Impl>(std::move(factory), std::move(options))) {}

ConnectionManager::~ConnectionManager() { stop(); }

Lease ConnectionManager::acquire(std::string_view strategy, Deadline deadline) {
  return impl_->acquire(strategy, deadline);
}

Lease ConnectionManager::acquire_for(std::string_view routing_key, std::string_view strategy, Deadline deadline) {
  return impl_->acquire(impl_->target(strategy, routing_key), deadline);
}

namespace {

// What run_with_retry knows of a call: reads are idempotent unless the caller says otherwise,
// anything else is a write that is not.
RetryContext statement_context(std::string_view sql, const ExecuteOptions& options) {
  const bool read = is_read_only_statement(sql);
  return RetryContext{.idempotent = options.idempotent.value_or(read),
                      .rows_delivered = false,
                      .deadline = options.deadline,
                      .writes = !read};
}

// An insert is a write, idempotent only when the caller says so (or asks for deduplicated retries).
RetryContext insert_context(const ExecuteOptions& options) {
  return RetryContext{.idempotent = options.deduplicated_retry || options.idempotent.value_or(false),
                      .rows_delivered = false,
                      .deadline = options.deadline,
                      .writes = true};
}

// ExecuteOptions::deduplicated_retry where it cannot hold: `what` is the call.
void refuse_deduplicated_retry(const ExecuteOptions& options, std::string_view what) {
  if (!options.deduplicated_retry) return;
  throw Error(ErrorKind::usage, "deduplicated_retry applies to insert() of a span of blocks, not to " +
                                    std::string(what) + "; leave it off");
}

// The checks of deduplicated_retry that need no server: not with `idempotent`, and not with the
// insert's own insert_deduplicate turned off.
void check_deduplicated_retry_options(const ExecuteOptions& options) {
  if (!options.deduplicated_retry) return;
  if (options.idempotent) {
    throw Error(ErrorKind::usage,
                "deduplicated_retry and idempotent both set: deduplicated_retry already retries the insert "
                "(after checking the table deduplicates); set one of them");
  }
  if (const std::optional<std::string_view> v = options.query.settings.get("insert_deduplicate");
      v && (*v == "0" || *v == "false")) {
    throw Error(ErrorKind::usage,
                "deduplicated_retry with the setting insert_deduplicate = 0: the table would keep both copies of "
                "a block sent twice, so a retry could double rows; drop the setting or deduplicated_retry");
  }
}

// deduplicated_retry's server check, on the lease of the first attempt: the table exists, is a
// Replicated*MergeTree, and the insert's settings keep insert_deduplicate on. Error(usage) otherwise
// (not retried). Remembered per strategy once it passed.
void check_deduplicating_table(Connection& connection, const InsertTarget& target, const QueryOptions& insert,
                               ManagerStrategyState& state) {
  const std::string key = target.database + '\0' + target.table;
  {
    std::lock_guard lock(state.mutex);
    if (state.deduplicating_tables.contains(key)) return;
  }
  QueryOptions q;
  q.settings = insert.settings;  // the insert's own settings decide insert_deduplicate
  q.timeout = insert.timeout;
  q.deadline = insert.deadline;
  q.stop = insert.stop;
  q.params.set("t", target.table);
  if (!target.database.empty()) q.params.set("db", target.database);
  const Result r = connection.execute(
      "SELECT engine, (SELECT value FROM system.settings WHERE name = 'insert_deduplicate') AS dedup "
      "FROM system.tables WHERE database = " +
          std::string(target.database.empty() ? "currentDatabase()" : "{db:String}") + " AND name = {t:String}",
      q);
  if (r.row_count() == 0) {
    throw Error(ErrorKind::usage, "deduplicated_retry: no table " + target.name() +
                                      " on the server, so whether it deduplicates inserts is unknown");
  }
  const std::string engine = r.value<std::string>("engine");
  if (!engine.starts_with("Replicated") || !engine.ends_with("MergeTree")) {
    throw Error(ErrorKind::usage,
                "deduplicated_retry: " + target.name() + " is a " + engine +
                    " table; only Replicated*MergeTree tables drop a block sent twice, so a retry could insert its "
                    "rows twice. Insert without deduplicated_retry (and decide yourself what a lost reply means)");
  }
  if (const std::string dedup = r.value<std::string>("dedup"); dedup != "1") {
    throw Error(ErrorKind::usage, "deduplicated_retry: insert_deduplicate is " + dedup + " for this insert on " +
                                      target.name() + ", so a block sent twice would be kept twice");
  }
  std::lock_guard lock(state.mutex);
  if (state.deduplicating_tables.size() >= ManagerStrategyState::k_max_deduplicating_tables)
    state.deduplicating_tables.clear();
  state.deduplicating_tables.insert(key);
}

// One attempt's query options: the call's, within the call's deadline.
QueryOptions attempt_options(const QueryOptions& query, const RetryContext& ctx) {
  QueryOptions q = query;
  q.deadline = q.deadline.earliest(ctx.deadline);
  return q;
}

}  // namespace

Result ConnectionManager::execute(std::string_view sql, const Params& params, const ExecuteOptions& options) {
  refuse_deduplicated_retry(options, "execute()");
  // `params` adds to ExecuteOptions::query.params (a name in both is Error(usage)).
  QueryOptions query = options.query;
  query.params.add(params);
  const Impl::Target strategy = impl_->target(options.strategy, options.routing_key);
  RetryContext ctx = statement_context(sql, options);
  return impl_->with_retries<Result>(strategy, ctx,
                                     [&](Lease& lease) { return lease->execute(sql, attempt_options(query, ctx)); });
}

Result ConnectionManager::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                                 const ExecuteOptions& options) {
  refuse_deduplicated_retry(options, "select()");
  const Impl::Target strategy = impl_->target(options.strategy, options.routing_key);
  RetryContext ctx = statement_context(sql, options);
  return impl_->with_retries<Result>(strategy, ctx, [&](Lease& lease) {
    return lease->select(
        sql,
        [&](const Block& block) {
          // Set before the caller sees the block: from here on a retry would repeat rows.
          ctx.rows_delivered = true;
          on_block(block);
        },
        attempt_options(options.query, ctx));
  });
}

void ConnectionManager::insert(std::string_view table, std::span<const Block> blocks, const ExecuteOptions& options) {
  // Error(usage) for text that is not a table name, before a lease is taken or a breaker asked.
  const InsertTarget target = parse_insert_target(table);
  check_deduplicated_retry_options(options);
  // The span can be read again, so each attempt reads it afresh (with the retry rules of writes):
  // the same blocks, which a deduplicating table drops if an attempt before stored them.
  const Impl::Target strategy = impl_->target(options.strategy, options.routing_key);
  RetryContext ctx = insert_context(options);
  impl_->with_retries<int>(strategy, ctx, [&](Lease& lease) {
    const QueryOptions attempt = attempt_options(options.query, ctx);
    if (options.deduplicated_retry) check_deduplicating_table(*lease, target, attempt, *strategy.state);
    lease->insert(target, blocks, attempt);
    return 0;
  });
}

namespace {
// Passes a caller's source through and notes when it was first read: from then on it cannot be
// read again, and a retry would send other rows (or none), so none follows
// (RetryVerdict::source_read).
class ReadOnceSource final : public InsertSource {
 public:
  ReadOnceSource(InsertSource& inner, bool& read) : inner_(inner), read_(read) {}
  void start(const Block& sample) override {
    read_ = true;
    inner_.start(sample);
  }
  std::optional<Block> next() override { return inner_.next(); }

 private:
  InsertSource& inner_;
  bool& read_;
};
}  // namespace

void ConnectionManager::insert(std::string_view table, InsertSource& source, const ExecuteOptions& options) {
  const InsertTarget target = parse_insert_target(table);
  refuse_deduplicated_retry(options, "the insert of an InsertSource (read once, it cannot be sent again)");
  const Impl::Target strategy = impl_->target(options.strategy, options.routing_key);
  RetryContext ctx = insert_context(options);
  impl_->with_retries<int>(strategy, ctx, [&](Lease& lease) {
    ReadOnceSource once(source, ctx.source_read);
    lease->insert(target, once, attempt_options(options.query, ctx));
    return 0;
  });
}

namespace {
// What query() and insert() share: a lease of their own from the strategy's breaker, the call that
// starts on it (`start(lease)`, returning the QueryCursor or InsertStream), and the counter the
// returned handle calls once when it ends. An error before the handle exists is counted here.
template <class Handle, class Start>
Handle open_on_lease(const std::shared_ptr<ConnectionManager::Impl>& impl, const ExecuteOptions& options,
                     Start&& start) {
  const ConnectionManager::Impl::Target strategy = impl->target(options.strategy, options.routing_key);
  auto count = [state = strategy.state, keep = impl](const Error* e) {
    state->count_outcome(e ? to_string(e->kind()) : std::string_view("success"));
  };
  Lease lease;
  try {
    lease = impl->acquire(strategy, options.deadline);
  } catch (const Error& e) {
    count(&e);
    throw;
  }
  try {
    auto inner = start(lease);
    return Handle(std::move(lease), std::move(inner), std::move(count));
  } catch (const Error& e) {
    lease.note_error(e);
    count(&e);
    throw;
  }
}
}  // namespace

Cursor ConnectionManager::query(std::string_view sql, const Params& params, const ExecuteOptions& options) {
  refuse_deduplicated_retry(options, "query()");
  QueryOptions query = options.query;
  query.params.add(params);
  query.deadline = query.deadline.earliest(options.deadline);
  return open_on_lease<Cursor>(impl_, options, [&](Lease& lease) { return lease->query(sql, query); });
}

Inserter ConnectionManager::insert(std::string_view table, const ExecuteOptions& options) {
  const InsertTarget target = parse_insert_target(table);
  refuse_deduplicated_retry(options, "the push insert (an Inserter is never retried)");
  QueryOptions query = options.query;
  query.deadline = query.deadline.earliest(options.deadline);
  return open_on_lease<Inserter>(impl_, options, [&](Lease& lease) { return lease->insert(target, query); });
}

// --- Cursor ---

Cursor::Cursor(Lease lease, std::unique_ptr<QueryCursor> cursor, std::function<void(const Error*)> on_end)
    : lease_(std::move(lease)), cursor_(std::move(cursor)), on_end_(std::move(on_end)) {
  if (!cursor_) throw Error(ErrorKind::usage, "chconn::Cursor needs a QueryCursor (got null)");
}

Cursor::Cursor(Cursor&& other) noexcept
    : lease_(std::move(other.lease_)),
      cursor_(std::move(other.cursor_)),
      summary_(std::move(other.summary_)),
      on_end_(std::move(other.on_end_)) {}

Cursor& Cursor::operator=(Cursor&& other) noexcept {
  if (this != &other) {
    end();  // this cursor's query and lease first: the lease must outlive the query on it
    lease_ = std::move(other.lease_);
    cursor_ = std::move(other.cursor_);
    summary_ = std::move(other.summary_);
    on_end_ = std::move(other.on_end_);
  }
  return *this;
}

Cursor::~Cursor() { end(); }

void Cursor::end() noexcept {
  if (cursor_) {
    try {
      summary_ = cursor_->summary();
    } catch (...) {
      // Only allocation can throw here; the summary is then incomplete.
    }
  }
  cursor_.reset();  // cancels and drains a query that had not ended
  lease_.release();
}

std::optional<Block> Cursor::next() {
  if (!cursor_) return std::nullopt;
  std::optional<Block> block;
  try {
    block = cursor_->next();
  } catch (const Error& e) {
    lease_.note_error(e);
    if (on_end_) on_end_(&e);
    end();
    throw;
  } catch (...) {
    end();
    throw;
  }
  if (!block) {
    if (on_end_) on_end_(nullptr);
    end();
  }
  return block;
}

const Result& Cursor::summary() const noexcept { return cursor_ ? cursor_->summary() : summary_; }

// --- Inserter ---

Inserter::Inserter(Lease lease, std::unique_ptr<InsertStream> stream, std::function<void(const Error*)> on_end)
    : lease_(std::move(lease)), stream_(std::move(stream)), on_end_(std::move(on_end)) {
  if (!stream_) throw Error(ErrorKind::usage, "chconn::Inserter needs an InsertStream (got null)");
}

Inserter::Inserter(Inserter&& other) noexcept
    : lease_(std::move(other.lease_)),
      stream_(std::move(other.stream_)),
      progress_(other.progress_),
      on_end_(std::move(other.on_end_)) {}

Inserter& Inserter::operator=(Inserter&& other) noexcept {
  if (this != &other) {
    end();  // this insert and its lease first: the lease must outlive the insert on it
    lease_ = std::move(other.lease_);
    stream_ = std::move(other.stream_);
    progress_ = other.progress_;
    on_end_ = std::move(other.on_end_);
  }
  return *this;
}

Inserter::~Inserter() { end(); }

void Inserter::end() noexcept {
  if (stream_) {
    progress_ = stream_->progress();
    if (!stream_->done() && on_end_) {
      // Abandoned before finish(): counted as a cancelled call (the stream logs what was kept).
      try {
        const Error abandoned(ErrorKind::cancelled, "the insert was abandoned before finish()");
        on_end_(&abandoned);
      } catch (...) {
        // No memory for the message: the count is skipped.
      }
    }
  }
  stream_.reset();  // ends the data of an insert that had not finished
  lease_.release();
}

void Inserter::fail(const Error& error) noexcept {
  lease_.note_error(error);
  if (on_end_) on_end_(&error);
  on_end_ = nullptr;
  end();
}

const Block& Inserter::sample() const noexcept {
  static const Block empty;
  return stream_ ? stream_->sample() : empty;
}

void Inserter::write(const Block& block) {
  if (!stream_) throw Error(ErrorKind::usage, "this chconn::Inserter has ended (finished, failed or moved from)");
  try {
    stream_->write(block);
  } catch (const Error& e) {
    if (!stream_->done()) throw;  // a block that did not match: nothing sent, the insert is open
    fail(e);
    throw;
  } catch (...) {
    end();
    throw;
  }
}

void Inserter::finish() {
  if (!stream_) throw Error(ErrorKind::usage, "this chconn::Inserter has ended (finished, failed or moved from)");
  try {
    stream_->finish();
  } catch (const Error& e) {
    fail(e);
    throw;
  } catch (...) {
    end();
    throw;
  }
  if (on_end_) on_end_(nullptr);
  on_end_ = nullptr;
  end();
}

void ConnectionManager::start() {
  std::lock_guard lock(impl_->thread_mutex);
  if (impl_->thread.joinable()) return;
  impl_->stopping = false;
  impl_->thread = std::thread([impl = impl_.get()] { impl->loop(); });
}

void ConnectionManager::stop() noexcept {
  std::thread t;
  {
    std::lock_guard lock(impl_->thread_mutex);
    impl_->stopping = true;
    t = std::move(impl_->thread);
  }
  impl_->wake.notify_all();
  if (t.joinable()) t.join();
}

bool ConnectionManager::running() const noexcept {
  std::lock_guard lock(impl_->thread_mutex);
  return impl_->thread.joinable();
}

HealthReport ConnectionManager::run_health_check_once() { return impl_->check(); }

HealthReport ConnectionManager::health() const {
  std::lock_guard lock(impl_->report_mutex);
  return impl_->last_report;
}

std::uint64_t ConnectionManager::health_checks() const noexcept {
  return impl_->checks_run.load(std::memory_order_relaxed);
}

std::string ConnectionManager::metrics_text() const { return impl_->metrics(); }

CircuitBreaker& ConnectionManager::breaker(std::string_view strategy) { return impl_->target(strategy).state->breaker; }

const std::shared_ptr<ConnectionFactory>& ConnectionManager::factory() const noexcept { return impl_->factory; }

const ManagerOptions& ConnectionManager::options() const noexcept { return impl_->options; }

}  // namespace chconn
