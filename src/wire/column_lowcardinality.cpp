// ColumnLowCardinality: dictionary + indexes in the layout of docs/protocol.md, "LowCardinality",
// and a deduplicating builder.
//
// Wire body of one column (only when it has rows; all integers UInt64 LE):
//   index type + flags | dictionary size D | D values of T (Nullable removed) | rows N | N indexes
// The prefix (key version 1) is written separately, before any data of the block column.
// A decoder may in principle receive several such chunks for one column; each is merged in.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

#include "chconn/wire/columns.h"
#include "column_impl.h"
#include "keyed_hash.h"

namespace chconn {

namespace {

constexpr std::uint64_t k_key_version = 1;  // SharedDictionariesWithAdditionalKeys
constexpr std::uint64_t k_need_global_dictionary = 1u << 8;
constexpr std::uint64_t k_has_additional_keys = 1u << 9;
constexpr std::uint64_t k_need_update_dictionary = 1u << 10;
constexpr std::uint32_t k_max_dictionary = 0xFFFFFFFEu;  // indexes are stored as UInt32

// Bytes of entry i of a dictionary column that is a ColumnString or a FixedWidthColumn.
std::string_view dictionary_entry(const Column& dict, bool is_string, const std::uint8_t* raw, std::size_t width,
                                  std::size_t i) noexcept {
  if (is_string) return static_cast<const ColumnString&>(dict)[i];
  return {reinterpret_cast<const char*>(raw + i * width), width};
}

}  // namespace

ColumnLowCardinality::ColumnLowCardinality(TypeRef type)
    : Column(checked_type(std::move(type), TypeCode::LowCardinality, class_name())) {
  const TypeRef& inner = type_->storage_type().element(0);
  nullable_ = inner->is_nullable();
  dict_type_ = nullable_ ? inner->element(0) : inner;
  dict_ = make_column(dict_type_);
  dict_is_string_ = dict_type_->storage_type().code() == TypeCode::String;
  const wire::detail::HashKey key = wire::detail::keyed_hash_key();
  hash_key0_ = key.k0;
  hash_key1_ = key.k1;
  reset_dictionary();
}

ColumnLowCardinality::~ColumnLowCardinality() = default;

void ColumnLowCardinality::refresh_raw() noexcept {
  if (!dict_is_string_) dict_raw_ = static_cast<const FixedWidthColumn&>(*dict_).raw_bytes().data();
}

std::string_view ColumnLowCardinality::entry_bytes(std::size_t i) const noexcept {
  return dictionary_entry(*dict_, dict_is_string_, dict_raw_, dict_type_->value_size(), i);
}

void ColumnLowCardinality::reset_dictionary() {
  // The server's conventions: LowCardinality(T) starts with the default value at 0;
  // LowCardinality(Nullable(T)) with the NULL placeholder at 0 and the default value at 1.
  dict_->clear();
  if (nullable_) dict_->append_default();
  dict_->append_default();
  refresh_raw();
  slots_.clear();
  hash_count_ = 0;
  hash_valid_ = false;
}

void ColumnLowCardinality::rebuild_hash() {
  const std::size_t entries = dict_->size();
  std::size_t cap = 16;
  while (cap < entries * 2 + 2) cap *= 2;
  slots_.assign(cap, 0);
  hash_count_ = 0;
  const std::size_t mask = cap - 1;
  // Entry 0 of a nullable dictionary is the NULL placeholder: never found by value.
  for (std::size_t i = nullable_ ? 1 : 0; i < entries; ++i) {
    const std::string_view bytes = entry_bytes(i);
    std::size_t s = wire::detail::keyed_hash(bytes, {hash_key0_, hash_key1_}) & mask;
    bool duplicate = false;
    while (slots_[s] != 0) {
      if (entry_bytes(slots_[s] - 1) == bytes) {
        duplicate = true;  // a decoded dictionary may repeat a value; the first one wins
        break;
      }
      s = (s + 1) & mask;
    }
    if (!duplicate) {
      slots_[s] = static_cast<std::uint32_t>(i + 1);
      ++hash_count_;
    }
  }
  hash_valid_ = true;
}

std::uint32_t ColumnLowCardinality::find_or_insert(std::string_view bytes) {
  if (!hash_valid_) rebuild_hash();
  std::size_t mask = slots_.size() - 1;
  const std::uint64_t h = wire::detail::keyed_hash(bytes, {hash_key0_, hash_key1_});
  std::size_t s = h & mask;
  while (slots_[s] != 0) {
    const std::uint32_t index = slots_[s] - 1;
    if (entry_bytes(index) == bytes) return index;
    s = (s + 1) & mask;
  }
  const std::size_t index = dict_->size();
  if (index >= k_max_dictionary) detail::usage_error("LowCardinality dictionary is full (2^32 - 2 values)");
  if (dict_is_string_) {
    static_cast<ColumnString&>(*dict_).append(bytes);
  } else {
    std::memcpy(static_cast<FixedWidthColumn&>(*dict_).append_raw(1), bytes.data(), bytes.size());
    refresh_raw();
  }
  slots_[s] = static_cast<std::uint32_t>(index + 1);
  if (++hash_count_ * 2 > slots_.size()) rebuild_hash();
  return static_cast<std::uint32_t>(index);
}

void ColumnLowCardinality::append_bytes(std::string_view bytes, bool exact_size) {
  const std::size_t width = dict_type_->value_size();
  if (dict_is_string_) {
    if (exact_size) {
      detail::usage_error("append_value on a " + type_->name() + " column; append a string_view with append()");
    }
    indexes_.push_back(find_or_insert(bytes));
    return;
  }
  if (bytes.size() == width) {
    indexes_.push_back(find_or_insert(bytes));
    return;
  }
  if (!exact_size && dict_type_->storage_type().code() == TypeCode::FixedString && bytes.size() < width) {
    std::string padded(bytes);
    padded.resize(width, '\0');
    indexes_.push_back(find_or_insert(padded));
    return;
  }
  detail::usage_error("a value of " + std::to_string(bytes.size()) + " bytes does not fit " + type_->name() +
                      " (values of " + std::to_string(width) + " bytes)");
}

void ColumnLowCardinality::append(std::string_view value) {
  const TypeCode code = dict_type_->storage_type().code();
  if (code != TypeCode::String && code != TypeCode::FixedString) {
    detail::usage_error("append(string_view) on a " + type_->name() + " column; use append_value()");
  }
  append_bytes(value, false);
}

void ColumnLowCardinality::append_null() {
  if (!nullable_) detail::usage_error("append_null on a " + type_->name() + " column, which is not nullable");
  indexes_.push_back(0);
}

void ColumnLowCardinality::append_default() {
  if (nullable_) {
    indexes_.push_back(0);  // the default of Nullable(T) is NULL
    return;
  }
  const std::string zeros(dict_type_->value_size(), '\0');  // "" for String
  indexes_.push_back(find_or_insert(zeros));
}

void ColumnLowCardinality::clear() {
  indexes_.clear();
  reset_dictionary();
}

void ColumnLowCardinality::truncate(std::size_t rows) noexcept {
  // Dictionary entries no row uses any more are harmless; the dictionary stays.
  if (rows < indexes_.size()) indexes_.resize(rows);
}

void ColumnLowCardinality::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  const auto& o = column_cast<ColumnLowCardinality>(other);
  // Map each of the other dictionary's entries at most once. (If `other` is this column every
  // value is found, nothing is inserted, and the indexes are read by position, so self-append is
  // safe.)
  const std::size_t old = indexes_.size();
  indexes_.resize(old + count);
  if (count * 4 < o.dict_->size()) {
    // Few rows from a large dictionary (append_from row by row): look each value up directly
    // rather than allocating a table the size of the other dictionary.
    for (std::size_t k = 0; k < count; ++k) {
      const std::uint32_t j = o.indexes_[begin + k];
      indexes_[old + k] = (nullable_ && j == 0) ? 0 : find_or_insert(o.entry_bytes(j));
    }
    return;
  }
  constexpr std::uint32_t unmapped = 0xFFFFFFFFu;
  std::vector<std::uint32_t> remap(o.dict_->size(), unmapped);
  for (std::size_t k = 0; k < count; ++k) {
    const std::uint32_t j = o.indexes_[begin + k];
    std::uint32_t mapped;
    if (nullable_ && j == 0) {
      mapped = 0;
    } else if (remap[j] != unmapped) {
      mapped = remap[j];
    } else {
      mapped = remap[j] = find_or_insert(o.entry_bytes(j));
    }
    indexes_[old + k] = mapped;
  }
}

