#include "chconn/connection/async_connection.h"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/packets.h"
#include "connection/async_watch.h"
#include "connection/deadlines.h"
#include "connection/insert_flow.h"
#include "connection/query_packet.h"
#include "connection/sansio/async_driver.h"
#include "connection/sansio/handshake.h"
#include "connection/sansio/ping.h"
#include "connection/sansio/query.h"
#include "net/async_tcp.h"

namespace chconn {

namespace asio = boost::asio;

struct AsyncConnection::Impl {
  Impl(const executor_type& executor, const Config& cfg)
      : config(cfg),
        stream(executor),
        conversation(cfg.limits, {}),
        encoder(cfg.compression == Compression::none ? Compression::lz4 : cfg.compression),
        client(detail::ClientIdentity::of_this_process()) {}

  Config config;
  net::AsyncTcpStream stream;
  detail::sansio::Conversation conversation;
  ServerInfo info;
  wire::FrameEncoder encoder;
  wire::Writer block_bytes;  // a block's bytes before they are framed
  detail::ClientIdentity client;
  std::string last_query_id;
  bool broken = false;
  bool closed = false;           // by close() or the AsyncConnection's destructor
  bool busy = false;             // an operation is in progress (from its initiation on)
  bool session_changed = false;  // see AsyncConnection::session_changed()

  // The limits of each wait of an exchange within `deadline` (sansio/async_driver.h).
  detail::sansio::Waits waits(Deadline deadline) const noexcept {
    detail::sansio::Waits w;
    w.deadline = deadline;
    w.send = config.timeouts.send;
    w.receive = config.timeouts.receive;
    return w;
  }

  void mark_broken() noexcept {
    broken = true;
    stream.close();
  }

  void check_usable(std::string_view operation) const {
    if (closed) {
      throw Error(ErrorKind::usage, std::string(operation) + " on the connection to " + conversation.peer +
                                        ": the AsyncConnection was closed (close() or its destructor) before the "
                                        "operation started; nothing was sent");
    }
    if (busy) {
      throw Error(ErrorKind::usage, std::string(operation) + " on the connection to " + conversation.peer +
                                        ": another operation is in progress; start one at a time (or use a pool)");
    }
    if (broken || !stream.is_open()) {
      throw Error(ErrorKind::usage, "the connection to " + conversation.peer +
                                        " is closed or broken by an earlier error; open a new one");
    }
  }
};

namespace {

// Marks the connection busy for one operation.
class Busy {
 public:
  explicit Busy(AsyncConnection::Impl& impl) noexcept : impl_(impl) { impl_.busy = true; }
  ~Busy() { impl_.busy = false; }
  Busy(const Busy&) = delete;
  Busy& operator=(const Busy&) = delete;

 private:
  AsyncConnection::Impl& impl_;
};

using detail::QueryWatch;

// Ends a query's watch when the query's coroutine ends, however it ends.
class WatchEnd {
 public:
  explicit WatchEnd(QueryWatch& watch) noexcept : watch_(watch) {}
  ~WatchEnd() {
    watch_.finished = true;
    try {
      watch_.timer.cancel();
    } catch (...) {
      // Asio reports a failure of the reactor by throwing; the handler checks `finished` anyway.
    }
  }
  WatchEnd(const WatchEnd&) = delete;
  WatchEnd& operator=(const WatchEnd&) = delete;

