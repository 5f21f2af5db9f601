#include "chconn/connection/native_connection.h"

#include <algorithm>
#include <exception>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/core/log.h"
#include "chconn/core/sql.h"
#include "chconn/net/interrupt.h"
#include "chconn/net/resolver.h"
#include "chconn/net/tcp.h"
#include "chconn/net/tls.h"
#include "chconn/wire/block.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/packets.h"
#include "connection/deadlines.h"
#include "connection/insert_flow.h"
#include "connection/query_packet.h"
#include "connection/resolver_for.h"
#include "connection/sansio/blocking_driver.h"
#include "connection/sansio/handshake.h"
#include "connection/sansio/operation.h"
#include "connection/sansio/ping.h"
#include "connection/sansio/query.h"
#include "connection/socket_source.h"

namespace chconn {

namespace {

using namespace std::chrono_literals;
using detail::callers;
using detail::Drain;
using detail::k_connect_limit;
using detail::k_send_limit;

using detail::sansio::k_version_major;
using detail::sansio::k_version_minor;
using detail::sansio::k_version_patch;
// Large reads keep the number of system calls low on bulk results.
constexpr std::size_t k_receive_buffer_bytes = std::size_t{1} << 20;

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

}  // namespace

std::unique_ptr<net::Stream> open_stream(const Config& config, const HostPort& host,
                                         const std::shared_ptr<const net::TlsContext>& tls,
                                         const std::shared_ptr<const net::Resolver>& resolver, Deadline deadline) {
  net::TcpOptions tcp;
  tcp.connect_timeout = config.timeouts.connect;
  tcp.resolver = resolver ? resolver : detail::resolver_for(config);
  const std::uint16_t port = config.port_of(host);
  if (!config.secure) return net::connect_tcp(host.host, port, tcp, deadline);
  return tls ? net::connect_tls(host.host, port, tcp, *tls, deadline)
             : net::connect_tls(host.host, port, tcp, config.tls, deadline);
}

// What is bound to one TCP/TLS session: the stream, the sans-I/O conversation's buffers and the
// readers over the stream. Everything read is checked against the config's DecodeLimits. Bytes
// move between the two readers without loss: a sans-I/O operation first takes what `in` holds
// (run_conversation), and `source` serves what the operation left in `conversation.in` first.
struct Session {
  Session(std::unique_ptr<net::Stream> s, const Config& config)
      : stream(std::move(s)),
        conversation(config.limits, stream->peer()),
        source(*stream, config.timeouts.receive, k_receive_buffer_bytes, &conversation.in),
        in(source, config.limits),
        frames(in) {}

  std::unique_ptr<net::Stream> stream;
  detail::sansio::Conversation conversation;
  detail::SocketSource source;
  wire::Reader in;
  wire::CompressedSource frames;  // decompresses the blocks of compressed queries from `in`
};

struct NativeConnection::Impl {
  Impl(const Config& cfg, std::unique_ptr<net::Stream> s)
      : config(cfg),
        session(std::make_unique<Session>(std::move(s), cfg)),
        stream(session->stream.get()),
        peer(stream->peer()),
        source(&session->source),
        in(&session->in),
        encoder(cfg.compression == Compression::none ? Compression::lz4 : cfg.compression),
        client(detail::ClientIdentity::of_this_process()) {}

  Config config;
  std::unique_ptr<Session> session;
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
    ~CallInProgress() {
      if (armed_ && impl_.open_call == k_call_in_progress) impl_.open_call = nullptr;
    }
    void arm() noexcept {
      if (impl_.open_call != nullptr) return;
      impl_.open_call = k_call_in_progress;
      armed_ = true;
    }

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
    StopWatch(Impl& impl, const std::stop_token& token) : impl_(impl) {
      if (!token.stop_possible()) return;
      if (!impl.interrupt) impl.interrupt = std::make_unique<net::Interrupt>();
      impl.interrupt->clear();
      impl.stop = token;
      wake_.emplace(token, WakeOnStop{impl.interrupt.get()});  // triggers at once if already stopped
    }
    StopWatch(const StopWatch&) = delete;
    StopWatch& operator=(const StopWatch&) = delete;
    ~StopWatch() {
      wake_.reset();  // waits for a callback running on another thread
      impl_.stop = {};
      if (impl_.interrupt) impl_.interrupt->clear();
      if (impl_.stream) impl_.stream->set_interrupt(nullptr);
    }