ColumnRef ColumnLowCardinality::materialize() const {
  const std::size_t n = indexes_.size();
  ColumnRef values = make_column(dict_type_);
  if (dict_is_string_) {
    auto& out = static_cast<ColumnString&>(*values);
    const auto& dict = static_cast<const ColumnString&>(*dict_);
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.append(dict[indexes_[i]]);
  } else {
    const std::size_t w = dict_type_->value_size();
    std::uint8_t* dst = static_cast<FixedWidthColumn&>(*values).append_raw(n);
    const std::uint8_t* src = dict_raw_;
    // Fixed-size copies for the common widths let the compiler inline them.
    switch (w) {
      case 1:
        for (std::size_t i = 0; i < n; ++i) dst[i] = src[indexes_[i]];
        break;
      case 2:
        for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + 2 * i, src + 2 * std::size_t{indexes_[i]}, 2);
        break;
      case 4:
        for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + 4 * i, src + 4 * std::size_t{indexes_[i]}, 4);
        break;
      case 8:
        for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + 8 * i, src + 8 * std::size_t{indexes_[i]}, 8);
        break;
      case 16:
        for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + 16 * i, src + 16 * std::size_t{indexes_[i]}, 16);
        break;
      default:
        for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + w * i, src + w * std::size_t{indexes_[i]}, w);
        break;
    }
  }
  if (!nullable_) return values;
  auto result = std::make_shared<ColumnNullable>(values);
  auto nulls = result->mutable_null_map();
  for (std::size_t i = 0; i < n; ++i) nulls[i] = indexes_[i] == 0 ? 1 : 0;
  return result;
}

