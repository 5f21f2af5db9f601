#include "chconn/strategy/mock.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <stop_token>
#include <string_view>
#include <thread>
#include <utility>

#include "chconn/core/sql.h"
#include "chconn/wire/column.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/types.h"

namespace chconn {

std::string_view to_string(MockCallKind kind) noexcept {
  switch (kind) {
    case MockCallKind::execute: return "execute";
    case MockCallKind::select: return "select";
    case MockCallKind::insert: return "insert";
    case MockCallKind::ping: return "ping";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// MockResult

namespace {

[[noreturn]] void cannot(const std::string& where, const std::string& why) {
  throw Error(ErrorKind::usage, "MockResult: " + where + ": " + why);
}

std::string_view kind_name(MockValue::Kind kind) {
  switch (kind) {
    case MockValue::Kind::null: return "NULL";
    case MockValue::Kind::integer: return "an integer";
    case MockValue::Kind::floating: return "a floating-point number";
    case MockValue::Kind::text: return "text";
    case MockValue::Kind::day: return "a day (sys_days)";
    case MockValue::Kind::instant: return "an instant (sys_time)";
    case MockValue::Kind::list: return "a list (vector)";
  }
  return "?";
}

[[noreturn]] void wrong_kind(const std::string& where, const MockValue& v, std::string_view wanted) {
  cannot(where, "takes " + std::string(wanted) + ", not " + std::string(kind_name(v.kind())));
}

std::string int128_text(Int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string out;
  UInt128 u = negative ? UInt128(0) - static_cast<UInt128>(v) : static_cast<UInt128>(v);
  while (u != 0) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return negative ? "-" + out : out;
}

// Writes `v` as a `bytes`-wide little-endian integer, signed or not, after a range check.
void append_integer(Column& column, Int128 v, std::size_t bytes, bool is_signed, const std::string& where) {
  const unsigned bits = static_cast<unsigned>(bytes * 8);
  const bool fits = bits >= 128 ? (is_signed || v >= 0)
                    : is_signed ? (v >= -(Int128(1) << (bits - 1)) && v < (Int128(1) << (bits - 1)))
                                : (v >= 0 && v < (Int128(1) << bits));
  if (!fits) cannot(where, int128_text(v) + " is out of range");
  auto& fixed = column_cast<FixedWidthColumn>(column);
  std::uint8_t* out = fixed.append_raw(1);
  UInt128 u = static_cast<UInt128>(v);
  for (std::size_t i = 0; i < bytes; ++i) {
    out[i] = static_cast<std::uint8_t>(u & 0xff);
    u >>= 8;
  }
}

Int128 floor_div(Int128 a, Int128 b) {
  Int128 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

void append_value(Column& column, const MockValue& v, const std::string& where) {
  const Type& type = *column.type();
  using K = MockValue::Kind;
  if (type.code() == TypeCode::Nullable) {
    auto& n = column_cast<ColumnNullable>(column);
    if (v.kind() == K::null) {
      n.append_null();
    } else {
      append_value(n.nested(), v, where);
      n.append_not_null();
    }
    return;
  }
  if (v.kind() == K::null && type.code() != TypeCode::LowCardinality) {
    cannot(where, "NULL in a column that is not Nullable");
  }
  switch (type.code()) {
    case TypeCode::UInt8:
    case TypeCode::UInt16:
    case TypeCode::UInt32:
    case TypeCode::UInt64:
    case TypeCode::UInt128:
    case TypeCode::Int8:
    case TypeCode::Int16:
    case TypeCode::Int32:
    case TypeCode::Int64:
    case TypeCode::Int128:
    case TypeCode::Bool:
    case TypeCode::IPv4: {
      if (v.kind() != K::integer) wrong_kind(where, v, "an integer");
      const auto& fixed = column_cast<FixedWidthColumn>(column);
      const bool is_signed = type.code() >= TypeCode::Int8 && type.code() <= TypeCode::Int128;
      if (type.code() == TypeCode::Bool && v.integer() != 0 && v.integer() != 1) cannot(where, "a Bool is 0 or 1");
      append_integer(column, v.integer(), fixed.value_size(), is_signed, where);
      return;
    }
    case TypeCode::Enum8:
    case TypeCode::Enum16: {
      if (v.kind() == K::text) {
        if (type.code() == TypeCode::Enum8)
          column_cast<ColumnEnum<std::int8_t>>(column).append_name(v.text());
        else
          column_cast<ColumnEnum<std::int16_t>>(column).append_name(v.text());
        return;
      }
      if (v.kind() != K::integer) wrong_kind(where, v, "an integer or an element's name");
      append_integer(column, v.integer(), type.code() == TypeCode::Enum8 ? 1 : 2, true, where);
      return;
    }
    case TypeCode::Float32:
    case TypeCode::Float64: {
      double d = 0;
      if (v.kind() == K::floating)
        d = v.floating();
      else if (v.kind() == K::integer)
        d = static_cast<double>(v.integer());
      else
        wrong_kind(where, v, "a number");
      std::uint8_t* out = column_cast<FixedWidthColumn>(column).append_raw(1);
      if (type.code() == TypeCode::Float32) {
        const auto f = static_cast<float>(d);
        std::memcpy(out, &f, sizeof f);
      } else {
        std::memcpy(out, &d, sizeof d);
      }
      return;
    }
    case TypeCode::String:
      if (v.kind() != K::text) wrong_kind(where, v, "text");
      column_cast<ColumnString>(column).append(v.text());
      return;
    case TypeCode::FixedString: {
      if (v.kind() != K::text) wrong_kind(where, v, "text");
      auto& fixed = column_cast<ColumnFixedString>(column);
      if (v.text().size() > fixed.value_size()) {
        cannot(where, std::to_string(v.text().size()) + " bytes do not fit in " + std::to_string(fixed.value_size()));
      }
      fixed.append(v.text());
      return;
    }
    case TypeCode::Date:
    case TypeCode::Date32:
      if (v.kind() != K::day) wrong_kind(where, v, "a day (std::chrono::sys_days)");
      append_integer(column, v.integer(), type.code() == TypeCode::Date ? 2 : 4, type.code() == TypeCode::Date32,
                     where);
      return;
    case TypeCode::DateTime:
      if (v.kind() != K::instant) wrong_kind(where, v, "an instant (std::chrono::sys_time)");
      append_integer(column, floor_div(v.integer(), 1'000'000'000), 4, false, where);
      return;
    case TypeCode::DateTime64: {
      if (v.kind() != K::instant) wrong_kind(where, v, "an instant (std::chrono::sys_time)");
      Int128 unit = 1;
      for (std::uint32_t p = type.storage_type().precision(); p < 9; ++p) unit *= 10;
      append_integer(column, floor_div(v.integer(), unit), 8, true, where);
      return;
    }
    case TypeCode::Array: {
      if (v.kind() != K::list) wrong_kind(where, v, "a list (std::vector)");
      auto& array = column_cast<ColumnArray>(column);
      for (const MockValue& element : v.list()) append_value(array.nested(), element, where + ", an element");
      array.finish_row();
      return;
    }
    case TypeCode::LowCardinality: {
      auto& lc = column_cast<ColumnLowCardinality>(column);
      const TypeCode inner = type.element(0)->code();
      const bool text_dictionary =
          inner == TypeCode::String ||
          (inner == TypeCode::Nullable && type.element(0)->element(0)->code() == TypeCode::String);
      if (!text_dictionary)
        cannot(where, "only LowCardinality(String) and LowCardinality(Nullable(String)) are built here");
      if (v.kind() == K::null) {
        if (inner != TypeCode::Nullable) cannot(where, "NULL in a column that is not Nullable");
        lc.append_null();
      } else if (v.kind() == K::text) {
        lc.append(v.text());
      } else {
        wrong_kind(where, v, "text");
      }
      return;
    }
    default: cannot(where, "this column type is not built by MockResult; build the Block yourself");
  }
}

}  // namespace

MockResult::MockResult(std::initializer_list<ColumnSpec> columns)
    : MockResult(std::vector<ColumnSpec>(columns.begin(), columns.end())) {}

MockResult::MockResult(std::vector<ColumnSpec> columns) : columns_(std::move(columns)) {
  if (columns_.empty()) throw Error(ErrorKind::usage, "MockResult needs at least one column");
  std::set<std::string, std::less<>> names;
  data_.reserve(columns_.size());
  for (const ColumnSpec& c : columns_) {
    if (!names.insert(c.name).second) throw Error(ErrorKind::usage, "MockResult: column '" + c.name + "' given twice");
    try {
      data_.push_back(make_column(parse_type(c.type)));
    } catch (const Error& e) {
      throw Error(ErrorKind::usage, "MockResult: column '" + c.name + "': " + e.message());
    }
  }
}

MockResult& MockResult::row(std::vector<MockValue> values) {
  if (values.size() != columns_.size()) {
    throw Error(ErrorKind::usage, "MockResult: row " + std::to_string(rows_ + 1) + " has " +
                                      std::to_string(values.size()) + " values for " + std::to_string(columns_.size()) +
                                      " columns");
  }
  try {
    for (std::size_t i = 0; i < values.size(); ++i) {
      append_value(
          *data_[i], values[i],
          "column '" + columns_[i].name + "' of type " + columns_[i].type + ", row " + std::to_string(rows_ + 1));
    }
  } catch (...) {
    for (const ColumnRef& c : data_) c->truncate(rows_);  // nothing of a refused row stays
    throw;
  }
  ++rows_;
  return *this;
}

std::size_t MockResult::rows() const noexcept { return rows_; }

Result MockResult::result() const {
  Result r;
  Block data;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    r.header.append(columns_[i].name, make_column(data_[i]->type()));
    data.append(columns_[i].name, data_[i]->clone());
  }
  if (rows_ > 0) r.blocks.push_back(std::move(data));
  return r;
}

// ---------------------------------------------------------------------------------------------
// MockServer

MockServer::MockServer() : MockServer(Options{}) {}

MockServer::MockServer(Options options)
    : options_(std::move(options)), clock_(options_.clock ? options_.clock : &steady_clock()) {}

std::function<void(Clock::duration)> MockServer::advance_on(ManualClock& clock) {
  return [&clock](Clock::duration d) { clock.advance(d); };
}

MockServer& MockServer::add_rule(Rule rule) {
  std::lock_guard lock(mutex_);
  if (rule.description.empty()) {
    rule.description = rule.exact ? "`" + *rule.exact + "`" : "regex rule #" + std::to_string(rules_.size() + 1);
  }
  rules_.push_back(std::move(rule));
  return *this;
}

MockServer& MockServer::on(std::string sql, MockReply reply) {
  return add_rule(Rule{.exact = std::move(sql), .pattern = std::nullopt, .reply = std::move(reply)});
}

MockServer& MockServer::on(std::regex pattern, MockReply reply) {
  return add_rule(Rule{.exact = std::nullopt, .pattern = std::move(pattern), .reply = std::move(reply)});
}

MockServer& MockServer::expect(std::string sql, MockReply reply) {
  return add_rule(Rule{.exact = std::move(sql), .pattern = std::nullopt, .reply = std::move(reply), .expected = true});
}

MockServer& MockServer::expect(std::regex pattern, MockReply reply, std::string description) {
  if (!description.empty()) description = "/" + description + "/";
  return add_rule(Rule{.exact = std::nullopt,
                       .pattern = std::move(pattern),
                       .reply = std::move(reply),
                       .expected = true,
                       .description = std::move(description)});
}

std::vector<std::string> MockServer::verification_problems() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const Rule& rule : rules_) {
    if (!rule.expected) continue;
    const std::size_t wanted = rule.reply.times;
    if (wanted == 0 ? rule.used == 0 : rule.used != wanted) {
      out.push_back("expected " + (wanted == 0 ? std::string("at least one call") : std::to_string(wanted) + " calls") +
                    " of " + rule.description + ", got " + std::to_string(rule.used));
    }
  }
  for (const std::string& u : unexpected_) out.push_back(u);
  return out;
}

void MockServer::verify() const {
  const std::vector<std::string> problems = verification_problems();
  if (problems.empty()) return;
  std::string message = "MockServer::verify: " + std::to_string(problems.size()) + " problem(s): ";
  for (std::size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
  throw Error(ErrorKind::usage, std::move(message));
}

MockServer& MockServer::fail_call(std::size_t n, Error error) {
  if (n == 0) throw Error(ErrorKind::usage, "MockServer::fail_call: calls are counted from 1");
  std::lock_guard lock(mutex_);
  failing_calls_.insert_or_assign(n, std::move(error));
  return *this;
}

MockServer& MockServer::fail_next_pings(std::size_t n, std::optional<Error> error) {
  std::lock_guard lock(mutex_);
  failing_pings_ = n;
  ping_error_ = std::move(error);
  return *this;
}

MockServer& MockServer::fail_next_connects(std::size_t n, std::optional<Error> error) {
  std::lock_guard lock(mutex_);
  failing_connects_ = n;
  connect_error_ = std::move(error);
  return *this;
}

MockServer& MockServer::set_connect_hook(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  connect_hook_ = std::move(hook);
  return *this;
}

void MockServer::clear_script() {
  std::lock_guard lock(mutex_);
  rules_.clear();
  failing_calls_.clear();
  failing_pings_ = 0;
  ping_error_.reset();
  failing_connects_ = 0;
  connect_error_.reset();
  connect_hook_ = nullptr;
}

std::vector<MockCall> MockServer::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::vector<std::string> MockServer::queries() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& c : calls_) {
    if (c.kind != MockCallKind::ping) out.push_back(c.sql);
  }
  return out;
}

std::size_t MockServer::query_count() const {
  std::lock_guard lock(mutex_);
  return query_count_;
}

std::size_t MockServer::ping_count() const {
  std::lock_guard lock(mutex_);
  return ping_count_;
}

std::vector<Block> MockServer::inserted(std::string_view table) const {
  std::lock_guard lock(mutex_);
  auto it = inserted_.find(table);
  return it == inserted_.end() ? std::vector<Block>{} : it->second;
}

void MockServer::clear_records() {
  std::lock_guard lock(mutex_);
  calls_.clear();
  unexpected_.clear();
  inserted_.clear();
  query_count_ = 0;
  ping_count_ = 0;
}

std::size_t MockServer::connections_made() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(next_connection_id_);
}

std::size_t MockServer::connections_open() const {
  std::lock_guard lock(mutex_);
  return connections_open_;
}

std::size_t MockServer::max_connections_open() const {
  std::lock_guard lock(mutex_);
  return max_connections_open_;
}

std::size_t MockServer::connect_attempts() const {
  std::lock_guard lock(mutex_);
  return connect_attempts_;
}

MockServer::Answer MockServer::on_call(MockCall call) {
  std::lock_guard lock(mutex_);
  const std::string sql = call.sql;
  const Params params = call.params;
  const MockCallKind kind = call.kind;
  calls_.push_back(std::move(call));
  const std::size_t n = ++query_count_;
  if (auto it = failing_calls_.find(n); it != failing_calls_.end()) {
    Answer a{.result = std::nullopt, .error = std::move(it->second), .delay = {}};
    failing_calls_.erase(it);
    return a;
  }
  for (Rule& rule : rules_) {
    if (rule.reply.times != 0 && rule.used >= rule.reply.times) continue;
    const bool match = rule.exact ? *rule.exact == sql : std::regex_search(sql, *rule.pattern);
    if (!match) continue;
    if (rule.reply.params) {
      const bool all_there = std::all_of(rule.reply.params->begin(), rule.reply.params->end(), [&](const Param& p) {
        const Param* given = params.find(p.name);
        return given != nullptr && *given == p;
      });
      if (!all_there) continue;
    }
    ++rule.used;
    if (rule.reply.error) return Answer{.result = std::nullopt, .error = rule.reply.error, .delay = rule.reply.delay};
    return Answer{.result = rule.reply.result, .error = std::nullopt, .delay = rule.reply.delay};
  }
  unexpected_.push_back("unexpected " + std::string(to_string(kind)) + " of `" + sql + "`" +
                        (params.empty() ? "" : " (with " + std::to_string(params.size()) + " parameters)"));
  if (options_.strict) {
    return Answer{.result = std::nullopt,
                  .error = Error(ErrorKind::usage, "MockServer (strict): no rule matches the query: " + sql),
                  .delay = {}};
  }
  return Answer{.result = Result{}, .error = std::nullopt, .delay = {}};
}

void MockServer::set_table(std::string table, Block sample) {
  std::lock_guard lock(mutex_);
  tables_[std::move(table)] = std::move(sample);
}

Block MockServer::table_sample(std::string_view table) const {
  std::lock_guard lock(mutex_);
  const auto it = tables_.find(table);
  return it == tables_.end() ? Block{} : it->second;
}

void MockServer::on_inserted(std::string table, std::span<const Block> blocks) {
  std::lock_guard lock(mutex_);
  auto& list = inserted_[std::move(table)];
  list.insert(list.end(), blocks.begin(), blocks.end());
}

std::optional<Error> MockServer::on_ping(MockCall call) {
  std::lock_guard lock(mutex_);
  calls_.push_back(std::move(call));
  ++ping_count_;
  if (failing_pings_ == 0) return std::nullopt;
  --failing_pings_;
  if (ping_error_) return ping_error_;
  return Error(ErrorKind::network, "mock: ping failed (scripted by MockServer::fail_next_pings)");
}

std::uint64_t MockServer::on_connect() {
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    ++connect_attempts_;
    hook = connect_hook_;
  }
  if (hook) hook();
  std::lock_guard lock(mutex_);
  if (failing_connects_ > 0) {
    --failing_connects_;
    if (connect_error_) throw *connect_error_;
    throw Error(ErrorKind::network, "mock: connection refused (scripted by MockServer::fail_next_connects)");
  }
  return ++next_connection_id_;
}

