// Runs a sans-I/O operation (operation.h) over a net::AsyncTcpStream as a C++20 coroutine: the
// async twin of blocking_driver.h. The deadline is the stream's (AsyncTcpStream::set_deadline).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include <boost/asio/awaitable.hpp>

#include "connection/sansio/operation.h"
#include "net/async_tcp.h"

namespace chconn::detail::sansio {

// Resumes `op` until it is done, or throws: the operation's own error, or the stream's (timeout,
// network; an end of stream before the operation ended is Error(network)). `on_block` is called at
// each Next::block (a QueryOperation's block is ready); an operation that hands out a block to a
// driver without one fails with Error(usage). An exception from `on_block` ends the run (the
// operation is at a packet boundary: the caller may drain on the same Conversation).
boost::asio::awaitable<void> run_async(Operation& op, Conversation& c, net::AsyncTcpStream& stream,
                                       const std::function<void()>& on_block = {});

}  // namespace chconn::detail::sansio
