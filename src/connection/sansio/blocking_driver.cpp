#include "connection/sansio/blocking_driver.h"

#include <exception>
#include <string>

#include "chconn/core/error.h"
#include "connection/deadlines.h"

namespace chconn::detail::sansio {

void run_blocking(Operation& op, Conversation& c, net::Stream& stream, Deadline deadline, BlockingTimeouts timeouts) {
  for (;;) {
    const Next next = op.resume(c);
    switch (next.kind) {
      case Next::Kind::write:
        stream.write_all(next.bytes.data(), next.bytes.size(),
                         deadline.earliest(Deadline::after(timeouts.send).named(k_send_limit)));
        break;
      case Next::Kind::read: {
        const auto room = c.in.prepare(next.read_hint);
        const std::size_t n = stream.read_some(
            room.data(), room.size(), deadline.earliest(Deadline::after(timeouts.receive).named(k_receive_limit)));
        if (n == 0) {
          throw Error(ErrorKind::network,
                      "the server " + stream.peer() + " closed the connection in the middle of a reply");
        }
        c.in.commit(n, n == room.size());
        break;
      }
      case Next::Kind::done: return;
      case Next::Kind::block:
        // Operations that hand out blocks (QueryOperation) are driven by their caller's loop.
        throw Error(ErrorKind::usage,
                    "an operation on " + stream.peer() + " handed out a block to a driver that takes none");
      case Next::Kind::failed: std::rethrow_exception(next.error);
    }
  }
}

}  // namespace chconn::detail::sansio
