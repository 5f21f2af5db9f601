// The SQL lexer and the statement facts built on it (chconn/core/sql.h). The expected tokens follow
// ClickHouse's lexer (src/Parsers/Lexer.cpp), rule by rule.
#include "chconn/core/sql.h"

#include <gtest/gtest.h>

#include <optional>

#include <string>
#include <vector>

#include "chconn/core/error.h"
#include "support/expect_error.h"

namespace chconn::sql {
namespace {

// "kind:text" for each token, whitespace included as "ws".
std::vector<std::string> lex(std::string_view text) {
  static const char* const names[] = {"ws",
                                      "comment",
                                      "word",
                                      "number",
                                      "string",
                                      "qident",
                                      "heredoc",
                                      "(",
                                      ")",
                                      "[",
                                      "]",
                                      "{",
                                      "}",
                                      ",",
                                      ";",
                                      ".",
                                      "+",
                                      "-",
                                      "->",
                                      "*",
                                      "/",
                                      "%",
                                      "^",
                                      "=",
                                      "!=",
                                      "<",
                                      "<=",
                                      ">",
                                      ">=",
                                      "<=>",
                                      "?",
                                      ":",
                                      "::",
                                      "||",
                                      "|",
                                      "@",
                                      "@@",
                                      "$",
                                      "\\G",
                                      "error",
                                      "unterminated",
                                      "end"};
  std::vector<std::string> out;
  for (const Token& t : tokenize(text)) {
    out.push_back(std::string(names[static_cast<int>(t.kind)]) + ":" + std::string(t.text));
  }
  return out;
}
using V = std::vector<std::string>;

TEST(SqlLexer, TokensCoverTheTextExactly) {
  const std::string text = "SELECT a.b, 'x''y' -- c\n/* d */ FROM `t` WHERE x >= 1.5e-3";
  std::size_t at = 0;
  for (const Token& t : tokenize(text)) {
    EXPECT_EQ(t.offset, at);
    EXPECT_EQ(t.text, std::string_view(text).substr(t.offset, t.text.size()));
    at = t.end();
  }
  EXPECT_EQ(at, text.size());
  Lexer lexer("x");
  lexer.next();
  EXPECT_EQ(lexer.next().kind, TokenKind::end);
  EXPECT_EQ(lexer.next().kind, TokenKind::end);  // and again
}

TEST(SqlLexer, Comments) {
  EXPECT_EQ(lex("1--c\n2"), (V{"number:1", "comment:--c", "ws:\n", "number:2"}));
  EXPECT_EQ(lex("1//c"), (V{"number:1", "comment://c"}));
  EXPECT_EQ(lex("# c\n1"), (V{"comment:# c", "ws:\n", "number:1"}));
  EXPECT_EQ(lex("#!shebang"), (V{"comment:#!shebang"}));
  EXPECT_EQ(lex("#x"), (V{"error:#", "word:x"}));  // '#' is a comment only before ' ' or '!'
  // Block comments nest.
  EXPECT_EQ(lex("/* a /* b */ c */1"), (V{"comment:/* a /* b */ c */", "number:1"}));
  EXPECT_EQ(lex("/* a /* b */"), (V{"unterminated:/* a /* b */"}));
  EXPECT_EQ(lex("1-2"), (V{"number:1", "-:-", "number:2"}));
  EXPECT_EQ(lex("a->b"), (V{"word:a", "->:->", "word:b"}));
}

TEST(SqlLexer, QuotedText) {
  EXPECT_EQ(lex(R"('a\'b''c')"), (V{R"(string:'a\'b''c')"}));
  EXPECT_EQ(lex(R"("a""b" `c\`d`)"), (V{R"(qident:"a""b")", "ws: ", R"(qident:`c\`d`)"}));
  EXPECT_EQ(lex("'open"), (V{"unterminated:'open"}));
  EXPECT_EQ(lex("'ends in \\"), (V{"unterminated:'ends in \\"}));
  EXPECT_EQ(lex("x'41' b'01' x'4g'"), (V{"string:x'41'", "ws: ", "string:b'01'", "ws: ", "unterminated:x'4g'"}));
  EXPECT_EQ(lex("x 'a'"), (V{"word:x", "ws: ", "string:'a'"}));
  // Unicode quotes: no escapes inside, the first closing quote ends them.
  EXPECT_EQ(lex("\xE2\x80\x98"
                "a\\"
                "\xE2\x80\x99"),
            (V{"string:\xE2\x80\x98"
               "a\\"
               "\xE2\x80\x99"}));
  EXPECT_EQ(lex("\xE2\x80\x9C"
                "ab"
                "\xE2\x80\x9D"),
            (V{"qident:\xE2\x80\x9C"
               "ab"
               "\xE2\x80\x9D"}));
  EXPECT_EQ(lex("\xE2\x88\x92"
                "1"),
            (V{"-:\xE2\x88\x92", "number:1"}));  // U+2212 minus
}

TEST(SqlLexer, Heredocs) {
  EXPECT_EQ(lex("$a$ x; 'y $a$;"), (V{"heredoc:$a$ x; 'y $a$", ";:;"}));
  EXPECT_EQ(lex("$$ x $$"), (V{"heredoc:$$ x $$"}));
  EXPECT_EQ(lex("$a$ unclosed"), (V{"word:$a$", "ws: ", "word:unclosed"}));
  EXPECT_EQ(lex("$ 1"), (V{"$:$", "ws: ", "number:1"}));
  EXPECT_EQ(lex("a$b"), (V{"word:a$b"}));
}

TEST(SqlLexer, Numbers) {
  EXPECT_EQ(lex("1.5e-3 0x1F 0b101 1_000 0x"), (V{"number:1.5e-3", "ws: ", "number:0x1F", "ws: ", "number:0b101",
                                                  "ws: ", "number:1_000", "ws: ", "word:0x"}));
  EXPECT_EQ(lex("1__0 1_ 0x1p3"), (V{"word:1__0", "ws: ", "word:1_", "ws: ", "number:0x1p3"}));
  EXPECT_EQ(lex("1e5abc"), (V{"word:1e5abc"}));
  EXPECT_EQ(lex("1.5abc"), (V{"error:1.5abc"}));
  // After a dot only an integer, for nested tuple access; a dot after a word is a dot.
  EXPECT_EQ(lex("t.1.2"), (V{"word:t", ".:.", "number:1", ".:.", "number:2"}));
  EXPECT_EQ(lex("x .5"), (V{"word:x", "ws: ", ".:.", "number:5"}));
  EXPECT_EQ(lex("1 .5"), (V{"number:1", "ws: ", ".:.", "number:5"}));
  EXPECT_EQ(lex("(.5)"), (V{"(:(", "number:.5", "):)"}));
}

TEST(SqlLexer, Operators) {
  EXPECT_EQ(lex("a<=>b<>c!=d==e||f::g"), (V{"word:a", "<=>:<=>", "word:b", "!=:<>", "word:c", "!=:!=", "word:d",
                                            "=:==", "word:e", "||:||", "word:f", ":::::", "word:g"}));
  EXPECT_EQ(lex("!x"), (V{"error:!", "word:x"}));
  EXPECT_EQ(lex("\\G\\x"), (V{"\\G:\\G", "error:\\", "word:x"}));
  EXPECT_EQ(lex("a\xC2\xA0"
                "b"),
            (V{"word:a", "ws:\xC2\xA0", "word:b"}));  // U+00A0 is a blank
  EXPECT_EQ(lex("\xFF"), (V{"error:\xFF"}));
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> r;
  for (auto v : split_statements(s)) r.emplace_back(v);
  return r;
}

TEST(SqlStatements, SplitsOnlyAtTopLevelSemicolons) {
  EXPECT_EQ(split("SELECT 1; SELECT 2"), (V{"SELECT 1", "SELECT 2"}));
  EXPECT_EQ(split("SELECT 1;"), (V{"SELECT 1"}));
  EXPECT_EQ(split("  \n ;; ; "), V{});
  EXPECT_EQ(split(""), V{});
  EXPECT_EQ(split("SELECT 'a;b'; SELECT 'c\\';d'"), (V{"SELECT 'a;b'", "SELECT 'c\\';d'"}));
  EXPECT_EQ(split("SELECT 'it''s;'; SELECT 2"), (V{"SELECT 'it''s;'", "SELECT 2"}));
  EXPECT_EQ(split("SELECT \"a;b\", `c;d` FROM t; SELECT 2"), (V{"SELECT \"a;b\", `c;d` FROM t", "SELECT 2"}));
  EXPECT_EQ(split("SELECT 1 -- no; split\n; SELECT 2"), (V{"SELECT 1 -- no; split", "SELECT 2"}));
  EXPECT_EQ(split("SELECT /* ; */ 1; /* only a comment; */ ; -- trailing;"), (V{"SELECT /* ; */ 1"}));
  EXPECT_EQ(split("SELECT 'unterminated; SELECT 2"), (V{"SELECT 'unterminated; SELECT 2"}));
  EXPECT_EQ(split("SELECT 1 /* unterminated; SELECT 2"), (V{"SELECT 1 /* unterminated; SELECT 2"}));
  EXPECT_EQ(split("SELECT 1-2; SELECT 3"), (V{"SELECT 1-2", "SELECT 3"}));
  // Nested comments, '#' and '//' comments and heredocs hide semicolons too.
  EXPECT_EQ(split("SELECT 1 /* a /* b */ ; */; SELECT 2"), (V{"SELECT 1 /* a /* b */ ; */", "SELECT 2"}));
  EXPECT_EQ(split("SELECT 1 # a; b\n; SELECT 2 // c; d\n;"), (V{"SELECT 1 # a; b", "SELECT 2 // c; d"}));
  EXPECT_EQ(split("SELECT $x$;$x$; SELECT 2"), (V{"SELECT $x$;$x$", "SELECT 2"}));
}

// split_script is the CLI's rule (clickhouse-client 18.16's): a ';' inside parentheses does not
// end a statement, and an INSERT's inline data runs to the end of its line, a ';' and what follows
// it included (18.16 runs no `SELECT 2` written after `VALUES (...);` on the same line: the Values
// reader stops at the ';'), or with data_to_end to the end of the text.
TEST(SqlStatements, ScriptsSplitAsTheClientSplitsThem) {
  EXPECT_EQ(split("SELECT (1; 2); SELECT 3"), (V{"SELECT (1; 2)", "SELECT 3"}));
  const std::string script = "INSERT INTO t VALUES (1, 'a;b'); SELECT 2;\nINSERT INTO t FORMAT TSV\n1\tx;y\nSELECT 3";
  const std::vector<ScriptStatement> st = split_script(script);
  ASSERT_EQ(st.size(), 3u);
  EXPECT_EQ(st[0].sql, "INSERT INTO t VALUES");
  EXPECT_EQ(st[0].data, "(1, 'a;b'); SELECT 2;");
  EXPECT_EQ(st[0].text, "INSERT INTO t VALUES (1, 'a;b'); SELECT 2;");
  EXPECT_EQ(st[1].sql, "INSERT INTO t FORMAT TSV");
  EXPECT_EQ(st[1].data, "1\tx;y");  // FORMAT data: to the end of its line, ';' included
  EXPECT_EQ(st[2].sql, "SELECT 3");
  // The data written on the INSERT's own line after FORMAT X; the next line is the next statement.
  const std::vector<ScriptStatement> same_line = split_script("INSERT INTO t FORMAT TSV 1\ta\nSELECT 1;\n");
  ASSERT_EQ(same_line.size(), 2u);
  EXPECT_EQ(same_line[0].sql, "INSERT INTO t FORMAT TSV");
  EXPECT_EQ(same_line[0].data, "1\ta");
  EXPECT_EQ(same_line[1].sql, "SELECT 1");
  // VALUES; is data too: only a ';' (no rows), the rest of the line with it.
  const std::vector<ScriptStatement> none = split_script("INSERT INTO t VALUES; SELECT 2;\nSELECT 3");
  ASSERT_EQ(none.size(), 2u);
  EXPECT_EQ(none[0].data, "; SELECT 2;");
  EXPECT_EQ(none[1].sql, "SELECT 3");
  // split_statements keeps SQL rules throughout: VALUES rows over several lines stay one statement
  // (the client's line rule would cut them), and a ';' in FORMAT data ends a statement.
  EXPECT_EQ(split("INSERT INTO t VALUES\n(1),\n(2);\nSELECT 1"), (V{"INSERT INTO t VALUES\n(1),\n(2)", "SELECT 1"}));
  EXPECT_EQ(split("INSERT INTO t VALUES; SELECT 1"), (V{"INSERT INTO t VALUES", "SELECT 1"}));
  EXPECT_EQ(split(script),
            (V{"INSERT INTO t VALUES (1, 'a;b')", "SELECT 2", "INSERT INTO t FORMAT TSV\n1\tx", "y\nSELECT 3"}));
  // One query without --multiquery: the data runs to the end of the text.
  const std::vector<ScriptStatement> one = split_script("INSERT INTO t FORMAT TSV\n1\n2\n", true);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].data, "1\n2\n");
}

