// Test doubles for code that uses chconn — public, for your own tests: MockServer (the script and
// the record), MockConnection (a Connection that answers from the script), MockConnector (makes
// MockConnections, for PooledStrategy or DirectStrategy under test) and MockStrategy (a strategy
// of MockConnections, what chconn::initialize() registers as "mock" in the testing environment).
//
// Scripting (MockServer):
//   on(sql, reply) / on(std::regex, reply)   rules, tried in the order added. An exact rule matches
//                                            the whole query text; a regex rule matches if
//                                            std::regex_search finds it anywhere. A reply returns a
//                                            Result, throws an Error, and/or takes a while (delay).
//                                            `times` limits how often a rule applies, and
//                                            `params` makes it match only calls given those
//                                            parameter values. MockResult builds the Result
//                                            from rows of C++ values.
//   expect(sql, reply) / verify()            rules that must answer (reply.times calls, or at
//                                            least one); verify() lists the unmet ones and every
//                                            call no rule answered.
//   fail_call(n, error)                      the n-th query call (1-based, counted over every
//                                            connection since creation or clear_records()) fails.
//   fail_next_pings(n, error)                the next n pings fail.
//   fail_next_connects(n, error)             the next n connects (MockConnector) fail.
//   set_connect_hook(f)                      f() runs inside every connect, before it succeeds or
//                                            fails (to block a connect, or count them).
// Queries that match no rule return an empty Result (or, with Options::strict, fail with
// Error(usage) naming the query). An insert reads its table text with parse_insert_target(), as
// a real connection does (text that is not a valid target is Error(usage), recorded nowhere), and
// matches rules as the statement a real connection sends, every name back-quoted:
// "INSERT INTO `db`.`table` (`a`, `b`) VALUES".
//
// Errors: a scripted error whose classify() says connection_broken (network, timeout, protocol and
// cancelled errors) also makes that connection unusable(), as a real one would be; a pool then
// drops it. Server errors leave it usable. break_connection() breaks it without a call.
//
// Delays: a reply's delay is "slept" through Options::sleep, so with sleep = advance_on(clock) a
// ManualClock simply moves forward and the test never sleeps. A delay longer than what is left of
// the call's deadline (QueryOptions::deadline / timeout, read from Options::clock) sleeps only
// until the deadline and throws Error(timeout); the connection stays usable (the query was
// cancelled cleanly).
//
// Stop (QueryOptions::stop): requested before a call, the call throws Error(cancelled) and is not
// recorded (nothing was sent). Requested during a delay, the delay ends at once (with Options::sleep
// set, after that function returns) and the call throws Error(cancelled); requested while select()
// hands out blocks, no further block is handed out and it throws Error(cancelled). The connection
// stays usable in each case, as a real one is after a clean drain.
//
// Record: calls() lists every call (execute, select, insert, ping) with its query text,
// parameters, settings, query id and the id and peer of the connection that ran it; queries()
// just the texts of the query calls; inserted(table) the blocks every insert into `table` sent.
//
// Thread safety: MockServer is fully thread-safe (one mutex); scripting while other threads run
// queries is allowed. A MockConnection, like any Connection, is used by one thread at a time.
// Lifetimes: connections share ownership of their MockServer; Options::clock must outlive it.
//
// Example (mirrored by MockExample.ScriptedQueriesAndRecord in tests/unit/strategy/mock_test.cpp):
//   auto mock = std::make_shared<chconn::MockStrategy>();
//   chconn::Result count;
//   auto n = std::make_shared<chconn::ColumnUInt64>();
//   n->append(42);
//   chconn::Block block;
//   block.append("n", n);
//   count.header.append("n", std::make_shared<chconn::ColumnUInt64>());  // names and types, 0 rows
//   count.blocks.push_back(block);
//   mock->server().on("SELECT count() AS n FROM users", {.result = count});
//   mock->server().on(std::regex("^INSERT INTO `audit`"),
//                     {.error = chconn::Error(chconn::ErrorKind::network, "connection reset by peer")});
//
//   chconn::Lease lease = mock->acquire();
//   EXPECT_EQ(lease->execute("SELECT count() AS n FROM users").value<std::uint64_t>("n"), 42u);
//   EXPECT_THROW(lease->insert("audit", block), chconn::Error);
//   EXPECT_FALSE(lease->usable());  // a network error breaks the connection
//
//   auto calls = mock->server().calls();
//   EXPECT_EQ(calls[0].sql, "SELECT count() AS n FROM users");
//   EXPECT_EQ(calls[1].table, "audit");
//   EXPECT_TRUE(mock->server().inserted("audit").empty());  // the failed insert sent nothing
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/connection/connection.h"
#include "chconn/connection/connector.h"
#include "chconn/connection/params.h"
#include "chconn/connection/result.h"
#include "chconn/core/clock.h"
#include "chconn/core/error.h"
#include "chconn/core/settings.h"
#include "chconn/strategy/direct.h"
#include "chconn/strategy/strategy.h"
#include "chconn/wire/block.h"

