// AsyncConnection: the native protocol on an Asio executor, with C++20 coroutines (issue 18): connect,
// ping, execute, a streamed select and inserts over TCP (TLS comes next).
//
// The conversation is the one NativeConnection runs (the sans-I/O handshake, ping and query reply,
// and one builder of the Query packet), driven by Asio instead of blocking calls, so both send the
// same bytes. Operations take Asio completion tokens: boost::asio::use_awaitable,
// boost::asio::deferred, a callback, boost::asio::use_future. Completion signatures: async_connect
// void(std::exception_ptr, std::unique_ptr<AsyncConnection>), async_ping void(std::exception_ptr),
// async_execute and async_select void(std::exception_ptr, Result), async_insert
// void(std::exception_ptr); with use_awaitable a failure is thrown as chconn::Error.
//
// Queries. async_execute completes with the Result Connection::execute returns (every block);
// async_select hands each block to `on_block` as it arrives (the block is the callback's only for
// the call: copy what you keep) and completes with the Result without blocks, so memory is bounded
// by one block. Errors are execute()'s: a server exception (Error(server)) leaves the connection
// usable, except on servers before revision 54429 (18.16) when the query failed before the server
// read its data, where the connection is dropped (usable() false) instead of reconnected as
// NativeConnection does; an error of the transport or the protocol drops it; a callback
// (on_block, on_progress...) that throws cancels the query as below and the exception is the
// operation's. Not yet: QueryOptions::external_tables and QueryOptions::stop (use a cancellation
// slot) are refused with Error(usage), nothing sent.
//
// Deadlines. Connect runs within its deadline and Config::timeouts.connect; ping within its
// deadline and Config::timeouts.receive: an Asio timer closes the socket when they expire, and the
// connection is dropped. A query runs within QueryOptions::deadline and its timeout
// (QueryOptions::timeout, else Config::timeouts.query), as the blocking connection: when that
// passes while the reply is read, the pending read is cancelled (not the socket closed), the Cancel
// packet is sent and the rest of the reply drained within Config::timeouts.cancel_drain (never past
// QueryOptions::deadline), and the operation fails with Error(timeout) naming the limit; the
// connection stays usable if the drain finished, and is dropped otherwise. Besides, as in
// NativeConnection, every write (the query, an insert's end of data, a Cancel) waits at most
// Config::timeouts.send and every read at most Config::timeouts.receive since the last byte, both
// within the operation's deadline: a wait that passes them closes the socket, the operation fails
// with Error(timeout) naming the limit, and the connection is dropped.
//
// Cancellation. A query honours Asio's per-operation cancellation
// (boost::asio::bind_cancellation_slot(signal.slot(), token), or what awaitable operators and
// parallel groups emit): a terminal or partial cancellation sends Cancel and drains as above, and
// the operation fails with Error(cancelled) (never retryable: the caller asked for it); total
// cancellation is not supported (the server may have run part of the query). A cancellation emitted
// before the query went out fails it with Error(cancelled), nothing sent. Emit it on the
// connection's executor.
//
// Thread safety: one operation at a time (a second one started before the first completed fails
// with Error(usage), the first unaffected; a ping counts from its initiation, as a query). An
// operation may be launched from any thread (boost::asio::use_future from a thread that does not
// run the io_context, say): it moves to the connection's executor (boost::asio::dispatch) before it
// touches the connection, runs there and completes on the handler's executor. Operations launched
// from several threads at once are started in the order the executor runs them. close(), the
// destructor and the accessors (usable(), last_query_id()...) are not moved: call them on the
// executor, or while no operation runs (use a strand when the io_context runs on several threads).
//
// Lifetimes: an operation keeps what it needs alive (the connection's shared state, copies of the
// SQL, the options and the callback), so the AsyncConnection may be destroyed while one is pending
// (it closes the socket; the operation completes with an error), and a deferred operation launched
// after it was destroyed or closed completes with Error(usage), nothing sent.
//
// An operation whose deadline has already passed when it starts fails with Error(timeout) and
// leaves the connection as it was: nothing was sent.
//
// g++ 12 destroys some temporaries of a co_await expression twice (a QueryOptions{} or a lambda
// converted to BlockCallback written in the call crashes): pass named objects, as below.
//
// Example:
//   boost::asio::io_context io;
//   boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
//     auto conn = co_await chconn::AsyncConnection::async_connect(
//         io.get_executor(), config, config.hosts.front(), chconn::Deadline::after(10s), boost::asio::use_awaitable);
//     co_await conn->async_ping(chconn::Deadline::after(1s), boost::asio::use_awaitable);
//     const chconn::QueryOptions options;  // timeout, settings, callbacks
//     chconn::Params params;
//     params.set("n", 41);
//     chconn::Result r = co_await conn->async_execute("SELECT {n:UInt64} + 1 AS x", params, options,
//                                                     boost::asio::use_awaitable);
//     std::uint64_t rows = 0;
//     const chconn::AsyncConnection::BlockCallback count = [&](const chconn::Block& b) { rows += b.rows(); };
//     co_await conn->async_select("SELECT number FROM system.numbers LIMIT 1000000", options, count,
//                                 boost::asio::use_awaitable);
//     // Stopped from outside: a cancellation signal bound to the token. `stop.emit(terminal)` on the
//     // executor sends Cancel, drains, and the call throws Error(cancelled).
//     boost::asio::cancellation_signal stop;
//     auto token = boost::asio::bind_cancellation_slot(stop.slot(), boost::asio::use_awaitable);
//     co_await conn->async_select("SELECT sum(number) FROM system.numbers", options, count, token);
//   }, boost::asio::detached);
//   io.run();
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include "chconn/connection/connection.h"
#include "chconn/connection/insert_source.h"
#include "chconn/connection/insert_target.h"
#include "chconn/connection/params.h"
#include "chconn/connection/result.h"
#include "chconn/core/clock.h"
#include "chconn/core/config.h"

