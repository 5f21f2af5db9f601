// TLS streams over any Stream, with OpenSSL 3.
//
// How deadlines reach OpenSSL: the SSL object talks to a small custom BIO whose read and write call
// the wrapped Stream with the deadline of the TLS operation in progress. The wrapped stream does
// the waiting (poll with the time left, EINTR, SIGPIPE), so OpenSSL sees a blocking transport that
// never blocks past the deadline. Exceptions never cross OpenSSL's C frames: the BIO catches them,
// stores them, and the TLS call that returned is turned back into the stored error here.
//
// A read that times out inside the BIO is reported to OpenSSL as "retry" (it consumed nothing), so
// the TLS state survives and the stream can be read again. A failed or timed-out write may have
// sent part of a record, so it makes the stream unusable.
#include "chconn/net/tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <climits>
#include <exception>
#include <filesystem>
#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "net/socket.h"

namespace chconn::net {

namespace {

// close_notify is sent on close() only if it fits within this; it normally takes microseconds
// (the send buffer has room), and is skipped after a failed write.
constexpr std::chrono::milliseconds k_close_notify_timeout{50};

// OpenSSL's queued errors for this thread, as "reason; reason", then cleared.
std::string take_openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    std::string text;
    if (ERR_SYSTEM_ERROR(code)) {
      text = detail::errno_text(ERR_GET_REASON(code));
    } else if (reason != nullptr) {
      text = reason;
    } else {
      char buffer[256];
      ERR_error_string_n(code, buffer, sizeof buffer);
      text = buffer;
    }
    // "system lib" only repeats that the error above came from the operating system.
    if (text == "system lib" || out.find(text) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "unknown TLS error" : out;
}

std::string strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::string(host);
}

bool is_ip_literal(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return ::inet_pton(AF_INET, host.c_str(), &v4) == 1 || ::inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

// Never prompt for a key's passphrase (OpenSSL's default would read the terminal).
int no_passphrase(char*, int, int, void*) { return 0; }

Error config_error(const std::string& what) { return Error(ErrorKind::config, "TLS options: " + what); }

struct SslFree {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};

// OpenSSL decodes a certificate's extensions (key identifiers, basic constraints) the first time a
// verification needs them and caches them in the X509 object, guarded by the certificate's lock and
// an atomic "cached" flag. The certificates loaded here are shared by every handshake of the
// context. That is correct, but the flag is an atomic inside an uninstrumented libcrypto which
// ThreadSanitizer cannot see, so two handshakes of a fresh context were reported as a data race
// (`chconn health` checks its strategies at once). Decoding them here, before the context is
// shared, leaves the handshakes only reading, which also spares each first handshake that work.
// Certificates that a CA directory supplies during a handshake are not covered.
void cache_certificate_extensions(SSL_CTX* ctx) {
  if (X509_STORE* store = SSL_CTX_get_cert_store(ctx)) {
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; objects != nullptr && i < sk_X509_OBJECT_num(objects); ++i) {
      if (X509* cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i))) X509_get_extension_flags(cert);
    }
  }
  if (X509* own = SSL_CTX_get0_certificate(ctx)) X509_get_extension_flags(own);
  STACK_OF(X509)* chain = nullptr;
  if (SSL_CTX_get0_chain_certs(ctx, &chain) == 1) {
    for (int i = 0; chain != nullptr && i < sk_X509_num(chain); ++i) X509_get_extension_flags(sk_X509_value(chain, i));
  }
  ERR_clear_error();
}

}  // namespace

struct TlsContext::Impl {
  SSL_CTX* ctx = nullptr;
  ~Impl() { SSL_CTX_free(ctx); }
};

