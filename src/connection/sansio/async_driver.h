// Runs a sans-I/O operation (operation.h) over a net::AsyncTcpStream as a C++20 coroutine: the
// async twin of blocking_driver.h. The deadline of each write and read is the stream's
// (AsyncTcpStream::set_deadline, which closes the socket when it expires); a ReadInterrupt stops a
// run without closing it (an AsyncConnection's query deadline and its caller's cancellation).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

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

// Resumes `op` until it is done, or throws: the operation's own error, the stream's (timeout,
// network; an end of stream before the operation ended is Error(network)), or Interrupted. `on_block`
// is called at each Next::block (a QueryOperation's block is ready); an operation that hands out a
// block to a driver without one fails with Error(usage). An exception from `on_block` ends the run
// (the operation is at a packet boundary: the caller may drain on the same Conversation).
boost::asio::awaitable<void> run_async(Operation& op, Conversation& c, net::AsyncTcpStream& stream,
                                       const std::function<void()>& on_block = {},
                                       std::shared_ptr<ReadInterrupt> interrupt = nullptr);

}  // namespace chconn::detail::sansio
