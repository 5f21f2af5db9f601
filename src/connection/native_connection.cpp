// NativeConnection: the session and the conversation's plumbing every call shares (sending, the
// sans-I/O driver, cancel and drain, reconnecting after an old server's error), connect, the
// handshake and ping. Select is in native_select.cpp, insert in native_insert.cpp; the Impl they
// share is declared in native_impl.h.
#include "chconn/connection/native_connection.h"

#include <exception>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/core/log.h"
#include "chconn/net/interrupt.h"
#include "chconn/net/resolver.h"
#include "chconn/net/tcp.h"
#include "chconn/net/tls.h"
#include "chconn/wire/block.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/packets.h"
#include "connection/deadlines.h"
#include "connection/native_impl.h"
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

using detail::callers;
using detail::Drain;
using detail::k_connect_limit;
using detail::k_send_limit;

// Large reads keep the number of system calls low on bulk results.
constexpr std::size_t k_receive_buffer_bytes = std::size_t{1} << 20;

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

namespace detail {

NativeSession::NativeSession(std::unique_ptr<net::Stream> s, const Config& config)
    : stream(std::move(s)),
      conversation(config.limits, stream->peer()),
      source(*stream, config.timeouts.receive, k_receive_buffer_bytes, &conversation.in),
      in(source, config.limits),
      frames(in) {}

}  // namespace detail

NativeConnection::Impl::Impl(const Config& cfg, std::unique_ptr<net::Stream> s)
    : config(cfg),
      session(std::make_unique<detail::NativeSession>(std::move(s), cfg)),
      stream(session->stream.get()),
      peer(stream->peer()),
      source(&session->source),
      in(&session->in),
      encoder(cfg.compression == Compression::none ? Compression::lz4 : cfg.compression),
      client(detail::ClientIdentity::of_this_process()) {}

NativeConnection::Impl::CallInProgress::~CallInProgress() {
  if (armed_ && impl_.open_call == k_call_in_progress) impl_.open_call = nullptr;
}

void NativeConnection::Impl::CallInProgress::arm() noexcept {
  if (impl_.open_call != nullptr) return;
  impl_.open_call = k_call_in_progress;
  armed_ = true;
}

NativeConnection::Impl::StopWatch::StopWatch(Impl& impl, const std::stop_token& token) : impl_(impl) {
  if (!token.stop_possible()) return;
  if (!impl.interrupt) impl.interrupt = std::make_unique<net::Interrupt>();
  impl.interrupt->clear();
  impl.stop = token;
  wake_.emplace(token, detail::WakeOnStop{impl.interrupt.get()});  // triggers at once if already stopped
}

NativeConnection::Impl::StopWatch::~StopWatch() {
  wake_.reset();  // waits for a callback running on another thread
  impl_.stop = {};
  if (impl_.interrupt) impl_.interrupt->clear();
  if (impl_.stream) impl_.stream->set_interrupt(nullptr);
}

bool NativeConnection::Impl::BlockingInput::decode(detail::sansio::Conversation& /*c*/, const Decode& decode) {
  impl_.read_until(deadline_);
  if (at_boundary_) wait_for_packet();
  decode(*impl_.in, &impl_.session->frames);
  return true;
}

std::size_t NativeConnection::Impl::BlockingInput::read_hint(const detail::sansio::Conversation& /*c*/) const noexcept {
  return 0;
}

void NativeConnection::Impl::BlockingInput::wait_for_packet() {
  if (impl_.stop.stop_requested()) throw detail::StopAtBoundary{};
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
    if (e.kind() == ErrorKind::cancelled && impl_.stop.stop_requested()) throw detail::StopAtBoundary{};
    if (e.kind() == ErrorKind::timeout && deadline_.expired()) throw detail::DeadlineAtBoundary{};
    throw;
  }
}

