// Composite columns: Nullable, Array (and Nested), Tuple, Map.
#include <cstring>
#include <string>

#include "chconn/wire/columns.h"
#include "column_impl.h"

namespace chconn {

namespace {
TypeRef type_of_column(const ColumnRef& c, const char* what) {
  if (!c) detail::usage_error(std::string(what) + " needs a column, not null");
  return c->type();
}
}  // namespace

// ===== Nullable ===================================================================================

ColumnNullable::ColumnNullable(ColumnRef nested)
    : Column(Type::nullable(type_of_column(nested, "ColumnNullable"))), nested_(std::move(nested)) {
  nulls_.resize(nested_->size(), 0);  // rows already in `nested` are not NULL
}

ColumnNullable::ColumnNullable(TypeRef type)
    : Column(checked_type(std::move(type), TypeCode::Nullable, class_name())),
      nested_(make_column(type_->storage_type().element(0))) {}

void ColumnNullable::append_null() {
  nested_->append_default();
  nulls_.push_back(1);
}

void ColumnNullable::append_not_null() {
  if (nested_->size() != nulls_.size() + 1) {
    detail::usage_error("append_not_null: the nested column has " + std::to_string(nested_->size()) +
                        " rows; append exactly one value to it first (this column has " +
                        std::to_string(nulls_.size()) + ")");
  }
  nulls_.push_back(0);
}

void ColumnNullable::clear() {
  nulls_.clear();
  nested_->clear();
}

void ColumnNullable::truncate(std::size_t rows) noexcept {
  if (rows < nulls_.size()) nulls_.resize(rows);
  nested_->truncate(rows);
}

void ColumnNullable::reserve(std::size_t rows) {
  nulls_.reserve(rows);
  nested_->reserve(rows);
}

void ColumnNullable::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  const auto& o = column_cast<ColumnNullable>(other);
  nested_->append_range(*o.nested_, begin, count);
  const std::size_t old = nulls_.size();
  nulls_.resize(old + count);  // before reading the source: `other` may be *this
  if (count) std::memcpy(nulls_.data() + old, o.nulls_.data() + begin, count);
}

ColumnRef ColumnNullable::clone_empty() const { return std::make_shared<ColumnNullable>(type_); }

void ColumnNullable::save_body(wire::Writer& out) const {
  if (nested_->size() != nulls_.size()) {
    detail::usage_error("a " + type_->name() + " column has " + std::to_string(nulls_.size()) +
                        " rows but its nested column " + std::to_string(nested_->size()));
  }
  out.write(nulls_.data(), nulls_.size());
  nested_->save_body(out);
}

void ColumnNullable::load_rows(wire::Reader& in, std::size_t rows) {
  // Null map first, then the nested column with a value for every row (docs/protocol.md,
  // "Column encodings").
  detail::charge_values(in, rows, 1, "the null map");
  detail::read_values(in, nulls_, rows, 1);
  nested_->load_body(in, rows);
}

// ===== Array ======================================================================================

ColumnArray::ColumnArray(ColumnRef nested)
    : Column(Type::array(type_of_column(nested, "ColumnArray"))), nested_(std::move(nested)) {}

ColumnArray::ColumnArray(TypeRef type)
    : Column(checked_type(std::move(type), TypeCode::Array, class_name())),
      nested_(make_column(type_->storage_type().element(0))) {}

void ColumnArray::finish_row() {
  const std::uint64_t n = nested_->size();
  if (n < last_offset()) {
    detail::usage_error("finish_row: the nested column shrank below the end of the previous row");
  }
  offsets_.push_back(n);
}

void ColumnArray::append_elements(const Column& elements) {
  if (nested_->size() != last_offset()) {
    detail::usage_error("append_elements: the nested column has elements not closed by finish_row()");
  }
  nested_->append_range(elements, 0, elements.size());
  offsets_.push_back(nested_->size());
}

void ColumnArray::clear() {
  offsets_.clear();
  nested_->clear();
}

void ColumnArray::truncate(std::size_t rows) noexcept {
  if (rows >= offsets_.size()) return;  // elements not yet closed by finish_row() stay
  offsets_.resize(rows);
  nested_->truncate(static_cast<std::size_t>(last_offset()));
}

void ColumnArray::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  if (count == 0) return;
  const auto& o = column_cast<ColumnArray>(other);
  if (nested_->size() != last_offset()) {
    detail::usage_error("append_range: the nested column has elements not closed by finish_row()");
  }
  const std::size_t first = o.range(begin).begin;
  const std::size_t last = o.range(begin + count - 1).end;
  nested_->append_range(*o.nested_, first, last - first);
  const std::uint64_t base = last_offset();
  const std::size_t old = offsets_.size();
  offsets_.resize(old + count);
  for (std::size_t i = 0; i < count; ++i) offsets_[old + i] = base + (o.offsets_[begin + i] - first);
}

