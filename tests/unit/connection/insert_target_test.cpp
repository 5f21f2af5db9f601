// parse_insert_target() and InsertTarget::insert_statement(): the grammar of an insert's table text
// (issue 13, item 6). Valid targets give their names; everything else is Error(usage) with a short
// message; and every name quote_identifier() writes reads back as itself.
#include "chconn/connection/insert_target.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "chconn/connection/params.h"
#include "chconn/core/error.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using Columns = std::vector<std::string>;

InsertTarget target(std::string database, std::string table, Columns columns = {}) {
  return InsertTarget{std::move(database), std::move(table), std::move(columns)};
}

TEST(InsertTarget, ValidTargets) {
  struct Case {
    std::string text;
    InsertTarget want;
  };
  const std::vector<Case> cases = {
      {"events", target("", "events")},
      {"_t1", target("", "_t1")},
      {"analytics.events", target("analytics", "events")},
      {"  analytics . events  ", target("analytics", "events")},
      {"`d.b`.`my table`", target("d.b", "my table")},
      {"\"t-1\"", target("", "t-1")},
      {"\"d.b\".`t-1`", target("d.b", "t-1")},
      {"`a``b`", target("", "a`b")},
      {"`a\\`b`", target("", "a`b")},
      {"\"dq\"\"x\"", target("", "dq\"x")},
      {"`c\\x41d`", target("", "cAd")},
      {"`tab\\tx`", target("", "tab\tx")},
      {"`back\\\\slash`", target("", "back\\slash")},
      {"`it\\'s`", target("", "it's")},
      {"`nul\\0`", target("", std::string("nul\0", 4))},
      // As ClickHouse's lexer reads them: \N is nothing, a backslash before a digit is kept.
      {"`a\\N`", target("", "a")},
      {"`a\\1`", target("", "a\\1")},
      {"`SELECT 1; --`", target("", "SELECT 1; --")},
      {"`\xc3\xbc"
       "ber`",
       target("",
              "\xc3\xbc"
              "ber")},
      {"t (id, name)", target("", "t", {"id", "name"})},
      {"db.t(id)", target("db", "t", {"id"})},
      {"nest (id, n.x, `n`.`y`, `n.z`, n . w)", target("", "nest", {"id", "n.x", "n.y", "n.z", "n.w"})},
      {"t ( `odd col` , \"x-y\" ) ", target("", "t", {"odd col", "x-y"})},
  };
  for (const Case& c : cases) {
    try {
      EXPECT_EQ(parse_insert_target(c.text), c.want) << c.text;
    } catch (const Error& e) {
      ADD_FAILURE() << c.text << ": " << e.what();
    }
  }
}

TEST(InsertTarget, EverythingElseIsAUsageError) {
  const std::vector<std::string> bad = {
      "",
      "   ",
      "t SELECT 99, 'x' --",
      "t SELECT 99, 'x'",
      "t (x) SELECT 1",
      "t VALUES",
      "t VALUES (1)",
      "t FORMAT Native",
      "t (a) VALUES (1)",
      "t;",
      "t; DROP TABLE t",
      "t --",
      "t /* c */",
      "t\nSELECT 1",
      "db.t.u",
      "a.b.c (x)",
      "db.",
      ".t",
      "1t",
      "t-1",
      "my table",
      "\xc3\xbc"
      "ber",
      std::string("t\0", 2),
      "`t",
      "`",
      "``",
      "\"\"",
      "'t'",
      "t ()",
      "t (a,)",
      "t (,a)",
      "t (a",
      "t (a) x",
      "t (a b)",
      "t (a) (b)",
      "t (`a`",
      "t (a.)",
      "`a\\x4`",
      "`a\\xZZ`",
      "`a\\",
      "(SELECT 1)",
  };
  for (const std::string& text : bad) {
    const Error e = test::thrown_error([&] { const InsertTarget t = parse_insert_target(text); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << text;
    EXPECT_NE(std::string(e.what()).find("at byte "), std::string::npos) << e.what();
  }
}

TEST(InsertTarget, MessagesSayWhereAndStayShort) {
  const std::string text = test::thrown_error([&] { parse_insert_target("events SELECT 99, 'x' --"); }).what();
  EXPECT_NE(text.find("at byte 7"), std::string::npos) << text;
  EXPECT_NE(text.find("found 'S'"), std::string::npos) << text;
  EXPECT_NE(text.find("Nothing was sent"), std::string::npos) << text;
  // A megabyte of hostile text: the message quotes 64 bytes of it and says how long it was.
  const std::string huge = "t " + std::string(1 << 20, 'x');
  const std::string short_text = test::thrown_error([&] { parse_insert_target(huge); }).what();
  EXPECT_LT(short_text.size(), 512u);
  EXPECT_NE(short_text.find("(1048578 bytes)"), std::string::npos) << short_text;
  // Control bytes in the text are escaped in the message.
  const std::string escaped = test::thrown_error([&] { parse_insert_target("t\x1b[2J"); }).what();
  EXPECT_EQ(escaped.find('\x1b'), std::string::npos);
}

TEST(InsertTarget, StatementQuotesEveryName) {
  EXPECT_EQ(target("", "t").insert_statement(), "INSERT INTO `t` VALUES");
  EXPECT_EQ(target("d.b", "my table", {"odd col", "n.x"}).insert_statement(),
            "INSERT INTO `d.b`.`my table` (`odd col`, `n.x`) VALUES");
  EXPECT_EQ(parse_insert_target("`a``b`").insert_statement(), "INSERT INTO " + quote_identifier("a`b") + " VALUES");
  EXPECT_EQ(target("db", "t").name(), "db.t");
  EXPECT_EQ(target("", "t", {"x"}).name(), "t");
  // Hand-built targets are checked where the statement is made.
  EXPECT_THROW(target("db", "").insert_statement(), Error);
  EXPECT_THROW(target("", "t", {"a", ""}).insert_statement(), Error);
}

// Property: any non-empty names, written with quote_identifier(), read back as themselves, so
// whatever a caller's names hold, the target means those names and nothing else.
TEST(InsertTarget, QuotedNamesReadBackAsThemselves) {
  std::mt19937 rng(13);
  std::uniform_int_distribution<int> length(1, 12);
  std::uniform_int_distribution<int> byte(0, 255);
  auto random_name = [&] {
    std::string s(static_cast<std::size_t>(length(rng)), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    return s;
  };
  for (int i = 0; i < 20000; ++i) {
    const InsertTarget want = target(i % 3 == 0 ? std::string() : random_name(), random_name(),
                                     i % 2 == 0 ? Columns{random_name(), random_name()} : Columns{});
    std::string text = want.database.empty() ? "" : quote_identifier(want.database) + ".";
    text += quote_identifier(want.table);
    if (!want.columns.empty()) {
      text += " (" + quote_identifier(want.columns[0]) + ", " + quote_identifier(want.columns[1]) + ")";
    }
    try {
      ASSERT_EQ(parse_insert_target(text), want) << text;
    } catch (const Error& e) {
      FAIL() << text << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace chconn