// fuzz_sql: an opening Unicode quote near the end of the text starts an unterminated token
// whatever follows it, so the tokens of a text do not depend on the bytes after it.
TEST(SqlStatements, AnOpeningUnicodeQuoteNearTheEndIsUnterminated) {
  for (const std::string text : {"\xe2\x80\x9c;4", "\xe2\x80\x9c;4 ", "\xe2\x80\x98;", "\xe2\x80\x9c"}) {
    const std::vector<Token> tokens = tokenize(text);
    ASSERT_EQ(tokens.size(), 1u) << text;
    EXPECT_EQ(tokens[0].kind, TokenKind::unterminated) << text;
    EXPECT_EQ(split(text).size(), 1u) << text;
  }
  EXPECT_EQ(split("SELECT \xe2\x80\x9cx\xe2\x80\x9d; SELECT 2"), (V{"SELECT \xe2\x80\x9cx\xe2\x80\x9d", "SELECT 2"}));
}

TEST(SqlStatements, SplittingNeverLosesOrDuplicatesBytes) {
  const std::string script = " SELECT 1 ; -- c\n SELECT 'a;' ;; /* x */ SELECT 3 ";
  std::size_t at = 0;
  for (std::string_view s : split_statements(script)) {
    const std::size_t offset = static_cast<std::size_t>(s.data() - script.data());
    EXPECT_GE(offset, at);  // in order, no overlap
    for (std::size_t i = at; i < offset; ++i) {
      // Between statements only blanks, separators and comments.
      EXPECT_TRUE(std::string(" ;\n-c/*x").find(script[i]) != std::string::npos) << i;
    }
    at = offset + s.size();
  }
}

