// QueryWatch (src/connection/async_watch.h): when a query's deadline and its caller's cancellation
// both fire, in either order, the first cause is the one the query fails with. The order is
// injected by calling the handlers' stop() in turn, not by timing.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "connection/async_watch.h"

namespace chconn::detail {
namespace {

TEST(QueryWatch, TheDeadlineFirstStaysATimeout) {
  boost::asio::io_context io;
  QueryWatch watch(io.get_executor());
  watch.stop(false);
  watch.stop(true);
  EXPECT_EQ(watch.cause, QueryWatch::Cause::deadline);
  EXPECT_FALSE(watch.cancelled());
  EXPECT_TRUE(watch.interrupt->interrupted);
}

TEST(QueryWatch, TheCallerFirstStaysACancellation) {
  boost::asio::io_context io;
  QueryWatch watch(io.get_executor());
  watch.stop(true);
  watch.stop(false);
  EXPECT_EQ(watch.cause, QueryWatch::Cause::caller);
  EXPECT_TRUE(watch.cancelled());
  EXPECT_TRUE(watch.interrupt->interrupted);
}

TEST(QueryWatch, NothingAfterTheQueryEnded) {
  boost::asio::io_context io;
  QueryWatch watch(io.get_executor());
  watch.finished = true;
  watch.stop(false);
  watch.stop(true);
  EXPECT_EQ(watch.cause, QueryWatch::Cause::none);
  EXPECT_FALSE(watch.interrupt->interrupted);
}

}  // namespace
}  // namespace chconn::detail
