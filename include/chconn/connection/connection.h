// chconn::Connection — one session with a ClickHouse server (the IClickHouseConnection of the plan
// chconn was built from; see docs/design.md, "Where it comes from").
//
// A Connection runs one query at a time. Results come either whole (execute → Result) or streamed
// block by block (select → a callback per block, or query → a cursor). Inserts send typed blocks,
// from a span, pulled from an InsertSource or pushed through an InsertStream. Every call has a
// deadline: the query timeout of QueryOptions or of the Config.
//
// After an error that leaves the protocol in an unknown state (a network error, a timeout whose
// Cancel could not be drained, a corrupt packet), usable() turns false for good and every further
// call throws; a pool drops such a connection. A server exception (unknown table, syntax error...)
// leaves the connection usable.
//
// Implementations: NativeConnection (chconn/connection/native_connection.h) speaks the native
// protocol over TCP or TLS; MockConnection (chconn/strategy/mock.h) answers from scripted rules.
//
// Thread safety: a Connection is used by one thread at a time. Callbacks run on the calling thread,
// inside the call; a callback may throw to abort the query (the connection cancels it).
//
// Example:
//   chconn::Result r = conn.execute("SELECT number AS n FROM system.numbers LIMIT 3");
//   for (auto row : r.rows()) std::cout << row.get<std::uint64_t>("n") << '\n';
//
//   conn.select("SELECT * FROM big", [&](const chconn::Block& block) { consume(block); });
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/connection/insert_source.h"
#include "chconn/connection/insert_target.h"
#include "chconn/connection/params.h"
#include "chconn/connection/result.h"
#include "chconn/core/clock.h"
#include "chconn/core/settings.h"
#include "chconn/wire/block.h"