   private:
    Impl& impl_;
    std::optional<std::stop_callback<WakeOnStop>> wake_;
  };

  // A stop requested before anything was sent: the call ends with the connection untouched.
  void check_not_stopped(const QueryOptions& options) const {
    if (options.stop.stop_requested()) {
      throw Error(ErrorKind::cancelled,
                  "the query was not sent to " + peer + ": stop was requested before the call (QueryOptions::stop)");
    }
  }

  bool compressing() const noexcept { return config.compression != Compression::none; }

  const Logger* logger() const noexcept { return config.logger.get(); }

  // The deadline of the reads that follow: of each socket read, and of each compressed frame
  // decoded (decoding is CPU work that no socket wait would bound).
  void read_until(Deadline deadline) noexcept {
    source->set_deadline(deadline);
    session->frames.set_deadline(deadline);
  }

  // Drops the connection for good: after this usable() is false.
  void mark_broken() noexcept {
    broken = true;
    if (stream) stream->close();
  }

  void check_usable() const {
    if (closed) throw Error(ErrorKind::usage, "the connection to " + peer + " was closed");
    if (broken || !stream->is_open()) {
      throw Error(ErrorKind::usage, "the connection to " + peer +
                                        " is broken by an earlier error; open a new one (a pool does this itself)");
    }
  }

  void send(Deadline deadline) {
    stream->write_all(out.data().data(), out.size(),
                      deadline.earliest(Deadline::after(config.timeouts.send).named(k_send_limit)));
    out.clear();
  }

  void write_data(const Block& block, bool compressed) {
    wire::write_data(out, "", block, revision, compressed ? &encoder : nullptr, &block_bytes);
  }

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

    bool decode(detail::sansio::Conversation& /*c*/, const Decode& decode) override {
      impl_.read_until(deadline_);
      if (at_boundary_) wait_for_packet();
      decode(*impl_.in, &impl_.session->frames);
      return true;
    }
    std::size_t read_hint(const detail::sansio::Conversation& /*c*/) const noexcept override { return 0; }

   private:
    void wait_for_packet() {
      if (impl_.stop.stop_requested()) throw StopAtBoundary{};
      // Only the wait for a packet's first byte is woken by a stop: a wait inside a packet would
      // leave the decoder mid-packet, and the connection could not be drained and kept.
      const bool watch = impl_.interrupt != nullptr && impl_.stop.stop_possible();
      if (watch) impl_.stream->set_interrupt(impl_.interrupt.get());
      try {
        (void)impl_.in->peek();
        if (watch) impl_.stream->set_interrupt(nullptr);
      } catch (const Error& e) {
        if (watch) impl_.stream->set_interrupt(nullptr);
        // Nothing of the next packet was read: the stream is at a boundary.
        if (e.kind() == ErrorKind::cancelled && impl_.stop.stop_requested()) throw StopAtBoundary{};
        if (e.kind() == ErrorKind::timeout && deadline_.expired()) throw DeadlineAtBoundary{};
        throw;
      }
    }

