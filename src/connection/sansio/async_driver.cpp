#include "connection/sansio/async_driver.h"

#include <exception>
#include <string>
#include <variant>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "chconn/core/error.h"

namespace chconn::detail::sansio {

boost::asio::awaitable<void> run_async(Operation& op, Conversation& c, net::AsyncTcpStream& stream,
                                       const std::function<void()>& on_block) {
  for (;;) {
    const Next next = op.resume(c);
    switch (next.kind) {
      case Next::Kind::write: co_await stream.write_all(next.bytes); break;
      case Next::Kind::read: {
        const auto room = c.in.prepare(next.read_hint);
        std::size_t n = 0;
        if (next.idle_after > std::chrono::nanoseconds::zero()) {
          // A large packet waits for its end: read, unless the transport stays quiet for an idle
          // spell, which says the peer has sent all it will for now (the read is cancelled; on a
          // TCP socket a cancelled read consumes nothing).
          using namespace boost::asio::experimental::awaitable_operators;
          boost::asio::steady_timer idle(co_await boost::asio::this_coro::executor, next.idle_after);
          const std::variant<std::size_t, std::monostate> first =
              co_await (stream.read_some(room) || idle.async_wait(boost::asio::use_awaitable));
          if (first.index() == 1) {
            c.in.note_idle();
            break;
          }
          n = std::get<0>(first);
        } else {
          n = co_await stream.read_some(room);
        }
        if (n == 0) {
          throw Error(ErrorKind::network,
                      "the server " + stream.peer() + " closed the connection in the middle of a reply");
        }
        c.in.commit(n, n == room.size());
        break;
      }
      case Next::Kind::block:
        if (!on_block) {
          throw Error(ErrorKind::usage,
                      "an operation on " + stream.peer() + " handed out a block to a driver that takes none");
        }
        on_block();
        break;
      case Next::Kind::done: co_return;
      case Next::Kind::failed: std::rethrow_exception(next.error);
    }
  }
}

}  // namespace chconn::detail::sansio
