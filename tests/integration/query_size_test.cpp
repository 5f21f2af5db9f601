// Large query texts against the 18.16 sandbox (issue 13, item 8). What 18.16 does, measured on
// the sandbox: a query text of at most 16 MiB - 1 bytes is read and then parsed within
// max_query_size (262144 by default; beyond it, code 62 "Max query size exceeded"); a longer text
// is refused while reading the Query packet ("Too large string size"), after which the server
// closes the connection with the rest of the text unread, which the client saw as "connection
// reset by peer" (or a broken pipe) part-way through sending it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

// "SELECT length('aaa...') AS n" of exactly `total` bytes.
std::string select_of_size(std::size_t total) {
  const std::string head = "SELECT length('";
  const std::string tail = "') AS n";
  return head + std::string(total - head.size() - tail.size(), 'a') + tail;
}

// The probe's 100 MB query surfaced as "connection reset by peer". It is now refused before
// anything is sent, with the size and the limit, and the connection stays usable.
TEST(QuerySizeOn1816, TextLongerThanTheServerReadsIsRefusedBeforeSending) {
  auto conn = test::connect_sandbox();
  const std::string sql = select_of_size(100'000'000);
  expect_error(ErrorKind::usage, [&] { conn->execute(sql); }, {"100000000 bytes", "16777215"});
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT 1 AS x").value<int>("x"), 1);
}

// The limit is exact: 16 MiB - 1 bytes of text reach the server (which then refuses them for
// max_query_size, cleanly), one byte more is refused by chconn. An INSERT with its data in the
// text counts whole, too.
TEST(QuerySizeOn1816, LimitIsExact) {
  auto conn = test::connect_sandbox();
  const Error e = test::thrown_error([&] { conn->execute(select_of_size(16'777'215)); });
  EXPECT_EQ(e.kind(), ErrorKind::server) << e.what();
  EXPECT_EQ(e.server_code(), server_codes::syntax_error) << e.what();
  EXPECT_TRUE(conn->usable());
  expect_error(ErrorKind::usage, [&] { conn->execute(select_of_size(16'777'216)); });
  conn->execute("DROP TABLE IF EXISTS big_values");
  conn->execute("CREATE TABLE big_values (s String) ENGINE = Memory");
  expect_error(ErrorKind::usage,
               [&] { conn->execute("INSERT INTO big_values VALUES ('" + std::string(20'000'000, 'v') + "')"); });
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT count() AS n FROM big_values").value<std::uint64_t>("n"), 0u);
}

// A max_query_size the caller set (per query or in the Config) is checked before sending: the
// server would refuse the text anyway (code 62), after receiving all of it.
TEST(QuerySizeOn1816, CallersMaxQuerySizeIsCheckedBeforeSending) {
  auto conn = test::connect_sandbox();
  QueryOptions options;
  options.settings.set("max_query_size", "1000");
  expect_error(ErrorKind::usage, [&] { conn->execute(select_of_size(2000), options); },
               {"max_query_size", "2000 bytes"});
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute(select_of_size(900), options).value<std::uint64_t>("n"), 900u - 22u);

  Config config = test::sandbox_config();
  config.settings.set("max_query_size", "1000");
  auto limited = test::connect(config);
  EXPECT_THROW(limited->execute(select_of_size(2000)), Error);
  // A larger limit for one query overrides the Config's: the server reads 2000 bytes then.
  QueryOptions larger;
  larger.settings.set("max_query_size", "4000");
  EXPECT_EQ(limited->execute(select_of_size(2000), larger).value<std::uint64_t>("n"), 2000u - 22u);
}

}  // namespace
}  // namespace chconn