    Impl& impl_;
    Deadline deadline_;
    bool at_boundary_;
  };

  // The encoded empty Data block that ends a query's data.
  std::vector<std::uint8_t> end_of_data(bool compressed) {
    wire::Writer bytes;
    wire::write_end_of_data(bytes, revision, compressed ? &encoder : nullptr, &block_bytes);
    return {bytes.data().begin(), bytes.data().end()};
  }

  detail::sansio::QueryReply reply(detail::sansio::QueryReply::Mode mode, bool compressed) const {
    detail::sansio::QueryReply r;
    r.mode = mode;
    r.revision = revision;
    r.compressed = compressed;
    return r;
  }

  // Resumes a query operation with blocking writes (within `deadline` and the send timeout) until
  // it hands out a block (true) or ends (false); rethrows its failure.
  bool drive(detail::sansio::QueryOperation& op, Deadline deadline) {
    detail::sansio::Conversation& c = session->conversation;
    for (;;) {
      const detail::sansio::Next next = op.resume(c);
      if (!op.timezone_update().empty()) info.timezone = op.timezone_update();
      if (op.data_consumed()) data_consumed = true;
      switch (next.kind) {
        case detail::sansio::Next::Kind::write:
          stream->write_all(next.bytes.data(), next.bytes.size(),
                            deadline.earliest(Deadline::after(config.timeouts.send).named(k_send_limit)));
          break;
        case detail::sansio::Next::Kind::read:
          // BlockingInput reads each packet whole: an operation never waits for the driver to read.
          throw Error(ErrorKind::protocol, "the reply from " + peer + " was read past its blocking input");
        case detail::sansio::Next::Kind::block: return true;
        case detail::sansio::Next::Kind::done:
          if (op.drained_exception()) note_server_exception();
          return false;
        case detail::sansio::Next::Kind::failed:
          if (op.server_exception()) note_server_exception();
          std::rethrow_exception(next.error);
      }
    }
  }

  Deadline query_deadline(const QueryOptions& options) const {
    return detail::query_deadline(config.timeouts, options);
  }
  Deadline drain_deadline(const QueryOptions& options) const {
    return detail::drain_deadline(config.timeouts, options);
  }

  std::string start_query(std::string_view sql, const QueryOptions& options, Deadline deadline) {
    wire::Query query = detail::build_query({config, revision, info.revision, peer, client}, sql, options);
    check_external_tables(options.external_tables);
    wire::write_query(out, query, revision);
    send_external_tables(options.external_tables, query.compression, deadline);
    write_data(Block{}, query.compression);  // the end of the external tables
    try {
      send(deadline);
    } catch (const Error& e) {
      throw detail::query_send_failure(e, query.text.size(), peer);
    }
    last_query_id = query.query_id;
    data_consumed = false;
    if (logger() && logger()->enabled(LogLevel::debug)) {
      logger()->log(LogLevel::debug, "chconn: query " + query.query_id + " sent to " + peer);
    }
    return query.query_id;
  }

  // After the Query packet: each external table's structure, then its blocks, one Data packet
  // each under its name, every block sent before the next is read (memory bounded by a block).
  // A source that fails after something was sent leaves the server waiting for the rest of a table
  // it would otherwise run the query on: the connection is closed instead (see ExternalTable).
  void send_external_tables(const std::vector<ExternalTable>& tables, bool compressed, Deadline deadline) {
    bool sent = false;
    for (const ExternalTable& t : tables) {
      try {
        t.source->start(t.structure);
        const auto write = [&](const Block& block) {
          wire::write_data(out, t.name, block, revision, compressed ? &encoder : nullptr, &block_bytes);
          send(deadline);
          sent = true;
        };
        write(t.structure);  // the table exists even when it has no rows
        while (std::optional<Block> block = t.source->next()) {
          if (block->rows() == 0) continue;
          write(match_insert_sample(*block, t.structure, t.name));
        }
      } catch (const Error& e) {
        out.clear();
        if (sent) mark_broken();
        throw e.with_context(
            "the external table '" + t.name + "': the query was not run" +
            (sent ? " (the connection was closed, so the server never runs it on part of the table)" : ""));
      }
    }
  }

  // Sends Cancel and reads the rest of the query until `drain` (drain_deadline()). A connection
  // that does not come back to rest in time, or has no time left to try, is marked broken: it is
  // closed rather than returned to a pool, and the call ends at its deadline.
  //
  // `end_data` instead ends an insert's data with the empty block (an insert stopped between
  // blocks: every server version reads that as the end of the data and inserts what it received;
  // what a Cancel does there differs between versions). A server exception read while draining is
  // stored in `*server_error` when given.
  Drain cancel_and_drain(bool compressed, Deadline drain, bool end_data = false,
                         std::optional<Error>* server_error = nullptr) noexcept {
    if (drain.expired()) {
      mark_broken();
      return Drain::skipped;
    }
    try {
      out.clear();  // anything queued is a whole packet that was never sent: dropped, never half-sent
      detail::sansio::QueryReply r = reply(detail::sansio::QueryReply::Mode::drain, compressed);
      r.end_data = end_data;
      if (end_data) r.end_of_data = end_of_data(compressed);
      BlockingInput input(*this, drain, false);
      const QueryOptions none;
      Result scratch;
      detail::sansio::QueryOperation op(std::move(r), input, none, scratch);
      drive(op, drain);
      if (server_error && op.drained_exception()) *server_error = *op.drained_exception();
      return Drain::kept;
    } catch (...) {
      mark_broken();
      return Drain::dropped;
    }
  }

  // An exception ends the query. An old server that failed before reading all the data sent with
  // the query leaves that data in the stream: the session cannot be reused.
  void note_server_exception() noexcept {
    if (!data_consumed && info.revision < detail::k_min_revision_skipping_data_after_error) needs_reconnect = true;
  }

  // Before each call: refuse a closed or broken connection, and replace a session left out of step
  // by an old server.
  void prepare(Deadline deadline) {
    if (open_call == k_call_in_progress) {
      throw Error(ErrorKind::usage, "the connection to " + peer +
                                        " is running a select, execute or insert whose callback called it again; a "
                                        "callback must not use the connection it is called from (use another one)");
    }
    if (open_call) {
      throw Error(ErrorKind::usage, std::string(open_call) + " is open on the connection to " + peer +
                                        "; end it (read a cursor to its end, finish an insert) or destroy it before "
                                        "the next call");
    }
    check_usable();
    if (!needs_reconnect) return;
    needs_reconnect = false;
    if (target.host.empty()) {
      mark_broken();
      throw Error(ErrorKind::usage,
                  "the connection to " + peer + " cannot continue after the server's last error and cannot reconnect");
    }
    try {
      const Deadline connect_deadline =
          deadline.earliest(Deadline::after(config.timeouts.connect).named(k_connect_limit));
      session = std::make_unique<Session>(open_stream(config, target, tls, resolver, connect_deadline), config);
      stream = session->stream.get();
      source = &session->source;
      in = &session->in;
      run_handshake(connect_deadline);
    } catch (const Error& e) {
      mark_broken();
      throw e.with_context("reconnecting to " + peer + " after the server's last error");
    }
  }

  // Cancels the query at a packet boundary (the drain within drain_deadline()) and says how that
  // went, as the end of the message of the error the call throws.
  std::string cancel_and_describe(bool compressed, const QueryOptions& options) {
    const Deadline drain = drain_deadline(options);
    return detail::describe_cancel(cancel_and_drain(compressed, drain), drain);
  }

  // Runs `body` (the part of a query after it was sent) with the error policy of DESIGN.md:
  // server exceptions leave the connection usable; the query deadline passing between packets or a
  // callback throwing cancels and drains (within the caller's deadline); anything else breaks the
  // connection. `deadline` is the query's (query_deadline()).
  template <class Body>
  auto guarded(const QueryOptions& options, Deadline deadline, bool compressed, Body&& body) -> decltype(body()) {
    try {
      return body();
    } catch (const DeadlineAtBoundary&) {
      throw Error(ErrorKind::timeout, "the query " + last_query_id + " on " + peer + " did not finish within " +
                                          deadline.describe() + cancel_and_describe(compressed, options));
    } catch (const StopAtBoundary&) {
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
  SelectState start_select(std::string_view sql, const QueryOptions& options, CallInProgress& call) {
    check_not_stopped(options);
    SelectState st;
    st.sql = sql;
    st.options = &options;
    st.deadline = query_deadline(options);
    prepare(st.deadline);
    call.arm();
    st.compressed = compressing();
    try {
      st.result.query_id = start_query(sql, options, st.deadline);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::usage) mark_broken();
      throw;
    }
    if (!session_changed && sql::changes_session(sql)) session_changed = true;
    const sql::InsertShape shape = sql::insert_shape(sql);
    st.data_insert = shape.is_insert && !shape.from_select;
    return st;
  }

  // Reads packets to the next non-empty data block (returned) or the end of the result (nullopt,
  // st.ended). Run inside guarded(). `spare`, when given, is a block whose columns the next block
  // may decode into (select() reuses the buffers of a block its callback did not keep).
  std::optional<Block> next_block(SelectState& st, Block* spare) {
    if (!st.op) {
      // Made here, not in start_select(): the operation points into the SelectState, which has
      // reached its place by the first next_block().
      detail::sansio::QueryReply r = reply(detail::sansio::QueryReply::Mode::select, st.compressed);
      r.data_insert = st.data_insert;
      if (st.data_insert) r.end_of_data = end_of_data(st.compressed);
      st.input = std::make_unique<BlockingInput>(*this, st.deadline, true);
      st.op = std::make_unique<detail::sansio::QueryOperation>(std::move(r), *st.input, *st.options, st.result);
    }
    if (spare && !spare->empty()) st.op->recycle(std::move(*spare));
    if (drive(*st.op, st.deadline)) return std::move(st.op->block());
    st.ended = true;
    if (st.op->inline_insert_ended() && sql::insert_shape(st.sql).inline_data) {
      throw detail::unread_inline_data(info.revision);
    }
    return std::nullopt;
  }

  Result run_select(std::string_view sql, const std::function<void(const Block&)>* on_block,
                    const QueryOptions& options) {
    const StopWatch watch(*this, options.stop);
    CallInProgress call(*this);
    SelectState st = start_select(sql, options, call);
    return guarded(options, st.deadline, st.compressed, [&]() -> Result {
      // A streamed block after on_block() returns: the next block decodes into the columns the
      // callback did not keep, so a long stream reuses its buffers instead of allocating each block.
      Block spare;
      while (std::optional<Block> block = next_block(st, &spare)) {
        if (on_block) {
          detail::sansio::call_back(*on_block, *block);
          spare = std::move(*block);
        } else {
          st.result.blocks.push_back(std::move(*block));
        }
      }
      return std::move(st.result);
    });
  }

  // Ends an insert early (its source failed, a stop or the deadline between blocks): the unsent
  // blocks are dropped, the data ended with the empty block and the server's answer read within
  // `drain`. Returns what became of the blocks sent before, as the end of a message.
  std::string end_insert_early(bool compressed, Deadline drain, const InsertProgress& sent) noexcept {
    std::optional<Error> refused;
    const Drain outcome = cancel_and_drain(compressed, drain, true, &refused);
    try {
      return detail::describe_insert_ending(outcome, refused, drain, sent);
    } catch (...) {
      return {};  // no memory for the message: the error it completes is thrown as it is
    }
  }

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
  void start_insert(InsertState& st, const InsertTarget& into, const QueryOptions& options, CallInProgress& call) {
    st.sql = into.insert_statement();
    st.table = into.name();
    st.options = &options;
    st.ended = true;  // until the sample came
    if (!options.external_tables.empty()) {
      throw Error(ErrorKind::usage, "external tables go with queries that read, not with an insert; nothing was sent");
    }
    check_not_stopped(options);
    st.deadline = query_deadline(options);
    prepare(st.deadline);
    call.arm();
    st.compressed = compressing();
    try {
      start_query(st.sql, options, st.deadline);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::usage) mark_broken();
      throw;
    }
    guarded(options, st.deadline, st.compressed, [&] {
      Result scratch;
      detail::sansio::QueryReply r = reply(detail::sansio::QueryReply::Mode::insert_sample, st.compressed);
      r.sql = st.sql;
      BlockingInput input(*this, st.deadline, true);
      detail::sansio::QueryOperation op(std::move(r), input, options, scratch);
      drive(op, st.deadline);  // the sample, or a failure
      last_sample = std::move(op.block());
    });
    st.ended = false;
  }

  // Why the insert must end before the next block: a stop, or the query deadline passed. Null: go on.
  std::exception_ptr between_blocks(const InsertState& st) const {
    if (stop.stop_requested()) {
      return std::make_exception_ptr(detail::insert_stopped(last_query_id, st.table, peer, "QueryOptions::stop"));
    }
    if (st.deadline.expired()) {
      return std::make_exception_ptr(detail::insert_deadline_passed(last_query_id, st.table, peer, st.deadline));
    }
    return nullptr;
  }

  // Sends one block already matched to the sample. An error ends the insert.
  void send_insert_block(InsertState& st, const Block& block) {
    try {
      guarded(*st.options, st.deadline, st.compressed, [&] {
        write_data(block, st.compressed);
        send(st.deadline);
      });
    } catch (...) {
      st.ended = true;
      throw;
    }
    ++st.sent.blocks;
    st.sent.rows += block.rows();
  }

  // The empty block that ends the data, then the server's acknowledgement. The insert has ended
  // when this returns or throws.
  void finish_insert(InsertState& st) {
    st.ended = true;
    guarded(*st.options, st.deadline, st.compressed, [&] {
      write_data(Block{}, st.compressed);
      send(st.deadline);
      Result scratch;
      finish(*st.options, st.deadline, scratch);
    });
  }

  // Ends the insert early because of `failure` (end_insert_early) and rethrows it, its message
  // completed with what became of the blocks sent.
  [[noreturn]] void fail_insert(InsertState& st, const std::exception_ptr& failure) {
    st.ended = true;
    const std::string ending = end_insert_early(st.compressed, drain_deadline(*st.options), st.sent);
    detail::rethrow_insert_failure(failure, ending);
  }

  // The pull form: the source's blocks, each sent before the next is asked for, so every block the
  // source returned before a failure is one the server received. The source's failure is handled
  // here, outside guarded(), which would take it for a failure of the conversation.
  void run_insert(const InsertTarget& into, InsertSource& blocks, const QueryOptions& options) {
    const StopWatch watch(*this, options.stop);
    InsertState st;
    CallInProgress call(*this);
    start_insert(st, into, options, call);
    try {
      blocks.start(last_sample);
    } catch (...) {
      fail_insert(st, std::current_exception());
    }
    for (;;) {
      if (std::exception_ptr failure = between_blocks(st)) fail_insert(st, failure);
      std::optional<Block> block;
      try {
        block = detail::next_insert_block(blocks, last_sample, st.table);
      } catch (...) {
        fail_insert(st, std::current_exception());
      }
      if (!block) break;
      if (block->rows() == 0) continue;
      // A stop that came while the source made this block: the block is not sent.
      if (stop.stop_requested()) continue;
      send_insert_block(st, *block);
    }
    finish_insert(st);
  }

  // Reads to EndOfStream (progress and logs may come first; an Exception ends it instead).
  void finish(const QueryOptions& options, Deadline deadline, Result& scratch) {
    BlockingInput input(*this, deadline, true);
    detail::sansio::QueryOperation op(reply(detail::sansio::QueryReply::Mode::insert_finish, compressing()), input,
                                      options, scratch);
    drive(op, deadline);
  }

  // Runs a sans-I/O operation on this session, blocking, within `deadline`.
  void run_conversation(detail::sansio::Operation& op, Deadline deadline) {
    detail::sansio::Conversation& c = session->conversation;
    const auto held = in->buffered();  // already read from the stream: the operation's first bytes
    c.in.append(held);
    in->consume(held.size());
    detail::sansio::run_blocking(op, c, *stream, deadline, {config.timeouts.send, config.timeouts.receive});
  }

  void run_ping(Deadline deadline) {
    prepare(deadline);
    try {
      detail::sansio::Ping ping(revision);
      run_conversation(ping, deadline);
    } catch (const Error& e) {
      mark_broken();
      if (e.kind() == ErrorKind::timeout) throw e.with_context("ping");
      throw;
    }
  }

  void run_handshake(Deadline deadline) {
    detail::sansio::Handshake handshake(detail::sansio::client_hello(config));
    run_conversation(handshake, deadline);
    info = handshake.info();
    revision = handshake.revision();
  }
};