void NativeConnection::Impl::check_not_stopped(const QueryOptions& options) const {
  if (options.stop.stop_requested()) {
    throw Error(ErrorKind::cancelled,
                "the query was not sent to " + peer + ": stop was requested before the call (QueryOptions::stop)");
  }
}

void NativeConnection::Impl::read_until(Deadline deadline) noexcept {
  source->set_deadline(deadline);
  session->frames.set_deadline(deadline);
}

void NativeConnection::Impl::mark_broken() noexcept {
  broken = true;
  if (stream) stream->close();
}

void NativeConnection::Impl::check_usable() const {
  if (closed) throw Error(ErrorKind::usage, "the connection to " + peer + " was closed");
  if (broken || !stream->is_open()) {
    throw Error(ErrorKind::usage, "the connection to " + peer +
                                      " is broken by an earlier error; open a new one (a pool does this itself)");
  }
}

void NativeConnection::Impl::send(Deadline deadline) {
  stream->write_all(out.data().data(), out.size(),
                    deadline.earliest(Deadline::after(config.timeouts.send).named(k_send_limit)));
  out.clear();
}

void NativeConnection::Impl::write_data(const Block& block, bool compressed) {
  wire::write_data(out, "", block, revision, compressed ? &encoder : nullptr, &block_bytes);
}

std::vector<std::uint8_t> NativeConnection::Impl::end_of_data(bool compressed) {
  wire::Writer bytes;
  wire::write_end_of_data(bytes, revision, compressed ? &encoder : nullptr, &block_bytes);
  return {bytes.data().begin(), bytes.data().end()};
}

detail::sansio::QueryReply NativeConnection::Impl::reply(detail::sansio::QueryReply::Mode mode, bool compressed) const {
  detail::sansio::QueryReply r;
  r.mode = mode;
  r.revision = revision;
  r.compressed = compressed;
  return r;
}

bool NativeConnection::Impl::drive(detail::sansio::QueryOperation& op, Deadline deadline) {
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

std::string NativeConnection::Impl::start_query(std::string_view sql, const QueryOptions& options, Deadline deadline) {
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

void NativeConnection::Impl::send_external_tables(const std::vector<ExternalTable>& tables, bool compressed,
                                                  Deadline deadline) {
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

Drain NativeConnection::Impl::cancel_and_drain(bool compressed, Deadline drain, bool end_data,
                                               std::optional<Error>* server_error) noexcept {
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

void NativeConnection::Impl::note_server_exception() noexcept {
  if (!data_consumed && info.revision < detail::k_min_revision_skipping_data_after_error) needs_reconnect = true;
}

void NativeConnection::Impl::prepare(Deadline deadline) {
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
    session =
        std::make_unique<detail::NativeSession>(open_stream(config, target, tls, resolver, connect_deadline), config);
    stream = session->stream.get();
    source = &session->source;
    in = &session->in;
    run_handshake(connect_deadline);
  } catch (const Error& e) {
    mark_broken();
    throw e.with_context("reconnecting to " + peer + " after the server's last error");
  }
}

std::string NativeConnection::Impl::cancel_and_describe(bool compressed, const QueryOptions& options) {
  const Deadline drain = drain_deadline(options);
  return detail::describe_cancel(cancel_and_drain(compressed, drain), drain);
}

void NativeConnection::Impl::run_conversation(detail::sansio::Operation& op, Deadline deadline) {
  detail::sansio::Conversation& c = session->conversation;
  const auto held = in->buffered();  // already read from the stream: the operation's first bytes
  c.in.append(held);
  in->consume(held.size());
  detail::sansio::run_blocking(op, c, *stream, deadline, {config.timeouts.send, config.timeouts.receive});
}

void NativeConnection::Impl::run_ping(Deadline deadline) {
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

void NativeConnection::Impl::run_handshake(Deadline deadline) {
  detail::sansio::Handshake handshake(detail::sansio::client_hello(config));
  run_conversation(handshake, deadline);
  info = handshake.info();
  revision = handshake.revision();
}

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
