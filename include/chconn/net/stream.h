// chconn::net::Stream — a connected, ordered byte stream (TCP or TLS) whose every blocking call
// has a deadline.
//
// The connection layer reads big chunks through read_some() into its own buffer and adapts the
// stream to the wire codec's ByteSource; the net layer itself does no protocol buffering. Streams
// are made by connect_tcp() (chconn/net/tcp.h) and connect_tls() / wrap_tls() (chconn/net/tls.h).
//
// Deadlines: an operation whose deadline has already passed when it is called throws a timeout
// error without touching the connection. Otherwise the deadline bounds the time spent waiting for
// the peer; the calls never wait longer, and never busy-wait.
//
// Errors are chconn::Error:
//   - ErrorKind::timeout — the deadline passed; the message names the operation, the peer and the
//     time waited ("read from 127.0.0.1:9000 timed out after 250 ms").
//   - ErrorKind::network — refused, reset, closed by the peer while writing, TLS failure; the
//     message names the operation and the peer ("write to [::1]:9000: connection reset by peer").
//   - ErrorKind::usage — the stream was used after close().
// A read that timed out consumed nothing: the stream may be read again (so a connection can send
// Cancel and drain). After any other error, or after a write timed out, the bytes on the stream
// are unknown and the caller should close it (classify() marks such errors connection_broken).
// Writing never raises SIGPIPE.
//
// Thread safety: a Stream is used by one thread at a time (like the connection that owns it).
// close() must not race with another call on the same stream.
//
// Example:
//   auto s = chconn::net::connect_tcp("127.0.0.1", 9000, {}, chconn::Deadline::after(10s));
//   s->write_all(hello.data(), hello.size(), chconn::Deadline::after(300s));
//   char buf[65536];
//   std::size_t n = s->read_some(buf, sizeof buf, chconn::Deadline::after(300s));  // 0: EOF
#pragma once

#include <cstddef>
#include <string>

#include "chconn/core/clock.h"

namespace chconn::net {

class Interrupt;

class Stream {
 public:
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  // Closes the stream if it is still open.
  virtual ~Stream() = default;

  // Reads at least 1 and at most `n` bytes into `buf`: whatever is available, waiting for the first
  // byte until `deadline`. Returns 0 only at an orderly end of stream (the peer closed its side).
  // `n` must be at least 1 (0 throws ErrorKind::usage, since 0 means end of stream).
  virtual std::size_t read_some(void* buf, std::size_t n, Deadline deadline) = 0;

  // Writes all `n` bytes, or throws. A peer that closed or reset the connection gives a network
  // error (never SIGPIPE); a peer that stops reading gives a timeout once the send buffers are full
  // and the deadline passes.
  virtual void write_all(const void* data, std::size_t n, Deadline deadline) = 0;

  // Closes the connection and releases its resources. Idempotent. Does not wait for the peer
  // (a TLS stream sends close_notify only if it can do so without blocking).
  virtual void close() noexcept = 0;

  // False after close().
  virtual bool is_open() const noexcept = 0;

  // The address actually connected to, as "host:port" with numeric hosts and IPv6 in brackets
  // ("127.0.0.1:9000", "[::1]:9440"). Still valid after close().
  virtual std::string peer() const = 0;

  // The operating system's handle (a socket file descriptor on POSIX), or -1 when closed. For
  // diagnostics and socket options; reading or writing it directly bypasses the stream (and TLS).
  virtual int native_handle() const noexcept = 0;

  // True for a TLS stream.
  virtual bool is_secure() const noexcept { return false; }

  // Makes read_some() watch `interrupt` (chconn/net/interrupt.h) until set_interrupt(nullptr): a
  // read that has to wait for the peer while it is triggered, or is waiting when it is triggered,
  // throws Error(cancelled) having consumed nothing (the stream may be read again). Writes are not
  // interrupted. The Interrupt must outlive the watch. The default ignores it (a stream that cannot
  // be woken waits until its deadline); the TCP and TLS streams honour it.
  virtual void set_interrupt(const Interrupt* interrupt) noexcept { (void)interrupt; }
};

}  // namespace chconn::net