NativeConnection::NativeConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NativeConnection::~NativeConnection() { close(); }

std::unique_ptr<NativeConnection> NativeConnection::connect(const Config& config, const HostPort& host,
                                                            Deadline deadline,
                                                            std::shared_ptr<const net::TlsContext> tls,
                                                            std::shared_ptr<const net::Resolver> resolver) {
  // Before any byte goes out: a config that cannot work (TLS options without secure, which would
  // send the password in plain text) fails here too, not only through connectors and strategies.
  config.validate();
  const Deadline connect_deadline =
      callers(deadline).earliest(Deadline::after(config.timeouts.connect).named(k_connect_limit));
  const std::string where = to_string(HostPort{host.host, config.port_of(host)});
  try {
    if (!resolver) resolver = detail::resolver_for(config);  // kept for reconnecting
    auto connection = handshake(config, open_stream(config, host, tls, resolver, connect_deadline), connect_deadline);
    connection->impl_->target = host;
    connection->impl_->tls = std::move(tls);
    connection->impl_->resolver = std::move(resolver);
    return connection;
  } catch (const Error& e) {
    throw e.with_context("connecting to " + where + " as user '" + config.user + "'");
  }
}

std::unique_ptr<NativeConnection> NativeConnection::handshake(const Config& config, std::unique_ptr<net::Stream> stream,
                                                              Deadline deadline) {
  auto impl = std::make_unique<Impl>(config, std::move(stream));
  try {
    impl->run_handshake(callers(deadline));
  } catch (...) {
    impl->mark_broken();
    throw;
  }
  if (const Logger* logger = impl->logger(); logger && logger->enabled(LogLevel::debug)) {
    logger->log(LogLevel::debug, "chconn: connected to " + impl->peer + " (" + impl->info.name + " " +
                                     std::to_string(impl->info.version_major) + "." +
                                     std::to_string(impl->info.version_minor) + ", revision " +
                                     std::to_string(impl->info.revision) + ")");
  }
  return std::unique_ptr<NativeConnection>(new NativeConnection(std::move(impl)));
}

