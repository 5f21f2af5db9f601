// The `modern` decode conformance suite: for each query, the engine's FORMAT Native output (chDB,
// ClickHouse 26.7) is decoded by chconn's block reader at revision 0 (Native output has no
// BlockInfo and no serialization-kind byte) and rendered by chconn's format layer; the text must be
// byte-identical to the engine's own output in TabSeparated, CSV, JSONEachRow and PrettyCompact.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "modern/conformance.h"
#include "modern/query_set.h"

namespace chconn::test {
namespace {

// Queries known to differ, each with the reason. Asserted to fail, so that a fix shows up here
// (and the entry is then removed); where only PrettyCompact differs, the other formats are
// asserted to match.
struct KnownFailure {
  bool pretty_only;
  std::string_view reason;
};

constexpr std::string_view k_pretty_raw_text =
    "PrettyCompact: chconn writes values raw and measures them by 18.16's rules (display widths of its "
    "clickhouse-client, tabs to the next multiple of 8); the 26.7 engine still differs on these strings "
    "(tabs, zero bytes and control characters in strings, FixedStrings, enum names and JSON strings; not "
    "pinned down further)";
constexpr std::string_view k_pretty_named_tuples =
    "PrettyCompact: current servers show a named Tuple as a JSON object (ClickHouse pull request 91779); "
    "chconn shows (1,'x')";

const std::map<std::string_view, KnownFailure>& known_failures() {
  static const std::map<std::string_view, KnownFailure> known = {
      {"string_escapes", {true, k_pretty_raw_text}},
      {"fixed_string", {true, k_pretty_raw_text}},
      {"enum_escapes", {true, k_pretty_raw_text}},
      {"variant_many_types", {true, k_pretty_raw_text}},
      {"json_strings", {true, k_pretty_raw_text}},
      {"nested_column", {true, k_pretty_named_tuples}},
      {"nullable_tuple_named", {true, k_pretty_named_tuples}},
      {"datetime_historical",
       {false,
        "the 26.7 engine keeps the old UTC offset for the whole local day at some historical zone changes "
        "(toDateTime64(-2019647088, 0, 'Asia/Kolkata') is 1906-01-01 16:16:22, chconn computes 16:25:12 "
        "from the zone file); a later slice of issue 14"}},
      {"array_of_tuples", {true, k_pretty_named_tuples}},
      {"variant_composite_types", {true, k_pretty_named_tuples}},
      {"tuple_named", {true, k_pretty_named_tuples}},
      {"datetime_zone",
       {false,
        "chDB's Native output (revision 0) names a top-level DateTime('Asia/Tokyo') plain DateTime, so the "
        "zone is gone before chconn reads the block; a server sends the zone over TCP. Not a chconn defect: "
        "the same value inside Nullable, Array or Tuple keeps its zone and matches (datetime_zone_nested)"}},
  };
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
      EXPECT_FALSE(report.empty()) << "query " << q.name << " is listed as failing (" << known->second.reason
                                   << ") but now matches the engine: remove it from known_failures()";
      if (known->second.pretty_only) {
        const std::vector<ComparedFormat> others(k_compared_formats.begin(), k_compared_formats.end() - 1);
        EXPECT_EQ(compare_query(engine, q.sql, options, others), "")
            << "query " << q.name << " should differ only in PrettyCompact: " << q.sql;
      }
    }
  }
  std::printf("modern decode: %zu of %zu queries match the engine in %zu formats (%zu known to fail)\n", passed,
              decode_queries().size(), k_compared_formats.size(), known_failures().size());
}

// Every type the engine names in a result reads back under the same name: what chconn calls a
// column's type after decoding the Native block is what the engine writes in the types row of
// TSVRawWithNamesAndTypes. An INSERT sends these names back, so a parameter lost here (a JSON's
// max_dynamic_paths=0 read as plain JSON) changes the type the server is asked to store.
TEST(ModernDecode, TypeNamesReadBackAsTheEngineWritesThem) {
  // chDB's Native output names a top-level DateTime with a zone plain DateTime (see
  // known_failures(): datetime_zone); the types row keeps the zone.
  const std::set<std::string_view> known = {"datetime_zone", "datetime_utc", "datetime_rows"};
  ChdbEngine& engine = chdb_engine();
  std::size_t compared = 0;
  for (const auto& q : decode_queries()) {
    const std::string full(q.sql);
    const ChdbResult native = engine.query(full, "Native");
    const ChdbResult typed = engine.query(full, "TSVRawWithNamesAndTypes");
    ASSERT_TRUE(native.ok && typed.ok) << q.name << ": " << native.error << typed.error;
    const std::size_t first = typed.data.find('\n');
    ASSERT_NE(first, std::string::npos) << q.name;
    const std::size_t second = typed.data.find('\n', first + 1);
    const std::string engine_names = typed.data.substr(first + 1, second - first - 1);
    std::string chconn_names;
    try {
      chconn_names = chconn_type_names(native.data);
    } catch (const std::exception& e) {
      ADD_FAILURE() << q.name << ": chconn failed: " << e.what();
      continue;
    }
    if (chconn_names.empty()) continue;  // no block in the Native output
    ++compared;
    if (known.count(q.name) != 0) {
      EXPECT_NE(chconn_names, engine_names) << q.name << " now matches: remove it from `known`";
    } else {
      EXPECT_EQ(chconn_names, engine_names) << q.name << ": " << q.sql;
    }
  }
  EXPECT_GT(compared, decode_queries().size() / 2);
  std::printf("modern type names: %zu queries compared\n", compared);
}

TEST(ModernDecode, QueryNamesAreUnique) {
  std::map<std::string_view, int> seen;
  for (const auto& q : decode_queries()) EXPECT_EQ(++seen[q.name], 1) << q.name;
  for (const auto& [name, reason] : known_failures()) EXPECT_EQ(seen.count(name), 1u) << name;
}

}  // namespace
}  // namespace chconn::test