void MockServer::on_connection_opened() noexcept {
  std::lock_guard lock(mutex_);
  ++connections_open_;
  max_connections_open_ = std::max(max_connections_open_, connections_open_);
}

void MockServer::on_connection_closed() noexcept {
  std::lock_guard lock(mutex_);
  --connections_open_;
}

void MockServer::sleep(Clock::duration d, const std::stop_token& stop) const {
  if (d <= Clock::duration::zero()) return;
  if (options_.sleep) {
    options_.sleep(d);
  } else if (stop.stop_possible()) {
    // Wakes when stop is requested; nothing is ever notified otherwise, so this is a timed wait.
    std::mutex m;
    std::condition_variable_any wake;
    std::unique_lock lock(m);
    wake.wait_for(lock, stop, d, [] { return false; });
  } else {
    std::this_thread::sleep_for(d);
  }
}

namespace {

Error mock_stopped(std::string_view what) {
  return Error(ErrorKind::cancelled, "mock: the query was stopped by the caller (QueryOptions::stop) " +
                                         std::string(what) + "; it was cancelled and the connection kept");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MockConnection

MockConnection::MockConnection(std::shared_ptr<MockServer> server, std::uint64_t id, std::string peer)
    : server_(std::move(server)), id_(id), peer_(std::move(peer)) {
  if (!server_) throw Error(ErrorKind::usage, "MockConnection needs a MockServer (got null)");
  server_->on_connection_opened();
}

MockConnection::~MockConnection() { close(); }

void MockConnection::close() noexcept {
  if (closed_) return;
  closed_ = true;
  server_->on_connection_closed();
}

const ServerInfo& MockConnection::server_info() const noexcept { return server_->options().server_info; }

void MockConnection::check_usable() const {
  if (closed_) {
    throw Error(ErrorKind::usage, "mock connection #" + std::to_string(id_) + " to " + peer_ + " is closed");
  }
  if (broken_) {
    throw Error(ErrorKind::network, "mock connection #" + std::to_string(id_) + " to " + peer_ +
                                        " is broken (an earlier error left it unusable); use a new connection");
  }
}

MockCall MockConnection::make_call(MockCallKind kind, std::string sql, const QueryOptions& options) const {
  MockCall call;
  call.kind = kind;
  call.sql = std::move(sql);
  call.params = options.params;
  call.settings = options.settings;
  call.query_id = options.query_id;
  call.connection_id = id_;
  call.peer = peer_;
  return call;
}

namespace {

// Reads each external table from its source as NativeConnection sends them: checked first, then
// every non-empty block checked against the structure; a failure names the table.
std::vector<MockExternalTable> read_external_tables(const std::vector<ExternalTable>& tables) {
  check_external_tables(tables);
  std::vector<MockExternalTable> out;
  for (const ExternalTable& t : tables) {
    MockExternalTable table{.name = t.name, .structure = t.structure, .blocks = {}};
    try {
      t.source->start(t.structure);
      while (std::optional<Block> block = t.source->next()) {
        if (block->rows() > 0) table.blocks.push_back(match_insert_sample(*block, t.structure, t.name));
      }
    } catch (const Error& e) {
      throw e.with_context("the external table '" + t.name + "': the query was not run");
    }
    out.push_back(std::move(table));
  }
  return out;
}

}  // namespace

Result MockConnection::run(MockCall call, const QueryOptions& options) {
  check_usable();
  if (options.stop.stop_requested()) {
    throw Error(ErrorKind::cancelled, "mock: the query was not sent to " + peer_ +
                                          ": stop was requested before the call (QueryOptions::stop)");
  }
  if (call.kind != MockCallKind::insert) call.external_tables = read_external_tables(options.external_tables);
  last_query_id_ = call.query_id;
  if (call.kind != MockCallKind::insert && sql::changes_session(call.sql)) session_changed_ = true;
  MockServer::Answer answer = server_->on_call(std::move(call));
  if (answer.delay > Clock::duration::zero()) {
    Deadline deadline = options.deadline;
    if (options.timeout) deadline = deadline.earliest(*options.timeout, server_->clock());
    const Clock::duration left = deadline.remaining(server_->clock());
    if (answer.delay > left) {
      server_->sleep(left, options.stop);
      if (options.stop.stop_requested()) throw mock_stopped("during its scripted delay");
      throw Error(ErrorKind::timeout, "mock: the query did not finish before its deadline (scripted delay of " +
                                          duration_text(answer.delay) + ")");
    }
    server_->sleep(answer.delay, options.stop);
    if (options.stop.stop_requested()) throw mock_stopped("during its scripted delay");
  }
  if (answer.error) {
    if (classify(*answer.error).connection_broken) broken_ = true;
    throw *answer.error;
  }
  Result result = std::move(*answer.result);
  if (result.query_id.empty()) result.query_id = last_query_id_;
  return result;
}

Result MockConnection::execute(std::string_view sql, const QueryOptions& options) {
  return run(make_call(MockCallKind::execute, std::string(sql), options), options);
}

Result MockConnection::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                              const QueryOptions& options) {
  Result result = run(make_call(MockCallKind::select, std::string(sql), options), options);
  for (const Block& block : result.blocks) {
    if (options.stop.stop_requested()) throw mock_stopped("between blocks");
    if (block.rows() > 0) on_block(block);
  }
  result.blocks.clear();
  return result;
}

void MockConnection::insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options) {
  MockCall call = make_call(MockCallKind::insert, target.insert_statement(), options);
  call.table = target.name();
  check_usable();
  if (!options.external_tables.empty()) {
    throw Error(ErrorKind::usage, "external tables go with queries that read, not with an insert; nothing was sent");
  }
  if (options.stop.stop_requested()) {
    throw Error(ErrorKind::cancelled, "mock: the query was not sent to " + peer_ +
                                          ": stop was requested before the call (QueryOptions::stop)");
  }
  const Block sample = server_->table_sample(call.table);
  source.start(sample);
  std::vector<Block> blocks;
  while (std::optional<Block> block = source.next()) {
    if (block->rows() > 0) blocks.push_back(match_insert_sample(*block, sample, call.table));
    if (options.stop.stop_requested()) throw mock_stopped("between the blocks of an insert");
  }
  call.blocks = blocks.size();
  run(std::move(call), options);
  server_->on_inserted(target.name(), blocks);
}

