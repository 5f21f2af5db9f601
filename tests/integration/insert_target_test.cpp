// insert(table, blocks) against the 18.16 sandbox: the table text is read as names and never
// spliced into the statement (issue 13, item 6), and names that need quoting work.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

std::uint64_t count_rows(Connection& conn, const std::string& table) {
  return conn.execute("SELECT count() AS n FROM " + table).value<std::uint64_t>("n");
}

Block x_s_block(std::uint8_t x, std::string s, std::string_view s_name = "s") {
  auto xs = std::make_shared<ColumnUInt8>();
  xs->append(x);
  auto ss = std::make_shared<ColumnString>();
  ss->append(s);
  Block block;
  block.append("x", xs);
  block.append(std::string(s_name), ss);
  return block;
}

// The probe's case: a table text ending in "SELECT 99, 'x' --" made the statement
// "INSERT INTO t SELECT 99, 'x' -- VALUES", which inserted a row and then reported a usage error
// that the documentation says means nothing was inserted. Every such text is now refused before
// anything is sent, and the table stays empty.
TEST(InsertTarget, TableTextCannotInjectSql) {
  auto conn = test::connect_sandbox();
  auto check = test::connect_sandbox();  // counts rows whatever state a failed insert left `conn` in
  const std::string db = "chconn_inject_" + std::to_string(::getpid());
  conn->execute("DROP DATABASE IF EXISTS " + db);
  conn->execute("CREATE DATABASE " + db);
  conn->execute("CREATE TABLE " + db + ".t (x UInt8, s String) ENGINE = Memory");
  const std::string t = db + ".t";
  const Block block = x_s_block(1, "a");
  const std::vector<std::string> hostile = {
      t + " SELECT 99, 'x' --",
      t + " SELECT 99, 'x'",
      t + " (x, s) SELECT 99, 'x' --",
      t + "\nSELECT 99, 'x' /*",
      t + "; INSERT INTO " + t + " SELECT 99, 'x'",
      t + " FORMAT TabSeparated",
      t + " VALUES (99, 'x')",
      "`" + db + "`.`t` SELECT 99, 'x' --",
      t + " (x, s) -- ",
      t + " (x, s SELECT 99, 'x')",
      "(SELECT 99, 'x')",
      "",
  };
  for (const std::string& table : hostile) {
    const Error e = test::thrown_error([&] { conn->insert(table, block); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << table << ": " << e.what();
    EXPECT_EQ(count_rows(*check, t), 0u) << "a row was inserted by: " << table;
    EXPECT_TRUE(conn->usable()) << table;
  }
  // The same table, named properly, takes the block.
  conn->insert(t, block);
  EXPECT_EQ(count_rows(*conn, t), 1u);
  conn->execute("DROP DATABASE " + db);
}

// Names that need quoting: a database with a dot, tables with a space and a dash, a column with a
// space, a back-quote inside a name, a Nested column's parts in a column list.
TEST(InsertTarget, QuotedNamesWithOddCharacters) {
  auto conn = test::connect_sandbox();
  const std::string db = "chconn_d.b_" + std::to_string(::getpid());
  const std::string qdb = "`" + db + "`";
  conn->execute("DROP DATABASE IF EXISTS " + qdb);
  conn->execute("CREATE DATABASE " + qdb);
  conn->execute("CREATE TABLE " + qdb + ".`my table` (x UInt8, `odd col` String) ENGINE = Memory");
  conn->execute("CREATE TABLE " + qdb + ".`t-1` (x UInt8, s String) ENGINE = Memory");
  conn->execute("CREATE TABLE " + qdb + ".`back``tick` (x UInt8, s String) ENGINE = Memory");
  conn->execute("CREATE TABLE " + qdb + ".nest (x UInt8, n Nested(a UInt8, b String)) ENGINE = Memory");

  conn->insert(qdb + ".`my table`", x_s_block(1, "one", "odd col"));
  conn->insert(" " + qdb + " . `my table` ( `odd col` , x ) ", x_s_block(2, "two", "odd col"));
  Result r = conn->execute("SELECT x, `odd col` AS s FROM " + qdb + ".`my table` ORDER BY x");
  ASSERT_EQ(r.row_count(), 2u);
  EXPECT_EQ(r.row(1).get<std::string>("s"), "two");

  conn->insert("\"" + db + "\".\"t-1\"", x_s_block(3, "three"));  // double quotes
  EXPECT_EQ(count_rows(*conn, qdb + ".`t-1`"), 1u);

  conn->insert(qdb + ".`back\\`tick`", x_s_block(4, "four"));  // an escaped back-quote
  conn->insert(qdb + ".`back``tick`", x_s_block(5, "five"));   // a doubled one
  EXPECT_EQ(count_rows(*conn, qdb + ".`back``tick`"), 2u);

  // A column list naming a Nested column's parts, plainly and quoted whole.
  auto arrays = [](std::vector<std::uint8_t> a, std::vector<std::string> b, std::string_view a_name,
                   std::string_view b_name) {
    auto x = std::make_shared<ColumnUInt8>();
    x->append(7);
    auto na = std::make_shared<ColumnArray>(parse_type("Array(UInt8)"));
    auto nb = std::make_shared<ColumnArray>(parse_type("Array(String)"));
    for (auto v : a) na->nested_as<ColumnUInt8>().append(v);
    na->finish_row();
    for (auto& v : b) nb->nested_as<ColumnString>().append(v);
    nb->finish_row();
    Block block;
    block.append("x", x);
    block.append(std::string(a_name), na);
    block.append(std::string(b_name), nb);
    return block;
  };
  conn->insert(qdb + ".nest (x, n.a, n.b)", arrays({1, 2}, {"p", "q"}, "n.a", "n.b"));
  conn->insert(qdb + ".nest (x, `n.a`, `n`.`b`)", arrays({3}, {"r"}, "n.a", "n.b"));
  EXPECT_EQ(conn->execute("SELECT sum(length(n.a)) AS n FROM " + qdb + ".nest").value<std::uint64_t>("n"), 3u);

  conn->execute("DROP DATABASE " + qdb);
}

}  // namespace
}  // namespace chconn