TlsContext::TlsContext(const TlsOptions& options) : options_(options), impl_(std::make_shared<Impl>()) {
  ERR_clear_error();
  impl_->ctx = SSL_CTX_new(TLS_client_method());
  if (impl_->ctx == nullptr) throw config_error("cannot create an OpenSSL context: " + take_openssl_errors());
  SSL_CTX* ctx = impl_->ctx;

  // SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl with C casts; call it directly.
  if (SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, nullptr) != 1) {
    throw config_error("cannot require TLS 1.2 or newer: " + take_openssl_errors());
  }
  // The native protocol frames its own messages, so an EOF without close_notify (servers that just
  // close) is an ordinary end of stream; a truncated packet is caught by the codec.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_default_passwd_cb(ctx, &no_passphrase);

  if (options.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (!options.ca_file.empty() && SSL_CTX_load_verify_file(ctx, options.ca_file.c_str()) != 1) {
      throw config_error("cannot load tls.ca_file '" + options.ca_file + "': " + take_openssl_errors());
    }
    if (!options.ca_dir.empty()) {
      std::error_code ec;
      if (!std::filesystem::is_directory(options.ca_dir, ec)) {
        throw config_error("tls.ca_dir '" + options.ca_dir + "' is not a readable directory");
      }
      if (SSL_CTX_load_verify_dir(ctx, options.ca_dir.c_str()) != 1) {
        throw config_error("cannot use tls.ca_dir '" + options.ca_dir + "': " + take_openssl_errors());
      }
    }
    if (options.ca_file.empty() && options.ca_dir.empty() && SSL_CTX_set_default_verify_paths(ctx) != 1) {
      throw config_error("cannot load the system's default CA store: " + take_openssl_errors());
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }

  if (!options.key_file.empty() && options.cert_file.empty()) {
    throw config_error("tls.key_file is set but tls.cert_file is not; a client key needs its certificate");
  }
  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
      throw config_error("cannot load tls.cert_file '" + options.cert_file + "': " + take_openssl_errors());
    }
    // Without key_file the key is expected in the certificate's PEM file.
    const std::string& key = options.key_file.empty() ? options.cert_file : options.key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
        ERR_clear_error();
        throw config_error("the private key in '" + key + "' does not match tls.cert_file '" + options.cert_file + "'");
      }
      throw config_error("cannot load the private key from '" + key +
                         "' (encrypted keys are not supported): " + take_openssl_errors());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      throw config_error("the private key in '" + key + "' does not match tls.cert_file '" + options.cert_file +
                         "': " + take_openssl_errors());
    }
  }
  cache_certificate_extensions(ctx);
}

TlsContext::~TlsContext() = default;

void* TlsContext::native_handle() const noexcept { return impl_->ctx; }

namespace {

BIO_METHOD* stream_bio_method();

class TlsStream final : public Stream {
 public:
  // `label` names the peer in messages ("localhost (127.0.0.1:9440)").
  TlsStream(std::unique_ptr<Stream> transport, SSL_CTX* ctx, std::string label)
      : transport_(std::move(transport)), label_(std::move(label)) {
    peer_ = transport_->peer();
    ERR_clear_error();
    ssl_.reset(SSL_new(ctx));
    if (!ssl_) throw Error(ErrorKind::network, "TLS with " + label_ + ": " + take_openssl_errors());
    BIO* bio = BIO_new(stream_bio_method());
    if (bio == nullptr) throw Error(ErrorKind::network, "TLS with " + label_ + ": " + take_openssl_errors());
    BIO_set_data(bio, this);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_.get(), bio, bio);  // the SSL object owns the BIO from here
    // Read whole records (and more) per transport read, instead of a header then a body.
    SSL_set_read_ahead(ssl_.get(), 1);
  }

  ~TlsStream() override { close(); }