namespace chconn {

// One value of a MockResult row, from the C++ value a test writes: integers (and bool), floating
// point, text, a std::chrono::sys_days day, a std::chrono::sys_time instant of any precision,
// std::nullopt (NULL), std::optional<T> and std::vector<T> (an Array row). Which column types take
// which values is listed at MockResult.
class MockValue {
 public:
  enum class Kind : std::uint8_t { null, integer, floating, text, day, instant, list };

  MockValue(std::nullopt_t) noexcept : kind_(Kind::null) {}  // NOLINT: implicit by design
  template <class T>
  requires(detail::StandardInteger<T> || std::same_as<T, bool>) MockValue(T value)
  noexcept  // NOLINT
      : kind_(Kind::integer), integer_(static_cast<Int128>(value)) {}
  MockValue(double value) noexcept : kind_(Kind::floating), floating_(value) {}  // NOLINT
  MockValue(float value) noexcept : kind_(Kind::floating), floating_(value) {}   // NOLINT
  MockValue(std::string_view text) : kind_(Kind::text), text_(text) {}           // NOLINT
  MockValue(const char* text) : kind_(Kind::text), text_(text) {}                // NOLINT
  MockValue(const std::string& text) : kind_(Kind::text), text_(text) {}         // NOLINT
  MockValue(std::chrono::sys_days day) noexcept                                  // NOLINT
      : kind_(Kind::day), integer_(day.time_since_epoch().count()) {}
  // An instant, kept in nanoseconds since 1970 (128 bits: any sys_time fits).
  template <class Rep, class Period>
  requires detail::StandardInteger<Rep> MockValue(std::chrono::sys_time<std::chrono::duration<Rep, Period>> t)
  noexcept
      : kind_(Kind::instant),
        integer_(static_cast<Int128>(t.time_since_epoch().count()) * Period::num * 1'000'000'000 / Period::den) {}
  template <class T>
  MockValue(const std::optional<T>& value)
      : MockValue(value ? MockValue(*value) : MockValue(std::nullopt)) {}  // NOLINT
  template <class T>
  MockValue(const std::vector<T>& values) : kind_(Kind::list) {  // NOLINT
    list_.reserve(values.size());
    for (const T& v : values) list_.emplace_back(v);
  }

  Kind kind() const noexcept { return kind_; }
  // integer and bool: the value; day: days since 1970-01-01; instant: nanoseconds since 1970.
  Int128 integer() const noexcept { return integer_; }
  double floating() const noexcept { return floating_; }
  const std::string& text() const noexcept { return text_; }
  const std::vector<MockValue>& list() const noexcept { return list_; }

 private:
  Kind kind_;
  Int128 integer_ = 0;
  double floating_ = 0;
  std::string text_;
  std::vector<MockValue> list_;
};

// A Result built row by row, for MockReply::result:
//   server.on("SELECT id, name FROM users", {.result = MockResult({{"id", "UInt64"}, {"name", "String"}})
//                                                          .row(1, "alice")
//                                                          .row(2, "bob")});
// Columns are given by name and ClickHouse type name; each row gives one value per column. A
// column takes: integers (range-checked) for every integer type, Bool, IPv4 and the numbers of
// Enum8/16; text for String, FixedString (at most N bytes) and Enum names; floating point or
// integers for Float32/64; sys_days for Date and Date32; an instant for DateTime (whole seconds,
// rounded down) and DateTime64 (to its precision, rounded down); std::nullopt or an optional for
// Nullable(T) (and NULL only there); a vector for Array(T); text or NULL for
// LowCardinality(String) and LowCardinality(Nullable(String)). Anything else (a value of the wrong
// kind, out of range, the wrong count, a column type not listed) is Error(usage) naming the
// column, its type and the row. For other types, build the Block yourself (see the example at the
// top of this file).
class MockResult {
 public:
  struct ColumnSpec {
    std::string name;
    std::string type;  // a ClickHouse type name: "UInt64", "Nullable(String)", "Array(Int32)"
  };
  // Throws Error(usage) for no columns, a duplicate name, or a type that does not parse.
  MockResult(std::initializer_list<ColumnSpec> columns);
  explicit MockResult(std::vector<ColumnSpec> columns);

