// What stops one AsyncConnection query from outside while it runs: its deadline's timer and the
// caller's cancellation slot (issue 18). Both may fire, in either order, and may fire after the
// query ended (their handlers run later on the executor): the first cause that came while the query
// ran is the one the query fails with; anything after it, or after the end, changes nothing.
//
// Thread safety: none; every call on the connection's executor. Lifetimes: shared by the query's
// coroutine and the handlers (which hold it weakly).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>

#include "connection/sansio/async_driver.h"

namespace chconn::detail {

struct QueryWatch {
  enum class Cause : std::uint8_t { none, deadline, caller };

  explicit QueryWatch(const boost::asio::any_io_executor& ex) : timer(ex) {}

  // The query's deadline passed (by_caller false) or its caller cancelled it: interrupts the run,
  // unless it has ended or was stopped already (the first cause stays).
  void stop(bool by_caller) noexcept {
    if (finished || cause != Cause::none) return;
    cause = by_caller ? Cause::caller : Cause::deadline;
    interrupt->interrupt();
  }
  bool cancelled() const noexcept { return cause == Cause::caller; }

  std::shared_ptr<sansio::ReadInterrupt> interrupt = std::make_shared<sansio::ReadInterrupt>();
  boost::asio::steady_timer timer;
  Cause cause = Cause::none;
  bool finished = false;
};

}  // namespace chconn::detail