  // `name`: the name or IP literal to verify and (for names) to send as SNI; empty for none.
  // `allowed` is the time the handshake had when wrap_tls() was called, for timeout messages.
  void handshake(const std::string& name, const TlsOptions& options, Deadline deadline, Clock::duration allowed) {
    const std::string what = "TLS handshake with " + label_;
    if (deadline.expired()) throw detail::expired_error(what, deadline);
    if (!name.empty() && !is_ip_literal(name)) {
      // SSL_set_tlsext_host_name is a macro with C casts; this is what it expands to.
      if (SSL_ctrl(ssl_.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                   const_cast<char*>(name.c_str())) != 1) {
        throw Error(ErrorKind::network, what + ": cannot set the server name '" + name + "': " + take_openssl_errors());
      }
    }
    if (options.verify) {
      if (name.empty()) {
        throw Error(ErrorKind::config, what + ": no host name to verify the certificate against; set tls.server_name");
      }
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      const int ok = is_ip_literal(name) ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                         : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
      if (ok != 1) {
        throw Error(ErrorKind::config,
                    what + ": cannot verify against the name '" + name + "': " + take_openssl_errors());
      }
    }

    for (;;) {
      if (deadline.expired()) throw detail::timeout_error(what, deadline, allowed);
      begin_io(deadline);
      const int rc = SSL_connect(ssl_.get());
      if (rc == 1) return;
      const int err = SSL_get_error(ssl_.get(), rc);
      if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) && !io_error_) continue;
      broken_ = true;
      if (is_timeout(io_error_)) {
        std::string message = detail::timeout_error(what, deadline, allowed).message();
        throw Error(ErrorKind::timeout, std::move(message)).with_cause(stored_error());
      }
      const long verify = SSL_get_verify_result(ssl_.get());
      if (options.verify && verify != X509_V_OK) {
        ERR_clear_error();
        throw Error(ErrorKind::network, what + ": server certificate verification failed: " +
                                            X509_verify_cert_error_string(verify) + verify_advice(verify, name));
      }
      if (io_error_) throw stored_error().with_context(what);
      const unsigned long first = ERR_peek_error();
      if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && first == 0) ||
          (first != 0 && ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
        ERR_clear_error();
        throw Error(ErrorKind::network,
                    what + " failed: the server closed the connection during the handshake (is this a TLS port?)");
      }
      throw Error(ErrorKind::network,
                  what + " failed: " + take_openssl_errors() + " (check that the port serves TLS 1.2 or newer)");
    }
  }

  std::size_t read_some(void* buf, std::size_t n, Deadline deadline) override {
    check_usable("TLS read from");
    if (n == 0) {
      throw Error(ErrorKind::usage, "read_some from " + label_ + " with an empty buffer (0 means end of stream)");
    }
    // Messages are built only on failure: this is the hot path.
    const auto what = [this] { return "TLS read from " + label_; };
    if (deadline.expired()) throw detail::expired_error(what(), deadline);
    const Clock::duration allowed = detail::budget(deadline);
    for (;;) {
      if (deadline.expired()) throw detail::timeout_error(what(), deadline, allowed);
      begin_io(deadline);
      std::size_t got = 0;
      const int rc = SSL_read_ex(ssl_.get(), buf, n, &got);
      if (rc == 1) return got;
      const int err = SSL_get_error(ssl_.get(), rc);
      if (err == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF)
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        if (!io_error_) continue;
        // The transport timed out before any byte arrived; the TLS state is intact.
        if (is_timeout(io_error_)) {
          std::string message = detail::timeout_error(what(), deadline, allowed).message();
          throw Error(ErrorKind::timeout, std::move(message)).with_cause(stored_error());
        }
        // The transport's wait was interrupted (set_interrupt()) before any byte arrived: intact too.
        if (is_kind(io_error_, ErrorKind::cancelled)) {
          throw Error(ErrorKind::cancelled, what() + ": the wait was interrupted (nothing was read)");
        }
      }
      if (!io_error_ && io_eof_ && ERR_peek_error() == 0) return 0;  // EOF seen by the BIO
      broken_ = true;
      if (io_error_) throw stored_error().with_context("TLS");
      throw Error(ErrorKind::network, what() + " failed: " + take_openssl_errors());
    }
  }

  void write_all(const void* data, std::size_t n, Deadline deadline) override {
    check_usable("TLS write to");
    if (n == 0) return;
    const auto what = [this] { return "TLS write to " + label_; };
    if (deadline.expired()) throw detail::expired_error(what(), deadline);
    const Clock::duration allowed = detail::budget(deadline);
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t done = 0;
    while (done < n) {
      if (deadline.expired()) {
        broken_ = done > 0;
        throw detail::timeout_error(what(), deadline, allowed);
      }
      begin_io(deadline);
      std::size_t written = 0;
      const int rc = SSL_write_ex(ssl_.get(), p + done, n - done, &written);
      if (rc == 1) {
        done += written;
        continue;
      }
      const int err = SSL_get_error(ssl_.get(), rc);
      if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) && !io_error_) continue;
      // Part of a record may have gone out: the stream cannot be written again.
      broken_ = true;
      if (is_timeout(io_error_)) {
        std::string message = detail::timeout_error(what(), deadline, allowed).message();
        throw Error(ErrorKind::timeout, std::move(message)).with_cause(stored_error());
      }
      if (io_error_) throw stored_error().with_context("TLS");
      throw Error(ErrorKind::network, what() + " failed: " + take_openssl_errors());
    }
  }

  void close() noexcept override {
    if (!transport_ || !transport_->is_open()) return;
    if (!broken_ && SSL_is_init_finished(ssl_.get()) == 1) {
      // Best effort close_notify; never waits for the peer's.
      begin_io(Deadline::after(k_close_notify_timeout));
      SSL_shutdown(ssl_.get());
      io_error_ = nullptr;
      ERR_clear_error();
    }
    broken_ = true;
    transport_->close();
  }

  bool is_open() const noexcept override { return transport_ && transport_->is_open(); }
  std::string peer() const override { return peer_; }
  int native_handle() const noexcept override { return transport_ ? transport_->native_handle() : -1; }
  bool is_secure() const noexcept override { return true; }
  // The transport's waits are the ones to wake.
  void set_interrupt(const Interrupt* interrupt) noexcept override {
    if (transport_) transport_->set_interrupt(interrupt);
  }

  // --- called by the BIO (never throw) ---

  int bio_read(char* out, std::size_t len, std::size_t* got) noexcept {
    *got = 0;
    if (len == 0) return 0;
    try {
      const std::size_t n = transport_->read_some(out, len, io_deadline_);
      if (n == 0) {
        io_eof_ = true;
        return 0;
      }
      *got = n;
      return 1;
    } catch (...) {
      io_error_ = std::current_exception();
      return -1;
    }
  }

  int bio_write(const char* in, std::size_t len, std::size_t* written) noexcept {
    *written = 0;
    try {
      transport_->write_all(in, len, io_deadline_);
      *written = len;
      return 1;
    } catch (...) {
      io_error_ = std::current_exception();
      return -1;
    }
  }

  bool io_eof() const noexcept { return io_eof_; }
  // A read that timed out or was interrupted (set_interrupt()) consumed nothing: OpenSSL may retry it.
  bool io_resumable() const noexcept { return is_timeout(io_error_) || is_kind(io_error_, ErrorKind::cancelled); }

 private:
  void begin_io(Deadline deadline) {
    io_deadline_ = deadline;
    io_error_ = nullptr;
    ERR_clear_error();
  }

  void check_usable(const char* what) const {
    if (!is_open()) throw Error(ErrorKind::usage, std::string(what) + " " + label_ + ": the stream is closed");
    if (broken_) {
      throw Error(ErrorKind::network,
                  std::string(what) + " " + label_ + ": the stream is unusable after an earlier failure; close it");
    }
  }

  static bool is_timeout(const std::exception_ptr& error) noexcept { return is_kind(error, ErrorKind::timeout); }

  static bool is_kind(const std::exception_ptr& error, ErrorKind kind) noexcept {
    if (!error) return false;
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      return e.kind() == kind;
    } catch (...) {
      return false;
    }
  }

  // The transport's stored failure as an Error (anything else becomes a network error).
  Error stored_error() const {
    try {
      std::rethrow_exception(io_error_);
    } catch (const Error& e) {
      return e;
    } catch (const std::exception& e) {
      return Error(ErrorKind::network, std::string("transport failure: ") + e.what());
    } catch (...) {
      return Error(ErrorKind::network, "transport failure");
    }
  }

  static std::string verify_advice(long verify, const std::string& name) {
    switch (verify) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return " (the certificate is not valid for '" + name +
               "'; connect with the name it was issued for, or set tls.server_name)";
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return " (trust the CA that issued the server's certificate: DSN ca_file or ca_dir, CLI --ca-file, "
               "TlsOptions::ca_file; tls_verify=false or --accept-invalid-certificate turns verification off)";
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID: return " (check the server's certificate dates and this machine's clock)";
      default: return {};
    }
  }

  std::unique_ptr<Stream> transport_;
  std::string peer_;
  std::string label_;
  std::unique_ptr<SSL, SslFree> ssl_;
  bool broken_ = false;
  // State of the TLS call in progress, shared with the BIO.
  Deadline io_deadline_ = Deadline::never();
  std::exception_ptr io_error_;
  bool io_eof_ = false;
};

