// EmbeddedConnection over chDB's C API (see embedded_connection.h): a session of the process's
// engine (embedded_engine.h), each call run on it with chconn's deadlines, settings and errors, and
// its Native output read back into blocks.
#include "chconn/connection/embedded_connection.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chconn/connection/insert_source.h"
#include "chconn/connection/insert_target.h"
#include "chconn/connection/params.h"
#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "chconn/wire/block.h"
#include "chconn/wire/column.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/io.h"
#include "chconn/wire/types.h"
#include "connection/embedded_engine.h"
#include "connection/substitution.h"

namespace chconn {

namespace {

using detail::embedded::chdb_connection;
using detail::embedded::chdb_insert_stream;
using detail::embedded::chdb_result;
using detail::embedded::ChdbApi;
using detail::embedded::close_session;
using detail::embedded::Engine;
using detail::embedded::engine_error;
using detail::embedded::engine_for;
using detail::embedded::engine_stopped;
using detail::embedded::k_chdb_success;
using detail::embedded::k_native;
using detail::embedded::open_session;
using detail::embedded::Owned;
using detail::embedded::start_query;

// The blocks of a Native output (revision 0), appended to `out`.
void decode_native(std::string_view bytes, const DecodeLimits& limits, std::deque<Block>& out) {
  if (bytes.empty()) return;
  wire::MemorySource source(bytes);
  wire::Reader in(source, limits);
  while (!in.at_end()) out.push_back(wire::read_block(in, 0));
}

// A top-level DateTime or DateTime64 without a zone: what revision 0 makes of a zoned one.
bool zone_may_be_lost(const Type& type) {
  return (type.code() == TypeCode::DateTime || type.code() == TypeCode::DateTime64) && type.time_zone().empty();
}

// `column` with the type `type` (same encoding, another zone).
ColumnRef retyped(const ColumnRef& column, const TypeRef& type) {
  ColumnRef out = make_column(type);
  wire::Writer bytes;
  column->save_body(bytes);
  wire::MemorySource source(bytes.data());
  wire::Reader in(source);
  out->load_body(in, column->size());
  return out;
}

std::uint64_t version_part(std::string_view& text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  return ec == std::errc() ? v : 0;
}

}  // namespace

struct EmbeddedConnection::Impl {
  Config config;
  Engine* engine = nullptr;
  chdb_connection* conn = nullptr;
  ServerInfo info;
  std::string peer;
  std::string last_query_id;
  bool closed = false;
  bool session_changed = false;
  // A QueryCursor of this connection is open (chDB runs one statement per session at a time).
  bool cursor_open = false;
  // The session's max_execution_time in seconds as limit_engine_call() SET it (0: none), or nullopt
  // before it has SET one.
  std::optional<double> engine_limit;
  // The statement being run names max_execution_time itself (its SETTINGS clause): its limit rules.
  bool statement_limits = false;

  const ChdbApi& api() const noexcept { return engine->api; }
  chdb_connection handle() const noexcept { return *conn; }

  void check_ready(const QueryOptions& options, Deadline deadline) const {
    if (closed) throw Error(ErrorKind::usage, "the connection to " + peer + " was closed");
    if (engine->stopped) engine_stopped();
    if (cursor_open) {
      throw Error(ErrorKind::usage, "a query cursor is open on the connection to " + peer +
                                        "; read it to its end or destroy it before the next call");
    }
    if (options.stop.stop_requested()) {
      throw Error(ErrorKind::cancelled,
                  "the query was not sent to " + peer + ": stop was requested before the call (QueryOptions::stop)");
    }
    if (deadline.expired()) {
      throw Error(ErrorKind::timeout, "the query was not sent to " + peer + ": " + deadline.describe() + " had passed");
    }
    if (!options.external_tables.empty()) {
      throw Error(ErrorKind::usage,
                  "the embedded connection does not send external tables; create a temporary "
                  "table and insert into it instead. Nothing was run");
    }
  }

