// The promise of client-side parameter substitution, checked from the outside: for the unit
// property test and the fuzz target. Written apart from the library's own check
// (detail::first_unsafe_literal), so that a mistake in one is caught by the other.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chconn/core/sql.h"

namespace chconn::test {

// The tokens of `text` that are not whitespace, as "kind text".
inline std::vector<std::string> token_shape(std::string_view text) {
  std::vector<std::string> out;
  for (const sql::Token& t : sql::tokenize(text)) {
    if (t.kind == sql::TokenKind::whitespace) continue;
    out.push_back(std::to_string(static_cast<int>(t.kind)) + " " + std::string(t.text));
  }
  return out;
}

// `result` must be `prefix` + one literal + `suffix`, blanks around the literal allowed (the text around unchanged,
// byte for byte), the literal well formed on its own, and the non-blank tokens of `result` those
// of the template (prefix + placeholder + suffix) with the placeholder's replaced by the literal's.
// Returns what is wrong, or nullopt.
inline std::optional<std::string> substitution_fault(const std::string& prefix, const std::string& placeholder,
                                                     const std::string& suffix, const std::string& result) {
  if (result.size() < prefix.size() + suffix.size() || result.compare(0, prefix.size(), prefix) != 0 ||
      result.compare(result.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return "the text around the placeholder changed";
  }
  // The literal, without the blanks that may set it apart.
  std::string literal = result.substr(prefix.size(), result.size() - prefix.size() - suffix.size());
  while (!literal.empty() && literal.front() == ' ') literal.erase(0, 1);
  while (!literal.empty() && literal.back() == ' ') literal.pop_back();
  if (literal.empty()) return "no literal";
  for (const sql::Token& t : sql::tokenize(literal)) {
    if (t.kind == sql::TokenKind::error || t.kind == sql::TokenKind::unterminated ||
        t.kind == sql::TokenKind::comment || t.kind == sql::TokenKind::heredoc) {
      return "the literal itself is malformed: " + literal;
    }
  }
  std::vector<std::string> expected;
  bool placed = false;
  const std::size_t begin = prefix.size(), end = prefix.size() + placeholder.size();
  const std::string templ = prefix + placeholder + suffix;  // the tokens' views point into it
  for (const sql::Token& t : sql::tokenize(templ)) {
    if (t.offset >= begin && t.end() <= end) {
      if (!placed) {
        for (std::string& s : token_shape(literal)) expected.push_back(std::move(s));
        placed = true;
      }
      continue;
    }
    if (t.kind == sql::TokenKind::whitespace) continue;
    expected.push_back(std::to_string(static_cast<int>(t.kind)) + " " + std::string(t.text));
  }
  if (!placed) return "the placeholder is not whole tokens of the template";
  if (token_shape(result) != expected) return "the token structure changed";
  return std::nullopt;
}

}  // namespace chconn::test
