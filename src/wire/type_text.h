// Internal to the type code of wire (types.cpp, type_parser.cpp, values.cpp): the small text
// helpers the type names, the type parser and the value types share.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "chconn/wire/types.h"

namespace chconn::detail {

// The server's quoted-string form (writeQuotedString): backslash escapes for the quote, the
// backslash and the control characters it names; other bytes as they are.
void append_quoted(std::string& out, std::string_view s, char quote);

inline bool is_ident_begin(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
inline bool is_ident_char(char c) noexcept { return is_ident_begin(c) || (c >= '0' && c <= '9'); }

inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

// The value of an ASCII hex digit, or -1.
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The one shared instance of a parameterless type.
TypeRef simple_cached(TypeCode code);

}  // namespace chconn::detail