  // One row: exactly one value per column, in order.
  MockResult& row(std::vector<MockValue> values);
  template <class... V>
  requires(sizeof...(V) > 0 &&
           (std::constructible_from<MockValue, const V&> && ...)) MockResult& row(const V&... values) {
    return row(std::vector<MockValue>{MockValue(values)...});
  }

  std::size_t rows() const noexcept;
  // The header (names and types) and, when there are rows, one block holding them.
  Result result() const;
  operator Result() const { return result(); }  // NOLINT: so {.result = MockResult(...)} reads naturally

 private:
  std::vector<ColumnSpec> columns_;
  std::vector<ColumnRef> data_;  // one per column, every one `rows_` long between calls
  std::size_t rows_ = 0;
};

// What a matching rule does. Fill with designated initialisers: {.result = r},
// {.error = chconn::Error(...)}, {.result = r, .delay = 2s}, {.error = e, .times = 1},
// {.result = r, .params = chconn::Params().set("id", 42)}.
struct MockReply {
  Result result{};               // returned (or streamed block by block, for select)
  std::optional<Error> error{};  // thrown instead of returning, when set
  Clock::duration delay{};       // slept (through MockServer::Options::sleep) before answering
  std::size_t times = 0;         // the rule applies this many times, then no more; 0: always
  // When set, the rule matches only a call that has every one of these parameters with the same
  // value (as Param compares: text, NULL and text type); other parameters of the call do not
  // matter, nor does their order. Params().set("id", 42) matches a call given id = 42 as any
  // integer type, since parameters are kept as text.
  std::optional<Params> params{};
};

enum class MockCallKind : std::uint8_t { execute, select, insert, ping };
std::string_view to_string(MockCallKind kind) noexcept;

// An external table a call carried (QueryOptions::external_tables), with the blocks its source gave.
struct MockExternalTable {
  std::string name;
  Block structure;
  std::vector<Block> blocks;  // the non-empty blocks, each checked against `structure`
};

// One recorded call.
struct MockCall {
  MockCallKind kind = MockCallKind::execute;
  std::string sql{};       // the query text; InsertTarget::insert_statement() for inserts; empty for pings
  std::string table{};     // inserts: InsertTarget::name() of the target ("db.table", unquoted)
  std::size_t blocks = 0;  // inserts: how many blocks were passed
  Params params{};
  Settings settings{};  // the query's own settings (QueryOptions::settings)
  std::string query_id{};
  std::uint64_t connection_id = 0;  // MockConnection::id() of the connection that ran it
  std::string peer{};
  // Queries: the external tables sent with it, read from their sources as a real connection reads
  // them (checked first; a source's error fails the call, recording nothing).
  std::vector<MockExternalTable> external_tables{};
};

class MockServer {
 public:
  struct Options {
    // The clock deadlines are checked on. null: steady_clock(). Must outlive the server.
    const Clock* clock = nullptr;
    // How delays pass. Empty: std::this_thread::sleep_for. advance_on(manual_clock) moves a
    // ManualClock instead, so nothing really sleeps.
    std::function<void(Clock::duration)> sleep{};
    // A query no rule matches fails with Error(usage) instead of returning an empty Result.
    bool strict = false;
    // What server_info() reports.
    ServerInfo server_info{.name = "ClickHouse",
                           .version_major = 24,
                           .version_minor = 8,
                           .version_patch = 0,
                           .revision = 54471,
                           .negotiated_revision = 54471,
                           .timezone = "UTC",
                           .display_name = "mock"};
  };