namespace {

// NativeConnection's QueryCursor: the select loop, one block per next(). It keeps its own copies of
// the query text and options (the SelectState points into them), and marks its connection busy
// (Impl::open_call) until it ends.
class NativeCursor final : public QueryCursor {
 public:
  NativeCursor(NativeConnection::Impl& impl, std::string_view sql, const QueryOptions& options)
      : impl_(impl), sql_(sql), options_(options) {
    const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
    {
      NativeConnection::Impl::CallInProgress call(impl_);
      st_ = impl_.start_select(sql_, options_, call);
    }
    impl_.open_call = "a query cursor";
  }

  ~NativeCursor() override {
    if (st_.ended) return;
    // Ended early: stop the query and keep the connection if it comes back to rest in time.
    impl_.open_call = nullptr;
    st_.ended = true;
    impl_.cancel_and_drain(st_.compressed, impl_.drain_deadline(options_));  // noexcept
  }

  std::optional<Block> next() override {
    if (st_.ended) return std::nullopt;
    try {
      const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
      std::optional<Block> block =
          impl_.guarded(options_, st_.deadline, st_.compressed, [&] { return impl_.next_block(st_, nullptr); });
      if (!block) impl_.open_call = nullptr;
      return block;
    } catch (...) {
      // guarded() has cancelled and drained, or marked the connection broken.
      st_.ended = true;
      impl_.open_call = nullptr;
      throw;
    }
  }

