// Runs a sans-I/O operation (operation.h) over a blocking net::Stream: writes with the send
// timeout, reads with the receive timeout, both within the operation's deadline. This is all the
// blocking NativeConnection adds to an operation; AsyncConnection drives the same operations with
// Asio.
#pragma once

#include <chrono>

#include "chconn/core/clock.h"
#include "chconn/net/stream.h"
#include "connection/sansio/operation.h"

namespace chconn::detail::sansio {

struct BlockingTimeouts {
  std::chrono::milliseconds send;
  std::chrono::milliseconds receive;
};

// Resumes `op` until it is done, or throws: the operation's own error, or the stream's (timeout,
// network; an end of stream before the operation ended is Error(network)). Each write waits at
// most until the earlier of `deadline` and now + send timeout, each read likewise with the receive
// timeout (named "the send timeout" / "the receive timeout" in messages).
void run_blocking(Operation& op, Conversation& c, net::Stream& stream, Deadline deadline, BlockingTimeouts timeouts);

}  // namespace chconn::detail::sansio