  MockServer();
  explicit MockServer(Options options);
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  // A sleeper for Options::sleep that advances `clock` instead of sleeping.
  static std::function<void(Clock::duration)> advance_on(ManualClock& clock);

  // --- script ---
  MockServer& on(std::string sql, MockReply reply);
  MockServer& on(std::regex pattern, MockReply reply);
  // Like on(), and an expectation that verify() checks: the rule must answer exactly reply.times
  // calls (at least one when times is 0). `description` names a regex rule in verify()'s message
  // (std::regex does not keep its text); an exact rule is named by its SQL.
  MockServer& expect(std::string sql, MockReply reply);
  MockServer& expect(std::regex pattern, MockReply reply, std::string description = {});
  // Every expectation not met ("expected 2 calls of `SELECT 1`, got 1"; an expectation counts the
  // calls it answered since it was added) and every query call, inserts included, that no rule
  // answered ("unexpected execute of `SELECT 2`"; since creation or clear_records()), in order;
  // empty when all is well.
  std::vector<std::string> verification_problems() const;
  // Throws Error(usage) listing verification_problems() when there are any.
  void verify() const;
  // The n-th query call (execute, select or insert; 1-based, over all connections) throws
  // `error`, whatever the rules say.
  MockServer& fail_call(std::size_t n, Error error);
  // The next `n` pings throw `error` (default: a network error, which also breaks the connection).
  MockServer& fail_next_pings(std::size_t n = 1, std::optional<Error> error = std::nullopt);
  // The next `n` connects throw `error` (default: a network error "connection refused").
  MockServer& fail_next_connects(std::size_t n = 1, std::optional<Error> error = std::nullopt);
  // Runs inside every connect (without the server's lock held). Empty: none.
  MockServer& set_connect_hook(std::function<void()> hook);
  // Forgets every rule and scripted failure (not the record).
  void clear_script();
  // The sample block an insert into `table` ("db.table" or "table", as InsertTarget::name() gives
  // it) hands to its InsertSource: the table's columns with their types, no rows. Blocks are then
  // checked against it as a server would (Error(usage) on a mismatch). Without one, the sample has
  // no columns and any block is taken as it is.
  void set_table(std::string table, Block sample);
  Block table_sample(std::string_view table) const;

  // --- record ---
  std::vector<MockCall> calls() const;
  // The texts of the query calls (execute, select, insert), in order.
  std::vector<std::string> queries() const;
  // Query calls so far (pings not counted); the number fail_call() counts against.
  std::size_t query_count() const;
  std::size_t ping_count() const;
  // The blocks of every successful insert into `table` ("db.table" or "table", unquoted, as
  // InsertTarget::name() gives it; without any column list), in order.
  std::vector<Block> inserted(std::string_view table) const;
  // Forgets the record and restarts the call count; connection counters stay.
  void clear_records();

  // Connections made by MockConnectors of this server; MockConnections open now (made and not
  // yet closed or destroyed) and the most ever open at once; connect attempts (failed ones too).
  std::size_t connections_made() const;
  std::size_t connections_open() const;
  std::size_t max_connections_open() const;
  std::size_t connect_attempts() const;

  const Options& options() const noexcept { return options_; }
  const Clock& clock() const noexcept { return *clock_; }

  // --- used by MockConnection and MockConnector ---
  struct Answer {
    std::optional<Result> result;
    std::optional<Error> error;
    Clock::duration delay{};
  };
  Answer on_call(MockCall call);
  void on_inserted(std::string table, std::span<const Block> blocks);
  std::optional<Error> on_ping(MockCall call);
  // Runs the connect hook and scripted connect failures; returns the new connection's id.
  std::uint64_t on_connect();
  void on_connection_opened() noexcept;
  void on_connection_closed() noexcept;
  // Sleeps `d`, or until stop is requested on `stop` (when Options::sleep is empty).
  void sleep(Clock::duration d, const std::stop_token& stop = {}) const;

 private:
  struct Rule {
    std::optional<std::string> exact;
    std::optional<std::regex> pattern;
    MockReply reply;
    std::size_t used = 0;
    bool expected = false;    // added by expect(): verify() checks `used`
    std::string description;  // how verify() names it
  };
  MockServer& add_rule(Rule rule);