  const Result& summary() const noexcept override { return st_.result; }
  bool done() const noexcept override { return st_.ended; }

 private:
  NativeConnection::Impl& impl_;
  const std::string sql_;
  const QueryOptions options_;
  NativeConnection::Impl::SelectState st_;
};

// NativeConnection's InsertStream: the push form of the insert, each block sent by write(). It
// keeps its own copy of the options (the InsertState points to them) and marks its connection busy
// (Impl::open_call) until it ends.
class NativeInsertStream final : public InsertStream {
 public:
  NativeInsertStream(NativeConnection::Impl& impl, const InsertTarget& target, const QueryOptions& options)
      : impl_(impl), options_(options) {
    const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
    {
      NativeConnection::Impl::CallInProgress call(impl_);
      impl_.start_insert(st_, target, options_, call);
    }
    impl_.open_call = "an unfinished insert";
  }

  ~NativeInsertStream() override {
    if (st_.ended) return;
    // Abandoned: end the data early (noexcept); the blocks sent stay inserted.
    impl_.open_call = nullptr;
    st_.ended = true;
    const std::string ending = impl_.end_insert_early(st_.compressed, impl_.drain_deadline(options_), st_.sent);
    if (const Logger* logger = impl_.logger(); logger && logger->enabled(LogLevel::warning)) {
      try {
        logger->log(LogLevel::warning, "chconn: the insert " + impl_.last_query_id + " into " + st_.table + " on " +
                                           impl_.peer + " was abandoned before finish()" + ending);
      } catch (...) {
        // A sink that throws, or no memory for the message: nothing more to say from a destructor.
      }
    }
  }