ColumnRef ColumnArray::clone_empty() const { return std::make_shared<ColumnArray>(type_); }

void ColumnArray::save_body(wire::Writer& out) const {
  if (last_offset() != nested_->size()) {
    detail::usage_error("a " + type_->name() + " column's offsets end at " + std::to_string(last_offset()) +
                        " but its nested column has " + std::to_string(nested_->size()) +
                        " rows; close every row with finish_row()");
  }
  // Wire offsets count from the start of this column's data: ours do too, since the column is
  // written whole.
  out.write(offsets_.data(), offsets_.size() * sizeof(std::uint64_t));
  nested_->save_body(out);
}

void ColumnArray::load_rows(wire::Reader& in, std::size_t rows) {
  detail::charge_values(in, rows, sizeof(std::uint64_t), "Array offsets");
  const std::uint64_t base = last_offset();
  if (nested_->size() != base) {
    detail::usage_error("load_body: the nested column has elements not closed by finish_row()");
  }
  const std::size_t old = offsets_.size();
  detail::read_values(in, offsets_, rows, sizeof(std::uint64_t));
  // Offsets are cumulative ends relative to this chunk: non-decreasing, and the total number of
  // elements is bounded before the nested column reads (and allocates for) them.
  std::uint64_t prev = 0;
  for (std::size_t i = old; i < offsets_.size(); ++i) {
    const std::uint64_t v = offsets_[i];
    if (v < prev) {
      detail::protocol_error("Array offsets decrease (" + std::to_string(prev) + " then " + std::to_string(v) +
                             " at row " + std::to_string(i - old) + "); the stream is corrupt");
    }
    prev = v;
  }
  const std::uint64_t limit = in.limits().max_array_elements;
  if (prev > limit) {
    detail::protocol_error("Array column of " + std::to_string(prev) + " elements exceeds max_array_elements (" +
                           std::to_string(limit) + "); the stream is corrupt or the limit too low");
  }
  if (base != 0) {
    for (std::size_t i = old; i < offsets_.size(); ++i) offsets_[i] += base;
  }
  nested_->load_body(in, static_cast<std::size_t>(prev));
}

// ===== Tuple ======================================================================================

namespace {
TypeRef tuple_type_of(const std::vector<ColumnRef>& elements, std::vector<std::string> names) {
  std::vector<TypeRef> types;
  types.reserve(elements.size());
  for (const auto& e : elements) types.push_back(type_of_column(e, "ColumnTuple"));
  return Type::tuple(std::move(types), std::move(names));
}
}  // namespace

ColumnTuple::ColumnTuple(std::vector<ColumnRef> elements, std::vector<std::string> names)
    : Column(tuple_type_of(elements, std::move(names))), elements_(std::move(elements)) {
  for (const auto& e : elements_) {
    if (e->size() != elements_[0]->size()) {
      detail::usage_error("ColumnTuple: the element columns have different numbers of rows");
    }
  }
}

ColumnTuple::ColumnTuple(TypeRef type) : Column(checked_type(std::move(type), TypeCode::Tuple, class_name())) {
  for (const auto& t : type_->storage_type().elements()) elements_.push_back(make_column(t));
}

void ColumnTuple::clear() {
  for (auto& e : elements_) e->clear();
  rows_ = 0;
}

void ColumnTuple::truncate(std::size_t rows) noexcept {
  for (auto& e : elements_) e->truncate(rows);
  rows_ = std::min(rows_, rows);
}

void ColumnTuple::reserve(std::size_t rows) {
  for (auto& e : elements_) e->reserve(rows);
}

void ColumnTuple::append_default() {
  for (auto& e : elements_) e->append_default();
  if (elements_.empty()) ++rows_;
}

void ColumnTuple::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  const auto& o = column_cast<ColumnTuple>(other);
  for (std::size_t i = 0; i < elements_.size(); ++i) elements_[i]->append_range(*o.elements_[i], begin, count);
  if (elements_.empty()) rows_ += count;
}

ColumnRef ColumnTuple::clone_empty() const { return std::make_shared<ColumnTuple>(type_); }

void ColumnTuple::load_prefix(wire::Reader& in) {
  for (auto& e : elements_) e->load_prefix(in);
}

