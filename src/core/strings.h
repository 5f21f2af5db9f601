// Internal to chconn, not installed: the small ASCII rules and the one escaper of ClickHouse's own
// text that several layers share (core's configuration reader, wire's type names, the connection's
// table names, the format layer's writers). Each rule lives here once; grep before writing another.
//
// Thread safety: pure functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chconn::detail {

constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char ascii_upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Whether a and b are equal ignoring ASCII case (other bytes must match exactly).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// The value of an ASCII hex digit, or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The ASCII hex digit of the low four bits of `v`: lower case, or upper case with `upper`.
constexpr char hex_digit(unsigned v, bool upper = false) noexcept {
  return (upper ? "0123456789ABCDEF" : "0123456789abcdef")[v & 0xfU];
}

// Appends the two hex digits of `byte`, the high one first.
inline void append_hex_byte(std::string& out, unsigned char byte, bool upper = false) {
  out += hex_digit(byte >> 4U, upper);
  out += hex_digit(byte, upper);
}

// `text` quoted for an error message: in single quotes, a backslash before '\'' and '\\',
// well-formed UTF-8 characters as they are, and every other byte (controls below 0x20, 0x7f, C1
// controls, bytes of no valid UTF-8 sequence) as \xHH, so that no message moves a terminal's
// cursor or breaks a UTF-8 log; cut at a character boundary after `max_bytes`, then
// "... (N bytes)". The one rule for quoting a value a message names (a config value, a table name,
// a field that did not parse); a secret never goes through it.
std::string message_excerpt(std::string_view text, std::size_t max_bytes = 64);

// ClickHouse's whitespace (isWhitespaceASCII): space, \t, \n, \r, \f and \v.
constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// `s` without ClickHouse's whitespace (is_space) at either end.
constexpr std::string_view trim_space(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The bytes of a plain (unquoted) identifier: a letter or '_' first, then letters, digits, '_'.
constexpr bool is_word_begin(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
constexpr bool is_word_char(char c) noexcept { return is_word_begin(c) || (c >= '0' && c <= '9'); }

// `s` escaped as ClickHouse writes strings in its text formats and type names
// (writeAnyEscapedString): a backslash before `quote` and before a backslash; \b \f \n \r \t \0
// for the control bytes they name; every other byte as it is. `quote` is '\'' for the TabSeparated
// and Values forms and Enum names, '`' for back-quoted names. The server reads the result back as
// `s`; the output formats must match it byte for byte, so this is not the client's own literal form
// (sql::quote_string, which also escapes every control byte and '$').
inline void append_server_escaped(std::string& out, std::string_view s, char quote) {
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    char replacement = 0;
    switch (s[i]) {
      case '\b': replacement = 'b'; break;
      case '\f': replacement = 'f'; break;
      case '\n': replacement = 'n'; break;
      case '\r': replacement = 'r'; break;
      case '\t': replacement = 't'; break;
      case '\0': replacement = '0'; break;
      case '\\': replacement = '\\'; break;
      default:
        if (s[i] != quote) continue;
        replacement = quote;
    }
    out.append(s.data() + run, i - run);
    out += '\\';
    out += replacement;
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

// Reads the quoted text that starts with its quote character at text[open] ('\'', '`' or '"') as
// ClickHouse's lexer and readQuotedString read it (parseComplexEscapeSequence): a doubled quote
// stands for itself; \a \b \e \f \n \r \t \v \0 for the control bytes they name; \xHH for a byte;
// \N for nothing; a backslash before \ ' " ` / = or a control byte is dropped, and before any other
// byte it is kept ('100\%' is the four bytes 100\%). Appends the value to `out`.
// That last rule is current servers' (kept "for LIKE and regular expressions"); 18.16 drops the
// backslash before any byte (measured on 18.16.1: SELECT hex('100\%') is 31303025). The text input
// readers follow 18.16 instead (format/input_escapes.cpp, unescape_at), because their output is
// checked byte for byte against 18.16's client; this reader serves the names and literals the
// client itself reads from a statement (type names, table names, INTO OUTFILE), where the rule of
// the servers in use now is the one to keep. Both rules are pinned by tests (strings_test's
// ReadQuoted, input_test's AnUnknownEscapeDropsItsBackslashAs1816Does).
struct QuotedRead {
  enum Status : std::uint8_t { ok, unterminated, bad_hex } status = ok;
  // ok: the index after the closing quote; otherwise where the text went wrong.
  std::size_t end = 0;
};
QuotedRead read_quoted(std::string_view text, std::size_t open, std::string& out);

}  // namespace chconn::detail