namespace chconn {

// What the server said about itself in its Hello.
struct ServerInfo {
  std::string name;  // "ClickHouse"
  std::uint64_t version_major = 0;
  std::uint64_t version_minor = 0;
  std::uint64_t version_patch = 0;
  std::uint64_t revision = 0;             // the server's protocol revision
  std::uint64_t negotiated_revision = 0;  // min(ours, the server's): what both sides speak
  std::string timezone;
  std::string display_name;
};

// A temporary table sent with a query, which the query reads by `name` (clickhouse-client's
// --external): after the Query packet the connection sends `structure` (the table's columns with
// their exact types, no rows), then every block `source` gives, each checked against `structure`
// (InsertSource: start() gets `structure`, next() one block at a time, so memory is bounded by a
// block), all under the table's name. The server keeps the table for this query only.
//
// If the source throws (a row it cannot read, a file that fails) before anything was sent, nothing
// is sent and the connection stays usable; after a block was sent, the connection is closed instead,
// so the server never runs the query on part of a table. Either way the call throws the source's
// error, with the table named. Lifetimes: `source` is not owned and must outlive the call.
struct ExternalTable {
  std::string name;
  Block structure;
  InsertSource* source = nullptr;
};

// What every connection checks of QueryOptions::external_tables before it sends anything: names
// distinct and not empty (an empty name ends the tables on the wire), a structure with columns, a
// source. Throws Error(usage) naming the table.
void check_external_tables(const std::vector<ExternalTable>& tables);

// Options of one query. Everything is optional; defaults come from the Config.
struct QueryOptions {
  // The query id; empty: chconn generates a random UUID (Connection::last_query_id() tells it).
  std::string query_id;
  // Settings for this query, applied over Config::settings.
  Settings settings;
  // Values for the query's {name:Type} placeholders.
  Params params;
  // The whole query's timeout; unset: Config::timeouts.query.
  std::optional<std::chrono::milliseconds> timeout;
  // An absolute deadline from the caller (a pool or manager passes its own); the earlier of this
  // and `timeout` applies. It bounds the whole call, the drain after a Cancel included: with none
  // of it left the connection is closed rather than drained. Messages call it "the caller's
  // deadline" unless it was named (Deadline::named).
  Deadline deadline = Deadline::never();
  // Stops the query when stop is requested on its source (from any thread, or through a flag a
  // signal handler set and a thread turned into request_stop()). Stop requested before the call:
  // nothing is sent and the call throws Error(cancelled). During the call: a wait for the server's
  // next packet wakes at once (it does not wait for the server to send anything), the connection
  // sends Cancel and reads the rest of the query within the cancel drain timeout (never past
  // `deadline`), and the call throws Error(cancelled); the connection stays usable if the server
  // stopped the query in time, and is dropped (usable() false) otherwise. A stop requested while a
  // packet is half-read or a write is blocked acts once that packet is read or the write is done
  // (each bounded by the receive and send timeouts). A stop requested between the blocks of an
  // insert ends the insert before the next block (the blocks sent stay inserted; see insert()). A cancelled call is
  // never retried. The default token has no source: the query runs until it ends or its deadline.
  std::stop_token stop{};
  // Called for each Progress packet with the increment and the running total.
  std::function<void(const QueryProgress& increment, const QueryProgress& total)> on_progress;
  // Called once with the server's profile information, when it sends it.
  std::function<void(const QueryProfile&)> on_profile;
  // Called with server log blocks (needs the setting send_logs_level).
  std::function<void(const Block&)> on_log;
  // Called with each ProfileEvents block (R >= 54451; servers send them unless the setting
  // send_profile_events is 0): one row per event with the columns host_name String, current_time
  // DateTime, thread_id UInt64, type Enum8 ('increment' = 1, 'gauge' = 2), name String and value
  // Int64 (UInt64 from older servers: read the column's type). The block is valid during the call.
  std::function<void(const Block&)> on_profile_events;
  // Temporary tables sent with the query (see ExternalTable); names must be distinct and not empty.
  // Only for queries that read (select, execute, query); an insert refuses them (Error(usage)).
  std::vector<ExternalTable> external_tables;
};

// A query's result pulled block by block: the pull form of select(), as clickhouse-cpp offers it.
//
//   auto cursor = conn.query("SELECT * FROM big");
//   while (std::optional<chconn::Block> block = cursor->next()) consume(*block);
//   cursor->summary().totals;  // complete once next() has returned nullopt
//
// At most one block is held (the one next() returns, owned by the caller). The query's deadline
// (QueryOptions::timeout / deadline, else Config::timeouts.query) counts from query() and bounds the
// whole result, the caller's time between next() calls included: a consumer slower than the query
// timeout gets Error(timeout) from next(), as from select(). Errors are select()'s: a server
// exception leaves the connection usable, a broken stream does not; after a throw next() returns
// nullopt. QueryOptions::stop acts in next() as in any call.
//
// Ending early: destroying a cursor before next() returned nullopt sends Cancel and drains the rest
// within Config::timeouts.cancel_drain (never past the caller's deadline); the connection stays
// usable if the server stopped in time and is dropped (usable() false) otherwise. Never throws.
//
// Lifetimes: the cursor refers to its connection, which must outlive it; while it is open the
// connection takes no other call (Error(usage)). Thread safety: the connection's thread only.
class QueryCursor {
 public:
  QueryCursor() = default;
  QueryCursor(const QueryCursor&) = delete;
  QueryCursor& operator=(const QueryCursor&) = delete;
  virtual ~QueryCursor() = default;

  // The next non-empty data block, or nullopt once the result has ended (or after an error).
  virtual std::optional<Block> next() = 0;
  // The query id from the start; the header (column names and types) once the first block came;
  // totals, extremes, progress and profile once next() has returned nullopt. Never holds blocks.
  virtual const Result& summary() const noexcept = 0;
  // True once next() returned nullopt or threw.
  virtual bool done() const noexcept = 0;
};

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  virtual ~Connection() = default;

  // Runs a query and collects its whole result (data blocks, totals, extremes, progress).
  // Use select() for results too big to hold in memory.
  virtual Result execute(std::string_view sql, const QueryOptions& options = {}) = 0;
  Result execute(std::string_view sql, const Params& params) {
    QueryOptions options;
    options.params = params;
    return execute(sql, options);
  }
  // `params` added to options.params (a name in both is Error(usage), nothing sent).
  Result execute(std::string_view sql, const Params& params, const QueryOptions& options) {
    QueryOptions o = options;
    o.params.add(params);
    return execute(sql, o);
  }

