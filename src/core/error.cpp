#include "chconn/core/error.h"

#include <string>

namespace chconn {

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::config: return "config";
    case ErrorKind::network: return "network";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::protocol: return "protocol";
    case ErrorKind::server: return "server";
    case ErrorKind::pool_exhausted: return "pool_exhausted";
    case ErrorKind::circuit_open: return "circuit_open";
    case ErrorKind::cancelled: return "cancelled";
    case ErrorKind::usage: return "usage";
  }
  return "unknown";
}

namespace {
std::string describe(ErrorKind kind, std::int32_t code, const std::string& name, const std::string& message) {
  std::string out = "chconn ";
  out += to_string(kind);
  out += " error";
  if (kind == ErrorKind::server) {
    out += " (code " + std::to_string(code);
    if (!name.empty()) out += ", " + name;
    out += ")";
  }
  out += ": ";
  out += message;
  return out;
}
}  // namespace

Error::Error(ErrorKind kind, std::string message)
    : std::runtime_error(describe(kind, 0, {}, message)), kind_(kind), message_(std::move(message)) {}

Error Error::from_server(std::int32_t code, std::string name, std::string message, std::string stack_trace,
                         std::shared_ptr<const Error> nested) {
  Error e(ErrorKind::server, std::move(message));
  e.server_code_ = code;
  e.server_name_ = std::move(name);
  e.stack_trace_ = std::move(stack_trace);
  e.cause_ = std::move(nested);
  static_cast<std::runtime_error&>(e) =
      std::runtime_error(describe(e.kind_, e.server_code_, e.server_name_, e.message_));
  return e;
}

Error Error::with_cause(const Error& cause) const {
  Error e = *this;
  e.cause_ = std::make_shared<const Error>(cause);
  return e;
}

Error Error::with_context(std::string_view context) const {
  Error e = *this;
  e.message_ = std::string(context) + ": " + message_;
  static_cast<std::runtime_error&>(e) =
      std::runtime_error(describe(e.kind_, e.server_code_, e.server_name_, e.message_));
  return e;
}

bool Error::retryable() const noexcept { return classify(*this).retryable; }

namespace {
ErrorClass classify_server(std::int32_t code) noexcept {
  switch (code) {
    // Transient overload or unavailability of the server: retry, and count against the host.
    case 3:    // UNEXPECTED_END_OF_FILE
    case 173:  // CANNOT_ALLOCATE_MEMORY
    case 202:  // TOO_MANY_SIMULTANEOUS_QUERIES
    case 203:  // NO_FREE_CONNECTION
    case 209:  // SOCKET_TIMEOUT
    case 210:  // NETWORK_ERROR
    case 236:  // ABORTED
    case 241:  // MEMORY_LIMIT_EXCEEDED
    case 242:  // TABLE_IS_READ_ONLY (a replica lost its coordination service)
    case 279:  // ALL_CONNECTION_TRIES_FAILED
    case 285:  // TOO_FEW_LIVE_REPLICAS
    case 425:  // SYSTEM_ERROR
    case 439:  // CANNOT_SCHEDULE_TASK
    case 999:  // KEEPER_EXCEPTION
      return {.retryable = true, .host_failure = true, .connection_broken = false};
    // Retryable but says nothing bad about the host.
    case 252:  // TOO_MANY_PARTS: back off
    case 319:  // UNKNOWN_STATUS_OF_INSERT
      return {.retryable = true, .host_failure = false, .connection_broken = false};
    default:
      // Query errors (syntax, unknown table, types...), authentication and permission errors,
      // limits and cancellation: the same request would fail again, and the host is healthy.
      return {.retryable = false, .host_failure = false, .connection_broken = false};
  }
}
}  // namespace

ErrorClass classify(const Error& error) noexcept {
  switch (error.kind()) {
    case ErrorKind::network:
    case ErrorKind::timeout:
    case ErrorKind::protocol: return {.retryable = true, .host_failure = true, .connection_broken = true};
    case ErrorKind::server: return classify_server(error.server_code());
    case ErrorKind::pool_exhausted: return {.retryable = true, .host_failure = false, .connection_broken = false};
    case ErrorKind::circuit_open:
    case ErrorKind::config:
    case ErrorKind::usage: return {.retryable = false, .host_failure = false, .connection_broken = false};
    case ErrorKind::cancelled: return {.retryable = false, .host_failure = false, .connection_broken = true};
  }
  return {};
}

}  // namespace chconn