  // A call into the engine cannot be interrupted from outside (chDB's cancel is for a stream, between
  // fetches, on the caller's thread), so the engine is asked to stop it: max_execution_time, which
  // it checks as it works, SET to 0.9 of the time left when the session's is not within 0.8..0.95 of
  // it (successive queries with the same timeout SET it once). A limit the caller set
  // (max_execution_time in the Config's or the query's settings) is left to rule.
  // The caller set max_execution_time (the Config's or the query's settings, or the statement's
  // SETTINGS clause): its limit rules.
  bool caller_limits(const Settings& query_settings) const {
    return statement_limits || query_settings.get("max_execution_time") || config.settings.get("max_execution_time");
  }

  void limit_engine_call(Deadline deadline, const Settings& query_settings) {
    if (caller_limits(query_settings)) return;
    double want = 0;
    if (!deadline.is_never()) {
      const double left = std::chrono::duration<double>(deadline.remaining()).count();
      if (engine_limit && *engine_limit >= 0.8 * left && *engine_limit <= 0.95 * left) return;
      want = std::max(0.001, std::floor(0.9 * left * 1000) / 1000);
    } else if (engine_limit == 0.0) {
      return;
    }
    char text[32];
    const auto [end, ec] = std::to_chars(text, text + sizeof text, want, std::chars_format::fixed, 3);
    (void)ec;  // 32 bytes hold any limit's fixed form
    run("SET max_execution_time = " + std::string(text, end));
    engine_limit = want;
  }

  // The engine's error for a query under `deadline`: its TIMEOUT_EXCEEDED, when limit_engine_call()
  // set the limit, is the deadline's Error(timeout).
  Error query_error(std::string_view text, Deadline deadline, const Settings& query_settings) const {
    Error e = engine_error(text);
    if (e.kind() != ErrorKind::server || e.server_code() != server_codes::timeout_exceeded || !engine_limit ||
        *engine_limit == 0 || caller_limits(query_settings)) {
      return e;
    }
    return Error(ErrorKind::timeout, "the query on " + peer + " did not finish within " + deadline.describe() +
                                         "; the engine stopped it (max_execution_time)")
        .with_cause(e);
  }

  Deadline query_deadline(const QueryOptions& options) const {
    return options.deadline.named_if_unnamed("the caller's deadline")
        .earliest(Deadline::after(options.timeout.value_or(config.timeouts.query)).named("the query timeout"));
  }

  // Runs one whole statement and returns its output in Native; the engine's error is thrown.
  std::string run(const detail::BoundStatement& statement) {
    Owned r(api(), start_query(handle(), statement, k_native, api().query_n, api().query_params_n));
    if (auto e = r.error()) throw engine_error(*e);
    return std::string(r.data());
  }
  std::string run(std::string sql) { return run(detail::BoundStatement{std::move(sql), {}}); }
  // run() for a caller's query, whose errors are query_error()'s.
  std::string run_query(const detail::BoundStatement& statement, Deadline deadline, const Settings& query_settings) {
    Owned r(api(), start_query(handle(), statement, k_native, api().query_n, api().query_params_n));
    if (auto e = r.error()) throw query_error(*e, deadline, query_settings);
    return std::string(r.data());
  }

  // What is sent for `sql`: the values bound by the engine, or substituted where binding would
  // read them otherwise (detail::bind_params, the rule of a server); the result format checked.
  detail::BoundStatement prepare(std::string_view sql, const QueryOptions& options) {
    detail::BoundStatement statement = detail::bind_params(sql, options.params, true);
    const std::string& text = statement.text;
    if (std::optional<std::string> format = sql::trailing_format(text)) {
      throw Error(ErrorKind::usage, "the query ends with FORMAT " + *format +
                                        ", but a connection returns blocks, never text; remove the clause (the "
                                        "format layer writes blocks in any format). Nothing was run");
    }
    last_query_id = options.query_id;
    if (sql::changes_session(text)) {
      session_changed = true;
      engine_limit.reset();  // the statement may SET max_execution_time itself
    }
    statement_limits = sql::settings_clause_assigns(text, "max_execution_time");
    return statement;
  }

