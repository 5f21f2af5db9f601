// Runs a sans-I/O operation (operation.h) over a net::AsyncTcpStream as a C++20 coroutine: the
// async twin of blocking_driver.h. The deadline is the stream's (AsyncTcpStream::set_deadline).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "connection/sansio/operation.h"
#include "net/async_tcp.h"

namespace chconn::detail::sansio {

// Resumes `op` until it is done, or throws: the operation's own error, or the stream's (timeout,
// network; an end of stream before the operation ended is Error(network)).
boost::asio::awaitable<void> run_async(Operation& op, Conversation& c, net::AsyncTcpStream& stream);

}  // namespace chconn::detail::sansio