  Options options_;
  const Clock* clock_;
  mutable std::mutex mutex_;
  std::vector<Rule> rules_;
  std::map<std::size_t, Error> failing_calls_;
  std::size_t failing_pings_ = 0;
  std::optional<Error> ping_error_;
  std::size_t failing_connects_ = 0;
  std::optional<Error> connect_error_;
  std::function<void()> connect_hook_;
  std::vector<MockCall> calls_;
  std::vector<std::string> unexpected_;  // query calls no rule answered, as verify() lists them
  std::size_t query_count_ = 0;
  std::size_t ping_count_ = 0;
  std::map<std::string, std::vector<Block>, std::less<>> inserted_;
  std::map<std::string, Block, std::less<>> tables_;
  std::uint64_t next_connection_id_ = 0;
  std::size_t connect_attempts_ = 0;
  std::size_t connections_open_ = 0;
  std::size_t max_connections_open_ = 0;
};

class MockConnection final : public Connection {
 public:
  MockConnection(std::shared_ptr<MockServer> server, std::uint64_t id, std::string peer);
  ~MockConnection() override;

  using Connection::execute;
  using Connection::insert;
  Result execute(std::string_view sql, const QueryOptions& options = {}) override;
  Result select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                const QueryOptions& options = {}) override;
  // Reads the whole source first (stop is checked between blocks), then answers the call as
  // scripted: a scripted error comes after the source was read, and records nothing.
  void insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options = {}) override;
  void ping(Deadline deadline) override;
  void close() noexcept override;
  bool usable() const noexcept override { return !closed_ && !broken_; }
  bool session_changed() const noexcept override { return session_changed_; }
  const ServerInfo& server_info() const noexcept override;
  const std::string& last_query_id() const noexcept override { return last_query_id_; }
  const std::string& peer() const noexcept override { return peer_; }

  // This connection's number (1, 2, ... per MockServer), as recorded in MockCall::connection_id.
  std::uint64_t id() const noexcept { return id_; }
  // Makes the connection unusable, as a reset would.
  void break_connection() noexcept { broken_ = true; }
  MockServer& server() const noexcept { return *server_; }

 private:
  Result run(MockCall call, const QueryOptions& options);
  void check_usable() const;
  MockCall make_call(MockCallKind kind, std::string sql, const QueryOptions& options) const;

  std::shared_ptr<MockServer> server_;
  std::uint64_t id_;
  std::string peer_;
  std::string last_query_id_;
  bool closed_ = false;
  bool broken_ = false;
  bool session_changed_ = false;  // as NativeConnection: set once a session statement is sent
};

// Makes MockConnections of one MockServer. Peers rotate through `peers` ("a:9000", "b:9000",
// "a:9000"...), so a pool over it sees several hosts.
class MockConnector final : public Connector {
 public:
  explicit MockConnector(std::shared_ptr<MockServer> server = std::make_shared<MockServer>(),
                         std::vector<std::string> peers = {"mock:9000"});

  std::unique_ptr<Connection> connect(Deadline deadline) override;
  std::string describe() const override;
  MockServer& server() const noexcept { return *server_; }
  const std::shared_ptr<MockServer>& server_ptr() const noexcept { return server_; }

 private:
  std::shared_ptr<MockServer> server_;
  std::vector<std::string> peers_;
  std::mutex mutex_;
  std::size_t next_peer_ = 0;
};

// A strategy of MockConnections: a new one per lease (like DirectStrategy), all answering from one
// MockServer that the test scripts and inspects.
class MockStrategy final : public ConnectionStrategy {
 public:
  explicit MockStrategy(std::shared_ptr<MockServer> server = std::make_shared<MockServer>(), std::string name = "mock");

  using ConnectionStrategy::acquire;
  Lease acquire(Deadline deadline) override { return direct_.acquire(deadline); }
  const std::string& name() const noexcept override { return direct_.name(); }
  StrategyStats stats() const override { return direct_.stats(); }

  MockServer& server() const noexcept { return *server_; }
  const std::shared_ptr<MockServer>& server_ptr() const noexcept { return server_; }

 private:
  std::shared_ptr<MockServer> server_;
  DirectStrategy direct_;
};

}  // namespace chconn
