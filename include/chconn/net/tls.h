// TLS (OpenSSL 3) over any Stream: connect_tls() connects and handshakes; wrap_tls() secures a
// stream the caller connected.
//
// Security defaults: TLS 1.2 or newer; the server's certificate chain is verified against
// TlsOptions::ca_file / ca_dir, or the system's default store when both are empty; the certificate
// must match TlsOptions::server_name, or the host connected to when that is empty (a DNS name, or
// an IP address checked against the certificate's IP entries). SNI is sent for names, not for IP
// addresses. TlsOptions::verify = false turns all verification off and must be asked for
// explicitly.
//
// A verification failure is ErrorKind::network with OpenSSL's reason and what to do, e.g.
// "TLS handshake with localhost:9440: server certificate verification failed: certificate has
// expired". Bad TLS options (unreadable CA file, key not matching the certificate) are
// ErrorKind::config and name the file, never its contents. A handshake that outlives its deadline is
// ErrorKind::timeout.
//
// The TLS stream does its I/O through the stream it wraps, so deadlines, poll() waiting and
// SIGPIPE suppression are the wrapped stream's. An end of stream without close_notify reads as an
// ordinary end of stream (0): the native protocol frames its own messages, so a truncation is
// caught above.
//
// Thread safety and lifetimes: a TlsContext is immutable once built and may be shared by any
// number of threads and connections (keep one per TlsOptions, e.g. in a strategy, rather than
// building one per connection: loading a CA store costs milliseconds). Streams made from it keep
// what they need, so the context may be destroyed before them. A TLS Stream is used by one thread
// at a time, like any Stream.
//
// Example:
//   auto context = std::make_shared<const chconn::net::TlsContext>(
//       chconn::TlsOptions{.ca_file = "/etc/ssl/ca.pem"});
//   auto stream = chconn::net::connect_tls("db1", 9440, {}, *context, chconn::Deadline::after(10s));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "chconn/core/clock.h"
#include "chconn/core/config.h"
#include "chconn/net/stream.h"
#include "chconn/net/tcp.h"

namespace chconn::net {

// Client-side TLS settings made ready for use: the CA store loaded, the client certificate and key
// checked. Build once per TlsOptions and share.
class TlsContext {
 public:
  // Throws chconn::Error(config) naming the file that cannot be used (a CA file or directory, the
  // client certificate or key) or a key given without a certificate. Encrypted private keys are not
  // supported (no passphrase is ever prompted for).
  explicit TlsContext(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  const TlsOptions& options() const noexcept { return options_; }

  // The OpenSSL SSL_CTX*, for callers that need to adjust it before any stream is made from it.
  void* native_handle() const noexcept;

 private:
  struct Impl;
  friend std::unique_ptr<Stream> wrap_tls(std::unique_ptr<Stream>, std::string_view, const TlsContext&, Deadline);
  TlsOptions options_;
  std::shared_ptr<Impl> impl_;
};

// Runs a TLS client handshake over `transport` and returns the secured stream, which owns
// `transport`. `host` is the name (or IP literal) the caller connected to; the certificate is
// checked against context.options().server_name, or `host` when that is empty. On failure
// `transport` is closed and an Error is thrown (see above).
std::unique_ptr<Stream> wrap_tls(std::unique_ptr<Stream> transport, std::string_view host, const TlsContext& context,
                                 Deadline deadline);

// connect_tcp() then wrap_tls(). The handshake gets tcp.connect_timeout or what is left of
// `deadline`, whichever is less, counted from when TCP connected.
std::unique_ptr<Stream> connect_tls(const std::string& host, std::uint16_t port, const TcpOptions& tcp,
                                    const TlsContext& context, Deadline deadline);

// The same with a context built for this one connection. Prefer the overload taking a shared
// TlsContext when connecting more than once.
std::unique_ptr<Stream> connect_tls(const std::string& host, std::uint16_t port, const TcpOptions& tcp,
                                    const TlsOptions& tls, Deadline deadline);

}  // namespace chconn::net