  // The settings of one query are SET on the session before it and set back after it.
  class QuerySettings {
   public:
    QuerySettings(Impl& impl, const Settings& settings) : impl_(impl) {
      // A query's own max_execution_time is SET here and set back to the Config's or DEFAULT after
      // it: the engine limit limit_engine_call() SET is then no longer the session's.
      if (settings.get("max_execution_time")) impl_.engine_limit.reset();
      try {
        for (const auto& s : settings) {
          impl_.run("SET " + sql::quote_identifier(s.name) + " = " + sql::quote_string(s.value));
          names_.push_back(s.name);
        }
      } catch (...) {
        restore();  // the settings SET before the one the engine refused
        throw;
      }
    }
    QuerySettings(const QuerySettings&) = delete;
    QuerySettings& operator=(const QuerySettings&) = delete;
    ~QuerySettings() { restore(); }
    // Sets back what was SET: to the Config's value, else the engine's default.
    void restore() noexcept {
      if (impl_.engine->stopped) names_.clear();  // the session is gone
      for (const std::string& name : names_) {
        try {
          const std::optional<std::string_view> configured = impl_.config.settings.get(name);
          impl_.run("SET " + sql::quote_identifier(name) + " = " +
                    (configured ? sql::quote_string(*configured) : std::string("DEFAULT")));
        } catch (...) {
          // The session keeps the query's value: it is no longer what a fresh session has.
          impl_.session_changed = true;
        }
      }
      names_.clear();
    }

   private:
    Impl& impl_;
    std::vector<std::string> names_;
  };

  // The result's types as the engine names them (DESCRIBE (query)), when a top-level DateTime lost
  // its zone to revision 0; empty when nothing needs it or the statement cannot be described.
  std::vector<TypeRef> described_types(const detail::BoundStatement& statement) {
    std::vector<TypeRef> types;
    try {
      std::deque<Block> blocks;
      decode_native(run(detail::BoundStatement{"DESCRIBE (" + statement.text + "\n)", statement.parameters}),
                    config.limits, blocks);
      for (const Block& b : blocks) {
        const auto& names = column_cast<ColumnString>(*b.column(std::string_view("type")));
        for (std::size_t i = 0; i < names.size(); ++i) types.push_back(parse_type(names.at(i)));
      }
    } catch (const Error&) {
      types.clear();  // not a query DESCRIBE takes: the types stay as the Native output named them
    }
    return types;
  }

  bool needs_types(const Block& header) const {
    for (std::size_t i = 0; i < header.column_count(); ++i) {
      if (zone_may_be_lost(*header.column(i)->type())) return true;
    }
    return false;
  }

  // `block` with the zones of `types` (described_types()) given back to its DateTime columns.
  static Block with_zones(Block block, const std::vector<TypeRef>& types) {
    if (types.size() != block.column_count()) return block;
    Block out;
    for (std::size_t i = 0; i < block.column_count(); ++i) {
      const ColumnRef& c = block.column(i);
      const bool restore =
          zone_may_be_lost(*c->type()) && types[i]->code() == c->type()->code() && !types[i]->time_zone().empty();
      out.append(block.name(i), restore ? retyped(c, types[i]) : c);
    }
    return out;
  }
};

namespace {

// The streamed result of one query: chunks fetched from chdb_stream_fetch_result, each decoded
// into its blocks; at most one chunk's blocks are held.
class EmbeddedCursor final : public QueryCursor {
 public:
  EmbeddedCursor(EmbeddedConnection::Impl& impl, std::string_view sql, const QueryOptions& options)
      : impl_(impl), options_(options), deadline_(impl.query_deadline(options)) {
    impl_.check_ready(options_, deadline_);
    const detail::BoundStatement text = impl_.prepare(sql, options_);
    summary_.query_id = options_.query_id;
    settings_.emplace(impl_, options_.settings);
    if (!streamable(text.text)) {
      // Run whole; the result of such a statement is small (a description, a list).
      try {
        impl_.limit_engine_call(deadline_, options_.settings);
        decode_native(impl_.run_query(text, deadline_, options_.settings), impl_.config.limits, pending_);
        if (!pending_.empty() && impl_.needs_types(pending_.front())) types_ = impl_.described_types(text);
      } catch (...) {
        end();
        throw;
      }
      end();
      take_header();
      return;
    }
    try {
      // The limit first: the DESCRIBE runs under this query's deadline, not the last one's.
      impl_.limit_engine_call(deadline_, options_.settings);
      types_ = impl_.described_types(text);
    } catch (...) {
      end();
      throw;
    }
    const ChdbApi& api = impl_.api();
    stream_ = start_query(impl_.handle(), text, k_native, api.stream_query_n, api.stream_query_params_n);
    if (stream_ == nullptr || api.error(stream_) != nullptr) {
      const std::string why = stream_ == nullptr ? std::string("the engine returned no result") : api.error(stream_);
      end();
      throw impl_.query_error(why, deadline_, options_.settings);
    }
    impl_.cursor_open = true;
  }

