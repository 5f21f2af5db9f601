// The `modern` encode conformance: chconn's encoding of the blocks it decoded from the engine's
// Native output, read back by the engine (`SELECT * FROM format(Native, '<bytes>')`), must give the
// engine's own TabSeparated text of the original query: what chconn writes for BFloat16, Time,
// Time64, Nullable(Tuple), Variant, Dynamic and JSON is what a current server reads.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <string_view>

#include "chconn/wire/block.h"
#include "chconn/wire/io.h"
#include "core/strings.h"
#include "modern/conformance.h"
#include "modern/query_set.h"

namespace chconn::test {
namespace {

// The queries of the decode set whose types this encoding is checked for.
const std::set<std::string_view> k_encoded = {
    "bfloat16",
    "bfloat16_rows",
    "time",
    "time64",
    "time_rows",
    "nullable_tuple",
    "nullable_nested",
    "variant_basic",
    "variant_rows",
    "variant_wide",
    "dynamic_strings",
    "dynamic_types",
    "dynamic_nested",
    "dynamic_wide",
    "dynamic_shared_variant",
    "json_simple",
    "json_nested_paths",
    "json_typed_paths",
    "json_rows",
    "json_in_containers",
    "json_max_dynamic_types",
    "json_shared_objects",
    "json_both_limits",
    "json_typed_paths_between_limits",
};

// `bytes` as an SQL string literal, every byte escaped (binary-safe).
std::string literal(std::string_view bytes) {
  std::string out = "'";
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += "\\x";
    detail::append_hex_byte(out, u);
  }
  return out + "'";
}

// chconn's Native encoding (revision 0) of every block it decodes from `native`.
std::string reencode(std::string_view native) {
  wire::MemorySource source(native);
  wire::Reader in(source);
  wire::Writer out;
  while (!in.at_end()) wire::write_block(out, wire::read_block(in, 0), 0);
  return std::string(out.view());
}

TEST(ModernEncode, EngineReadsBackChconnsEncoding) {
  ChdbEngine& engine = chdb_engine();
  std::size_t checked = 0, passed = 0;
  for (const auto& q : decode_queries()) {
    if (k_encoded.count(q.name) == 0) continue;
    ++checked;
    const std::string sql(q.sql);
    const std::string native = engine.query_ok(sql, "Native");
    const std::string expected = engine.query_ok(sql, "TabSeparated");
    std::string bytes;
    try {
      bytes = reencode(native);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "query " << q.name << ": chconn failed: " << e.what();
      continue;
    }
    const ChdbResult back = engine.query(
        "SELECT * FROM format(Native, " + literal(bytes) + ") SETTINGS enable_nullable_tuple_type = 1", "TabSeparated");
    if (!back.ok) {
      ADD_FAILURE() << "query " << q.name << ": the engine refused chconn's encoding: " << back.error;
    } else if (back.data != expected) {
      ADD_FAILURE() << "query " << q.name << ": the engine read back\n" << back.data << "instead of\n" << expected;
    } else {
      ++passed;
    }
  }
  EXPECT_EQ(checked, k_encoded.size()) << "a query named in k_encoded is not in the decode set";
  std::printf("modern encode: %zu of %zu queries read back identically by the engine\n", passed, checked);
}

}  // namespace
}  // namespace chconn::test
