// Target: parse_insert_target on arbitrary text (an insert's table argument, chosen by the caller).
//
// Input: the text, whole (no mode byte).
// Properties:
//   * only chconn::Error of kind usage escapes, with a message under 1 KiB and without a raw
//     control byte (the text is quoted, escaped and cut in it);
//   * a parsed target has a table and no empty column name, and insert_statement() succeeds;
//   * the statement is "INSERT INTO " + T + " VALUES" where T reads back as the same target: what
//     is sent between the keywords is names and nothing else, whatever the text held;
//   * the target written back with quote_identifier() reads back as itself (a fixed point).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chconn/connection/insert_target.h"
#include "chconn/connection/params.h"
#include "fuzz_common.h"

namespace {

using namespace chconn;

constexpr std::string_view k_prefix = "INSERT INTO ";
constexpr std::string_view k_suffix = " VALUES";

std::string written_back(const InsertTarget& t) {
  std::string text = t.database.empty() ? "" : quote_identifier(t.database) + ".";
  text += quote_identifier(t.table);
  if (!t.columns.empty()) {
    text += " (";
    for (std::size_t i = 0; i < t.columns.size(); ++i) text += (i ? ", " : "") + quote_identifier(t.columns[i]);
    text += ")";
  }
  return text;
}

void check_target(const InsertTarget& t) {
  if (t.table.empty()) fuzz::fail("a parsed target has an empty table name");
  for (const std::string& c : t.columns) {
    if (c.empty()) fuzz::fail("a parsed target has an empty column name");
  }
  const std::string statement = t.insert_statement();
  if (statement.size() < k_prefix.size() + k_suffix.size() || statement.compare(0, k_prefix.size(), k_prefix) != 0 ||
      statement.compare(statement.size() - k_suffix.size(), k_suffix.size(), k_suffix) != 0) {
    fuzz::fail("the statement is not INSERT INTO ... VALUES: " + statement);
  }
  const std::string_view middle =
      std::string_view(statement).substr(k_prefix.size(), statement.size() - k_prefix.size() - k_suffix.size());
  if (!(parse_insert_target(middle) == t)) fuzz::fail("the statement's names do not read back as the target");
  if (!(parse_insert_target(written_back(t)) == t)) fuzz::fail("the quoted target does not read back as itself");
}

bool usage_with_a_clean_message(const Error& e) {
  if (e.kind() != ErrorKind::usage) return false;
  const std::string_view what = e.what();
  if (what.size() >= 1024) fuzz::fail("the error message is not bounded: " + std::to_string(what.size()) + " bytes");
  for (char c : what) {
    if (static_cast<unsigned char>(c) < 0x20) fuzz::fail("a raw control byte in the error message");
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_only_chconn_errors([&] { check_target(parse_insert_target(text)); }, usage_with_a_clean_message);
  return 0;
}