  ~EmbeddedCursor() override {
    if (stream_ != nullptr && !impl_.engine->stopped) impl_.api().stream_cancel(impl_.handle(), stream_);
    end();
  }

  std::optional<Block> next() override {
    for (;;) {
      if (!pending_.empty()) {
        Block block = std::move(pending_.front());
        pending_.pop_front();
        return block;
      }
      if (done_) return std::nullopt;
      fetch();
    }
  }

  const Result& summary() const noexcept override { return summary_; }
  bool done() const noexcept override { return done_ && pending_.empty(); }

 private:
  void fetch() {
    const ChdbApi& api = impl_.api();
    if (options_.stop.stop_requested() || deadline_.expired()) {
      const bool stopped = options_.stop.stop_requested();
      api.stream_cancel(impl_.handle(), stream_);
      end();
      if (stopped) {
        throw Error(ErrorKind::cancelled,
                    "the query on " + impl_.peer + " was stopped by the caller (QueryOptions::stop); it was cancelled");
      }
      throw Error(ErrorKind::timeout, "the query on " + impl_.peer + " did not finish within " + deadline_.describe() +
                                          "; it was cancelled");
    }
    Owned chunk(api, api.stream_fetch(impl_.handle(), stream_));
    if (auto e = chunk.error()) {
      end();
      throw impl_.query_error(*e, deadline_, options_.settings);
    }
    const std::string_view bytes = chunk.data();
    if (bytes.empty()) {
      end();
      return;
    }
    try {
      decode_native(bytes, impl_.config.limits, pending_);
    } catch (...) {
      api.stream_cancel(impl_.handle(), stream_);
      end();
      throw;
    }
    take_header();
  }

  // chDB streams SELECT queries (WITH ... SELECT and parenthesised ones among them); other
  // statements (DESCRIBE, SHOW, EXPLAIN, DDL) only run whole.
  static bool streamable(std::string_view text) {
    const std::string keyword = sql::first_keyword(text);
    return keyword == "SELECT" || keyword == "WITH";
  }

  // The zones come back before a block is handed out; empty blocks only give the header.
  void take_header() {
    std::erase_if(pending_, [&](Block& b) {
      if (!types_.empty()) b = EmbeddedConnection::Impl::with_zones(std::move(b), types_);
      if (summary_.header.empty() && b.column_count() > 0) summary_.header = b.empty_copy();
      return b.rows() == 0;
    });
  }

  // The stream is over (ended, failed or cancelled): destroyed, the query's settings set back.
  void end() noexcept {
    if (stream_ != nullptr) {
      // After the engine stopped at exit, its session (and the stream with it) is gone.
      if (!impl_.engine->stopped) impl_.api().destroy_result(stream_);
      stream_ = nullptr;
    }
    done_ = true;
    impl_.cursor_open = false;
    if (settings_) settings_->restore();
  }

