#include "connection/sansio/async_driver.h"

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "chconn/core/error.h"

namespace chconn::detail::sansio {

boost::asio::awaitable<void> run_async(Operation& op, Conversation& c, net::AsyncTcpStream& stream,
                                       const std::function<void()>& on_block,
                                       std::shared_ptr<ReadInterrupt> interrupt) {
  if (!interrupt) interrupt = std::make_shared<ReadInterrupt>();
  ReadInterrupt& cut = *interrupt;
  for (;;) {
    const Next next = op.resume(c);
    switch (next.kind) {
      case Next::Kind::write: co_await stream.write_all(next.bytes); break;
      case Next::Kind::read: {
        if (cut.interrupted) throw Interrupted{};
        const auto room = c.in.prepare(next.read_hint);
        std::optional<std::size_t> n;
        cut.idle = false;
        const std::uint64_t generation = ++cut.generation;
        if (next.idle_after > std::chrono::nanoseconds::zero()) {
          // A large packet waits for its end: read, unless the transport stays quiet for an idle
          // spell, which says the peer has sent all it will for now (the read is cancelled; on a
          // TCP socket a cancelled read consumes nothing). A read that completed wins over a spell
          // that ended at the same time: its bytes are never dropped.
          boost::asio::steady_timer idle(co_await boost::asio::this_coro::executor, next.idle_after);
          idle.async_wait([interrupt, generation](const boost::system::error_code& ec) {
            if (ec || interrupt->generation != generation) return;
            interrupt->idle = true;
            interrupt->signal.emit(boost::asio::cancellation_type::terminal);
          });
          n = co_await stream.read_some(room, cut.signal.slot());
        } else {
          n = co_await stream.read_some(room, cut.signal.slot());
        }
        ++cut.generation;  // a spell's timer that fires from now on does nothing
        if (!n) {
          if (cut.interrupted) throw Interrupted{};
          if (cut.idle) {
            c.in.note_idle();
            break;
          }
          throw Error(ErrorKind::cancelled, "a read from " + stream.peer() + " was cancelled");
        }
        if (*n == 0) {
          throw Error(ErrorKind::network,
                      "the server " + stream.peer() + " closed the connection in the middle of a reply");
        }
        c.in.commit(*n, *n == room.size());
        break;
      }
      case Next::Kind::block:
        if (!on_block) {
          throw Error(ErrorKind::usage,
                      "an operation on " + stream.peer() + " handed out a block to a driver that takes none");
        }
        if (cut.interrupted) throw Interrupted{};
        on_block();
        break;
      case Next::Kind::done: co_return;
      case Next::Kind::failed: std::rethrow_exception(next.error);
    }
  }
}

}  // namespace chconn::detail::sansio