void ColumnTuple::save_prefix(wire::Writer& out) const {
  for (const auto& e : elements_) e->save_prefix(out);
}

void ColumnTuple::save_body(wire::Writer& out) const {
  const std::size_t n = size();
  for (const auto& e : elements_) {
    if (e->size() != n) {
      detail::usage_error("a " + type_->name() + " column's elements have different numbers of rows (" +
                          std::to_string(n) + " and " + std::to_string(e->size()) + ")");
    }
  }
  for (const auto& e : elements_) e->save_body(out);
  // An empty Tuple() takes one byte per row, '0' as Nothing's (the server writes it and skips it
  // when reading; ClickHouse 26.7 refuses a block without it).
  if (elements_.empty() && rows_ > 0) std::memset(out.extend(rows_), '0', rows_);
}

void ColumnTuple::load_rows(wire::Reader& in, std::size_t rows) {
  for (auto& e : elements_) e->load_body(in, rows);
  if (elements_.empty()) {
    // One byte per row, whatever its value (see save_body). Nothing is allocated, so nothing is
    // charged; the bytes still count against the block's budget as bytes read.
    in.skip(rows);
    rows_ += rows;
  }
}

// ===== Map ========================================================================================

ColumnMap::ColumnMap(ColumnRef keys, ColumnRef values)
    : Column(Type::map(type_of_column(keys, "ColumnMap"), type_of_column(values, "ColumnMap"))) {
  if (keys->size() != 0 || values->size() != 0)
    detail::usage_error("ColumnMap: start from empty key and value columns");
  array_ = std::make_shared<ColumnArray>(
      std::make_shared<ColumnTuple>(std::vector<ColumnRef>{std::move(keys), std::move(values)}));
}

ColumnMap::ColumnMap(TypeRef type) : Column(checked_type(std::move(type), TypeCode::Map, class_name())) {
  const Type& t = type_->storage_type();
  array_ = std::make_shared<ColumnArray>(Type::array(Type::tuple({t.element(0), t.element(1)})));
}

void ColumnMap::finish_row() {
  if (keys().size() != values().size()) {
    detail::usage_error("finish_row: a Map row needs as many values (" + std::to_string(values().size()) +
                        ") as keys (" + std::to_string(keys().size()) + ")");
  }
  array_->finish_row();
}

void ColumnMap::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  array_->append_range(*column_cast<ColumnMap>(other).array_, begin, count);
}

void ColumnMap::save_body(wire::Writer& out) const { array_->save_body(out); }

void ColumnMap::load_rows(wire::Reader& in, std::size_t rows) { array_->load_body(in, rows); }

// ===== Variant ====================================================================================

namespace {
// The discriminators mode that starts a Variant's state prefix: BASIC, one byte per row. (COMPACT,
// 1, is what MergeTree parts may use; Native output and the protocol use BASIC.)
constexpr std::uint64_t k_variant_mode_basic = 0;
constexpr std::uint64_t k_variant_mode_compact = 1;
}  // namespace

ColumnVariant::ColumnVariant(TypeRef type) : Column(checked_type(std::move(type), TypeCode::Variant, class_name())) {
  for (const auto& t : type_->storage_type().elements()) variants_.push_back(make_column(t));
  counts_.assign(variants_.size(), 0);
}

void ColumnVariant::append_null() {
  discriminators_.push_back(k_null);
  rows_in_variant_.push_back(0);
}

void ColumnVariant::append_variant(std::size_t k) {
  if (k >= variants_.size()) {
    detail::usage_error("append_variant: " + type_->name() + " has " + std::to_string(variants_.size()) +
                        " types, there is no type " + std::to_string(k));
  }
  if (variants_[k]->size() != counts_[k] + 1) {
    detail::usage_error("append_variant: variant " + std::to_string(k) + " has " +
                        std::to_string(variants_[k]->size()) + " rows; append exactly one value to it first (" +
                        std::to_string(counts_[k]) + " rows are of that type)");
  }
  discriminators_.push_back(static_cast<std::uint8_t>(k));
  rows_in_variant_.push_back(counts_[k]++);
}

void ColumnVariant::clear() {
  discriminators_.clear();
  rows_in_variant_.clear();
  counts_.assign(variants_.size(), 0);
  for (auto& v : variants_) v->clear();
}