void ColumnLowCardinality::save_prefix(wire::Writer& out) const {
  detail::refuse_unconfirmed_string_layout(out.string_size_stream(), "LowCardinality");
  out.fixed<std::uint64_t>(k_key_version);
}

void ColumnLowCardinality::load_prefix(wire::Reader& in) {
  detail::refuse_unconfirmed_string_layout(in.string_size_stream(), "LowCardinality");
  const auto version = in.fixed<std::uint64_t>();
  if (version != k_key_version) {
    detail::protocol_error("LowCardinality key version " + std::to_string(version) +
                           " is unknown (only 1, shared dictionaries with additional keys, exists); the stream is "
                           "corrupt");
  }
}

void ColumnLowCardinality::save_body(wire::Writer& out) const {
  const std::size_t n = indexes_.size();
  if (n == 0) return;  // nothing at all for zero rows (e.g. inside empty arrays)
  const std::size_t d = dict_->size();
  const std::uint64_t width_code = d <= 0x100 ? 0 : d <= 0x10000 ? 1 : 2;
  // HasAdditionalKeys: the dictionary travels with the rows (the server accepts 0x200 | width).
  out.fixed<std::uint64_t>(k_has_additional_keys | width_code);
  out.fixed<std::uint64_t>(d);
  dict_->save_body(out);
  out.fixed<std::uint64_t>(n);
  switch (width_code) {
    case 0: {
      std::uint8_t* p = out.extend(n);
      for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(indexes_[i]);
      break;
    }
    case 1: {
      std::uint8_t* p = out.extend(2 * n);
      for (std::size_t i = 0; i < n; ++i) {
        const auto v = static_cast<std::uint16_t>(indexes_[i]);
        std::memcpy(p + 2 * i, &v, 2);
      }
      break;
    }
    default: out.write(indexes_.data(), 4 * n); break;
  }
}

std::vector<std::uint32_t> ColumnLowCardinality::merge_dictionary(const Column& chunk) {
  const std::size_t d = chunk.size();
  const bool is_string = dict_is_string_;
  const std::uint8_t* raw = is_string ? nullptr : static_cast<const FixedWidthColumn&>(chunk).raw_bytes().data();
  const std::size_t width = dict_type_->value_size();
  std::vector<std::uint32_t> map(d);
  for (std::size_t j = 0; j < d; ++j) {
    map[j] = (nullable_ && j == 0) ? 0 : find_or_insert(dictionary_entry(chunk, is_string, raw, width, j));
  }
  return map;
}

