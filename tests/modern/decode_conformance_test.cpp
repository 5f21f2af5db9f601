// The `modern` decode conformance suite: for each query, the engine's FORMAT Native output (chDB,
// ClickHouse 26.7) is decoded by chconn's block reader at revision 0 (Native output has no
// BlockInfo and no serialization-kind byte) and rendered by chconn's format layer; the text must be
// byte-identical to the engine's own output in TabSeparated, CSV, JSONEachRow and PrettyCompact.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "modern/conformance.h"

namespace chconn::test {
namespace {

TEST(ModernDecode, EngineIsCurrentClickHouse) {
  ChdbEngine& engine = chdb_engine();
  EXPECT_EQ(engine.query_ok("SELECT version() LIKE '26.7.%'", "TabSeparated"), "1\n");
}

}  // namespace
}  // namespace chconn::test