  EmbeddedConnection::Impl& impl_;
  const QueryOptions options_;
  const Deadline deadline_;
  chdb_result* stream_ = nullptr;
  std::optional<EmbeddedConnection::Impl::QuerySettings> settings_;
  std::vector<TypeRef> types_;
  std::deque<Block> pending_;
  Result summary_;
  bool done_ = false;
};

}  // namespace

EmbeddedConnection::EmbeddedConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddedConnection::~EmbeddedConnection() { close(); }

std::unique_ptr<EmbeddedConnection> EmbeddedConnection::open(const Config& config, Deadline deadline) {
  if (deadline.expired()) {
    throw Error(ErrorKind::timeout, "opening the embedded engine: " + deadline.describe() + " had passed");
  }
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->engine = &engine_for(config.embedded);
  impl->peer = config.embedded.path.empty() ? std::string("embedded") : "embedded:" + config.embedded.path;
  impl->conn = open_session(*impl->engine);
  std::unique_ptr<EmbeddedConnection> connection(new EmbeddedConnection(std::move(impl)));
  Impl& i = *connection->impl_;
  try {
    for (const auto& s : config.settings) {
      i.run("SET " + sql::quote_identifier(s.name) + " = " + sql::quote_string(s.value));
    }
    if (!config.database.empty()) i.run("USE " + sql::quote_identifier(config.database));
    std::deque<Block> blocks;
    decode_native(i.run("SELECT timezone() AS tz"), config.limits, blocks);
    if (!blocks.empty() && blocks.front().rows() == 1) {
      i.info.timezone = std::string(column_cast<ColumnString>(*blocks.front().column(0)).at(0));
    }
  } catch (const Error& e) {
    throw e.with_context("opening a session of the embedded engine");
  }
  i.info.name = "chDB";
  std::string_view v = i.engine->version;
  i.info.version_major = version_part(v);
  i.info.version_minor = version_part(v);
  i.info.version_patch = version_part(v);
  i.info.display_name = "chDB " + i.engine->version + " (" + i.engine->library + ")";
  return connection;
}

std::unique_ptr<QueryCursor> EmbeddedConnection::query(std::string_view sql, const QueryOptions& options) {
  return std::make_unique<EmbeddedCursor>(*impl_, sql, options);
}

Result EmbeddedConnection::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                                  const QueryOptions& options) {
  EmbeddedCursor cursor(*impl_, sql, options);
  while (std::optional<Block> block = cursor.next()) on_block(*block);
  return cursor.summary();
}

Result EmbeddedConnection::execute(std::string_view sql, const QueryOptions& options) {
  Impl& i = *impl_;
  const Deadline deadline = i.query_deadline(options);
  i.check_ready(options, deadline);
  const detail::BoundStatement text = i.prepare(sql, options);
  Impl::QuerySettings settings(i, options.settings);
  i.limit_engine_call(deadline, options.settings);
  Result result;
  result.query_id = options.query_id;
  std::deque<Block> blocks;
  decode_native(i.run_query(text, deadline, options.settings), i.config.limits, blocks);
  settings.restore();
  std::vector<TypeRef> types;
  if (!blocks.empty() && i.needs_types(blocks.front())) types = i.described_types(text);
  for (Block& b : blocks) {
    if (!types.empty()) b = Impl::with_zones(std::move(b), types);
    if (result.header.empty() && b.column_count() > 0) result.header = b.empty_copy();
    if (b.rows() > 0) result.blocks.push_back(std::move(b));
  }
  return result;
}

