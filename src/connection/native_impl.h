// NativeConnection's insides, shared by the files of its jobs: native_connection.cpp (the session,
// the conversation's plumbing, cancel and drain, connect and ping), native_select.cpp (select,
// execute and the QueryCursor) and native_insert.cpp (both forms of the insert). Private to the
// connection layer.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/connection/connection.h"
#include "chconn/connection/insert_source.h"
#include "chconn/connection/insert_target.h"
#include "chconn/connection/native_connection.h"
#include "chconn/core/clock.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/core/log.h"
#include "chconn/net/interrupt.h"
#include "chconn/net/resolver.h"
#include "chconn/net/stream.h"
#include "chconn/net/tls.h"
#include "chconn/wire/block.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/io.h"
#include "connection/deadlines.h"
#include "connection/query_packet.h"
#include "connection/sansio/operation.h"
#include "connection/sansio/query.h"
#include "connection/socket_source.h"

namespace chconn {

namespace detail {

// Thrown inside the query loop when the query's own deadline passed between two packets: the
// stream is at a packet boundary, so the query can be cancelled and the connection kept.
struct DeadlineAtBoundary {};

// Thrown inside the query loop when the caller's stop token was stopped, at a packet boundary: the
// query is cancelled and the connection kept if it comes back to rest in time.
struct StopAtBoundary {};

// The stop_callback of a call: wakes the stream's wait for the next packet.
struct WakeOnStop {
  net::Interrupt* interrupt;
  void operator()() const noexcept { interrupt->trigger(); }
};

// What is bound to one TCP/TLS session: the stream, the sans-I/O conversation's buffers and the
// readers over the stream. Everything read is checked against the config's DecodeLimits. Bytes
// move between the two readers without loss: a sans-I/O operation first takes what `in` holds
// (run_conversation), and `source` serves what the operation left in `conversation.in` first.
struct NativeSession {
  NativeSession(std::unique_ptr<net::Stream> s, const Config& config);

  std::unique_ptr<net::Stream> stream;
  sansio::Conversation conversation;
  SocketSource source;
  wire::Reader in;
  wire::CompressedSource frames;  // decompresses the blocks of compressed queries from `in`
};

}  // namespace detail

struct NativeConnection::Impl {
  Impl(const Config& cfg, std::unique_ptr<net::Stream> s);

  Config config;
  std::unique_ptr<detail::NativeSession> session;
  net::Stream* stream;
  std::string peer;
  ServerInfo info;
  std::uint64_t revision = 0;  // negotiated
  detail::SocketSource* source;
  wire::Reader* in;
  wire::Writer out;
  wire::Writer block_bytes;  // a block's bytes before they are framed
  wire::FrameEncoder encoder;
  detail::ClientIdentity client;
  std::string last_query_id;
  Block last_sample;
  bool broken = false;
  bool closed = false;
  bool session_changed = false;  // see Connection::session_changed()
  // A QueryCursor or an InsertStream of this connection has not ended: what it is ("a query
  // cursor", "an unfinished insert"); no other call until it ends. Null when none is open.
  const char* open_call = nullptr;

  // open_call while a select, execute or insert runs (CallInProgress): its callbacks run inside it.
  static constexpr const char* k_call_in_progress = "a call in progress";

  // Marks the connection busy for one select, execute or insert from the moment it passed
  // prepare() to its end, so that a callback of the call (on_block, on_progress...) that calls the
  // connection again gets Error(usage) from prepare() (which, thrown in the callback, cancels the
  // call through CallbackFailed) instead of sending a query in the middle of a reply. A cursor or
  // an insert stream sets its own open_call once started.
  class CallInProgress {
   public:
    explicit CallInProgress(Impl& impl) noexcept : impl_(impl) {}
    CallInProgress(const CallInProgress&) = delete;
    CallInProgress& operator=(const CallInProgress&) = delete;
    ~CallInProgress();
    void arm() noexcept;

   private:
    Impl& impl_;
    bool armed_ = false;
  };
  // Where to reconnect to (empty host for a session made from a caller's stream).
  HostPort target;
  std::shared_ptr<const net::TlsContext> tls;
  std::shared_ptr<const net::Resolver> resolver;
  // The server may still hold unread data of a failed query (see
  // k_min_revision_skipping_data_after_error): open a fresh session before the next call.
  bool needs_reconnect = false;
  // Whether the server has shown it read all the data sent with the current query.
  bool data_consumed = false;
  // The stop token of the call in progress (QueryOptions::stop; none between calls), and the
  // Interrupt its stop_callback triggers, made on the first call that can be stopped.
  std::stop_token stop;
  std::unique_ptr<net::Interrupt> interrupt;

  // For the duration of one call: watches its stop token. Invariant after it ends: no callback
  // registered, `stop` empty, the Interrupt cleared and no stream watching it.
  class StopWatch {
   public:
    StopWatch(Impl& impl, const std::stop_token& token);
    StopWatch(const StopWatch&) = delete;
    StopWatch& operator=(const StopWatch&) = delete;
    ~StopWatch();