TlsStream* stream_of(BIO* bio) { return static_cast<TlsStream*>(BIO_get_data(bio)); }

int bio_read_ex(BIO* bio, char* out, std::size_t len, std::size_t* got) {
  BIO_clear_retry_flags(bio);
  TlsStream* stream = stream_of(bio);
  const int rc = stream->bio_read(out, len, got);
  if (rc >= 0) return rc;
  // A timed-out or interrupted read consumed nothing: let OpenSSL see "retry" so its state stays
  // resumable.
  if (stream->io_resumable()) BIO_set_retry_read(bio);
  return 0;
}

int bio_write_ex(BIO* bio, const char* in, std::size_t len, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  return stream_of(bio)->bio_write(in, len, written) == 1 ? 1 : 0;
}

long bio_ctrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;  // writes go straight to the transport
    case BIO_CTRL_EOF: return stream_of(bio)->io_eof() ? 1 : 0;
    default: return 0;
  }
}

BIO_METHOD* make_stream_bio_method() {
  BIO_METHOD* method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "chconn stream");
  if (method == nullptr || BIO_meth_set_read_ex(method, &bio_read_ex) != 1 ||
      BIO_meth_set_write_ex(method, &bio_write_ex) != 1 || BIO_meth_set_ctrl(method, &bio_ctrl) != 1) {
    return nullptr;
  }
  return method;
}