void EmbeddedConnection::insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options) {
  Impl& i = *impl_;
  const Deadline deadline = i.query_deadline(options);
  i.check_ready(options, deadline);
  if (!options.params.empty()) {
    throw Error(ErrorKind::usage, "an insert takes no query parameters; nothing was sent");
  }
  // chdb_stream_insert takes the statement without its data clause.
  std::string statement = target.insert_statement();
  constexpr std::string_view k_values = " VALUES";
  if (statement.size() >= k_values.size() && statement.ends_with(k_values)) {
    statement.resize(statement.size() - k_values.size());
  }
  const std::string table = target.name();
  i.last_query_id = options.query_id;
  i.statement_limits = false;  // chconn wrote the statement: no SETTINGS clause
  Impl::QuerySettings settings(i, options.settings);
  i.limit_engine_call(deadline, options.settings);

  // The columns the INSERT takes, with their exact types: a server's sample block.
  std::string described = (target.database.empty() ? std::string() : sql::quote_identifier(target.database) + ".") +
                          sql::quote_identifier(target.table);
  std::deque<Block> rows;
  decode_native(i.run("DESCRIBE TABLE " + described), i.config.limits, rows);
  std::vector<std::pair<std::string, std::string>> columns;  // name, type
  for (const Block& b : rows) {
    const auto& names = column_cast<ColumnString>(*b.column(std::string_view("name")));
    const auto& types = column_cast<ColumnString>(*b.column(std::string_view("type")));
    const auto& kinds = column_cast<ColumnString>(*b.column(std::string_view("default_type")));
    for (std::size_t r = 0; r < b.rows(); ++r) {
      const std::string_view kind = kinds.at(r);
      if (!target.columns.empty() || kind.empty() || kind == "DEFAULT") {
        columns.emplace_back(std::string(names.at(r)), std::string(types.at(r)));
      }
    }
  }
  Block sample;
  if (target.columns.empty()) {
    for (const auto& [name, type] : columns) sample.append(name, make_column(parse_type(type)));
  } else {
    for (const std::string& wanted : target.columns) {
      const auto it = std::find_if(columns.begin(), columns.end(), [&](const auto& c) { return c.first == wanted; });
      if (it == columns.end()) {
        throw Error(ErrorKind::usage, "the table " + table + " has no column " + sql::quote_identifier(wanted) +
                                          "; nothing was inserted");
      }
      sample.append(it->first, make_column(parse_type(it->second)));
    }
  }
  source.start(sample);

  const ChdbApi& api = i.api();
  chdb_insert_stream stream =
      api.stream_insert_n(i.handle(), statement.data(), statement.size(), k_native.data(), k_native.size());
  if (stream == nullptr) throw Error(ErrorKind::protocol, "the embedded engine returned no insert stream");
  struct StreamGuard {
    const ChdbApi& api;
    chdb_insert_stream stream;
    bool finished = false;
    ~StreamGuard() {
      if (!finished) api.stream_cancel_insert(stream);
      api.destroy_insert_stream(stream);
    }
  } guard{api, stream};
  if (const char* e = api.stream_insert_error(stream)) throw i.query_error(e, deadline, options.settings);

  InsertProgress sent;
  const auto stop_with = [&](ErrorKind kind, const std::string& why) {
    throw Error(kind, "the insert into " + table + " on " + i.peer + " " + why + "; " + std::to_string(sent.rows) +
                          " rows in " + std::to_string(sent.blocks) +
                          " blocks had been handed to the engine and may have been inserted");
  };
  wire::Writer bytes;
  for (;;) {
    if (options.stop.stop_requested())
      stop_with(ErrorKind::cancelled, "was stopped by the caller (QueryOptions::stop)");
    if (deadline.expired()) stop_with(ErrorKind::timeout, "did not finish within " + deadline.describe());
    std::optional<Block> block = source.next();
    if (!block) break;
    if (block->rows() == 0) continue;
    const Block matched = match_insert_sample(*block, sample, table);
    bytes.clear();
    wire::write_block(bytes, matched, 0);
    if (api.stream_append(stream, bytes.data().data(), bytes.size()) != k_chdb_success) {
      const char* e = api.stream_insert_error(stream);
      throw i.query_error(e != nullptr ? e : "chdb_stream_append failed", deadline, options.settings);
    }
    ++sent.blocks;
    sent.rows += matched.rows();
  }
  guard.finished = true;
  Owned done(api, api.stream_done(stream));
  if (auto e = done.error()) throw i.query_error(*e, deadline, options.settings);
}

void EmbeddedConnection::ping(Deadline deadline) {
  QueryOptions options;
  options.deadline = deadline;
  impl_->check_ready(options, deadline);
  impl_->run("SELECT 1");
}

void EmbeddedConnection::close() noexcept {
  if (!impl_ || impl_->closed) return;
  impl_->closed = true;
  // The engine's own session stays open: closing this one never shuts the engine down.
  if (impl_->conn != nullptr) close_session(*impl_->engine, impl_->conn);
  impl_->conn = nullptr;
}

bool EmbeddedConnection::usable() const noexcept { return !impl_->closed; }
bool EmbeddedConnection::session_changed() const noexcept { return impl_->session_changed; }
const ServerInfo& EmbeddedConnection::server_info() const noexcept { return impl_->info; }
const std::string& EmbeddedConnection::last_query_id() const noexcept { return impl_->last_query_id; }
const std::string& EmbeddedConnection::peer() const noexcept { return impl_->peer; }

namespace {

class EmbeddedConnector final : public Connector {
 public:
  explicit EmbeddedConnector(Config config) : config_(std::move(config)) {}
  std::unique_ptr<Connection> connect(Deadline deadline) override {
    return EmbeddedConnection::open(config_, deadline);
  }
  std::string describe() const override {
    return config_.embedded.path.empty() ? std::string("embedded") : "embedded:" + config_.embedded.path;
  }

 private:
  Config config_;
};

}  // namespace

std::shared_ptr<Connector> embedded_connector(const Config& config) {
  return std::make_shared<EmbeddedConnector>(config);
}

}  // namespace chconn
