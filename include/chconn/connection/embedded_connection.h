// EmbeddedConnection: a Connection to the ClickHouse engine running inside this process, through
// chDB's C API (libchdb.so, ClickHouse 26.7), instead of a server reached over the network.
//
// The library is loaded with dlopen on the first open(), never linked: chconn builds and runs
// without it, and open() throws Error(config) naming every path it tried when it cannot be loaded
// (EmbeddedOptions::library, else $CHCONN_CHDB_LIBRARY, else the cache chconn_fetch_chdb fills,
// else "libchdb.so" on the dynamic linker's search path).
//
// What it is like next to NativeConnection:
// - Results: each query runs with chDB's output format Native, which is the native protocol's
//   block encoding at revision 0, and the blocks are decoded by the wire codec. At revision 0 a
//   top-level DateTime('zone') or DateTime64(p, 'zone') is named without its zone; when a result
//   has such a column without a zone, the connection asks the engine for the result's types
//   (DESCRIBE (query)) and gives the columns their zones back, so types match what a server sends.
//   execute() asks only when the result has such a column; a streamed query asks before it starts,
//   always, since a stream occupies the session until it ends (a statement DESCRIBE refuses keeps
//   the types of the Native output).
//   Totals and extremes are not part of Native output: Result::totals and ::extremes stay empty.
//   A statement with its own FORMAT clause is refused (Error(usage)): blocks are all it returns.
// - Streaming: query() and select() of a SELECT (or WITH ... SELECT) use chDB's streaming API
//   (chdb_stream_query_n), holding the blocks of one fetched chunk at a time; other statements
//   (SHOW, DESCRIBE, DDL), which chDB does not stream, and execute() run whole (chdb_query_n). insert() uses chDB's
//   streaming insert (chdb_stream_insert_n): each block is encoded as Native and handed over before the next is asked
//   for. The sample block an insert checks against comes from DESCRIBE TABLE (the columns an INSERT takes: not
//   MATERIALIZED, ALIAS or EPHEMERAL ones).
// - Parameters: {name:Type} placeholders are substituted client-side with typed, escaped literals
//   (substitute_params, chconn/connection/params.h), as for servers without server-side parameters.
// - Settings: Config::settings are the session's (given to chdb_connect, as SET would); the
//   settings of one query (QueryOptions::settings) are SET before it and set back after it (to the
//   Config's value, else the engine's default).
// - Errors: the engine's exceptions are Error(server) with ClickHouse's code, read from its text
//   ("Code: 60. DB::Exception: ... (UNKNOWN_TABLE)"), and the name "DB::Exception"; the connection
//   stays usable.
// - Deadlines and stop: checked before each call and between the chunks of a streamed result and
//   the blocks of an insert (a streamed query is then cancelled with chdb_stream_cancel_query).
//   Inside one call into the engine (a statement, one chunk) the deadline is the engine's to keep:
//   the session's max_execution_time is SET from the time left (to 0.9 of it, when the one it has
//   is not within 0.8..0.95 of it), and the engine's TIMEOUT_EXCEEDED is then Error(timeout); a
//   max_execution_time in the Config's or the query's settings, or in the statement's SETTINGS
//   clause, rules instead (and its TIMEOUT_EXCEEDED stays Error(server)). Leave
//   timeout_overflow_mode at 'throw' (its default): with 'break' the engine ends a query stopped at
//   chconn's limit early and returns the rows it had as a whole result. QueryOptions::stop is
//   not seen inside one call: chDB cancels a stream only between fetches, on the caller's thread.
// - No progress, profile, log or profile-events callbacks: chDB's C API reports none of them.
//
// One engine per process (chDB's rule): the first open() starts it, with EmbeddedOptions::path (or
// in memory) and keeps one session of its own open until the process ends, since chDB must not be
// shut down and started again. At exit (a handler registered when the engine starts) every session
// is closed and the engine's threads are joined, before the library's own destructors run; a query
// after that is Error(usage). A call still running on another thread at that moment would have its
// session closed under it: stop the threads that use embedded connections (a manager's health
// thread among them) before the process exits. Every later open() must name the same path and library, or it
// throws Error(config). Each EmbeddedConnection is its own chDB session (its own settings, current
// database and temporary tables); several may run at once on different threads, each used by one
// thread at a time as any Connection.
//
// Example:
//   chconn::Config config = chconn::Config::from_dsn("embedded://");
//   auto conn = chconn::EmbeddedConnection::open(config, chconn::Deadline::after(std::chrono::seconds(30)));
//   conn->execute("CREATE TABLE t (x UInt64) ENGINE = Memory");
#pragma once

#include <memory>
#include <string>

#include "chconn/connection/connection.h"
#include "chconn/connection/connector.h"
#include "chconn/core/config.h"

namespace chconn {

class EmbeddedConnection final : public Connection {
 public:
  // Loads the library and starts the engine if this is the process's first, then opens a session
  // with config.settings (and `USE config.database` when set). Throws Error(config) when the library
  // cannot be loaded or lacks a function, or when the engine runs with another path or library;
  // Error(server) when the engine refuses a setting.
  static std::unique_ptr<EmbeddedConnection> open(const Config& config, Deadline deadline);

  ~EmbeddedConnection() override;

  Result execute(std::string_view sql, const QueryOptions& options = {}) override;
  using Connection::execute;
  Result select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                const QueryOptions& options = {}) override;
  std::unique_ptr<QueryCursor> query(std::string_view sql, const QueryOptions& options = {}) override;
  void insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options = {}) override;
  using Connection::insert;
  void ping(Deadline deadline) override;
  void close() noexcept override;
  bool usable() const noexcept override;
  bool session_changed() const noexcept override;
  // name "chDB", the engine's version, revision 0 (what its Native format speaks).
  const ServerInfo& server_info() const noexcept override;
  const std::string& last_query_id() const noexcept override;
  // "embedded" or "embedded:/the/path".
  const std::string& peer() const noexcept override;

  struct Impl;

 private:
  explicit EmbeddedConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Opens EmbeddedConnections with `config` (see EmbeddedConnection::open); describe() is
// "embedded" or "embedded:/path". Nothing is loaded until the first connect().
std::shared_ptr<Connector> embedded_connector(const Config& config);

}  // namespace chconn