BIO_METHOD* stream_bio_method() {
  // A constant table of callbacks, made once and kept for the life of the process (BIOs of streams
  // that outlive any object here point to it).
  static BIO_METHOD* const method = make_stream_bio_method();
  return method;
}

}  // namespace

std::unique_ptr<Stream> wrap_tls(std::unique_ptr<Stream> transport, std::string_view host, const TlsContext& context,
                                 Deadline deadline) {
  const Clock::duration allowed = detail::budget(deadline);
  if (!transport || !transport->is_open()) {
    throw Error(ErrorKind::usage, "wrap_tls: the transport stream is not open");
  }
  const TlsOptions& options = context.options();
  const std::string name = strip_brackets(options.server_name.empty() ? host : std::string_view(options.server_name));
  if (stream_bio_method() == nullptr) {
    throw Error(ErrorKind::network,
                "TLS with " + transport->peer() + ": cannot set up OpenSSL: " + take_openssl_errors());
  }
  std::string peer = transport->peer();
  const std::string shown = strip_brackets(host);
  const std::string numeric_prefix = shown.find(':') != std::string::npos ? "[" + shown + "]:" : shown + ":";
  std::string label = shown.empty() || peer.starts_with(numeric_prefix) ? peer : shown + " (" + peer + ")";
  auto stream = std::make_unique<TlsStream>(std::move(transport), context.impl_->ctx, std::move(label));
  stream->handshake(name, options, deadline, allowed);  // on failure `stream` closes the transport
  return stream;
}

std::unique_ptr<Stream> connect_tls(const std::string& host, std::uint16_t port, const TcpOptions& tcp,
                                    const TlsContext& context, Deadline deadline) {
  std::unique_ptr<Stream> transport = connect_tcp(host, port, tcp, deadline);
  return wrap_tls(std::move(transport), host, context, deadline.earliest(tcp.connect_timeout));
}

std::unique_ptr<Stream> connect_tls(const std::string& host, std::uint16_t port, const TcpOptions& tcp,
                                    const TlsOptions& tls, Deadline deadline) {
  const TlsContext context(tls);
  return connect_tls(host, port, tcp, context, deadline);
}

}  // namespace chconn::net