void ColumnVariant::truncate(std::size_t rows) noexcept {
  if (rows < discriminators_.size()) {
    discriminators_.resize(rows);
    rows_in_variant_.resize(rows);
  }
  // Recounted from the rows kept: after a failed load the variants may hold more rows than the
  // discriminators refer to, and those go too.
  counts_.assign(variants_.size(), 0);
  for (const std::uint8_t d : discriminators_) {
    if (d < counts_.size()) ++counts_[d];
  }
  for (std::size_t k = 0; k < variants_.size(); ++k) variants_[k]->truncate(counts_[k]);
}

void ColumnVariant::reserve(std::size_t rows) {
  discriminators_.reserve(rows);
  rows_in_variant_.reserve(rows);
}

void ColumnVariant::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  const auto& o = column_cast<ColumnVariant>(other);
  for (std::size_t r = begin; r < begin + count; ++r) {
    // Read before writing: `other` may be *this.
    const std::uint8_t d = o.discriminators_[r];
    if (d == k_null) {
      append_null();
      continue;
    }
    const std::size_t at = static_cast<std::size_t>(o.rows_in_variant_[r]);
    variants_[d]->append_range(*o.variants_[d], at, 1);
    append_variant(d);
  }
}

ColumnRef ColumnVariant::clone_empty() const { return std::make_shared<ColumnVariant>(type_); }

void ColumnVariant::load_prefix(wire::Reader& in) {
  detail::refuse_unconfirmed_string_layout(in.string_size_stream(), "Variant and Dynamic");
  const auto mode = in.fixed<std::uint64_t>();
  if (mode == k_variant_mode_compact) {
    throw Error(ErrorKind::protocol,
                "Variant discriminators in compact mode are not supported (servers send the basic mode in Native "
                "data)");
  }
  if (mode != k_variant_mode_basic) {
    throw Error(ErrorKind::protocol,
                "unknown Variant discriminators mode " + std::to_string(mode) + "; the stream is corrupt");
  }
  for (auto& v : variants_) v->load_prefix(in);
}

void ColumnVariant::save_prefix(wire::Writer& out) const {
  detail::refuse_unconfirmed_string_layout(out.string_size_stream(), "Variant and Dynamic");
  out.fixed<std::uint64_t>(k_variant_mode_basic);
  for (const auto& v : variants_) v->save_prefix(out);
}

void ColumnVariant::save_body(wire::Writer& out) const {
  for (std::size_t k = 0; k < variants_.size(); ++k) {
    if (variants_[k]->size() != counts_[k]) {
      detail::usage_error("a " + type_->name() + " column's variant " + std::to_string(k) + " has " +
                          std::to_string(variants_[k]->size()) + " rows but " + std::to_string(counts_[k]) +
                          " rows are of its type");
    }
  }
  out.write(discriminators_.data(), discriminators_.size());
  // A type without rows writes nothing, not even an empty body (as the server).
  for (std::size_t k = 0; k < variants_.size(); ++k) {
    if (counts_[k] > 0) variants_[k]->save_body(out);
  }
}

void ColumnVariant::load_rows(wire::Reader& in, std::size_t rows) {
  // The discriminators, then each type's rows (docs/protocol.md, "Column encodings").
  detail::charge_values(in, rows, 1 + sizeof(std::uint64_t), "the Variant discriminators");
  const std::size_t old = discriminators_.size();
  detail::read_values(in, discriminators_, rows, 1);
  rows_in_variant_.resize(old + rows);
  std::vector<std::size_t> added(variants_.size(), 0);
  for (std::size_t r = old; r < old + rows; ++r) {
    const std::uint8_t d = discriminators_[r];
    if (d == k_null) {
      rows_in_variant_[r] = 0;
      continue;
    }
    if (d >= variants_.size()) {
      throw Error(ErrorKind::protocol, "Variant discriminator " + std::to_string(d) + " in row " +
                                           std::to_string(r - old) + " names no type (the Variant has " +
                                           std::to_string(variants_.size()) + "); the stream is corrupt");
    }
    rows_in_variant_[r] = counts_[d] + added[d]++;
  }
  for (std::size_t k = 0; k < variants_.size(); ++k) {
    if (added[k] > 0) variants_[k]->load_body(in, added[k]);
    counts_[k] += added[k];
  }
}

// ===== Dynamic ====================================================================================

namespace {
// The structure serialization version that starts a Dynamic's state prefix
// (SerializationDynamic.h): V1 = 1 lists max_dynamic_types, then the number of types and the
// types by name (Native data, and the protocol below 54473); V2 = 2 is the same without
// max_dynamic_types (what servers send at R >= 54473, NativeWriter::writeData).
constexpr std::uint64_t k_dynamic_version_v1 = 1;
constexpr std::uint64_t k_dynamic_version_v2 = 2;
constexpr std::string_view k_shared_variant = "SharedVariant";
// A Variant holds at most 255 types; one of them is SharedVariant.
constexpr std::uint64_t k_max_dynamic_types = 254;

const TypeRef& shared_variant_type() {
  static const TypeRef t = Type::renamed(std::string(k_shared_variant), Type::simple(TypeCode::String));
  return t;
}
}  // namespace