TEST(SqlStatements, IntoOutfileIsTheClientsClauseAtTheTopLevel) {
  EXPECT_EQ(into_outfile("SELECT 1 INTO OUTFILE 'out.tsv'"), "out.tsv");
  EXPECT_EQ(into_outfile("select 1 into outfile 'a b.csv' format CSV"), "a b.csv");
  EXPECT_EQ(into_outfile(R"(SELECT 1 INTO OUTFILE 'it''s\\n\'.tsv')"), R"(it's\n'.tsv)");
  EXPECT_EQ(into_outfile("WITH 1 AS x SELECT x INTO /* c */ OUTFILE 'f'"), "f");
  EXPECT_EQ(into_outfile("SELECT 'INTO OUTFILE f'"), std::nullopt);                    // in a string
  EXPECT_EQ(into_outfile("SELECT * FROM (SELECT 1 INTO OUTFILE 'f')"), std::nullopt);  // not the top level
  EXPECT_EQ(into_outfile("INSERT INTO outfile SELECT 1"), std::nullopt);
  EXPECT_EQ(into_outfile("SELECT 1"), std::nullopt);
  test::expect_error(ErrorKind::usage, [] { (void)into_outfile("SELECT 1 INTO OUTFILE"); }, {"and none follows"});
  test::expect_error(ErrorKind::usage, [] { (void)into_outfile("SELECT 1 INTO OUTFILE out.tsv"); },
                     {"plain single-quoted", ", not out"});
  test::expect_error(ErrorKind::usage, [] { (void)into_outfile("SELECT 1 INTO OUTFILE x'41'"); },
                     {"plain single-quoted"});
  test::expect_error(ErrorKind::usage, [] { (void)into_outfile("SELECT 1 INTO OUTFILE 'f' APPEND"); },
                     {"APPEND is not supported"});
  test::expect_error(ErrorKind::usage, [] { (void)into_outfile("SELECT 1 INTO OUTFILE 'f' AND STDOUT"); },
                     {"AND is not supported"});
}

