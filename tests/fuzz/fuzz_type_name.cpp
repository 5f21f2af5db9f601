// Target: parse_type on arbitrary text, and what a parsed type promises.
//
// Input: one mode byte, then the type name.
//   bit 0  tight DecodeLimits (depth 5, 200-byte names)
// Properties of every type that parses:
//   * its canonical name parses (with the default limits, the length limit lifted) to a type of the same name and code
//   —
//     parse(name()) == name(), so the name chconn writes back in an INSERT is one it reads;
//   * make_column() accepts it (make_column handles every type parse_type accepts);
//   * a column of a few default rows encodes and decodes to the same bytes.
// Seeds: tests/fuzz/corpus/type_name, every type name the recorded server sent plus type_names.h.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chconn/wire/column.h"
#include "chconn/wire/types.h"
#include "fuzz_common.h"

namespace {

using namespace chconn;

// Bytes of one default row on the wire, saturating: FixedString(16777215) is a legal type, and a
// Tuple of a hundred of them would make three default rows gigabytes.
std::uint64_t default_row_bytes(const Type& type) {
  const Type& t = type.storage_type();
  switch (t.code()) {
    case TypeCode::Array:
    case TypeCode::Map: return 8;  // an empty array: its offset
    case TypeCode::Nullable: return 1 + default_row_bytes(*t.element(0));
    case TypeCode::LowCardinality: return 64 + default_row_bytes(*t.element(0));  // flags, sizes, dictionary
    case TypeCode::String: return 1;
    case TypeCode::Tuple: {
      std::uint64_t total = 0;
      for (const auto& e : t.elements()) total = std::min<std::uint64_t>(total + default_row_bytes(*e), UINT32_MAX);
      return total;
    }
    default: return std::max<std::size_t>(t.value_size(), 1);
  }
}
constexpr std::uint64_t k_max_default_row_bytes = 1 << 20;

void check_type(const TypeRef& type) {
  TypeRef again;
  try {
    // Canonical spelling can be longer than the input ("Tuple(A,B)" gains spaces), so the length
    // limit is lifted for the re-parse; the nesting depth does not change.
    wire::DecodeLimits limits;
    limits.max_type_name_bytes = UINT32_MAX;
    again = parse_type(type->name(), limits);
  } catch (const Error& e) {
    fuzz::fail("the canonical name '" + type->name().substr(0, 200) + "' does not parse: " + e.what());
  }
  if (again->name() != type->name()) {
    fuzz::fail("parse(name()) != name(): '" + type->name().substr(0, 200) + "' became '" +
               again->name().substr(0, 200) + "'");
  }
  if (again->code() != type->code() || again->storage_type().code() != type->storage_type().code() ||
      again->value_size() != type->value_size() || again->elements().size() != type->elements().size()) {
    fuzz::fail("parse(name()) changed the type's structure: '" + type->name().substr(0, 200) + "'");
  }

  ColumnRef column;
  try {
    column = make_column(type);
  } catch (const Error& e) {
    fuzz::fail("make_column refuses a type parse_type accepted: '" + type->name().substr(0, 200) + "': " + e.what());
  }
  if (default_row_bytes(*type) > k_max_default_row_bytes) return;
  constexpr std::size_t k_rows = 3;
  wire::Writer first;
  wire::Writer second;
  try {
    for (std::size_t i = 0; i < k_rows; ++i) column->append_default();
    if (column->size() != k_rows) fuzz::fail("append_default did not add one row: '" + type->name() + "'");
    column->save_prefix(first);
    column->save_body(first);
    ColumnRef decoded = make_column(type);
    wire::MemorySource source(first.data());
    wire::Reader in(source);
    decoded->load_prefix(in);
    decoded->load_body(in, k_rows);
    if (!in.at_end()) fuzz::fail("default rows did not decode to the end: '" + type->name() + "'");
    decoded->save_prefix(second);
    decoded->save_body(second);
  } catch (const Error& e) {
    fuzz::fail("default rows of '" + type->name().substr(0, 200) + "' do not round-trip: " + e.what());
  }
  if (first.buffer() != second.buffer()) fuzz::fail("default rows re-encode differently: '" + type->name() + "'");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input input(data, size);
  const std::uint8_t mode = input.byte();
  const auto rest = input.rest();
  const std::string_view name(reinterpret_cast<const char*>(rest.data()), rest.size());
  const wire::DecodeLimits limits = fuzz::limits_for((mode & 1) != 0);

  TypeRef type;
  // parse_type reports every bad name as Error(protocol): it is called on what the server sent.
  fuzz::expect_only_chconn_errors([&] { type = parse_type(name, limits); }, fuzz::is_protocol_error);
  if (type) check_type(type);
  return 0;
}
