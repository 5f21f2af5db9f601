// The shared text rules of src/core/strings.h: the one reader of ClickHouse's quoted text and the
// one escaper of the text ClickHouse writes. The expected values follow ClickHouse's
// parseComplexEscapeSequence (src/IO/ReadHelpers.cpp) and writeAnyEscapedString
// (src/IO/WriteHelpers.h).
#include "core/strings.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace chconn::detail {
namespace {

std::string read_ok(std::string_view text) {
  std::string out;
  const QuotedRead read = read_quoted(text, 0, out);
  EXPECT_EQ(read.status, QuotedRead::ok) << text;
  EXPECT_EQ(read.end, text.size()) << text;
  return out;
}

TEST(ReadQuoted, ReadsWhatTheServerReads) {
  EXPECT_EQ(read_ok("''"), "");
  EXPECT_EQ(read_ok("'plain'"), "plain");
  EXPECT_EQ(read_ok("'it''s'"), "it's");
  EXPECT_EQ(read_ok("'it\\'s'"), "it's");
  EXPECT_EQ(read_ok("`a``b`"), "a`b");
  EXPECT_EQ(read_ok("\"a\"\"b\""), "a\"b");
  EXPECT_EQ(read_ok("'\\a\\b\\e\\f\\n\\r\\t\\v\\0'"), std::string("\a\b\x1b\f\n\r\t\v\0", 9));
  EXPECT_EQ(read_ok("'\\x41\\x7a'"), "Az");
  EXPECT_EQ(read_ok("'a\\Nb'"), "ab");
  // A backslash before \ ' " ` / = or a control byte is dropped; before anything else it stays.
  EXPECT_EQ(read_ok("'\\\\ \\\" \\` \\/ \\='"), "\\ \" ` / =");
  EXPECT_EQ(read_ok("'100\\%'"), "100\\%");
  EXPECT_EQ(read_ok("'\\d\\1'"), "\\d\\1");
  EXPECT_EQ(read_ok(std::string("'\\\x01'", 4)), "\x01");
  // The other quote characters are ordinary bytes inside.
  EXPECT_EQ(read_ok("'a`b\"c'"), "a`b\"c");
  EXPECT_EQ(read_ok("'\xc3\xbc'"), "\xc3\xbc");
}

TEST(ReadQuoted, StopsAfterTheClosingQuote) {
  std::string out;
  const QuotedRead read = read_quoted("x 'ab' tail", 2, out);
  EXPECT_EQ(read.status, QuotedRead::ok);
  EXPECT_EQ(read.end, 6u);
  EXPECT_EQ(out, "ab");
}

TEST(ReadQuoted, SaysWhatIsWrong) {
  for (const std::string_view text : {"'", "'abc", "'abc\\'", "'abc\\", "`a``"}) {
    std::string out;
    EXPECT_EQ(read_quoted(text, 0, out).status, QuotedRead::unterminated) << text;
  }
  for (const std::string_view text : {"'\\x4'", "'\\xZZ'", "'\\x"}) {
    std::string out;
    const QuotedRead read = read_quoted(text, 0, out);
    EXPECT_EQ(read.status, QuotedRead::bad_hex) << text;
    EXPECT_EQ(read.end, 1u) << text;  // at the backslash
  }
}

// Whatever the server's escaper writes, the reader gives back: for every quote character and
// random bytes (control bytes, quotes, backslashes, high bytes among them).
TEST(ServerEscaped, ReadsBackAsItself) {
  std::mt19937 random(20261206);
  std::uniform_int_distribution<int> length(0, 40);
  std::uniform_int_distribution<int> byte(0, 255);
  for (const char quote : {'\'', '`', '"'}) {
    for (int i = 0; i < 2000; ++i) {
      std::string value(static_cast<std::size_t>(length(random)), '\0');
      for (char& c : value) c = static_cast<char>(byte(random));
      std::string text(1, quote);
      append_server_escaped(text, value, quote);
      text += quote;
      std::string out;
      const QuotedRead read = read_quoted(text, 0, out);
      ASSERT_EQ(read.status, QuotedRead::ok) << text;
      ASSERT_EQ(read.end, text.size()) << text;
      ASSERT_EQ(out, value) << text;
    }
  }
}

TEST(ServerEscaped, WritesTheServersBytes) {
  std::string out;
  append_server_escaped(out, std::string("a'b\\c\td\ne\0f`", 12), '\'');
  EXPECT_EQ(out, "a\\'b\\\\c\\td\\ne\\0f`");
  out.clear();
  append_server_escaped(out, "a'b`c", '`');
  EXPECT_EQ(out, "a'b\\`c");
}

// A value a message quotes: printable ASCII and well-formed UTF-8 as they are; controls, C1
// controls (U+009B is a CSI on some terminals) and broken UTF-8 as \xHH; cut at a character.
TEST(MessageExcerpt, ShowsWhatIsSafeAndEscapesTheRest) {
  EXPECT_EQ(message_excerpt("plain"), "'plain'");
  EXPECT_EQ(message_excerpt("it's a \\"), "'it\\'s a \\\\'");
  EXPECT_EQ(message_excerpt("a\tb\n\x1b[2J"), "'a\\x09b\\x0a\\x1b[2J'");
  EXPECT_EQ(message_excerpt("\x7f"), "'\\x7f'");
  EXPECT_EQ(message_excerpt("\xd1\x82\xd0\xb0\xd0\xb1\xd0\xbb\xd0\xb8\xd1\x86\xd0\xb0"),
            "'\xd1\x82\xd0\xb0\xd0\xb1\xd0\xbb\xd0\xb8\xd1\x86\xd0\xb0'");
  EXPECT_EQ(message_excerpt("\xe2\x82\xac \xf0\x9f\x98\x80"), "'\xe2\x82\xac \xf0\x9f\x98\x80'");
  EXPECT_EQ(message_excerpt("\xc2\x9b"
                            "2J"),
            "'\\xc2\\x9b2J'");  // U+009B CSI
  EXPECT_EQ(message_excerpt("\x9b"
                            "2J"),
            "'\\x9b2J'");                                           // a bare C1 byte
  EXPECT_EQ(message_excerpt("\xff\xc3"), "'\\xff\\xc3'");           // no sequence, a cut one
  EXPECT_EQ(message_excerpt("\xc0\xaf"), "'\\xc0\\xaf'");           // overlong '/'
  EXPECT_EQ(message_excerpt("\xed\xa0\x80"), "'\\xed\\xa0\\x80'");  // a surrogate
  // Long text: cut at a character boundary, the size said.
  EXPECT_EQ(message_excerpt("abcdef", 4), "'abcd'... (6 bytes)");
  EXPECT_EQ(message_excerpt("ab\xe2\x82\xac", 4), "'ab'... (5 bytes)");
  EXPECT_EQ(
      message_excerpt(std::string(100, '\x80'), 10), "'" + [] {
        std::string s;
        for (int i = 0; i < 7; ++i) s += "\\x80";  // only 3 bytes back: no walk to the start
        return s;
      }() + "'... (100 bytes)");
}

TEST(Ascii, CaseAndDigits) {
  EXPECT_TRUE(iequals("Decimal", "dECIMAL"));
  EXPECT_FALSE(iequals("@", "`"));  // not letters: no case to ignore
  EXPECT_FALSE(iequals("a", "ab"));
  EXPECT_EQ(hex_value('f'), 15);
  EXPECT_EQ(hex_value('F'), 15);
  EXPECT_EQ(hex_value('9'), 9);
  EXPECT_EQ(hex_value('g'), -1);
}

}  // namespace
}  // namespace chconn::detail
