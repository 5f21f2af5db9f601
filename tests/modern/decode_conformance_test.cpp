// The `modern` decode conformance suite: for each query, the engine's FORMAT Native output (chDB,
// ClickHouse 26.7) is decoded by chconn's block reader at revision 0 (Native output has no
// BlockInfo and no serialization-kind byte) and rendered by chconn's format layer; the text must be
// byte-identical to the engine's own output in TabSeparated, CSV, JSONEachRow and PrettyCompact.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "modern/conformance.h"
#include "modern/query_set.h"

namespace chconn::test {
namespace {

// Queries known to differ, each with the reason. Asserted to fail, so that a fix shows up here
// (and the entry is then removed).
const std::map<std::string_view, std::string_view>& known_failures() {
  static const std::map<std::string_view, std::string_view> known = {};
  return known;
}

std::string server_time_zone(ChdbEngine& engine) {
  std::string zone = engine.query_ok("SELECT timezone()", "TabSeparated");
  if (!zone.empty() && zone.back() == '\n') zone.pop_back();
  return zone;
}

TEST(ModernDecode, EngineIsCurrentClickHouse) {
  ChdbEngine& engine = chdb_engine();
  EXPECT_EQ(engine.query_ok("SELECT version() LIKE '26.7.%'", "TabSeparated"), "1\n");
}

TEST(ModernDecode, QuerySetMatchesTheEngine) {
  ChdbEngine& engine = chdb_engine();
  const text::FormatOptions options = modern_options(server_time_zone(engine));
  std::size_t passed = 0;
  for (const auto& q : decode_queries()) {
    const std::string report = compare_query(engine, q.sql, options);
    const auto known = known_failures().find(q.name);
    if (known == known_failures().end()) {
      if (report.empty()) {
        ++passed;
      } else {
        ADD_FAILURE() << "query " << q.name << ": " << q.sql << "\n" << report;
      }
    } else {
      EXPECT_FALSE(report.empty()) << "query " << q.name << " is listed as failing (" << known->second
                                   << ") but now matches the engine: remove it from known_failures()";
    }
  }
  std::printf("modern decode: %zu of %zu queries match the engine in %zu formats (%zu known to fail)\n", passed,
              decode_queries().size(), k_compared_formats.size(), known_failures().size());
}

TEST(ModernDecode, QueryNamesAreUnique) {
  std::map<std::string_view, int> seen;
  for (const auto& q : decode_queries()) EXPECT_EQ(++seen[q.name], 1) << q.name;
  for (const auto& [name, reason] : known_failures()) EXPECT_EQ(seen.count(name), 1u) << name;
}

}  // namespace
}  // namespace chconn::test