   private:
    Impl& impl_;
    std::optional<std::stop_callback<detail::WakeOnStop>> wake_;
  };

  // A stop requested before anything was sent: the call ends with the connection untouched.
  void check_not_stopped(const QueryOptions& options) const;

  bool compressing() const noexcept { return config.compression != Compression::none; }

  const Logger* logger() const noexcept { return config.logger.get(); }

  // The deadline of the reads that follow: of each socket read, and of each compressed frame
  // decoded (decoding is CPU work that no socket wait would bound).
  void read_until(Deadline deadline) noexcept;

  // Drops the connection for good: after this usable() is false.
  void mark_broken() noexcept;

  void check_usable() const;

  void send(Deadline deadline);

  void write_data(const Block& block, bool compressed);

  // The PacketInput of this connection's query operations (sansio/query.h): each packet is read
  // to its end from the session's blocking reader, within `deadline`, so however slowly a packet
  // arrives it is parsed once. `at_boundary`: a stop (QueryOptions::stop) or the expiry of
  // `deadline` while waiting for a packet's first byte ends the operation with StopAtBoundary or
  // DeadlineAtBoundary, the stream still at a packet boundary (a drain passes false: it is stopping
  // already, and its deadline passing breaks the connection).
  class BlockingInput final : public detail::sansio::PacketInput {
   public:
    BlockingInput(Impl& impl, Deadline deadline, bool at_boundary) noexcept
        : impl_(impl), deadline_(deadline), at_boundary_(at_boundary) {}

    bool decode(detail::sansio::Conversation& c, const Decode& decode) override;
    std::size_t read_hint(const detail::sansio::Conversation& c) const noexcept override;

   private:
    void wait_for_packet();

    Impl& impl_;
    Deadline deadline_;
    bool at_boundary_;
  };

  // The encoded empty Data block that ends a query's data.
  std::vector<std::uint8_t> end_of_data(bool compressed);

  detail::sansio::QueryReply reply(detail::sansio::QueryReply::Mode mode, bool compressed) const;

  // Resumes a query operation with blocking writes (within `deadline` and the send timeout) until
  // it hands out a block (true) or ends (false); rethrows its failure.
  bool drive(detail::sansio::QueryOperation& op, Deadline deadline);

  Deadline query_deadline(const QueryOptions& options) const {
    return detail::query_deadline(config.timeouts, options);
  }
  Deadline drain_deadline(const QueryOptions& options) const {
    return detail::drain_deadline(config.timeouts, options);
  }

  std::string start_query(std::string_view sql, const QueryOptions& options, Deadline deadline);

  // After the Query packet: each external table's structure, then its blocks, one Data packet
  // each under its name, every block sent before the next is read (memory bounded by a block).
  // A source that fails after something was sent leaves the server waiting for the rest of a table
  // it would otherwise run the query on: the connection is closed instead (see ExternalTable).
  void send_external_tables(const std::vector<ExternalTable>& tables, bool compressed, Deadline deadline);

  // Sends Cancel and reads the rest of the query until `drain` (drain_deadline()). A connection
  // that does not come back to rest in time, or has no time left to try, is marked broken: it is
  // closed rather than returned to a pool, and the call ends at its deadline.
  //
  // `end_data` instead ends an insert's data with the empty block (an insert stopped between
  // blocks: every server version reads that as the end of the data and inserts what it received;
  // what a Cancel does there differs between versions). A server exception read while draining is
  // stored in `*server_error` when given.
  detail::Drain cancel_and_drain(bool compressed, Deadline drain, bool end_data = false,
                                 std::optional<Error>* server_error = nullptr) noexcept;

  // An exception ends the query. An old server that failed before reading all the data sent with
  // the query leaves that data in the stream: the session cannot be reused.
  void note_server_exception() noexcept;

  // Before each call: refuse a closed or broken connection, and replace a session left out of step
  // by an old server.
  void prepare(Deadline deadline);

  // Cancels the query at a packet boundary (the drain within drain_deadline()) and says how that
  // went, as the end of the message of the error the call throws.
  std::string cancel_and_describe(bool compressed, const QueryOptions& options);

