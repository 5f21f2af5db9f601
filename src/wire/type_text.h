// Internal to the type code of wire (types.cpp, type_parser.cpp, values.cpp): the small text
// helpers the type names, the type parser and the value types share.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "chconn/wire/types.h"
#include "core/strings.h"

namespace chconn::detail {

// The server's quoted-string form (writeQuotedString): backslash escapes for the quote, the
// backslash and the control characters it names; other bytes as they are.
void append_quoted(std::string& out, std::string_view s, char quote);

// The one shared instance of a parameterless type.
TypeRef simple_cached(TypeCode code);

}  // namespace chconn::detail