namespace chconn {

class AsyncConnection {
 public:
  using executor_type = boost::asio::any_io_executor;
  using connect_signature = void(std::exception_ptr, std::unique_ptr<AsyncConnection>);
  using ping_signature = void(std::exception_ptr);
  using query_signature = void(std::exception_ptr, Result);
  using insert_signature = void(std::exception_ptr);
  // async_select's per-block callback; called on the connection's executor.
  using BlockCallback = std::function<void(const Block&)>;

  // Connects to `host` (a literal address, or a name through Asio's resolver) and performs the
  // handshake within `deadline` and Config::timeouts.connect. Fails with the errors of
  // NativeConnection::connect; Error(usage) for config.secure (TLS is not supported yet).
  template <class CompletionToken>
  static auto async_connect(executor_type executor, const Config& config, const HostPort& host, Deadline deadline,
                            CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, connect_signature>(
        [](auto handler, const executor_type& ex, const Config& c, const HostPort& h, Deadline d) {
          start_connect(ex, c, h, d, boost::asio::any_completion_handler<connect_signature>(std::move(handler)));
        },
        token, std::move(executor), config, host, deadline);
  }

  // Sends a Ping and waits for the Pong within `deadline` and Config::timeouts.receive. A failure
  // leaves the connection unusable.
  template <class CompletionToken>
  auto async_ping(Deadline deadline, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, ping_signature>(
        [impl = impl_](auto handler, Deadline d) {
          start_ping(impl, d, boost::asio::any_completion_handler<ping_signature>(std::move(handler)));
        },
        token, deadline);
  }