  // Runs `body` (the part of a query after it was sent) with the error policy of DESIGN.md:
  // server exceptions leave the connection usable; the query deadline passing between packets or a
  // callback throwing cancels and drains (within the caller's deadline); anything else breaks the
  // connection. `deadline` is the query's (query_deadline()).
  template <class Body>
  auto guarded(const QueryOptions& options, Deadline deadline, bool compressed, Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const detail::DeadlineAtBoundary&) {
      throw Error(ErrorKind::timeout, "the query " + last_query_id + " on " + peer + " did not finish within " +
                                          deadline.describe() + cancel_and_describe(compressed, options));
    } catch (const detail::StopAtBoundary&) {
      throw Error(ErrorKind::cancelled, "the query " + last_query_id + " on " + peer +
                                            " was stopped by the caller (QueryOptions::stop)" +
                                            cancel_and_describe(compressed, options));
    } catch (const detail::sansio::CallbackFailed& failed) {
      // A caller's callback threw, whatever it threw (a chconn::Error too): the reply is not read to
      // its end, so the query is stopped; the connection is kept if it comes back to rest in time.
      cancel_and_drain(compressed, drain_deadline(options));
      std::rethrow_exception(failed.error);
    } catch (const Error& e) {
      // A server exception ends the query; the library's usage errors are raised only once the
      // stream is back at rest. Network, timeout and protocol errors leave the stream in an
      // unknown state.
      if (classify(e).connection_broken) mark_broken();
      if (e.kind() == ErrorKind::timeout) throw e.with_context("the query " + last_query_id);
      throw;
    } catch (...) {
      // Anything else (no memory): stop the query, keep the connection if it comes back to rest.
      cancel_and_drain(compressed, drain_deadline(options));
      throw;
    }
  }

  // A SELECT (or any statement with a result) between its start and its end: what select(),
  // execute() and a QueryCursor share.
  struct SelectState {
    std::string_view sql;  // the caller's text (a cursor keeps its own copy)
    const QueryOptions* options = nullptr;
    Deadline deadline = Deadline::never();
    bool compressed = false;
    // An INSERT that takes its rows from the client (not INSERT ... SELECT) gets a sample block
    // with the table's columns first, and the server then waits for data.
    bool data_insert = false;
    bool have_header = false;
    bool ended = false;
    Result result;  // query id, header, totals, extremes, progress, profile (and execute()'s blocks)
    // The reply's operation, made by the first next_block().
    std::unique_ptr<BlockingInput> input;
    std::unique_ptr<detail::sansio::QueryOperation> op;
  };

  // Sends the query of a select; the caller holds a StopWatch. The session may differ from a
  // fresh one from here on, whether or not the server accepts it.
  SelectState start_select(std::string_view sql, const QueryOptions& options, CallInProgress& call);

  // Reads packets to the next non-empty data block (returned) or the end of the result (nullopt,
  // st.ended). Run inside guarded(). `spare`, when given, is a block whose columns the next block
  // may decode into (select() reuses the buffers of a block its callback did not keep).
  std::optional<Block> next_block(SelectState& st, Block* spare);

  Result run_select(std::string_view sql, const std::function<void(const Block&)>* on_block,
                    const QueryOptions& options);

  // Ends an insert early (its source failed, a stop or the deadline between blocks): the unsent
  // blocks are dropped, the data ended with the empty block and the server's answer read within
  // `drain`. Returns what became of the blocks sent before, as the end of a message.
  std::string end_insert_early(bool compressed, Deadline drain, const InsertProgress& sent) noexcept;

  // A data insert between its start and its end: what the pull form (run_insert) and the push
  // form (NativeInsertStream) share. Invariant between blocks: `out` is empty; `sent` counts the
  // blocks written out.
  struct InsertState {
    std::string sql;    // built from the parsed names, each quoted: nothing of the caller's text
    std::string table;  // InsertTarget::name(), for messages
    const QueryOptions* options = nullptr;
    Deadline deadline = Deadline::never();
    bool compressed = false;
    InsertProgress sent;
    bool ended = false;
  };

  // Sends the INSERT and reads the server's sample block (into last_sample): the columns it
  // expects, with exact types. Throws with the insert ended.
  void start_insert(InsertState& st, const InsertTarget& into, const QueryOptions& options, CallInProgress& call);

  // Why the insert must end before the next block: a stop, or the query deadline passed. Null: go on.
  std::exception_ptr between_blocks(const InsertState& st) const;

  // Sends one block already matched to the sample. An error ends the insert.
  void send_insert_block(InsertState& st, const Block& block);

  // The empty block that ends the data, then the server's acknowledgement. The insert has ended
  // when this returns or throws.
  void finish_insert(InsertState& st);

  // Ends the insert early because of `failure` (end_insert_early) and rethrows it, its message
  // completed with what became of the blocks sent.
  [[noreturn]] void fail_insert(InsertState& st, const std::exception_ptr& failure);

  // The pull form: the source's blocks, each sent before the next is asked for, so every block the
  // source returned before a failure is one the server received. The source's failure is handled
  // here, outside guarded(), which would take it for a failure of the conversation.
  void run_insert(const InsertTarget& into, InsertSource& blocks, const QueryOptions& options);

  // Reads to EndOfStream (progress and logs may come first; an Exception ends it instead).
  void finish(const QueryOptions& options, Deadline deadline, Result& scratch);

  // Runs a sans-I/O operation on this session, blocking, within `deadline`.
  void run_conversation(detail::sansio::Operation& op, Deadline deadline);

  void run_ping(Deadline deadline);

  void run_handshake(Deadline deadline);
};

}  // namespace chconn
