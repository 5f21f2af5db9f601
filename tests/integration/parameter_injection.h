// One body for "parameters cannot inject", run against the native connection on the 18.16 sandbox
// (tests/integration: values substituted client-side) and the embedded engine
// (tests/modern/embedded: values bound by the engine, as a server from 19.x binds them): hostile
// String values come back as the values they are, typed values keep their types, and a value that is not of its
// placeholder's type, or a missing one, is Error(usage) with nothing sent.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "chconn/connection/connection.h"
#include "chconn/core/error.h"
#include "support/expect_error.h"

namespace chconn::test {

inline void expect_parameters_cannot_inject(Connection& conn) {
  const std::string nasty[] = {
      "plain",
      "it's",
      "back\\slash",
      "trailing\\",
      "{v:String}",
      "{",
      "$$heredoc$$",
      std::string("nul\0byte", 8),
      "multi-byte \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe2\x82\xac",
      "'); DROP TABLE insert_rt; --",
      "\\'; SELECT 1; --",
      "tab\tnewline\n",
  };
  for (const std::string& value : nasty) {
    SCOPED_TRACE(value);
    Result r = conn.execute("SELECT {v:String} AS v, length({v:String}) AS n", Params().set("v", value));
    ASSERT_EQ(r.row_count(), 1u);
    EXPECT_EQ(r.row(0).get<std::string>("v"), value);
    EXPECT_EQ(r.row(0).get<std::uint64_t>("n"), value.size());
  }
  Result typed = conn.execute("SELECT {n:UInt32} + 1 AS n, {d:Date} AS d, {x:Nullable(String)} AS x",
                              Params().set("n", 41).set("d", "2020-01-02").set_null("x"));
  EXPECT_EQ(typed.row(0).get<std::uint64_t>("n"), 42u);
  EXPECT_EQ(typed.row(0).get<std::uint16_t>("d"), 18263u);
  EXPECT_TRUE(typed.row(0).is_null("x"));
  expect_error(ErrorKind::usage, [&] { conn.execute("SELECT {n:UInt8} AS n", Params().set("n", "1; DROP TABLE x")); });
  expect_error(ErrorKind::usage, [&] { conn.execute("SELECT {n:UInt8} AS n"); });
}

}  // namespace chconn::test
