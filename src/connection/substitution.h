// Client-side parameter substitution with its bookkeeping (private to the connection layer; the
// tests and the fuzz target check its promise through it). See params.cpp for the rules.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/connection/params.h"
#include "chconn/wire/detail/packets.h"

namespace chconn::detail {

struct MatchedPlaceholder {
  Placeholder placeholder;
  const Param* param;  // into the Params given to match_params()
};

// The placeholders of `text` with their values. Throws Error(usage) when a placeholder has no
// value or a value has no placeholder, before anything is built.
std::vector<MatchedPlaceholder> match_params(std::string_view text, const Params& params);

struct Substitution {
  struct Literal {
    std::size_t placeholder_offset, placeholder_length;  // in the template
    std::size_t offset, length;                          // of the literal in `text`
  };
  std::string text;
  std::vector<Literal> literals;  // in order
};

// substitute_params() with where each literal went. Throws Error(usage) when a value is invalid
// for its type or a literal would not keep the template's token structure.
Substitution substitute(std::string_view text, const Params& params);

// The index of the first literal of `result` that changes the token structure of `text` (the
// template it was made from), or result.literals.size() when none does.
std::size_t first_unsafe_literal(std::string_view text, const Substitution& result);

// The values of `params` for a server that binds them itself (protocol revision 54459 and later, and
// the embedded engine), in the form it reads: the server takes each value's text and reads it as
// the placeholder's type with the type's TSV reader (ReplaceQueryParameterVisitor,
// deserializeTextEscaped), which unescapes the text of scalar types (String, numbers, dates, enums,
// Nullable and LowCardinality of them) but reads Array, Map and Tuple values, and identifiers, as
// they are written. NULL is \N. The result is the value substitute() would give, for every type
// where the two rules are known to agree (tested against the engine in both forms). Returns
// nullopt when the query must be substituted instead: a value whose text is only right in its own
// type (Param::text_type), a placeholder of a type read another way (Variant, Dynamic, JSON and
// SimpleAggregateFunction, or a composite holding one), or a name used by placeholders of different
// rules. A type the parser does not take (the server's aliases INT, VARCHAR...; AggregateFunction)
// is the server's to judge: its value is sent escaped, unchecked. Throws Error(usage) as
// match_params() does, and for a value substitute() would refuse.
std::optional<std::vector<wire::QueryParameter>> server_parameters(std::string_view text, const Params& params);

// A statement with its values as it is sent: the text, and the values the server binds.
struct BoundStatement {
  std::string text;
  std::vector<wire::QueryParameter> parameters;
};

// `text` with `params` for a server that binds parameters (`server_binds`) or not: bound where
// server_parameters() allows, else substituted (substitute_params()); a text without values is
// sent as it is when it can hold no placeholder. The one rule of both connections.
BoundStatement bind_params(std::string_view text, const Params& params, bool server_binds);

}  // namespace chconn::detail
