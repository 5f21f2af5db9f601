// chconn::Error: construction, what() formatting, causes and context, and the single classifier.
#include "chconn/core/error.h"

#include <gtest/gtest.h>

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace chconn {
namespace {

const std::vector<ErrorKind> k_all_kinds = {
    ErrorKind::config,         ErrorKind::network,      ErrorKind::timeout,   ErrorKind::protocol, ErrorKind::server,
    ErrorKind::pool_exhausted, ErrorKind::circuit_open, ErrorKind::cancelled, ErrorKind::usage,
};

TEST(Error, KindNames) {
  EXPECT_EQ(to_string(ErrorKind::config), "config");
  EXPECT_EQ(to_string(ErrorKind::network), "network");
  EXPECT_EQ(to_string(ErrorKind::timeout), "timeout");
  EXPECT_EQ(to_string(ErrorKind::protocol), "protocol");
  EXPECT_EQ(to_string(ErrorKind::server), "server");
  EXPECT_EQ(to_string(ErrorKind::pool_exhausted), "pool_exhausted");
  EXPECT_EQ(to_string(ErrorKind::circuit_open), "circuit_open");
  EXPECT_EQ(to_string(ErrorKind::cancelled), "cancelled");
  EXPECT_EQ(to_string(ErrorKind::usage), "usage");
}

TEST(Error, ConstructionAndWhat) {
  const Error e(ErrorKind::network, "connection refused by db1:9000; is the server running?");
  EXPECT_EQ(e.kind(), ErrorKind::network);
  EXPECT_EQ(e.message(), "connection refused by db1:9000; is the server running?");
  EXPECT_STREQ(e.what(), "chconn network error: connection refused by db1:9000; is the server running?");
  EXPECT_EQ(e.server_code(), 0);
  EXPECT_TRUE(e.server_name().empty());
  EXPECT_TRUE(e.server_stack_trace().empty());
  EXPECT_EQ(e.cause(), nullptr);
}

TEST(Error, EveryKindPrefixesWhat) {
  for (const auto kind : k_all_kinds) {
    if (kind == ErrorKind::server) continue;  // formatted with its code, below
    const Error e(kind, "m");
    EXPECT_EQ(std::string(e.what()), "chconn " + std::string(to_string(kind)) + " error: m");
  }
}

TEST(Error, IsCatchableAsStandardExceptions) {
  try {
    throw Error(ErrorKind::usage, "lease used after release");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "chconn usage error: lease used after release");
  }
  try {
    throw Error::from_server(60, "DB::Exception", "Table default.t does not exist");
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "chconn server error (code 60, DB::Exception): Table default.t does not exist");
  }
}

TEST(Error, FromServer) {
  const Error e = Error::from_server(server_codes::syntax_error, "DB::Exception", "Syntax error at position 7",
                                     "0. DB::Exception::Exception()");
  EXPECT_EQ(e.kind(), ErrorKind::server);
  EXPECT_EQ(e.server_code(), 62);
  EXPECT_EQ(e.server_name(), "DB::Exception");
  EXPECT_EQ(e.message(), "Syntax error at position 7");
  EXPECT_EQ(e.server_stack_trace(), "0. DB::Exception::Exception()");
  EXPECT_STREQ(e.what(), "chconn server error (code 62, DB::Exception): Syntax error at position 7");
  EXPECT_EQ(e.cause(), nullptr);

  const Error unnamed = Error::from_server(999, "", "keeper session expired");
  EXPECT_STREQ(unnamed.what(), "chconn server error (code 999): keeper session expired");
}

TEST(Error, FromServerWithNestedException) {
  auto nested = std::make_shared<const Error>(Error::from_server(210, "DB::NetException", "Connection reset"));
  const Error e = Error::from_server(279, "DB::Exception", "All connection tries failed", {}, nested);
  ASSERT_NE(e.cause(), nullptr);
  EXPECT_EQ(e.cause()->server_code(), 210);
  EXPECT_EQ(e.cause()->server_name(), "DB::NetException");
  EXPECT_EQ(e.cause()->message(), "Connection reset");
}

TEST(Error, WithCauseCopiesAndKeepsTheOriginal) {
  const Error original(ErrorKind::timeout, "connect to db1:9000 timed out after 10s");
  const Error low_level(ErrorKind::network, "EHOSTUNREACH");
  const Error e = original.with_cause(low_level);
  EXPECT_EQ(original.cause(), nullptr);
  ASSERT_NE(e.cause(), nullptr);
  EXPECT_EQ(e.cause()->kind(), ErrorKind::network);
  EXPECT_EQ(e.cause()->message(), "EHOSTUNREACH");
  EXPECT_EQ(e.kind(), ErrorKind::timeout);
  EXPECT_STREQ(e.what(), original.what());

  // Chains: the cause keeps its own cause.
  const Error top = Error(ErrorKind::pool_exhausted, "no connection in 10s").with_cause(e);
  ASSERT_NE(top.cause(), nullptr);
  ASSERT_NE(top.cause()->cause(), nullptr);
  EXPECT_EQ(top.cause()->cause()->message(), "EHOSTUNREACH");

  // The copy owns its cause: it outlives the error it was made from.
  Error survivor(ErrorKind::usage, "x");
  {
    const Error temp(ErrorKind::protocol, "short read");
    survivor = survivor.with_cause(temp);
  }
  ASSERT_NE(survivor.cause(), nullptr);
  EXPECT_EQ(survivor.cause()->message(), "short read");
}

