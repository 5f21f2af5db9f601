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
//     statements of split_statements() are in order, do not overlap, and together with the
//     separators between them hold every significant token of the script exactly once;
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
  // Every significant token of the script is a top-level ';' or lies whole in exactly one
  // statement; statements are in order and do not overlap.
  const std::vector<std::string_view> statements = sql::split_statements(text);
  std::size_t prev_end = 0;
  for (std::string_view s : statements) {
    const std::size_t begin = static_cast<std::size_t>(s.data() - text.data());
    if (s.empty() || begin < prev_end || begin + s.size() > text.size()) fuzz::fail("statements overlap or are empty");
    prev_end = begin + s.size();
  }
  std::size_t k = 0;
  for (const sql::Token& t : tokens) {
    if (!t.significant() || t.kind == sql::TokenKind::semicolon) {
      // A ';' inside a statement would have split it.
      if (t.kind == sql::TokenKind::semicolon && k < statements.size() &&
          t.offset >= static_cast<std::size_t>(statements[k].data() - text.data()) &&
          t.offset < static_cast<std::size_t>(statements[k].data() - text.data()) + statements[k].size()) {
        fuzz::fail("a statement holds a top-level ';'");
      }
      continue;
    }
    while (k < statements.size() &&
           static_cast<std::size_t>(statements[k].data() - text.data()) + statements[k].size() <= t.offset) {
      ++k;
    }
    if (k == statements.size()) fuzz::fail("a token was lost by the splitting");
    const std::size_t begin = static_cast<std::size_t>(statements[k].data() - text.data());
    if (t.offset < begin || t.end() > begin + statements[k].size()) fuzz::fail("a token was cut by the splitting");
  }
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