 private:
  QueryWatch& watch_;
};

// An operation whose deadline had passed before anything was sent: the connection is untouched.
Error not_sent_in_time(std::string_view what, const std::string& peer, const Deadline& deadline) {
  return Error(ErrorKind::timeout, std::string(what) + " was not sent to " + peer + ": " + deadline.describe() +
                                       " had passed before it started; the connection is kept");
}

detail::sansio::QueryReply reply_for(const AsyncConnection::Impl& impl, detail::sansio::QueryReply::Mode mode,
                                     bool compressed) {
  detail::sansio::QueryReply r;
  r.mode = mode;
  r.revision = impl.info.negotiated_revision;
  r.compressed = compressed;
  return r;
}

// The encoded empty Data block that ends a query's data.
std::vector<std::uint8_t> end_of_data(AsyncConnection::Impl& impl, bool compressed) {
  wire::Writer bytes;
  wire::write_end_of_data(bytes, impl.info.negotiated_revision, compressed ? &impl.encoder : nullptr,
                          &impl.block_bytes);
  return {bytes.data().begin(), bytes.data().end()};
}

// Sends Cancel (with `end_data`, the empty block that ends an insert's data instead) and reads the
// rest of the reply within `drain` (each write and read also within the send and receive timeouts;
// a wait that passes them closes the socket). A connection that does not come back to rest in time
// is dropped. `drained`: the server's exception that ended the reply, if it did.
asio::awaitable<detail::Drain> cancel_and_drain(AsyncConnection::Impl& impl, bool compressed, Deadline drain,
                                                std::optional<Error>& drained, bool end_data = false) {
  if (drain.expired()) {
    impl.mark_broken();
    co_return detail::Drain::skipped;
  }
  bool kept = false;
  try {
    detail::sansio::BufferedInput input;
    const QueryOptions none;
    Result scratch;
    detail::sansio::QueryReply r = reply_for(impl, detail::sansio::QueryReply::Mode::drain, compressed);
    r.end_data = end_data;
    if (end_data) r.end_of_data = end_of_data(impl, compressed);
    detail::sansio::QueryOperation op(std::move(r), input, none, scratch);
    const detail::sansio::Waits waits = impl.waits(drain);
    co_await detail::sansio::run_async(op, impl.conversation, impl.stream, waits);
    drained = op.drained_exception();
    kept = true;
  } catch (...) {
    // Any failure of the drain: the stream's state is unknown.
  }
  if (!kept) {
    impl.mark_broken();
    co_return detail::Drain::dropped;
  }
  co_return detail::Drain::kept;
}

// g++ 12 warns of a new/delete mismatch in Asio's coroutine frame allocation (awaitable_frame_base's
// own operator new and delete) that is not one.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

// Writes the packets queued in the conversation within the query's deadline and the send timeout.
asio::awaitable<void> write_out(AsyncConnection::Impl& impl, Deadline deadline) {
  detail::sansio::Conversation& c = impl.conversation;
  impl.stream.set_deadline(deadline.earliest(Deadline::after(impl.config.timeouts.send).named(detail::k_send_limit)));
  const std::span<const std::uint8_t> packets = c.out.data();
  co_await impl.stream.write_all(packets);
  c.out.clear();
  impl.stream.set_deadline(Deadline::never());
}

// write_out() for a packet of the query `query_id` after the Query (an insert's block, its end): a
// failed write drops the connection (the stream is in an unknown state).
asio::awaitable<void> send_queued(AsyncConnection::Impl& impl, Deadline deadline, const std::string& query_id) {
  try {
    co_await write_out(impl, deadline);
  } catch (const Error& e) {
    impl.conversation.out.clear();
    impl.mark_broken();
    if (e.kind() == ErrorKind::timeout) throw e.with_context("the query " + query_id);
    throw;
  }
}

// The start of a query (a select's, an insert's): refuses one cancelled or out of time before
// anything is sent, sends the Query packet and the empty block that ends the (absent) external
// tables, and arms the watch's timer at the query's deadline. A failed write drops the connection.
asio::awaitable<wire::Query> send_query(AsyncConnection::Impl& impl, std::string_view sql, const QueryOptions& options,
                                        const std::shared_ptr<QueryWatch>& watch, Deadline deadline) {
  detail::sansio::Conversation& c = impl.conversation;
  const std::string& peer = c.peer;
  if (watch->cancelled()) {
    throw Error(ErrorKind::cancelled, "the query was not sent to " + peer +
                                          ": it was cancelled (through its cancellation slot) before it started");
  }
  if (deadline.expired()) throw not_sent_in_time("the query", peer, deadline);
  const std::uint64_t revision = impl.info.negotiated_revision;
  const bool compressed = impl.config.compression != Compression::none;
  // Refusals (Error(usage)) come before anything is sent: the connection is untouched.
  wire::Query query = detail::build_query({impl.config, revision, impl.info.revision, peer, impl.client}, sql, options);
  c.out.clear();
  wire::write_query(c.out, query, revision);
  wire::write_end_of_data(c.out, revision, compressed ? &impl.encoder : nullptr, &impl.block_bytes);
  impl.last_query_id = query.query_id;

  if (!deadline.is_never()) {
    // Clock::time_point and the timer's clock are both std::chrono::steady_clock.
    watch->timer.expires_at(std::chrono::time_point_cast<std::chrono::steady_clock::duration>(deadline.when()));
    watch->timer.async_wait([weak = std::weak_ptr<QueryWatch>(watch)](const boost::system::error_code& ec) {
      if (ec) return;
      if (const auto w = weak.lock()) w->stop(false);
    });
  }
  try {
    co_await write_out(impl, deadline);
  } catch (const Error& e) {
    impl.mark_broken();
    throw detail::query_send_failure(e, query.text.size(), peer).with_context("the query " + query.query_id);
  }
  co_return query;
}

// Reads one reply operation of the query `query_id` (a select's reply, an insert's sample or its
// acknowledgement) under the query's watch, with the error policy of the blocking connection's
// guarded(): a server exception leaves the connection usable (but an old server out of step drops
// it); the deadline or the caller's cancellation while a packet is awaited, or a callback that
// throws, sends Cancel and drains (the connection kept if that ends in time); anything else drops
// it. `deliver` takes each block the operation hands out.
asio::awaitable<void> run_reply(AsyncConnection::Impl& impl, detail::sansio::QueryOperation& op, QueryWatch& watch,
                                const QueryOptions& options, Deadline deadline, bool compressed,
                                const std::string& query_id, const std::function<void()>& deliver) {
  const std::string& peer = impl.conversation.peer;
  const auto old_server_out_of_step = [&] {
    return !op.data_consumed() && impl.info.revision < detail::k_min_revision_skipping_data_after_error;
  };
  bool interrupted = false;
  std::exception_ptr callback_failure;
  // Each read waits for the receive timeout at most; the query's deadline interrupts them (the
  // watch's timer), so that the query is cancelled and drained. A write (an insert's end of data)
  // waits until the deadline or the send timeout.
  detail::sansio::Waits waits = impl.waits(deadline);
  waits.owner_interrupts_reads = true;
  const std::shared_ptr<detail::sansio::ReadInterrupt> interrupt = watch.interrupt;
  try {
    co_await detail::sansio::run_async(op, impl.conversation, impl.stream, waits, deliver, interrupt);
  } catch (const detail::sansio::Interrupted&) {
    interrupted = true;
  } catch (const detail::sansio::CallbackFailed& failed) {
    callback_failure = failed.error;  // a callback threw, whatever it threw, at a packet boundary
  } catch (const Error& e) {
    if (op.server_exception()) {
      if (old_server_out_of_step()) impl.mark_broken();
      throw;
    }
    // A usage error of the reply (an insert the server takes no data for) leaves the stream at rest.
    if (classify(e).connection_broken) impl.mark_broken();
    if (e.kind() == ErrorKind::timeout) throw e.with_context("the query " + query_id);
    throw;
  } catch (...) {
    callback_failure = std::current_exception();  // anything else (no memory), at a packet boundary
  }
  if (!interrupted && !callback_failure) co_return;
  const Deadline drain = detail::drain_deadline(impl.config.timeouts, options);
  std::optional<Error> drained;
  const detail::Drain outcome = co_await cancel_and_drain(impl, compressed, drain, drained);
  if (drained && old_server_out_of_step()) impl.mark_broken();
  if (callback_failure) std::rethrow_exception(callback_failure);
  const std::string how = detail::describe_cancel(outcome, drain);
  if (watch.cancelled()) {
    throw Error(ErrorKind::cancelled,
                "the query " + query_id + " on " + peer + " was cancelled by the caller (its cancellation slot)" + how);
  }
  throw Error(ErrorKind::timeout,
              "the query " + query_id + " on " + peer + " did not finish within " + deadline.describe() + how);
}

// One query, from the Query packet to the end of its reply. `on_block` empty: execute (the blocks
// go into the Result).
asio::awaitable<Result> run_query(std::shared_ptr<AsyncConnection::Impl> impl, std::string sql, QueryOptions options,
                                  AsyncConnection::BlockCallback on_block, std::shared_ptr<QueryWatch> watch) {
  const Busy busy(*impl);
  const WatchEnd end(*watch);
  const Deadline deadline = detail::query_deadline(impl->config.timeouts, options);
  const bool compressed = impl->config.compression != Compression::none;
  const wire::Query query = co_await send_query(*impl, sql, options, watch, deadline);
  Result result;
  result.query_id = query.query_id;

  const sql::InsertShape shape = sql::insert_shape(sql);
  detail::sansio::QueryReply r = reply_for(*impl, detail::sansio::QueryReply::Mode::select, compressed);
  r.data_insert = shape.is_insert && !shape.from_select;
  if (r.data_insert) r.end_of_data = end_of_data(*impl, compressed);
  detail::sansio::BufferedInput input;
  detail::sansio::QueryOperation op(std::move(r), input, options, result);
  const std::function<void()> deliver_block = [&] {
    Block& block = op.block();
    if (on_block) {
      detail::sansio::call_back(on_block, block);
      // The next block decodes into the columns the callback did not keep.
      op.recycle(std::move(block));
    } else {
      result.blocks.push_back(std::move(block));
    }
  };
  co_await run_reply(*impl, op, *watch, options, deadline, compressed, query.query_id, deliver_block);
  if (op.inline_insert_ended() && shape.inline_data) throw detail::unread_inline_data(impl->info.revision);
  co_return result;
}

// One insert: the INSERT, the server's sample, the source's blocks one at a time (each matched to
// the sample and sent before the next is asked for), the empty block and the acknowledgement.
asio::awaitable<void> run_insert(std::shared_ptr<AsyncConnection::Impl> impl, InsertTarget target,
                                 std::vector<Block> blocks, InsertSource* caller_source, QueryOptions options,
                                 std::shared_ptr<QueryWatch> watch) {
  const Busy busy(*impl);
  const WatchEnd end(*watch);
  const std::string table = target.name();
  std::optional<BlockSpanSource> owned;
  InsertSource& source = caller_source != nullptr ? *caller_source : owned.emplace(blocks, table);
  const Deadline deadline = detail::query_deadline(impl->config.timeouts, options);
  const bool compressed = impl->config.compression != Compression::none;
  const std::uint64_t revision = impl->info.negotiated_revision;
  const std::string sql = target.insert_statement();
  const wire::Query query = co_await send_query(*impl, sql, options, watch, deadline);
  const std::string& peer = impl->conversation.peer;

  Block sample;
  {
    Result scratch;
    detail::sansio::QueryReply r = reply_for(*impl, detail::sansio::QueryReply::Mode::insert_sample, compressed);
    r.sql = sql;
    detail::sansio::BufferedInput input;
    detail::sansio::QueryOperation op(std::move(r), input, options, scratch);
    const std::function<void()> keep_sample = [&] { sample = std::move(op.block()); };
    co_await run_reply(*impl, op, *watch, options, deadline, compressed, query.query_id, keep_sample);
  }

  InsertProgress sent;
  std::exception_ptr failure;
  try {
    source.start(sample);
  } catch (...) {
    failure = std::current_exception();
  }
  while (!failure) {
    // Between blocks: the caller's cancellation or the deadline ends the insert early.
    if (watch->cancelled()) {
      failure = std::make_exception_ptr(detail::insert_stopped(query.query_id, table, peer, "its cancellation slot"));
      break;
    }
    if (watch->cause != QueryWatch::Cause::none || deadline.expired()) {
      failure = std::make_exception_ptr(detail::insert_deadline_passed(query.query_id, table, peer, deadline));
      break;
    }
    std::optional<Block> block;
    try {
      block = detail::next_insert_block(source, sample, table);
    } catch (...) {
      failure = std::current_exception();
      break;
    }
    if (!block) break;
    if (block->rows() == 0) continue;
    // A cancellation that came while the source made this block: the block is not sent.
    if (watch->cause != QueryWatch::Cause::none) continue;
    impl->conversation.out.clear();
    wire::write_data(impl->conversation.out, "", *block, revision, compressed ? &impl->encoder : nullptr,
                     &impl->block_bytes);
    co_await send_queued(*impl, deadline, query.query_id);
    ++sent.blocks;
    sent.rows += block->rows();
  }
  if (failure) {
    const Deadline drain = detail::drain_deadline(impl->config.timeouts, options);
    std::optional<Error> refused;
    const detail::Drain outcome = co_await cancel_and_drain(*impl, compressed, drain, refused, true);
    // A server older than 54429 does not skip the data that follows its error: what it left unread
    // would come before the next call's reply (the blocking path reconnects there too).
    if (refused && impl->info.revision < detail::k_min_revision_skipping_data_after_error) impl->mark_broken();
    detail::rethrow_insert_failure(failure, detail::describe_insert_ending(outcome, refused, drain, sent));
  }

  impl->conversation.out.clear();
  wire::write_end_of_data(impl->conversation.out, revision, compressed ? &impl->encoder : nullptr, &impl->block_bytes);
  co_await send_queued(*impl, deadline, query.query_id);
  Result scratch;
  detail::sansio::BufferedInput input;
  detail::sansio::QueryOperation op(reply_for(*impl, detail::sansio::QueryReply::Mode::insert_finish, compressed),
                                    input, options, scratch);
  const std::function<void()> none;
  co_await run_reply(*impl, op, *watch, options, deadline, compressed, query.query_id, none);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Connects the handler's cancellation slot, if it has one and `armed`, to the operation's watch:
// terminal and partial cancellation stop it (on the executor). Returns the slot, cleared by the
// completion.
template <class Handler>
asio::cancellation_slot watch_cancellation(const Handler& handler, const std::shared_ptr<QueryWatch>& watch,
                                           const AsyncConnection::executor_type& ex, bool armed) {
  asio::cancellation_slot slot = asio::get_associated_cancellation_slot(handler);
  if (armed && slot.is_connected()) {
    slot.assign([weak = std::weak_ptr<QueryWatch>(watch), ex](asio::cancellation_type type) {
      if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) ==
          asio::cancellation_type::none) {
        return;  // total: the query may have run in part, which total cancellation excludes
      }
      asio::dispatch(ex, [weak] {
        if (const auto w = weak.lock()) w->stop(true);
      });
    });
  }
  return slot;
}

// A coroutine that fails with `e` (an operation refused before it started), completing as the
// operation would have.
template <class T>
asio::awaitable<T> rethrown(std::exception_ptr e) {
  std::rethrow_exception(e);
  if constexpr (std::is_void_v<T>) {
    co_return;
  } else {
    co_return T{};
  }
}

// AsyncConnection reads no stop token: a cancellation slot does that work.
void refuse_stop_token(const QueryOptions& options) {
  if (options.stop.stop_possible()) {
    throw Error(ErrorKind::usage,
                "AsyncConnection does not watch QueryOptions::stop; cancel through the completion token's "
                "cancellation slot (boost::asio::bind_cancellation_slot). Nothing was sent");
  }
}

// Starts a query or an insert on the executor (begin_query, begin_insert): `refused` (a check that
// failed) completes `handler` with that error; otherwise the connection is busy from now, not from
// when the coroutine first runs (a second call made before then fails), the handler's cancellation
// slot stops `watch`, and `operation()` makes the coroutine. The completion runs on the handler's
// executor; the slot is released before it runs.
template <class Handler, class Operation>
void launch(AsyncConnection::Impl& impl, const std::shared_ptr<QueryWatch>& watch, const std::exception_ptr& refused,
            Handler handler, Operation operation) {
  const AsyncConnection::executor_type ex = impl.stream.get_executor();
  if (!refused) impl.busy = true;
  asio::cancellation_slot slot = watch_cancellation(handler, watch, ex, refused == nullptr);
  const auto handler_ex = asio::get_associated_executor(handler, ex);
  auto complete = asio::bind_executor(
      handler_ex, [handler = std::move(handler), slot](std::exception_ptr e, auto&&... values) mutable {
        if (slot.is_connected()) slot.clear();
        std::move(handler)(std::move(e), std::forward<decltype(values)>(values)...);
      });
  using Value = typename std::invoke_result_t<Operation&>::value_type;
  if (refused) {
    asio::co_spawn(ex, rethrown<Value>(refused), std::move(complete));
    return;
  }
  asio::co_spawn(ex, operation(), std::move(complete));
}

}  // namespace