  const Block& sample() const noexcept override { return impl_.last_sample; }

  void write(const Block& block) override {
    check_open();
    const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
    if (std::exception_ptr failure = impl_.between_blocks(st_)) end_with(failure);
    if (block.rows() == 0) return;
    // A mismatch throws here, before anything is sent: the insert stays open.
    const Block matched = match_insert_sample(block, impl_.last_sample, st_.table);
    try {
      impl_.send_insert_block(st_, matched);
    } catch (...) {
      impl_.open_call = nullptr;
      throw;
    }
  }

  void finish() override {
    check_open();
    const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
    if (std::exception_ptr failure = impl_.between_blocks(st_)) end_with(failure);
    impl_.open_call = nullptr;
    impl_.finish_insert(st_);
    finished_ = true;
  }

  bool done() const noexcept override { return st_.ended; }
  InsertProgress progress() const noexcept override { return st_.sent; }

 private:
  void check_open() const {
    if (!st_.ended) return;
    throw Error(ErrorKind::usage, "the insert into " + st_.table + (finished_ ? " was finished" : " has ended") +
                                      "; start another with insert()");
  }

  [[noreturn]] void end_with(const std::exception_ptr& failure) {
    impl_.open_call = nullptr;
    impl_.fail_insert(st_, failure);
  }