TEST(SqlStatements, KeywordFormatAndReadOnly) {
  EXPECT_EQ(first_keyword("  /* c */ select 1"), "SELECT");
  EXPECT_EQ(first_keyword("(SELECT 1) UNION ALL (SELECT 2)"), "SELECT");
  EXPECT_EQ(first_keyword("-- c\ninsert into t values"), "INSERT");
  EXPECT_EQ(first_keyword("# c\nshow tables"), "SHOW");
  EXPECT_EQ(first_keyword("'x'"), "");
  EXPECT_EQ(trailing_format("SELECT 1 FORMAT CSV"), "CSV");
  EXPECT_EQ(trailing_format("SELECT 1 format `JSONEachRow`"), "JSONEachRow");
  EXPECT_EQ(trailing_format("SELECT 'FORMAT CSV'"), std::nullopt);
  EXPECT_EQ(trailing_format("SELECT 1 AS format"), std::nullopt);
  EXPECT_EQ(trailing_format("INSERT INTO t FORMAT CSV"), std::nullopt);
  EXPECT_TRUE(is_read_only(" ( WITH 1 AS x SELECT x)"));
  EXPECT_TRUE(is_read_only("/* a /* nested */ b */ SELECT 1"));
  EXPECT_TRUE(is_read_only("# comment\nDESC t"));
  EXPECT_FALSE(is_read_only("/* a /* nested */ SELECT */ INSERT INTO t VALUES"));
  EXPECT_FALSE(is_read_only("#SELECT"));  // not a comment: an error token, then a word
  EXPECT_FALSE(is_read_only("selected"));
  EXPECT_FALSE(is_read_only(""));
}

