// Client-side parameter substitution with its bookkeeping (private to the connection layer; the
// tests and the fuzz target check its promise through it). See params.cpp for the rules.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/connection/params.h"

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

}  // namespace chconn::detail