  // Runs `sql` and completes with its whole Result, as Connection::execute (see the header comment
  // for errors, deadlines and cancellation). Use async_select for results too big to hold.
  template <class CompletionToken>
  auto async_execute(std::string_view sql, const QueryOptions& options, CompletionToken&& token) {
    return initiate_query(std::string(sql), options, BlockCallback{}, false, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_execute(std::string_view sql, const Params& params, const QueryOptions& options, CompletionToken&& token) {
    QueryOptions o = options;
    o.params = params;
    return initiate_query(std::string(sql), std::move(o), BlockCallback{}, false, std::forward<CompletionToken>(token));
  }

  // Runs `sql` and calls `on_block` with each non-empty block as it arrives; completes with the
  // Result without blocks (header, totals, extremes, progress, profile). Memory is bounded by one
  // block. `on_block` must not start another operation on this connection.
  template <class CompletionToken>
  auto async_select(std::string_view sql, const QueryOptions& options, BlockCallback on_block,
                    CompletionToken&& token) {
    return initiate_query(std::string(sql), options, std::move(on_block), true, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_select(std::string_view sql, const Params& params, const QueryOptions& options, BlockCallback on_block,
                    CompletionToken&& token) {
    QueryOptions o = options;
    o.params = params;
    return initiate_query(std::string(sql), std::move(o), std::move(on_block), true,
                          std::forward<CompletionToken>(token));
  }

  // Inserts into `table` (read by parse_insert_target, chconn/connection/insert_target.h; an
  // InsertTarget as it is) as Connection::insert does: sends the INSERT, reads the server's sample
  // block, checks each block against it (match_insert_sample: names and exact types, in any order;
  // a mismatch is Error(usage)), sends the blocks (compressed when the connection compresses), the
  // empty block that ends the data, and completes when the server acknowledged them.
  //
  // The Block and span forms copy the blocks (their columns are shared, not their data) and check
  // them all against the sample before the first is sent. The source form asks `source` for one
  // block at a time on the connection's executor, each sent before the next is asked for, so memory
  // is bounded by one block; the source must outlive the operation and must not start another
  // operation on this connection.
  //
  // Ending early (insert_source.h): the source throwing, the query deadline passing or a
  // cancellation through the slot between blocks ends the data with the empty block; the server
  // inserts the blocks it received and the error (the source's own, Error(timeout) or
  // Error(cancelled)) says how many and whether the connection was kept. A cancellation or the
  // deadline while the sample or the acknowledgement is awaited sends Cancel and drains, as a query.
  // Errors otherwise are async_execute's.
  template <class CompletionToken>
  auto async_insert(std::string_view table, const Block& block, const QueryOptions& options, CompletionToken&& token) {
    return initiate_insert(InsertCall{std::string(table), std::nullopt, {block}, nullptr}, options,
                           std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_insert(const InsertTarget& target, const Block& block, const QueryOptions& options,
                    CompletionToken&& token) {
    return initiate_insert(InsertCall{{}, target, {block}, nullptr}, options, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_insert(std::string_view table, std::span<const Block> blocks, const QueryOptions& options,
                    CompletionToken&& token) {
    return initiate_insert(InsertCall{std::string(table), std::nullopt, {blocks.begin(), blocks.end()}, nullptr},
                           options, std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_insert(std::string_view table, InsertSource& source, const QueryOptions& options,
                    CompletionToken&& token) {
    return initiate_insert(InsertCall{std::string(table), std::nullopt, {}, &source}, options,
                           std::forward<CompletionToken>(token));
  }
  template <class CompletionToken>
  auto async_insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options,
                    CompletionToken&& token) {
    return initiate_insert(InsertCall{{}, target, {}, &source}, options, std::forward<CompletionToken>(token));
  }

  ~AsyncConnection();
  AsyncConnection(const AsyncConnection&) = delete;
  AsyncConnection& operator=(const AsyncConnection&) = delete;

  // Closes the socket; an operation in progress completes with an error. Idempotent.
  void close() noexcept;
  // The id of the last query sent (the caller's QueryOptions::query_id, or the generated one).
  const std::string& last_query_id() const noexcept;
  // False after close() or a failed operation.
  bool usable() const noexcept;
  // True once a query that changes the session's state was started on this connection (SET, USE,
  // a temporary table, a transaction: sql::changes_session() decides), as
  // Connection::session_changed(): AsyncPool then closes it rather than lend it on.
  bool session_changed() const noexcept;
  const ServerInfo& server_info() const noexcept;
  // "host:port" of the server.
  const std::string& peer() const noexcept;
  executor_type get_executor() const noexcept;

  struct Impl;

 private:
  explicit AsyncConnection(std::shared_ptr<Impl> impl) noexcept;
  static void start_connect(const executor_type& executor, const Config& config, const HostPort& host,
                            Deadline deadline, boost::asio::any_completion_handler<connect_signature> handler);
  // The initiations hold the shared state, never `this`: a deferred operation may be launched
  // after the AsyncConnection is gone (it fails with Error(usage)). start_* move to the
  // connection's executor (asio::dispatch), where begin_* check and start the operation.
  static void start_ping(const std::shared_ptr<Impl>& impl, Deadline deadline,
                         boost::asio::any_completion_handler<ping_signature> handler);
  static void begin_ping(const std::shared_ptr<Impl>& impl, Deadline deadline,
                         boost::asio::any_completion_handler<ping_signature> handler);
  // The copies are made before async_initiate: a deferred token runs the initiation later.
  template <class CompletionToken>
  auto initiate_query(std::string sql, QueryOptions options, BlockCallback on_block, bool streamed,
                      CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, query_signature>(
        [impl = impl_](auto handler, std::string s, QueryOptions o, BlockCallback b, bool streamed_) {
          start_query(impl, std::move(s), std::move(o), std::move(b), streamed_,
                      boost::asio::any_completion_handler<query_signature>(std::move(handler)));
        },
        token, std::move(sql), std::move(options), std::move(on_block), streamed);
  }
  // `streamed`: async_select (an empty `on_block` is refused with Error(usage)).
  static void start_query(const std::shared_ptr<Impl>& impl, std::string sql, QueryOptions options,
                          BlockCallback on_block, bool streamed,
                          boost::asio::any_completion_handler<query_signature> handler);
  static void begin_query(const std::shared_ptr<Impl>& impl, std::string sql, QueryOptions options,
                          BlockCallback on_block, bool streamed,
                          boost::asio::any_completion_handler<query_signature> handler);

  // What an insert inserts: `target`, or `table` parsed on the executor (a parse error completes the
  // operation); the caller's `source`, or else the `blocks` (owned).
  struct InsertCall {
    std::string table;
    std::optional<InsertTarget> target;
    std::vector<Block> blocks;
    InsertSource* source = nullptr;
  };
  template <class CompletionToken>
  auto initiate_insert(InsertCall call, QueryOptions options, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, insert_signature>(
        [impl = impl_](auto handler, InsertCall c, QueryOptions o) {
          start_insert(impl, std::move(c), std::move(o),
                       boost::asio::any_completion_handler<insert_signature>(std::move(handler)));
        },
        token, std::move(call), std::move(options));
  }
  static void start_insert(const std::shared_ptr<Impl>& impl, InsertCall call, QueryOptions options,
                           boost::asio::any_completion_handler<insert_signature> handler);
  static void begin_insert(const std::shared_ptr<Impl>& impl, InsertCall call, QueryOptions options,
                           boost::asio::any_completion_handler<insert_signature> handler);

  std::shared_ptr<Impl> impl_;
};

}  // namespace chconn
