// The escapes and message excerpts every text input format shares (see input_parser.h):
// ClickHouse's backslash escapes, SQL string literals' bodies, and the excerpt of a bad
// value a message quotes.
#include <string>
#include <string_view>

#include "core/strings.h"
#include "format/input_parser.h"

namespace chconn::text::detail {

std::string excerpt(std::string_view text) { return chconn::detail::message_excerpt(text, k_excerpt_bytes); }

std::size_t unescape_at(std::string_view text, std::size_t i, std::string& out) {
  // text[i] == '\\'
  if (i + 1 >= text.size()) throw BadValue{"ends with a lone backslash"};
  const char e = text[i + 1];
  switch (e) {
    case 'x': {
      if (i + 3 >= text.size() + 0 || chconn::detail::hex_value(text[i + 2]) < 0 ||
          chconn::detail::hex_value(text[i + 3]) < 0) {
        throw BadValue{"has \\x without two hex digits"};
      }
      out += static_cast<char>(chconn::detail::hex_value(text[i + 2]) * 16 + chconn::detail::hex_value(text[i + 3]));
      return i + 4;
    }
    case 'N': return i + 2;  // \N inside a value reads as nothing, as ClickHouse does
    case 'a': out += '\a'; break;
    case 'b': out += '\b'; break;
    case 'e': out += '\x1b'; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'v': out += '\v'; break;
    case '0': out += '\0'; break;
    // \\ \' \" and any other byte stand for themselves: 18.16 drops the backslash before a byte
    // it does not know (measured on 18.16.1: TabSeparated and Values read a\%b as a%b). Current
    // servers keep it before bytes other than \ ' " ` / = and controls, and so does the lexer's
    // detail::read_quoted (core/strings.h says why the two differ); pinned by input_test's
    // AnUnknownEscapeDropsItsBackslashAs1816Does.
    default: out += e; break;
  }
  return i + 2;
}

void unescape(std::string_view text, std::string& out) {
  out.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t slash = text.find('\\', i);
    if (slash == std::string_view::npos) {
      out.append(text.substr(i));
      return;
    }
    out.append(text.substr(i, slash - i));
    i = unescape_at(text, slash, out);
  }
}

std::string string_token_value(const sql::Token& t) {
  const std::string_view text = t.text;
  if (text.size() < 2 || text.front() != '\'' || text.back() != '\'') {
    throw BadValue{"is not a plain '...' string"};
  }
  const std::string_view body = text.substr(1, text.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < body.size();) {
    if (body[i] == '\\') {
      i = unescape_at(body, i, out);
    } else if (body[i] == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
      out += '\'';
      i += 2;
    } else {
      out += body[i++];
    }
  }
  return out;
}
}  // namespace chconn::text::detail