AsyncConnection::AsyncConnection(std::shared_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
AsyncConnection::~AsyncConnection() { close(); }

void AsyncConnection::start_connect(const executor_type& executor, const Config& config, const HostPort& host,
                                    Deadline deadline, asio::any_completion_handler<connect_signature> handler) {
  auto run = [](executor_type ex, Config cfg, HostPort target,
                Deadline caller) -> asio::awaitable<std::unique_ptr<AsyncConnection>> {
    // Before any byte goes out, as NativeConnection::connect.
    cfg.validate();
    const std::string where = to_string(HostPort{target.host, cfg.port_of(target)});
    if (cfg.secure) {
      throw Error(ErrorKind::usage, "connecting to " + where +
                                        ": AsyncConnection speaks plain TCP only so far (secure=true is not supported "
                                        "yet); use NativeConnection for TLS");
    }
    auto impl = std::make_shared<Impl>(ex, cfg);
    try {
      const Deadline connect_by =
          detail::callers(caller).earliest(Deadline::after(cfg.timeouts.connect).named(detail::k_connect_limit));
      impl->stream.set_deadline(connect_by);
      const std::uint16_t port = cfg.port_of(target);
      co_await impl->stream.connect(target.host, port);
      impl->conversation.peer = impl->stream.peer();
      detail::sansio::Handshake handshake(detail::sansio::client_hello(cfg));
      const detail::sansio::Waits waits = impl->waits(connect_by);
      co_await detail::sansio::run_async(handshake, impl->conversation, impl->stream, waits);
      impl->info = handshake.info();
    } catch (const Error& e) {
      impl->stream.close();
      throw e.with_context("connecting to " + where + " as user '" + cfg.user + "'");
    }
    co_return std::unique_ptr<AsyncConnection>(new AsyncConnection(std::move(impl)));
  };
  asio::co_spawn(executor, run(executor, config, host, deadline), std::move(handler));
}

void AsyncConnection::start_ping(const std::shared_ptr<Impl>& impl, Deadline deadline,
                                 asio::any_completion_handler<ping_signature> handler) {
  // Whatever thread launched it, the operation touches the connection on its executor only.
  const executor_type ex = impl->stream.get_executor();
  asio::dispatch(
      ex, [impl, deadline, handler = std::move(handler)]() mutable { begin_ping(impl, deadline, std::move(handler)); });
}

void AsyncConnection::begin_ping(const std::shared_ptr<Impl>& impl, Deadline deadline,
                                 asio::any_completion_handler<ping_signature> handler) {
  const executor_type ex = impl->stream.get_executor();
  const Deadline caller = detail::callers(deadline);
  std::exception_ptr refused;
  try {
    impl->check_usable("ping");
    if (caller.expired()) throw not_sent_in_time("the ping", impl->conversation.peer, caller);
  } catch (...) {
    refused = std::current_exception();
  }
  if (refused) {
    asio::co_spawn(ex, rethrown<void>(refused), std::move(handler));
    return;
  }
  // Busy from its initiation, as a query: a second operation started before the ping's coroutine
  // first runs is refused.
  impl->busy = true;
  auto run = [](std::shared_ptr<Impl> state, Deadline by) -> asio::awaitable<void> {
    const Busy busy(*state);
    try {
      const detail::sansio::Waits waits =
          state->waits(by.earliest(Deadline::after(state->config.timeouts.receive).named(detail::k_receive_limit)));
      detail::sansio::Ping ping(state->info.negotiated_revision);
      co_await detail::sansio::run_async(ping, state->conversation, state->stream, waits);
    } catch (const Error& e) {
      state->mark_broken();
      if (e.kind() == ErrorKind::timeout) throw e.with_context("ping");
      throw;
    }
  };
  asio::co_spawn(ex, run(impl, caller), std::move(handler));
}

void AsyncConnection::start_query(const std::shared_ptr<Impl>& impl, std::string sql, QueryOptions options,
                                  BlockCallback on_block, bool streamed,
                                  asio::any_completion_handler<query_signature> handler) {
  // Whatever thread launched it, the operation touches the connection on its executor only.
  const executor_type ex = impl->stream.get_executor();
  asio::dispatch(ex, [impl, sql = std::move(sql), options = std::move(options), on_block = std::move(on_block),
                      streamed, handler = std::move(handler)]() mutable {
    begin_query(impl, std::move(sql), std::move(options), std::move(on_block), streamed, std::move(handler));
  });
}

void AsyncConnection::begin_query(const std::shared_ptr<Impl>& impl, std::string sql, QueryOptions options,
                                  BlockCallback on_block, bool streamed,
                                  asio::any_completion_handler<query_signature> handler) {
  auto watch = std::make_shared<QueryWatch>(impl->stream.get_executor());
  std::exception_ptr refused;
  try {
    impl->check_usable("a query");
    if (streamed && !on_block) {
      throw Error(ErrorKind::usage, "async_select needs a block callback (use async_execute for the whole result)");
    }
    if (!options.external_tables.empty()) {
      throw Error(ErrorKind::usage,
                  "AsyncConnection does not send external tables yet; use NativeConnection for them. Nothing was sent");
    }
    refuse_stop_token(options);
  } catch (...) {
    refused = std::current_exception();
  }
  if (!refused && !impl->session_changed && sql::changes_session(sql)) impl->session_changed = true;
  launch(*impl, watch, refused, std::move(handler),
         [impl, sql = std::move(sql), options = std::move(options), on_block = std::move(on_block), watch]() mutable {
           return run_query(impl, std::move(sql), std::move(options), std::move(on_block), std::move(watch));
         });
}

void AsyncConnection::start_insert(const std::shared_ptr<Impl>& impl, InsertCall call, QueryOptions options,
                                   asio::any_completion_handler<insert_signature> handler) {
  // Whatever thread launched it, the operation touches the connection on its executor only.
  const executor_type ex = impl->stream.get_executor();
  asio::dispatch(ex,
                 [impl, call = std::move(call), options = std::move(options), handler = std::move(handler)]() mutable {
                   begin_insert(impl, std::move(call), std::move(options), std::move(handler));
                 });
}

void AsyncConnection::begin_insert(const std::shared_ptr<Impl>& impl, InsertCall call, QueryOptions options,
                                   asio::any_completion_handler<insert_signature> handler) {
  auto watch = std::make_shared<QueryWatch>(impl->stream.get_executor());
  std::exception_ptr refused;
  try {
    impl->check_usable("an insert");
    if (!call.target) call.target = parse_insert_target(call.table);
    if (!options.external_tables.empty()) {
      throw Error(ErrorKind::usage, "external tables go with queries that read, not with an insert; nothing was sent");
    }
    refuse_stop_token(options);
  } catch (...) {
    refused = std::current_exception();
  }
  launch(*impl, watch, refused, std::move(handler),
         [impl, call = std::move(call), options = std::move(options), watch]() mutable {
           return run_insert(impl, std::move(*call.target), std::move(call.blocks), call.source, std::move(options),
                             std::move(watch));
         });
}

void AsyncConnection::close() noexcept {
  if (!impl_) return;
  impl_->closed = true;
  impl_->stream.close();
}

bool AsyncConnection::usable() const noexcept { return !impl_->broken && impl_->stream.is_open(); }
bool AsyncConnection::session_changed() const noexcept { return impl_->session_changed; }
const ServerInfo& AsyncConnection::server_info() const noexcept { return impl_->info; }
const std::string& AsyncConnection::last_query_id() const noexcept { return impl_->last_query_id; }
const std::string& AsyncConnection::peer() const noexcept { return impl_->conversation.peer; }
AsyncConnection::executor_type AsyncConnection::get_executor() const noexcept { return impl_->stream.get_executor(); }

}  // namespace chconn
