// What each deadline of a connection's call stands for, in messages (Deadline::named): an error
// names the limit that expired, never the time an operation happened to have left. Shared by the
// blocking NativeConnection and the AsyncConnection, so both say the same.
#pragma once

#include "chconn/core/clock.h"

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

}  // namespace chconn::detail
