#include "connection/sansio/async_driver.h"

#include <exception>
#include <string>

#include "chconn/core/error.h"

namespace chconn::detail::sansio {

boost::asio::awaitable<void> run_async(Operation& op, Conversation& c, net::AsyncTcpStream& stream) {
  for (;;) {
    const Next next = op.resume(c);
    switch (next.kind) {
      case Next::Kind::write: co_await stream.write_all(next.bytes); break;
      case Next::Kind::read: {
        const auto room = c.in.prepare(next.read_hint);
        const std::size_t n = co_await stream.read_some(room);
        if (n == 0) {
          throw Error(ErrorKind::network,
                      "the server " + stream.peer() + " closed the connection in the middle of a reply");
        }
        c.in.commit(n, n == room.size());
        break;
      }
      case Next::Kind::done: co_return;
      case Next::Kind::block:
        // Operations that hand out blocks (QueryOperation) are driven by their caller's loop.
        throw Error(ErrorKind::usage,
                    "an operation on " + stream.peer() + " handed out a block to a driver that takes none");
      case Next::Kind::failed: std::rethrow_exception(next.error);
    }
  }
}

}  // namespace chconn::detail::sansio