TEST(Error, WithCauseKeepsServerFields) {
  const Error server = Error::from_server(241, "DB::Exception", "Memory limit exceeded", "trace");
  const Error e = server.with_cause(Error(ErrorKind::network, "n"));
  EXPECT_EQ(e.server_code(), 241);
  EXPECT_EQ(e.server_name(), "DB::Exception");
  EXPECT_EQ(e.server_stack_trace(), "trace");
  EXPECT_STREQ(e.what(), server.what());
}

TEST(Error, WithContextPrefixesTheMessage) {
  const Error e = Error(ErrorKind::network, "connection reset").with_context("connecting to db1:9000");
  EXPECT_EQ(e.kind(), ErrorKind::network);
  EXPECT_EQ(e.message(), "connecting to db1:9000: connection reset");
  EXPECT_STREQ(e.what(), "chconn network error: connecting to db1:9000: connection reset");

  const Error s = Error::from_server(60, "DB::Exception", "Table t does not exist").with_context("query 42");
  EXPECT_EQ(s.server_code(), 60);
  EXPECT_EQ(s.server_name(), "DB::Exception");
  EXPECT_STREQ(s.what(), "chconn server error (code 60, DB::Exception): query 42: Table t does not exist");

  // Context keeps the cause.
  const Error with = Error(ErrorKind::timeout, "t").with_cause(Error(ErrorKind::network, "n")).with_context("c");
  ASSERT_NE(with.cause(), nullptr);
  EXPECT_EQ(with.cause()->message(), "n");
  EXPECT_EQ(with.message(), "c: t");
}

TEST(Error, CopiesAreIndependentValues) {
  const Error a = Error(ErrorKind::config, "a").with_cause(Error(ErrorKind::usage, "cause"));
  Error b = a;
  b = b.with_context("ctx");
  EXPECT_EQ(a.message(), "a");
  EXPECT_EQ(b.message(), "ctx: a");
  EXPECT_EQ(a.cause(), b.cause());  // the cause is shared, immutably
}

// ---------------------------------------------------------------------------------------------
// classify()

struct Expected {
  bool retryable;
  bool host_failure;
  bool connection_broken;
};

void expect_class(const Error& e, Expected x) {
  SCOPED_TRACE(e.what());
  const ErrorClass c = classify(e);
  EXPECT_EQ(c.retryable, x.retryable);
  EXPECT_EQ(c.host_failure, x.host_failure);
  EXPECT_EQ(c.connection_broken, x.connection_broken);
  EXPECT_EQ(e.retryable(), c.retryable);
}

TEST(Classify, EveryKind) {
  expect_class(Error(ErrorKind::config, "bad DSN"), {false, false, false});
  expect_class(Error(ErrorKind::network, "reset"), {true, true, true});
  expect_class(Error(ErrorKind::timeout, "receive timed out"), {true, true, true});
  expect_class(Error(ErrorKind::protocol, "unexpected packet 99"), {true, true, true});
  expect_class(Error(ErrorKind::pool_exhausted, "no connection in 10s"), {true, false, false});
  expect_class(Error(ErrorKind::circuit_open, "breaker open for db1"), {false, false, false});
  expect_class(Error(ErrorKind::cancelled, "cancelled by caller"), {false, false, true});
  expect_class(Error(ErrorKind::usage, "wrong column type"), {false, false, false});
  // A server error built by hand without a code is a query error.
  expect_class(Error(ErrorKind::server, "?"), {false, false, false});
}

TEST(Classify, ServerCodes) {
  const auto server = [](std::int32_t code) { return Error::from_server(code, "DB::Exception", "x"); };
  // Query and authentication errors: the same request fails again and the host is fine.
  expect_class(server(server_codes::syntax_error), {false, false, false});
  expect_class(server(server_codes::unknown_table), {false, false, false});
  expect_class(server(server_codes::unknown_database), {false, false, false});
  expect_class(server(server_codes::wrong_password), {false, false, false});
  expect_class(server(server_codes::unknown_user), {false, false, false});
  expect_class(server(server_codes::required_password), {false, false, false});
  expect_class(server(server_codes::authentication_failed), {false, false, false});
  expect_class(server(server_codes::ip_address_not_allowed), {false, false, false});
  expect_class(server(server_codes::readonly), {false, false, false});
  expect_class(server(server_codes::timeout_exceeded), {false, false, false});
  expect_class(server(server_codes::query_was_cancelled), {false, false, false});
  // Overload and unavailability: retry, and count against the host.
  expect_class(server(server_codes::too_many_simultaneous_queries), {true, true, false});
  expect_class(server(server_codes::socket_timeout), {true, true, false});
  expect_class(server(server_codes::network_error), {true, true, false});
  expect_class(server(server_codes::memory_limit_exceeded), {true, true, false});
  expect_class(server(279), {true, true, false});  // ALL_CONNECTION_TRIES_FAILED
  // Retry after backing off, but the host is healthy.
  expect_class(server(252), {true, false, false});  // TOO_MANY_PARTS
  expect_class(server(319), {true, false, false});  // UNKNOWN_STATUS_OF_INSERT
  // Unknown codes are not retried.
  expect_class(server(123456), {false, false, false});
  expect_class(server(0), {false, false, false});
}

TEST(Classify, ContextAndCauseDoNotChangeTheClass) {
  const Error base = Error::from_server(202, "DB::Exception", "too many");
  expect_class(base.with_context("query 1"), {true, true, false});
  expect_class(base.with_cause(Error(ErrorKind::config, "c")), {true, true, false});
  expect_class(Error(ErrorKind::config, "c").with_cause(base), {false, false, false});
}

}  // namespace
}  // namespace chconn
