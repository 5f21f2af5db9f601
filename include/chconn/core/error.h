// chconn::Error — the one exception type of the library, and the one classifier that decides
// what is retryable and what counts against a server's health.
//
// Every failure chconn reports is a chconn::Error with a kind(). Errors that come from the
// ClickHouse server also carry the server's exception code and name. Pools, retries and circuit
// breakers never keep their own lists: they all ask classify().
//
// Thread safety: Error is an immutable value; copies may be used from any thread.
//
// Example:
//   try { conn.execute("SELECT 1"); }
//   catch (const chconn::Error& e) {
//     if (e.kind() == chconn::ErrorKind::server && e.server_code() == 60) { /* unknown table */ }
//     if (e.retryable()) { /* safe to try again on another connection */ }
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace chconn {

// What failed, in the vocabulary of DESIGN.md. Each kind says what a caller can do about it.
enum class ErrorKind : std::uint8_t {
  config,          // bad configuration or DSN; fix the input. Never retryable.
  network,         // connect refused, reset, closed mid-stream, TLS failure; retryable elsewhere.
  timeout,         // a deadline passed (connect, send, receive, query); retryable.
  protocol,        // the peer sent bytes that break the protocol; the connection is dropped.
  server,          // the server answered with an exception; see server_code().
  pool_exhausted,  // no connection became free before the acquire deadline; back off and retry.
  circuit_open,    // a circuit breaker refused the call without trying; try another host or later.
  cancelled,       // the caller cancelled the operation.
  usage,           // the API was used wrongly (wrong column type, lease used after release...).
};

// The kind's name as written in messages and metrics: "config", "network", ...
std::string_view to_string(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  // An error raised by chconn itself. `message` says what failed and what to do about it; it must
  // never contain a password.
  Error(ErrorKind kind, std::string message);

  // An exception sent by the ClickHouse server. `nested` is the next exception of the server's
  // chain, if it sent one.
  static Error from_server(std::int32_t code, std::string name, std::string message, std::string stack_trace = {},
                           std::shared_ptr<const Error> nested = {});

  ErrorKind kind() const noexcept { return kind_; }
  // The server's exception code (e.g. 60 for an unknown table), or 0 when not from the server.
  std::int32_t server_code() const noexcept { return server_code_; }
  // The server's exception name (e.g. "DB::Exception"), or empty.
  const std::string& server_name() const noexcept { return server_name_; }
  // The message without the kind prefix that what() carries.
  const std::string& message() const noexcept { return message_; }
  const std::string& server_stack_trace() const noexcept { return stack_trace_; }
  // The error that caused this one (a nested server exception, or a lower-level failure), or null.
  const Error* cause() const noexcept { return cause_.get(); }

  // Returns a copy of this error with `cause` attached as its cause.
  Error with_cause(const Error& cause) const;
  // Returns a copy whose message is prefixed by `context` ("connecting to db1:9000: ...").
  Error with_context(std::string_view context) const;

  // True when the same request may succeed if tried again (on a fresh connection or another host).
  // Equivalent to classify(*this).retryable.
  bool retryable() const noexcept;

 private:
  ErrorKind kind_;
  std::int32_t server_code_ = 0;
  std::string server_name_;
  std::string message_;
  std::string stack_trace_;
  std::shared_ptr<const Error> cause_;
};

// What an error means for the machinery above a connection.
struct ErrorClass {
  // Trying again (on a fresh connection, or another host) may succeed.
  bool retryable = false;
  // The error says something about the health of the server or the network, so circuit breakers
  // and per-host error counters count it. A syntax error or a wrong password does not.
  bool host_failure = false;
  // The connection that produced the error can no longer be used.
  bool connection_broken = false;
};

// The single classifier used by pools, retry policies, breakers and failover.
ErrorClass classify(const Error& error) noexcept;

// Server exception codes chconn refers to by name.
namespace server_codes {
inline constexpr std::int32_t unknown_table = 60;
inline constexpr std::int32_t syntax_error = 62;
inline constexpr std::int32_t unknown_database = 81;
inline constexpr std::int32_t timeout_exceeded = 159;
inline constexpr std::int32_t readonly = 164;
inline constexpr std::int32_t unknown_user = 192;
inline constexpr std::int32_t wrong_password = 193;
inline constexpr std::int32_t required_password = 194;
inline constexpr std::int32_t ip_address_not_allowed = 195;
inline constexpr std::int32_t too_many_simultaneous_queries = 202;
inline constexpr std::int32_t socket_timeout = 209;
inline constexpr std::int32_t network_error = 210;
inline constexpr std::int32_t memory_limit_exceeded = 241;
inline constexpr std::int32_t query_was_cancelled = 394;
inline constexpr std::int32_t authentication_failed = 516;
}  // namespace server_codes

}  // namespace chconn
