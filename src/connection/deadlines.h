// What each deadline of a connection's call stands for, in messages (Deadline::named): an error
// names the limit that expired, never the time an operation happened to have left. Shared by the
// blocking NativeConnection and the AsyncConnection, so both say the same.
#pragma once

#include <cstdint>
#include <string>

#include "chconn/connection/connection.h"
#include "chconn/core/clock.h"
#include "chconn/core/config.h"

namespace chconn::detail {

inline constexpr const char* k_caller_limit = "the caller's deadline";
inline constexpr const char* k_query_limit = "the query timeout";
inline constexpr const char* k_connect_limit = "the connect timeout";
inline constexpr const char* k_send_limit = "the send timeout";
inline constexpr const char* k_receive_limit = "the receive timeout";
inline constexpr const char* k_drain_limit = "the cancel drain timeout";

// A deadline handed in by the caller. Unless a layer above said what it stands for (a pool's
// acquire timeout, a retry policy's overall timeout), it is the caller's own.
inline Deadline callers(Deadline deadline) noexcept { return deadline.named_if_unnamed(k_caller_limit); }

// The whole query's deadline: the caller's, or the query timeout when that comes first.
inline Deadline query_deadline(const Timeouts& timeouts, const QueryOptions& options) {
  return callers(options.deadline)
      .earliest(Deadline::after(options.timeout.value_or(timeouts.query)).named(k_query_limit));
}

// How long the drain after a Cancel may take: cancel_drain_timeout, but never past the caller's
// deadline, which bounds the whole call (the drain included).
inline Deadline drain_deadline(const Timeouts& timeouts, const QueryOptions& options) {
  return callers(options.deadline).earliest(Deadline::after(timeouts.cancel_drain).named(k_drain_limit));
}

// How a Cancel and the drain after it went (both connections drain the same way).
enum class Drain : std::uint8_t {
  kept,     // the server stopped the query in time: the connection is back at rest
  dropped,  // it did not (or sent garbage): the connection is broken
  skipped,  // no time was left to try: the connection is broken, nothing was sent
};

// What became of a query cancelled at a packet boundary with the drain within `drain`, as the end
// of the message of the error the call ends with.
inline std::string describe_cancel(Drain outcome, Deadline drain) {
  switch (outcome) {
    case Drain::kept: return "; it was cancelled on the server and the connection kept";
    case Drain::dropped:
      return "; it was cancelled, and the connection dropped because the server did not stop it within " +
             drain.describe();
    case Drain::skipped: break;
  }
  return "; the connection was dropped, since no time was left to cancel the query and wait for the server to "
         "stop it (closing the connection ends it on the server)";
}

}  // namespace chconn::detail