  // Runs a query and hands each non-empty data block to `on_block` as it arrives; at most one
  // block is held in memory. Totals and extremes, if any, are returned in the (block-less) Result.
  virtual Result select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                        const QueryOptions& options = {}) = 0;

  // Starts `sql` and returns a cursor that pulls its result block by block (see QueryCursor). This
  // base implementation runs execute() and hands out the collected blocks, which is right for a
  // test double; NativeConnection streams, holding at most one block.
  virtual std::unique_ptr<QueryCursor> query(std::string_view sql, const QueryOptions& options = {});

  // Inserts blocks into `table`: "table", "db.table", or either followed by "(col1, col2)" for
  // some columns; names that are not plain identifiers are back-quoted ("`d.b`.`my table`"). The
  // text is read as names by parse_insert_target() (chconn/connection/insert_target.h) and the
  // statement is built from them, quoted: text that is not a valid target is Error(usage) before
  // anything is sent. The blocks' column names and types must match the table's; they are checked
  // against the server's sample block before any block is sent, and a mismatch is Error(usage)
  // with nothing inserted. This is the streaming insert below over a BlockSpanSource.
  void insert(std::string_view table, std::span<const Block> blocks, const QueryOptions& options = {}) {
    insert(parse_insert_target(table), blocks, options);
  }
  void insert(std::string_view table, const Block& block, const QueryOptions& options = {}) {
    insert(table, std::span<const Block>(&block, 1), options);
  }
  void insert(const InsertTarget& target, std::span<const Block> blocks, const QueryOptions& options = {}) {
    BlockSpanSource source(blocks, target.name());
    insert(target, source, options);
  }

  // The streaming insert (chconn/connection/insert_source.h): sends the INSERT, gives the server's
  // sample block to source.start(), then sends source.next()'s blocks one at a time, each checked
  // against the sample first (Error(usage), nothing of that block sent), until it returns nullopt.
  // Memory is bounded by one block. A stop (QueryOptions::stop) or the query deadline between
  // blocks, or the source throwing, ends the insert early: the blocks already sent stay inserted
  // (the server commits each block it receives) and the error says how many; see insert_source.h.
  // Unlike a query, such an insert is never retried by the layers above once a block was taken.
  void insert(std::string_view table, InsertSource& source, const QueryOptions& options = {}) {
    insert(parse_insert_target(table), source, options);
  }
  // The one an implementation overrides: it builds its statement with target.insert_statement(),
  // never from text of its own (ConnectionManager and Client parse the target before taking a
  // lease).
  virtual void insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options = {}) = 0;

  // The push form (InsertStream, chconn/connection/insert_source.h): sends the INSERT, receives the
  // server's sample block and returns a stream the caller writes blocks to, then finishes:
  //   auto ins = conn.insert("events"); ins->write(block); ins->finish();
  // `table` as above. This base implementation collects the written blocks and inserts them on
  // finish() through the streaming insert above, which is right for a test double (its sample is
  // empty until then); NativeConnection sends each block as it is written.
  [[nodiscard]] std::unique_ptr<InsertStream> insert(std::string_view table, const QueryOptions& options = {}) {
    return insert(parse_insert_target(table), options);
  }
  [[nodiscard]] virtual std::unique_ptr<InsertStream> insert(const InsertTarget& target,
                                                             const QueryOptions& options = {});

  // Checks that the server answers (test_connection() in the plan of docs/design.md). Throws on
  // failure.
  virtual void ping(Deadline deadline) = 0;

  // Closes the session (disconnect() in the plan of docs/design.md). Idempotent; never throws.
  virtual void close() noexcept = 0;

  // False once the connection is closed or broken; a pool then drops it.
  virtual bool usable() const noexcept = 0;

  // True once a statement that changes the session's state was sent on this connection (SET, USE,
  // a temporary table, a transaction: sql::changes_session() decides). The state outlives the
  // statement on this connection, so a pool does not lend it to the next caller unless told to
  // (PoolOptions::keep_session_state). Never false again for this connection.
  virtual bool session_changed() const noexcept = 0;

  virtual const ServerInfo& server_info() const noexcept = 0;
  // The id of the last query sent (the caller's, or the one chconn generated), for logs and for
  // `KILL QUERY WHERE query_id = ...`.
  virtual const std::string& last_query_id() const noexcept = 0;
  // "host:port" of the peer, for logs and errors.
  virtual const std::string& peer() const noexcept = 0;
};

}  // namespace chconn