TEST(SqlStatements, NestedCommentsAreFound) {
  for (const char* sql : {"SELECT /* a /* b */ c */ 1", "/* /* */ ' */ {db:String} -- '", "SELECT 1 /* /* unterminated",
                          "/*/**/*/SELECT 1", "SELECT 1; /* x /* y */ z */"}) {
    EXPECT_TRUE(has_nested_comment(sql)) << sql;
  }
  for (const char* sql : {"SELECT 1", "SELECT /* a */ 1 /* b */", "SELECT '/* /* */' AS s", "SELECT `/* /*` FROM t",
                          "-- /* /* */\nSELECT 1", "SELECT 1 /* a */ /* b */", "SELECT /* a * / b */ 1",
                          "SELECT /* */ /* */ 1", "SELECT $$ /* /* */ $$"}) {
    EXPECT_FALSE(has_nested_comment(sql)) << sql;
  }
}

TEST(SqlStatements, EndsStatementAtTopLevelSemicolonOrVerticalOnly) {
  for (const char* sql :
       {"SELECT 1;", "SELECT 1 ;  ", "SELECT\n2;", "SELECT 'a;b';", "SELECT 1; -- done", "SELECT 1 /* c */ ;",
        "SELECT 1\\G", "SELECT 1 \\G  ", "SELECT 1\\G -- x", ";", "SELECT 1; SELECT 2;"}) {
    EXPECT_TRUE(ends_statement(sql)) << sql;
  }
  for (const char* sql :
       {"", "   ", "SELECT 1", "SELECT 'a;", "SELECT 'a;b'", "SELECT 1 -- ;", "SELECT 1 /* ; */", "SELECT 1 /* ;",
        "SELECT `a;", "SELECT $x$ ; $x$", "SELECT 1; SELECT 2", "SELECT '\\G'", "SELECT \"a\\G\""}) {
    EXPECT_FALSE(ends_statement(sql)) << sql;
  }
}

