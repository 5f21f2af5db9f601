// Runs a sans-I/O operation (operation.h) over a net::AsyncTcpStream as a C++20 coroutine: the
// async twin of blocking_driver.h, with the same limits on each wait: a write waits at most until
// the earlier of the run's deadline and now + the send timeout, a read likewise with the receive
// timeout (the stream's deadline, AsyncTcpStream::set_deadline, which closes the socket when it
// expires: the connection is broken, as a blocking read that times out breaks it). A
// ReadInterrupt stops a run without closing it (an AsyncConnection's query deadline and its
// caller's cancellation), at a point where the connection can cancel and drain.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "chconn/core/clock.h"
#include "connection/sansio/operation.h"
#include "net/async_tcp.h"

namespace chconn::detail::sansio {

// Thrown by run_async when its ReadInterrupt was interrupted: the read in progress was cancelled
// (nothing consumed) or the next one was not started, and the block ready (if any) was not handed
// out. The operation stopped at a packet boundary of the Conversation's ReceiveBuffer (bytes of a
// packet that arrived in part stay buffered), so the caller may send Cancel and drain with a new
// operation on the same Conversation.
struct Interrupted {};

// What stops a run_async from outside (a timer's handler, a cancellation slot's handler), on the
// stream's executor. Shared by the run and whoever interrupts it (timer handlers may outlive a run).
// The fields are run_async's; others only call interrupt().
struct ReadInterrupt {
  // Cancels the read in progress, if any, and makes run_async throw Interrupted at its next step.
  void interrupt() noexcept {
    interrupted = true;
    signal.emit(boost::asio::cancellation_type::terminal);
  }

  boost::asio::cancellation_signal signal;
  bool interrupted = false;
  // The idle report (Next::idle_after) cancels a read through the same signal: a spell's timer
  // acts only if the read it was armed for (its generation) is still the one in progress.
  std::uint64_t generation = 0;
  bool idle = false;
};

// The limits of each wait of a run (see the header comment). The stream's deadline is disarmed
// when the run ends, however it ends.
struct Waits {
  Deadline deadline = Deadline::never();
  std::chrono::milliseconds send{};
  std::chrono::milliseconds receive{};
  // The run's owner interrupts its reads at `deadline` itself (ReadInterrupt), to cancel and drain
  // rather than drop the connection: reads then wait for the receive timeout alone.
  bool owner_interrupts_reads = false;
};

// Resumes `op` until it is done, or throws: the operation's own error, the stream's (timeout,
// network; an end of stream before the operation ended is Error(network)), or Interrupted. `on_block`
// is called at each Next::block (a QueryOperation's block is ready); an operation that hands out a
// block to a driver without one fails with Error(usage). An exception from `on_block` ends the run
// (the operation is at a packet boundary: the caller may drain on the same Conversation).
boost::asio::awaitable<void> run_async(Operation& op, Conversation& c, net::AsyncTcpStream& stream, Waits waits,
                                       const std::function<void()>& on_block = {},
                                       std::shared_ptr<ReadInterrupt> interrupt = nullptr);

}  // namespace chconn::detail::sansio
