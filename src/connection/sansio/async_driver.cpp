#include "connection/sansio/async_driver.h"

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "chconn/core/error.h"
#include "connection/deadlines.h"

namespace chconn::detail::sansio {

namespace {

// Disarms the stream's deadline when a run ends, so that no timer of a finished run closes a
// connection that is kept.
class Disarm {
 public:
  explicit Disarm(net::AsyncTcpStream& stream) noexcept : stream_(stream) {}
  ~Disarm() {
    try {
      stream_.set_deadline(Deadline::never());
    } catch (...) {
      // Asio reports a failure of the reactor by throwing; the timer's handler checks the deadline
      // it was armed for anyway.
    }
  }
  Disarm(const Disarm&) = delete;
  Disarm& operator=(const Disarm&) = delete;

 private:
  net::AsyncTcpStream& stream_;
};

}  // namespace

boost::asio::awaitable<void> run_async(Operation& op, Conversation& c, net::AsyncTcpStream& stream, Waits waits,
                                       const std::function<void()>& on_block,
                                       std::shared_ptr<ReadInterrupt> interrupt) {
  if (!interrupt) interrupt = std::make_shared<ReadInterrupt>();
  ReadInterrupt& cut = *interrupt;
  const Disarm disarm(stream);
  // The receive timeout counts from the last byte, as a blocking read's does: a read cancelled for
  // an idle report (below) is re-issued within the same one.
  bool idle_retry = false;
  for (;;) {
    const Next next = op.resume(c);
    switch (next.kind) {
      case Next::Kind::write: {
        const Deadline send = Deadline::after(waits.send).named(k_send_limit);
        stream.set_deadline(waits.deadline.earliest(send));
        co_await stream.write_all(next.bytes);
        break;
      }
      case Next::Kind::read: {
        if (cut.interrupted) throw Interrupted{};
        if (!idle_retry) {
          const Deadline receive = Deadline::after(waits.receive).named(k_receive_limit);
          stream.set_deadline(waits.owner_interrupts_reads ? receive : waits.deadline.earliest(receive));
        }
        idle_retry = false;
        const auto room = c.in.prepare(next.read_hint);
        std::optional<std::size_t> n;
        cut.idle = false;
        const std::uint64_t generation = ++cut.generation;
        const boost::asio::cancellation_slot slot = cut.signal.slot();
        if (next.idle_after > std::chrono::nanoseconds::zero()) {
          // A large packet waits for its end: read, unless the transport stays quiet for an idle
          // spell, which says the peer has sent all it will for now (the read is cancelled; on a
          // TCP socket a cancelled read consumes nothing). A read that completed wins over a spell
          // that ended at the same time: its bytes are never dropped.
          const boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
          boost::asio::steady_timer idle(executor, next.idle_after);
          idle.async_wait([interrupt, generation](const boost::system::error_code& ec) {
            if (ec || interrupt->generation != generation) return;
            interrupt->idle = true;
            interrupt->signal.emit(boost::asio::cancellation_type::terminal);
          });
          n = co_await stream.read_some(room, slot);
        } else {
          n = co_await stream.read_some(room, slot);
        }
        ++cut.generation;  // a spell's timer that fires from now on does nothing
        if (!n) {
          if (cut.interrupted) throw Interrupted{};
          if (cut.idle) {
            c.in.note_idle();
            idle_retry = true;
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