TEST(SqlStatements, WithoutVerticalSuffix) {
  EXPECT_EQ(without_vertical_suffix("SELECT 1\\G"), "SELECT 1");
  EXPECT_EQ(without_vertical_suffix("SELECT 1 /* c */ \\G -- x"), "SELECT 1");
  EXPECT_EQ(without_vertical_suffix("SELECT 'x\\G' \\G"), "SELECT 'x\\G'");
  EXPECT_EQ(without_vertical_suffix("\\G"), "");
  EXPECT_EQ(without_vertical_suffix("SELECT 1"), std::nullopt);
  EXPECT_EQ(without_vertical_suffix("SELECT '\\G'"), std::nullopt);
  EXPECT_EQ(without_vertical_suffix("SELECT 1 -- \\G"), std::nullopt);
}

TEST(SqlStatements, ChangesSession) {
  for (const char* sql : {"SET max_threads = 1", "set param_x = 1", "  /* c */ USE db", "-- c\nSET ROLE r",
                          "CREATE TEMPORARY TABLE ids (id UInt64)", "create or replace temporary table t (x UInt8)",
                          "DROP TEMPORARY TABLE IF EXISTS ids", "BEGIN TRANSACTION", "start transaction", "COMMIT",
                          "ROLLBACK", "(SET x = 1)"}) {
    EXPECT_TRUE(changes_session(sql)) << sql;
  }
  for (const char* sql :
       {"SELECT 1", "SETTINGS", "SELECT 1 SETTINGS max_threads = 1", "/* SET x = 1 */ SELECT 1",
        "CREATE TABLE t (x UInt8) ENGINE = Memory", "DROP TABLE temporary", "CREATE OR TEMPORARY TABLE t",
        "INSERT INTO t VALUES", "'SET'", "START t", "", "# SET x = 1\nSELECT 1", "USER"}) {
    EXPECT_FALSE(changes_session(sql)) << sql;
  }
}

TEST(SqlStatements, SettingsClauseAssigns) {
  const std::string_view name = "max_execution_time";
  for (const char* sql :
       {"SELECT 1 SETTINGS max_execution_time = 1", "select 1 settings max_threads = 2, max_execution_time=0.5",
        "SELECT 1 SETTINGS a = [1, 2], b = (3, 4), `max_execution_time` = 1 FORMAT TSV",
        "SELECT * FROM (SELECT 1 SETTINGS \"max_execution_time\" = 1)",
        "SELECT 1 SETTINGS `max\\x5Fexecution_time` = 1", "INSERT INTO t SETTINGS max_execution_time = 1 VALUES"}) {
    EXPECT_TRUE(settings_clause_assigns(sql, name)) << sql;
  }
  for (const char* sql : {"SELECT max_execution_time FROM cfg", "SELECT 1 AS max_execution_time",
                          "SELECT 'SETTINGS max_execution_time = 1'", "SELECT 1 -- SETTINGS max_execution_time = 1",
                          "SELECT 1 SETTINGS max_threads = 1 FORMAT max_execution_time",
                          "SELECT settings FROM t WHERE max_execution_time = 1",
                          "SELECT 1 SETTINGS max_threads = (max_execution_time = 1)", "SETTINGS", ""}) {
    EXPECT_FALSE(settings_clause_assigns(sql, name)) << sql;
  }
}