namespace {

// Reads n indexes of 2^width_code bytes and appends them to `out` as UInt32, checking each < d.
void read_indexes(wire::Reader& in, PodVector<std::uint32_t>& out, std::size_t n, unsigned width_code,
                  std::uint64_t d) {
  const std::size_t w = std::size_t{1} << width_code;
  // Stored as UInt32; other widths are read into a temporary first.
  detail::charge_values(in, n, sizeof(std::uint32_t) + (w == 4 ? 0 : w), "LowCardinality indexes");
  const std::size_t old = out.size();
  if (w == 4) {
    detail::read_values(in, out, n, 4);
  } else {
    PodVector<std::uint8_t> raw;
    detail::read_values(in, raw, n, w);
    out.resize(old + n);
    std::uint32_t* dst = out.data() + old;
    if (w == 1) {
      for (std::size_t i = 0; i < n; ++i) dst[i] = raw[i];
    } else if (w == 2) {
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t v;
        std::memcpy(&v, raw.data() + 2 * i, 2);
        dst[i] = v;
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t v;
        std::memcpy(&v, raw.data() + 8 * i, 8);
        if (v >= d) {
          detail::protocol_error("LowCardinality index " + std::to_string(v) +
                                 " is out of range of its dictionary of " + std::to_string(d) +
                                 " values; the stream is corrupt");
        }
        dst[i] = static_cast<std::uint32_t>(v);
      }
    }
  }
  std::uint32_t max = 0;
  for (std::size_t i = old; i < out.size(); ++i) max = std::max(max, out[i]);
  if (n > 0 && max >= d) {
    detail::protocol_error("LowCardinality index " + std::to_string(max) + " is out of range of its dictionary of " +
                           std::to_string(d) + " values; the stream is corrupt");
  }
}

}  // namespace

void ColumnLowCardinality::load_rows(wire::Reader& in, std::size_t rows) {
  std::size_t remaining = rows;  // zero rows: nothing is on the wire
  while (remaining > 0) {
    const auto flags = in.fixed<std::uint64_t>();
    const std::uint64_t width_code = flags & 0xff;
    const std::uint64_t bits = flags & ~std::uint64_t{0xff};
    if (width_code > 3 || (bits & ~(k_need_global_dictionary | k_has_additional_keys | k_need_update_dictionary))) {
      detail::protocol_error("LowCardinality index type 0x" + [&] {
        char buf[17];
        const auto r = std::to_chars(buf, buf + sizeof buf, flags, 16);
        return std::string(buf, r.ptr);
      }() + " is unknown; the stream is corrupt");
    }
    if (bits & k_need_global_dictionary) {
      detail::protocol_error("LowCardinality column uses a global dictionary, which the Native format never does");
    }
    if (!(bits & k_has_additional_keys)) {
      detail::protocol_error("LowCardinality column carries no dictionary (HasAdditionalKeys unset)");
    }
    const std::uint64_t d = detail::read_u64_count(
        in, std::min<std::uint64_t>(in.limits().max_block_rows, k_max_dictionary), "LowCardinality dictionary size");
    ColumnRef chunk_dict = dict_->clone_empty();
    chunk_dict->load_body(in, static_cast<std::size_t>(d));
    const std::uint64_t n = detail::read_u64_count(in, remaining, "LowCardinality row count");
    if (n == 0) detail::protocol_error("LowCardinality chunk of zero rows; the stream is corrupt");

    const std::size_t old = indexes_.size();
    read_indexes(in, indexes_, static_cast<std::size_t>(n), static_cast<unsigned>(width_code), d);
    if (old == 0) {
      // The common case: an empty column takes the decoded dictionary as it is (no hashing).
      dict_ = std::move(chunk_dict);
      refresh_raw();
      slots_.clear();
      hash_count_ = 0;
      hash_valid_ = false;
    } else {
      // Merging copies the chunk's new entries into the column's dictionary (at most the chunk's own
      // bytes again), maps each chunk entry (4 bytes) and indexes the new ones in the hash table (at
      // most 16 bytes per entry, a table at most half full of 4-byte slots; the first merge builds
      // it over the entries already there).
      const std::uint64_t chunk_bytes = dict_is_string_
                                            ? static_cast<const ColumnString&>(*chunk_dict).chars().size() + 8 * d
                                            : static_cast<const FixedWidthColumn&>(*chunk_dict).raw_bytes().size();
      in.charge(chunk_bytes + 20 * d + (hash_valid_ ? 0 : 16 * dict_->size()), "merging LowCardinality dictionaries");
      const auto map = merge_dictionary(*chunk_dict);
      for (std::size_t i = old; i < indexes_.size(); ++i) indexes_[i] = map[indexes_[i]];
    }
    remaining -= static_cast<std::size_t>(n);
  }
}

}  // namespace chconn