  NativeConnection::Impl& impl_;
  const QueryOptions options_;
  NativeConnection::Impl::InsertState st_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<InsertStream> NativeConnection::insert(const InsertTarget& target, const QueryOptions& options) {
  return std::make_unique<NativeInsertStream>(*impl_, target, options);
}

std::unique_ptr<QueryCursor> NativeConnection::query(std::string_view sql, const QueryOptions& options) {
  return std::make_unique<NativeCursor>(*impl_, sql, options);
}

Result NativeConnection::execute(std::string_view sql, const QueryOptions& options) {
  return impl_->run_select(sql, nullptr, options);
}

Result NativeConnection::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                                const QueryOptions& options) {
  return impl_->run_select(sql, &on_block, options);
}

void NativeConnection::insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options) {
  impl_->run_insert(target, source, options);
}

void NativeConnection::ping(Deadline deadline) {
  impl_->run_ping(
      callers(deadline).earliest(Deadline::after(impl_->config.timeouts.receive).named(detail::k_receive_limit)));
}

void NativeConnection::close() noexcept {
  if (!impl_ || impl_->closed) return;
  impl_->closed = true;
  if (impl_->stream) impl_->stream->close();
}

bool NativeConnection::session_changed() const noexcept { return impl_->session_changed; }

bool NativeConnection::usable() const noexcept {
  return !impl_->closed && !impl_->broken && impl_->stream && impl_->stream->is_open();
}

const ServerInfo& NativeConnection::server_info() const noexcept { return impl_->info; }
const std::string& NativeConnection::last_query_id() const noexcept { return impl_->last_query_id; }
const std::string& NativeConnection::peer() const noexcept { return impl_->peer; }
const Block& NativeConnection::last_insert_sample() const noexcept { return impl_->last_sample; }

}  // namespace chconn