TEST(SqlStatements, InsertShape) {
  InsertShape s = insert_shape("INSERT INTO t VALUES (1)");
  EXPECT_TRUE(s.is_insert);
  EXPECT_FALSE(s.from_select);
  ASSERT_TRUE(s.inline_data);
  EXPECT_EQ(*s.inline_data, std::string("INSERT INTO t VALUES ").size());

  s = insert_shape("insert into t (a, b) format CSV");
  EXPECT_TRUE(s.is_insert);
  EXPECT_EQ(s.format, "CSV");
  EXPECT_FALSE(s.inline_data);  // the rows must come from the client

  s = insert_shape("INSERT INTO t FORMAT TSV\n1\t2\n");
  EXPECT_EQ(s.format, "TSV");
  ASSERT_TRUE(s.inline_data);
  EXPECT_EQ(*s.inline_data, std::string("INSERT INTO t FORMAT TSV\n").size());
  // Spaces and tabs, then one line end, as the server and clickhouse-client skip them (18.16:
  // "FORMAT CSV  \r\n1,a" inserts 1,a; "FORMAT TSV 5\te" inserts 5, e).
  s = insert_shape("INSERT INTO t FORMAT CSV  \r\n1,a");
  ASSERT_TRUE(s.inline_data);
  EXPECT_EQ(*s.inline_data, std::string("INSERT INTO t FORMAT CSV  \r\n").size());
  s = insert_shape("INSERT INTO t FORMAT TSV \t5\te");
  ASSERT_TRUE(s.inline_data);
  EXPECT_EQ(*s.inline_data, std::string("INSERT INTO t FORMAT TSV \t").size());

  s = insert_shape("INSERT INTO t");
  EXPECT_TRUE(s.is_insert);
  EXPECT_FALSE(s.from_select);
  EXPECT_FALSE(s.inline_data);

  EXPECT_TRUE(insert_shape("INSERT INTO t SELECT * FROM u").from_select);
  EXPECT_TRUE(insert_shape("INSERT INTO t (x) WITH 1 AS y SELECT y").from_select);
  // Column names in the list are not keywords.
  s = insert_shape("INSERT INTO t (format, values) VALUES (1, 2)");
  EXPECT_FALSE(s.format);
  EXPECT_TRUE(s.inline_data);
  EXPECT_FALSE(insert_shape("SELECT 'INSERT INTO t VALUES'").is_insert);
  EXPECT_FALSE(insert_shape("/* INSERT */ SELECT 1").is_insert);
  EXPECT_TRUE(insert_shape("/* c */ INSERT INTO t VALUES").is_insert);
  EXPECT_FALSE(insert_shape("/* c */ INSERT INTO t VALUES  ").inline_data);
}

TEST(SqlQuoting, EscapesWhatCouldEndOrOpenAnything) {
  EXPECT_EQ(quote_string("it's"), "'it\\'s'");
  EXPECT_EQ(quote_string("a\\b"), "'a\\\\b'");
  EXPECT_EQ(quote_string(std::string("\0\n\t\x01\x7f", 5)), "'\\0\\n\\t\\x01\\x7f'");
  EXPECT_EQ(quote_string("$a$"), "'\\x24a\\x24'");
  EXPECT_EQ(quote_identifier("a`b"), "`a\\`b`");
  EXPECT_EQ(quote_string(""), "''");
  // Whatever the text, the result is one string token.
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (const std::string& q : {quote_string(all), quote_identifier(all)}) {
    const auto tokens = tokenize(q);
    ASSERT_EQ(tokens.size(), 1u);
    EXPECT_EQ(tokens[0].text.size(), q.size());
    EXPECT_NE(tokens[0].kind, TokenKind::unterminated);
  }
}

}  // namespace
}  // namespace chconn::sql
