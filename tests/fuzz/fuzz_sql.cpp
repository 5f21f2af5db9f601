// Target: the SQL lexer (chconn/core/sql.h) and client-side parameter substitution.
//
// Input: one mode byte, then text.
//   bit 0 = 0  lexer mode: the text is a script
//   bit 0 = 1  substitution mode: the text is PREFIX 0xFF SUFFIX 0xFF VALUE; the template is
//              "SELECT " PREFIX "{v:TYPE}" SUFFIX with TYPE from k_types (bits 1-5), the value is
//              VALUE, or NULL when bit 6 is set. '{' and '}' in PREFIX and SUFFIX become '[' and
//              ']', so that the template holds the one placeholder the oracle expects.
// Properties:
//   * lexer mode: the tokens cover the text exactly, in order, none empty; the lexer ends; the
//     statements of split_script() are in order and do not overlap, a statement without inline
//     data holds a ';' only inside parentheses, and between statements there are only blanks,
//     comments and ';' (no token is lost);
//     insert_shape() and is_read_only() throw nothing;
//   * substitution mode: substitute_params() either throws Error(usage) or returns a query whose
//     token structure is the template's with the placeholder replaced by one literal
//     (tests/support/substitution_oracle.h, written apart from the library's own check).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../support/substitution_oracle.h"
#include "chconn/connection/params.h"
#include "chconn/core/sql.h"
#include "fuzz_common.h"

namespace {

using namespace chconn;

constexpr std::array<std::string_view, 32> k_types{"Int8",
                                                   "Int16",
                                                   "Int32",
                                                   "Int64",
                                                   "Int128",
                                                   "UInt8",
                                                   "UInt16",
                                                   "UInt32",
                                                   "UInt64",
                                                   "UInt256",
                                                   "Float32",
                                                   "Float64",
                                                   "String",
                                                   "Identifier",
                                                   "Date",
                                                   "DateTime",
                                                   "Decimal(9, 2)",
                                                   "Array(Int32)",
                                                   "UUID",
                                                   "FixedString(3)",
                                                   "Nullable(Int32)",
                                                   "Nullable(Float64)",
                                                   "LowCardinality(String)",
                                                   "Tuple(String, Int8)",
                                                   "Enum8('a' = 1)",
                                                   "Map(String, Int8)",
                                                   "Nullable(String)",
                                                   "DateTime64(3)",
                                                   "Bool",
                                                   "IPv4",
                                                   "Int256",
                                                   "Date32"};

void lexer_mode(std::string_view text) {
  std::size_t at = 0;
  std::vector<sql::Token> tokens;
  sql::Lexer lexer(text);
  for (sql::Token t = lexer.next(); t.kind != sql::TokenKind::end; t = lexer.next()) {
    if (t.offset != at || t.text.empty() || t.text.data() != text.data() + t.offset) {
      fuzz::fail("tokens do not tile the text");
    }
    at = t.end();
    tokens.push_back(t);
  }
  if (at != text.size()) fuzz::fail("tokens end before the text");
  // split_script: statements (with their inline data) in order, not overlapping, inside the text;
  // a statement without data, lexed on its own, has a ';' only inside parentheses; what lies
  // between statements, lexed on its own, is only blanks, comments and ';'.
  const auto offset_of = [&](std::string_view v) { return static_cast<std::size_t>(v.data() - text.data()); };
  std::size_t prev_end = 0;
  const auto only_separators = [&](std::string_view gap) {
    sql::Lexer g(gap);
    for (sql::Token t = g.next(); t.kind != sql::TokenKind::end; t = g.next()) {
      if (t.significant() && t.kind != sql::TokenKind::semicolon) fuzz::fail("the splitting lost a token");
    }
  };
  for (const bool data_to_end : {false, true}) {
    prev_end = 0;
    for (const sql::ScriptStatement& st : sql::split_script(text, data_to_end)) {
      const std::size_t begin = offset_of(st.sql);
      std::size_t end = begin + st.sql.size();
      if (st.sql.empty() || begin < prev_end || end > text.size()) fuzz::fail("statements overlap or are empty");
      if (st.data) {
        if (offset_of(*st.data) < end || offset_of(*st.data) + st.data->size() > text.size()) {
          fuzz::fail("data before its statement or outside the text");
        }
        end = offset_of(*st.data) + st.data->size();
      } else {
        int depth = 0;
        sql::Lexer alone(st.sql);
        for (sql::Token t = alone.next(); t.kind != sql::TokenKind::end; t = alone.next()) {
          if (t.kind == sql::TokenKind::open_round) ++depth;
          if (t.kind == sql::TokenKind::close_round) --depth;
          if (t.kind == sql::TokenKind::semicolon && depth <= 0) fuzz::fail("a statement holds a top-level ';'");
        }
      }
      only_separators(text.substr(prev_end, begin - prev_end));
      prev_end = end;
    }
    only_separators(text.substr(prev_end));  // nothing after the last statement but separators
  }
  // split_statements: in order, not overlapping, only separators around them.
  prev_end = 0;
  for (std::string_view s : sql::split_statements(text)) {
    if (s.empty() || offset_of(s) < prev_end || offset_of(s) + s.size() > text.size()) {
      fuzz::fail("split_statements: statements overlap or are empty");
    }
    only_separators(text.substr(prev_end, offset_of(s) - prev_end));
    prev_end = offset_of(s) + s.size();
  }
  only_separators(text.substr(prev_end));
  (void)sql::insert_shape(text);
  (void)sql::is_read_only(text);
  (void)sql::first_keyword(text);
  (void)sql::trailing_format(text);
}

std::string braces_out(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c == '{') c = '[';
    if (c == '}') c = ']';
  }
  return r;
}

void substitution_mode(std::uint8_t mode, fuzz::Input& in) {
  const std::string prefix = "SELECT " + braces_out(in.until('\xFF'));
  const std::string suffix = braces_out(in.until('\xFF'));
  const auto rest = in.rest();
  const std::string value(reinterpret_cast<const char*>(rest.data()), rest.size());
  const std::string placeholder = "{v:" + std::string(k_types[(mode >> 1) % k_types.size()]) + "}";
  Params params;
  if (mode & 0x40) {
    params.set_null("v");
  } else {
    params.set("v", value);
  }
  std::string result;
  try {
    result = substitute_params(prefix + placeholder + suffix, params);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::usage) fuzz::fail(std::string("substitution threw a non-usage error: ") + e.what());
    return;
  } catch (const std::exception& e) {
    fuzz::fail(std::string("substitution threw: ") + e.what());
  }
  if (auto fault = test::substitution_fault(prefix, placeholder, suffix, result)) {
    fuzz::fail("substitution broke its promise (" + *fault + "): " + result);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const std::uint8_t mode = in.byte();
  if (mode & 1) {
    substitution_mode(mode, in);
  } else {
    const auto rest = in.rest();
    fuzz::expect_only_chconn_errors(
        [&] { lexer_mode(std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size())); });
  }
  return 0;
}