ColumnDynamic::ColumnDynamic(TypeRef type) : Column(checked_type(std::move(type), TypeCode::Dynamic, class_name())) {
  set_types({});
}

void ColumnDynamic::set_types(std::vector<TypeRef> types) {
  std::vector<TypeRef> alternatives = types;
  alternatives.push_back(shared_variant_type());
  auto variant = std::make_shared<ColumnVariant>(Type::variant(std::move(alternatives)));
  const auto& sorted = variant->type()->elements();
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    if (sorted[k]->name() == k_shared_variant) shared_discriminator_ = static_cast<std::uint8_t>(k);
  }
  types_ = std::move(types);
  variant_ = std::move(variant);
}

void ColumnDynamic::clear() { set_types({}); }

std::string_view ColumnDynamic::shared_bytes(std::size_t row) const {
  if (!is_shared(row)) {
    detail::usage_error("shared_bytes: row " + std::to_string(row) +
                        " of a Dynamic column is not held in SharedVariant");
  }
  return variant_->variant_as<ColumnString>(shared_discriminator_)[variant_->variant_row(row)];
}

void ColumnDynamic::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  const auto& o = column_cast<ColumnDynamic>(other);
  if (o.variant_->type()->name() != variant_->type()->name()) {
    if (size() != 0) {
      detail::usage_error("append_range: a Dynamic column of " + variant_->type()->name() +
                          " cannot take rows of one of " + o.variant_->type()->name());
    }
    set_types(o.types_);  // an empty column takes the other's types
  }
  variant_->append_range(*o.variant_, begin, count);
}

ColumnRef ColumnDynamic::clone_empty() const {
  auto c = std::make_shared<ColumnDynamic>(type_);
  c->set_types(types_);
  return c;
}

void ColumnDynamic::load_prefix(wire::Reader& in) {
  const auto version = in.fixed<std::uint64_t>();
  if (version != k_dynamic_version_v1 && version != k_dynamic_version_v2) {
    detail::protocol_error("Dynamic structure serialization version " + std::to_string(version) +
                           " is not supported (chconn reads versions 1 and 2, what servers send in Native data "
                           "and over the protocol)");
  }
  if (version == k_dynamic_version_v1) in.count(k_max_dynamic_types, "Dynamic max_dynamic_types");
  const std::uint64_t n = in.count(k_max_dynamic_types, "Dynamic type count");
  std::vector<TypeRef> types;
  types.reserve(static_cast<std::size_t>(n));
  std::string name;
  for (std::uint64_t i = 0; i < n; ++i) {
    // Names and the types they make are charged like a block's column types.
    const std::uint64_t length = in.count(in.limits().max_type_name_bytes, "Dynamic type name length");
    in.charge(length, "a Dynamic type name");
    name.clear();
    in.append(name, static_cast<std::size_t>(length));
    in.charge(detail::type_memory_bound(name), "a Dynamic type");
    TypeRef t = parse_type(name, in.limits());
    if (t->name() == k_shared_variant) detail::protocol_error("Dynamic lists SharedVariant among its types");
    types.push_back(std::move(t));
  }
  std::vector<std::string> names;
  names.reserve(types.size());
  for (const auto& t : types) names.push_back(t->name());
  std::vector<std::string> have;
  for (const auto& t : types_) have.push_back(t->name());
  if (names != have) {
    // Rows decoded before belong to other types; a block's column starts empty (read_block).
    if (size() != 0) {
      detail::protocol_error("Dynamic: the types of the next rows differ from those of the rows already decoded");
    }
    try {
      set_types(std::move(types));
    } catch (const Error& e) {  // Type::variant: twice the same type, a Nullable...
      detail::protocol_error("Dynamic lists types no Variant can hold: " + e.message());
    }
  }
  variant_->load_prefix(in);
}

void ColumnDynamic::save_prefix(wire::Writer& out) const {
  out.fixed<std::uint64_t>(k_dynamic_version_v1);
  out.uvarint(types_.size());  // max_dynamic_types, as the server writes it: the types listed
  out.uvarint(types_.size());
  for (const auto& t : types_) out.string(t->name());
  variant_->save_prefix(out);
}

}  // namespace chconn