void MockConnection::ping(Deadline deadline) {
  check_usable();
  (void)deadline;
  MockCall call;
  call.kind = MockCallKind::ping;
  call.connection_id = id_;
  call.peer = peer_;
  if (auto error = server_->on_ping(std::move(call))) {
    if (classify(*error).connection_broken) broken_ = true;
    throw *error;
  }
}

// ---------------------------------------------------------------------------------------------
// MockConnector and MockStrategy

MockConnector::MockConnector(std::shared_ptr<MockServer> server, std::vector<std::string> peers)
    : server_(std::move(server)), peers_(std::move(peers)) {
  if (!server_) throw Error(ErrorKind::usage, "MockConnector needs a MockServer (got null)");
  if (peers_.empty()) peers_.emplace_back("mock:9000");
}

std::unique_ptr<Connection> MockConnector::connect(Deadline deadline) {
  std::string peer;
  {
    std::lock_guard lock(mutex_);
    peer = peers_[next_peer_++ % peers_.size()];
  }
  if (deadline.expired(server_->clock())) {
    throw Error(ErrorKind::timeout, "mock: connecting to " + peer + " timed out (the deadline had passed)");
  }
  const std::uint64_t id = server_->on_connect();
  return std::make_unique<MockConnection>(server_, id, std::move(peer));
}

std::string MockConnector::describe() const {
  std::string out;
  for (const auto& p : peers_) {
    if (!out.empty()) out += ",";
    out += p;
  }
  return out;
}

MockStrategy::MockStrategy(std::shared_ptr<MockServer> server, std::string name)
    : server_(server ? std::move(server) : std::make_shared<MockServer>()),
      direct_(std::make_shared<MockConnector>(server_), [&] {
        DirectOptions o;
        o.name = std::move(name);
        o.clock = &server_->clock();
        return o;
      }()) {}

}  // namespace chconn
