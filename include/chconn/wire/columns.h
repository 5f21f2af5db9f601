// The concrete column classes: typed access to values and builders for inserts.
//
//   numbers, Bool            ColumnVector<T> (ColumnUInt8 ... ColumnInt256, ColumnFloat64, ColumnBool)
//   String, FixedString(N)   ColumnString, ColumnFixedString
//   Date, Date32             ColumnDate (UInt16 days), ColumnDate32 (Int32 days)
//   DateTime, DateTime64     ColumnDateTime (UInt32 seconds), ColumnDateTime64 (Int64 ticks)
//   BFloat16                 ColumnBFloat16 (the upper 16 bits of a Float32)
//   Time, Time64             ColumnTime (Int32 seconds), ColumnTime64 (Int64 ticks)
//   UUID, IPv4, IPv6         ColumnUUID, ColumnIPv4 (UInt32 address), ColumnIPv6
//   Decimal(P, S)            ColumnDecimal<Int32|Int64|Int128|Int256> (unscaled integers)
//   Enum8, Enum16            ColumnEnum8, ColumnEnum16
//   Nullable(T)              ColumnNullable (null map + nested column)
//   Array(T), Nested(...)    ColumnArray (end offsets + nested column)
//   Tuple(T...)              ColumnTuple
//   Map(K, V)                ColumnMap (an Array(Tuple(K, V)) underneath)
//   LowCardinality(T)        ColumnLowCardinality (dictionary + indexes)
//   Variant(...), Dynamic    ColumnVariant, ColumnDynamic
//   JSON(...)                ColumnJSON (typed paths, Dynamic paths, shared data)
//   Nothing                  ColumnNothing
//   SimpleAggregateFunction(f, T) uses the column of T.
//
// Fixed-width values are stored exactly as on the wire (little-endian), so a column decodes and
// encodes with one bulk copy. Strings live in one contiguous byte buffer with end offsets.
//
// Thread safety and lifetimes: see column.h. Spans and string_views returned by accessors stay
// valid until the column is next modified.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "chconn/wire/column.h"
#include "chconn/wire/types.h"

namespace chconn {

// ===== Fixed-width columns ========================================================================

// Base of every column whose values all have the same byte size (numbers, dates, UUID, IPs,
// Decimal, Enum, FixedString). LowCardinality uses it to address dictionary values as bytes.
class FixedWidthColumn : public Column {
 public:
  std::size_t value_size() const noexcept { return value_size_; }
  // The values' bytes, size() * value_size() of them, exactly as on the wire.
  virtual std::span<const std::uint8_t> raw_bytes() const noexcept = 0;
  // Appends `rows` values and returns their storage (value_size() * rows bytes) for the caller to
  // fill completely before the column is used again.
  virtual std::uint8_t* append_raw(std::size_t rows) = 0;

  static std::string class_name() { return "FixedWidthColumn"; }

 protected:
  FixedWidthColumn(TypeRef type, std::size_t value_size) : Column(std::move(type)), value_size_(value_size) {}

  std::size_t value_size_;
};

// Storage and serialization shared by the fixed-width columns of one storage type T.
template <class T>
class ColumnFixed : public FixedWidthColumn {
 public:
  using storage_type = T;

  // The raw values, as stored on the wire.
  std::span<const T> data() const noexcept { return {data_.data(), data_.size()}; }
  std::span<T> mutable_data() noexcept { return {data_.data(), data_.size()}; }
  // Appends raw values in bulk.
  void append_data(std::span<const T> values) { data_.insert(data_.end(), values.begin(), values.end()); }

  std::size_t size() const noexcept override { return data_.size(); }
  void clear() noexcept override { data_.clear(); }
  void truncate(std::size_t rows) noexcept override {
    if (rows < data_.size()) data_.resize(rows);
  }
  void reserve(std::size_t rows) override { data_.reserve(rows); }
  void append_default() override { data_.push_back(T{}); }
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  void save_body(wire::Writer& out) const override;
  std::span<const std::uint8_t> raw_bytes() const noexcept override {
    return {reinterpret_cast<const std::uint8_t*>(data_.data()), data_.size() * sizeof(T)};
  }
  std::uint8_t* append_raw(std::size_t rows) override;

 protected:
  ColumnFixed(TypeRef type, TypeCode expected, std::string_view column_class);
  void load_rows(wire::Reader& in, std::size_t rows) override;

  PodVector<T> data_;
};

// How ColumnVector<T> stores T: bool as one byte, so that any byte from the wire is a valid value.
template <class T>
struct ColumnStorageOf {
  using type = T;
};
template <>
struct ColumnStorageOf<bool> {
  using type = std::uint8_t;
};

// Numbers and Bool.
template <class T>
class ColumnVector final : public ColumnFixed<typename ColumnStorageOf<T>::type> {
  using Base = ColumnFixed<typename ColumnStorageOf<T>::type>;

 public:
  using value_type = T;

  ColumnVector() : ColumnVector(type_of<T>()) {}
  // `type` may also be a SimpleAggregateFunction or renamed type (IntervalSecond) stored as T.
  explicit ColumnVector(TypeRef type) : Base(std::move(type), type_of<T>()->code(), class_name()) {}

  T operator[](std::size_t i) const noexcept { return static_cast<T>(this->data_[i]); }
  T at(std::size_t i) const {  // throws Error(usage) when i >= size()
    if (i >= this->data_.size()) detail::row_out_of_range(*this, i);
    return static_cast<T>(this->data_[i]);
  }
  void append(T value) { this->data_.push_back(static_cast<typename Base::storage_type>(value)); }

  ColumnRef clone_empty() const override { return std::make_shared<ColumnVector>(this->type_); }
  static std::string class_name() { return "ColumnVector<" + type_of<T>()->name() + ">"; }
};

using ColumnUInt8 = ColumnVector<std::uint8_t>;
using ColumnUInt16 = ColumnVector<std::uint16_t>;
using ColumnUInt32 = ColumnVector<std::uint32_t>;
using ColumnUInt64 = ColumnVector<std::uint64_t>;
using ColumnUInt128 = ColumnVector<UInt128>;
using ColumnUInt256 = ColumnVector<UInt256>;
using ColumnInt8 = ColumnVector<std::int8_t>;
using ColumnInt16 = ColumnVector<std::int16_t>;
using ColumnInt32 = ColumnVector<std::int32_t>;
using ColumnInt64 = ColumnVector<std::int64_t>;
using ColumnInt128 = ColumnVector<Int128>;
using ColumnInt256 = ColumnVector<Int256>;
using ColumnFloat32 = ColumnVector<float>;
using ColumnFloat64 = ColumnVector<double>;
using ColumnBool = ColumnVector<bool>;  // data() is the raw bytes; operator[] gives value != 0

// Shared shape of the fixed-width columns below: typed access to the raw value.
template <class Derived, class T>
class ColumnFixedTyped : public ColumnFixed<T> {
 public:
  const T& operator[](std::size_t i) const noexcept { return this->data_[i]; }
  const T& at(std::size_t i) const {
    if (i >= this->data_.size()) detail::row_out_of_range(*this, i);
    return this->data_[i];
  }
  void append(const T& value) { this->data_.push_back(value); }
  ColumnRef clone_empty() const override { return std::make_shared<Derived>(this->type_); }

 protected:
  using ColumnFixed<T>::ColumnFixed;
};

// Date: days since 1970-01-01 as UInt16.
class ColumnDate final : public ColumnFixedTyped<ColumnDate, std::uint16_t> {
 public:
  ColumnDate();
  explicit ColumnDate(TypeRef type);
  std::chrono::sys_days date(std::size_t i) const noexcept {
    return std::chrono::sys_days(std::chrono::days(data_[i]));
  }
  // Throws Error(usage) outside 1970-01-01 ... 2149-06-06.
  void append(std::chrono::sys_days day);
  using ColumnFixedTyped::append;
  static std::string class_name() { return "ColumnDate"; }
};

// Date32: days since 1970-01-01 as Int32 (negative before 1970).
class ColumnDate32 final : public ColumnFixedTyped<ColumnDate32, std::int32_t> {
 public:
  ColumnDate32();
  explicit ColumnDate32(TypeRef type);
  std::chrono::sys_days date(std::size_t i) const noexcept {
    return std::chrono::sys_days(std::chrono::days(data_[i]));
  }
  void append(std::chrono::sys_days day) { data_.push_back(static_cast<std::int32_t>(day.time_since_epoch().count())); }
  using ColumnFixedTyped::append;
  static std::string class_name() { return "ColumnDate32"; }
};

// DateTime[('tz')]: Unix seconds as UInt32; the time zone only names how the server shows them.
class ColumnDateTime final : public ColumnFixedTyped<ColumnDateTime, std::uint32_t> {
 public:
  explicit ColumnDateTime(std::string time_zone = {});
  explicit ColumnDateTime(TypeRef type);
  const std::string& time_zone() const noexcept { return type_->storage_type().time_zone(); }
  std::chrono::sys_seconds time(std::size_t i) const noexcept {
    return std::chrono::sys_seconds(std::chrono::seconds(data_[i]));
  }
  // Throws Error(usage) outside the UInt32 range of seconds.
  void append(std::chrono::sys_seconds t);
  using ColumnFixedTyped::append;
  static std::string class_name() { return "ColumnDateTime"; }
};

// DateTime64(p[, 'tz']): Int64 ticks of 10^-p seconds since the epoch.
class ColumnDateTime64 final : public ColumnFixedTyped<ColumnDateTime64, std::int64_t> {
 public:
  explicit ColumnDateTime64(std::uint32_t precision, std::string time_zone = {});
  explicit ColumnDateTime64(TypeRef type);
  std::uint32_t precision() const noexcept { return type_->storage_type().precision(); }
  const std::string& time_zone() const noexcept { return type_->storage_type().time_zone(); }
  static std::string class_name() { return "ColumnDateTime64"; }
};

// BFloat16: the upper 16 bits of a Float32, stored as those bits (operator[] gives them raw).
class ColumnBFloat16 final : public ColumnFixedTyped<ColumnBFloat16, std::uint16_t> {
 public:
  ColumnBFloat16();
  explicit ColumnBFloat16(TypeRef type);
  // Row i as the float it stands for (exact: every BFloat16 is a float).
  float value(std::size_t i) const noexcept { return to_float(data_[i]); }
  // Appends `value` cut to its upper 16 bits, as the server converts a Float32 (toBFloat16(0.1) is
  // 0.099609375); a NaN stays a NaN.
  void append_float(float value) { data_.push_back(from_float(value)); }
  using ColumnFixedTyped::append;

  static float to_float(std::uint16_t bits) noexcept;
  static std::uint16_t from_float(float value) noexcept;
  static std::string class_name() { return "ColumnBFloat16"; }
};

// Time: a signed time of day in Int32 seconds; it may exceed a day (the server shows at most
// 999:59:59 either way, and the value as stored).
class ColumnTime final : public ColumnFixedTyped<ColumnTime, std::int32_t> {
 public:
  ColumnTime();
  explicit ColumnTime(TypeRef type);
  std::chrono::seconds time(std::size_t i) const noexcept { return std::chrono::seconds(data_[i]); }
  // Throws Error(usage) outside the Int32 range of seconds.
  void append(std::chrono::seconds t);
  using ColumnFixedTyped::append;
  static std::string class_name() { return "ColumnTime"; }
};

// Time64(p): a signed time of day in Int64 ticks of 10^-p seconds (operator[] gives the ticks).
class ColumnTime64 final : public ColumnFixedTyped<ColumnTime64, std::int64_t> {
 public:
  explicit ColumnTime64(std::uint32_t precision);
  explicit ColumnTime64(TypeRef type);
  std::uint32_t precision() const noexcept { return type_->storage_type().precision(); }
  static std::string class_name() { return "ColumnTime64"; }
};

class ColumnUUID final : public ColumnFixedTyped<ColumnUUID, UUID> {
 public:
  ColumnUUID();
  explicit ColumnUUID(TypeRef type);
  static std::string class_name() { return "ColumnUUID"; }
};

// IPv4: the numeric address as UInt32 (1.2.3.4 is 0x01020304).
class ColumnIPv4 final : public ColumnFixedTyped<ColumnIPv4, std::uint32_t> {
 public:
  ColumnIPv4();
  explicit ColumnIPv4(TypeRef type);
  static std::string class_name() { return "ColumnIPv4"; }
};

class ColumnIPv6 final : public ColumnFixedTyped<ColumnIPv6, IPv6> {
 public:
  ColumnIPv6();
  explicit ColumnIPv6(TypeRef type);
  static std::string class_name() { return "ColumnIPv6"; }
};

// Decimal(P, S): the unscaled integers, of the width P implies (std::int32_t for P <= 9,
// std::int64_t for P <= 18, Int128 for P <= 38, Int256 for P <= 76). Value = raw / 10^S.
template <class T>
class ColumnDecimal final : public ColumnFixedTyped<ColumnDecimal<T>, T> {
 public:
  ColumnDecimal(std::uint32_t precision, std::uint32_t scale);
  explicit ColumnDecimal(TypeRef type);
  std::uint32_t precision() const noexcept { return this->type_->storage_type().precision(); }
  std::uint32_t scale() const noexcept { return this->type_->storage_type().scale(); }
  // Row i as decimal text: "-1.50".
  std::string to_string(std::size_t i) const;
  static std::string class_name() { return "ColumnDecimal<" + type_of<T>()->name() + ">"; }
};

using ColumnDecimal32 = ColumnDecimal<std::int32_t>;
using ColumnDecimal64 = ColumnDecimal<std::int64_t>;
using ColumnDecimal128 = ColumnDecimal<Int128>;
using ColumnDecimal256 = ColumnDecimal<Int256>;

// Enum8 / Enum16: the Int8/Int16 values; the names live in the type.
template <class T>
class ColumnEnum final : public ColumnFixedTyped<ColumnEnum<T>, T> {
 public:
  explicit ColumnEnum(std::vector<EnumItem> items);
  explicit ColumnEnum(TypeRef type);
  // The name of row i's value, or nullptr if the type has no item with that value.
  const std::string* name_at(std::size_t i) const noexcept {
    return this->type_->storage_type().enum_name(this->data_[i]);
  }
  // Appends the value named `name`; throws Error(usage) if the enum has no such item.
  void append_name(std::string_view name);
  using ColumnFixedTyped<ColumnEnum<T>, T>::append;
  static std::string class_name() { return sizeof(T) == 1 ? "ColumnEnum8" : "ColumnEnum16"; }
};

using ColumnEnum8 = ColumnEnum<std::int8_t>;
using ColumnEnum16 = ColumnEnum<std::int16_t>;

// FixedString(N): N bytes per row, right-padded with zeros.
class ColumnFixedString final : public FixedWidthColumn {
 public:
  explicit ColumnFixedString(std::size_t n);
  explicit ColumnFixedString(TypeRef type);

  std::size_t fixed_size() const noexcept { return value_size_; }
  // Row i's N bytes, padding included.
  std::string_view operator[](std::size_t i) const noexcept { return {chars_.data() + i * value_size_, value_size_}; }
  std::string_view at(std::size_t i) const;
  // Appends `value` padded with zeros; throws Error(usage) if it is longer than N.
  void append(std::string_view value);

  std::size_t size() const noexcept override { return chars_.size() / value_size_; }
  void clear() noexcept override { chars_.clear(); }
  void truncate(std::size_t rows) noexcept override;
  void reserve(std::size_t rows) override { chars_.reserve(rows * value_size_); }
  void append_default() override { chars_.resize(chars_.size() + value_size_, '\0'); }
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override { return std::make_shared<ColumnFixedString>(type_); }
  void save_body(wire::Writer& out) const override;
  std::span<const std::uint8_t> raw_bytes() const noexcept override {
    return {reinterpret_cast<const std::uint8_t*>(chars_.data()), chars_.size()};
  }
  std::uint8_t* append_raw(std::size_t rows) override;
  static std::string class_name() { return "ColumnFixedString"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  PodVector<char> chars_;  // size() * N bytes
};

// ===== String =====================================================================================

// String: all values in one byte buffer; offsets_[i] is the end of row i (row i starts where row
// i - 1 ends). Appending a value never allocates per value.
class ColumnString final : public Column {
 public:
  ColumnString();
  explicit ColumnString(TypeRef type);

  std::string_view operator[](std::size_t i) const noexcept {
    const std::uint64_t begin = i ? offsets_[i - 1] : 0;
    return {chars_.data() + begin, static_cast<std::size_t>(offsets_[i] - begin)};
  }
  std::string_view at(std::size_t i) const;
  void append(std::string_view value) {
    chars_.insert(chars_.end(), value.begin(), value.end());
    offsets_.push_back(chars_.size());
  }
  // End offsets and bytes of all rows.
  std::span<const std::uint64_t> offsets() const noexcept { return {offsets_.data(), offsets_.size()}; }
  std::string_view chars() const noexcept { return {chars_.data(), chars_.size()}; }
  void reserve_bytes(std::size_t bytes) { chars_.reserve(bytes); }

  std::size_t size() const noexcept override { return offsets_.size(); }
  void clear() noexcept override {
    chars_.clear();
    offsets_.clear();
  }
  void truncate(std::size_t rows) noexcept override;
  void reserve(std::size_t rows) override { offsets_.reserve(rows); }
  void append_default() override { offsets_.push_back(chars_.size()); }
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override { return std::make_shared<ColumnString>(type_); }
  void save_body(wire::Writer& out) const override;
  static std::string class_name() { return "ColumnString"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  // The layout from revision 54492 (Reader/Writer::string_size_stream()): end offsets, then bytes.
  void load_rows_size_stream(wire::Reader& in, std::size_t rows);
  void save_body_size_stream(wire::Writer& out) const;

  PodVector<char> chars_;
  PodVector<std::uint64_t> offsets_;
};

// ===== Nothing ====================================================================================

// Nothing: no values, only a row count (the wire carries one ignored byte per row).
class ColumnNothing final : public Column {
 public:
  ColumnNothing();
  explicit ColumnNothing(TypeRef type);

  std::size_t size() const noexcept override { return rows_; }
  void clear() noexcept override { rows_ = 0; }
  void truncate(std::size_t rows) noexcept override { rows_ = std::min(rows_, rows); }
  void reserve(std::size_t) override {}
  void append_default() override { ++rows_; }
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override { return std::make_shared<ColumnNothing>(type_); }
  void save_body(wire::Writer& out) const override;
  static std::string class_name() { return "ColumnNothing"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  std::size_t rows_ = 0;
};

// ===== Nullable ===================================================================================

// Nullable(T): a null map (1 = NULL) and the nested column, which has a value (the default) at
// NULL rows too. Invariant after every operation of this class: nested().size() == size().
class ColumnNullable final : public Column {
 public:
  explicit ColumnNullable(ColumnRef nested);  // type Nullable(nested's type)
  explicit ColumnNullable(TypeRef type);

  bool is_null(std::size_t i) const noexcept { return nulls_[i] != 0; }
  std::span<const std::uint8_t> null_map() const noexcept { return {nulls_.data(), nulls_.size()}; }
  // The null flags for changing rows in bulk (1 = NULL); the nested value stays what it is.
  std::span<std::uint8_t> mutable_null_map() noexcept { return {nulls_.data(), nulls_.size()}; }
  Column& nested() noexcept { return *nested_; }
  const Column& nested() const noexcept { return *nested_; }
  const ColumnRef& nested_ref() const noexcept { return nested_; }
  template <class C>
  C& nested_as() {
    return column_cast<C>(*nested_);
  }
  template <class C>
  const C& nested_as() const {
    return column_cast<C>(*nested_);
  }
  // Appends a NULL row (and a default value to nested()).
  void append_null();
  // Appends a non-NULL row whose value the caller has just appended to nested(). Throws
  // Error(usage) if nested() does not have exactly one more row than this column.
  void append_not_null();

  std::size_t size() const noexcept override { return nulls_.size(); }
  void clear() override;
  void truncate(std::size_t rows) noexcept override;
  void reserve(std::size_t rows) override;
  void append_default() override { append_null(); }
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override;
  void load_prefix(wire::Reader& in) override { nested_->load_prefix(in); }
  void save_prefix(wire::Writer& out) const override { nested_->save_prefix(out); }
  void save_body(wire::Writer& out) const override;
  static std::string class_name() { return "ColumnNullable"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  PodVector<std::uint8_t> nulls_;
  ColumnRef nested_;
};

// ===== Array ======================================================================================

// Array(T) (and Nested(...), stored as Array(Tuple(...))): end offsets into the nested column.
// Row i holds nested rows [offsets[i-1], offsets[i]) (with offsets[-1] = 0). Invariant: offsets
// never decrease and the last is nested().size() after every operation of this class (elements
// appended to nested() but not yet closed by finish_row() are the exception).
class ColumnArray final : public Column {
 public:
  struct Range {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t size() const noexcept { return end - begin; }
  };

  explicit ColumnArray(ColumnRef nested);  // type Array(nested's type)
  explicit ColumnArray(TypeRef type);

  std::span<const std::uint64_t> offsets() const noexcept { return {offsets_.data(), offsets_.size()}; }
  // The nested rows of row i.
  Range range(std::size_t i) const noexcept {
    return {i ? static_cast<std::size_t>(offsets_[i - 1]) : 0, static_cast<std::size_t>(offsets_[i])};
  }
  std::size_t size_at(std::size_t i) const noexcept { return range(i).size(); }
  Column& nested() noexcept { return *nested_; }
  const Column& nested() const noexcept { return *nested_; }
  const ColumnRef& nested_ref() const noexcept { return nested_; }
  template <class C>
  C& nested_as() {
    return column_cast<C>(*nested_);
  }
  template <class C>
  const C& nested_as() const {
    return column_cast<C>(*nested_);
  }
  // Ends a row holding every element appended to nested() since the previous row.
  void finish_row();
  // Appends a row holding all rows of `elements` (a column of the element type).
  void append_elements(const Column& elements);

  std::size_t size() const noexcept override { return offsets_.size(); }
  void clear() override;
  void truncate(std::size_t rows) noexcept override;
  void reserve(std::size_t rows) override { offsets_.reserve(rows); }
  void append_default() override { offsets_.push_back(last_offset()); }
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override;
  void load_prefix(wire::Reader& in) override { nested_->load_prefix(in); }
  void save_prefix(wire::Writer& out) const override { nested_->save_prefix(out); }
  void save_body(wire::Writer& out) const override;
  static std::string class_name() { return "ColumnArray"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  std::uint64_t last_offset() const noexcept { return offsets_.empty() ? 0 : offsets_.back(); }

  PodVector<std::uint64_t> offsets_;
  ColumnRef nested_;
};

// ===== Tuple ======================================================================================

// Tuple(T...): one column per element, all of the same length. Callers append to every element
// and the tuple's size follows; an empty Tuple() counts its rows itself.
class ColumnTuple final : public Column {
 public:
  // Unnamed Tuple of the elements' types, or named when `names` is given.
  explicit ColumnTuple(std::vector<ColumnRef> elements, std::vector<std::string> names = {});
  explicit ColumnTuple(TypeRef type);

  std::size_t element_count() const noexcept { return elements_.size(); }
  Column& element(std::size_t i) { return *elements_.at(i); }
  const Column& element(std::size_t i) const { return *elements_.at(i); }
  const ColumnRef& element_ref(std::size_t i) const { return elements_.at(i); }
  template <class C>
  C& element_as(std::size_t i) {
    return column_cast<C>(element(i));
  }
  template <class C>
  const C& element_as(std::size_t i) const {
    return column_cast<C>(element(i));
  }

  // The first element's size (all must agree; save_body checks).
  std::size_t size() const noexcept override { return elements_.empty() ? rows_ : elements_[0]->size(); }
  void clear() override;
  void truncate(std::size_t rows) noexcept override;
  void reserve(std::size_t rows) override;
  void append_default() override;
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override;
  void load_prefix(wire::Reader& in) override;
  void save_prefix(wire::Writer& out) const override;
  void save_body(wire::Writer& out) const override;
  static std::string class_name() { return "ColumnTuple"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  std::vector<ColumnRef> elements_;
  std::size_t rows_ = 0;  // only for Tuple() without elements
};

// ===== Map ========================================================================================

// Map(K, V): serialized exactly as Array(Tuple(K, V)), which it holds.
class ColumnMap final : public Column {
 public:
  ColumnMap(ColumnRef keys, ColumnRef values);
  explicit ColumnMap(TypeRef type);

  std::span<const std::uint64_t> offsets() const noexcept { return array_->offsets(); }
  ColumnArray::Range range(std::size_t i) const noexcept { return array_->range(i); }
  Column& keys() noexcept { return tuple().element(0); }
  const Column& keys() const noexcept { return tuple().element(0); }
  Column& values() noexcept { return tuple().element(1); }
  const Column& values() const noexcept { return tuple().element(1); }
  template <class C>
  C& keys_as() {
    return column_cast<C>(keys());
  }
  template <class C>
  C& values_as() {
    return column_cast<C>(values());
  }
  template <class C>
  const C& keys_as() const {
    return column_cast<C>(keys());
  }
  template <class C>
  const C& values_as() const {
    return column_cast<C>(values());
  }
  // Ends a row holding every key/value pair appended since the previous row (keys and values must
  // have grown by the same count).
  void finish_row();
  // The underlying Array(Tuple(K, V)).
  const ColumnArray& as_array() const noexcept { return *array_; }
  ColumnArray& as_array() noexcept { return *array_; }

  std::size_t size() const noexcept override { return array_->size(); }
  void clear() override { array_->clear(); }
  void truncate(std::size_t rows) noexcept override { array_->truncate(rows); }
  void reserve(std::size_t rows) override { array_->reserve(rows); }
  void append_default() override { array_->append_default(); }
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override { return std::make_shared<ColumnMap>(type_); }
  void load_prefix(wire::Reader& in) override { array_->load_prefix(in); }
  void save_prefix(wire::Writer& out) const override { array_->save_prefix(out); }
  void save_body(wire::Writer& out) const override;
  static std::string class_name() { return "ColumnMap"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  ColumnTuple& tuple() noexcept { return static_cast<ColumnTuple&>(array_->nested()); }
  const ColumnTuple& tuple() const noexcept { return static_cast<const ColumnTuple&>(array_->nested()); }

  std::shared_ptr<ColumnArray> array_;
};

// ===== Variant ====================================================================================

// Variant(T1, ..., Tn): each row is NULL or a value of one of the types. Stored as on the wire: a
// discriminator per row (the type's index in type()->elements(), which lists them sorted by name;
// k_null for NULL) and one column per type holding only the rows of that type, in order.
// Invariant after every operation of this class: variant(k).size() is the number of rows whose
// discriminator is k.
//
// Example (building a Variant(String, UInt64) column):
//   ColumnVariant v(parse_type("Variant(String, UInt64)"));
//   v.variant_as<ColumnUInt64>(1).append(7);
//   v.append_variant(1);
//   v.append_null();
class ColumnVariant final : public Column {
 public:
  static constexpr std::uint8_t k_null = 255;

  explicit ColumnVariant(TypeRef type);

  std::size_t variant_count() const noexcept { return variants_.size(); }
  // The row's discriminator: the index of its type, or k_null.
  std::uint8_t discriminator(std::size_t row) const noexcept { return discriminators_[row]; }
  bool is_null(std::size_t row) const noexcept { return discriminators_[row] == k_null; }
  // The row's index in variant(discriminator(row)) (meaningless for a NULL row).
  std::size_t variant_row(std::size_t row) const noexcept { return static_cast<std::size_t>(rows_in_variant_[row]); }
  Column& variant(std::size_t k) { return *variants_.at(k); }
  const Column& variant(std::size_t k) const { return *variants_.at(k); }
  template <class C>
  C& variant_as(std::size_t k) {
    return column_cast<C>(variant(k));
  }
  template <class C>
  const C& variant_as(std::size_t k) const {
    return column_cast<C>(variant(k));
  }
  // Appends a NULL row.
  void append_null();
  // Appends a row of type k whose value the caller has just appended to variant(k). Throws
  // Error(usage) if k is out of range or variant(k) does not have exactly one more row than the
  // rows of type k.
  void append_variant(std::size_t k);

  std::size_t size() const noexcept override { return discriminators_.size(); }
  void clear() override;
  void truncate(std::size_t rows) noexcept override;
  void reserve(std::size_t rows) override;
  void append_default() override { append_null(); }
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override;
  void load_prefix(wire::Reader& in) override;
  void save_prefix(wire::Writer& out) const override;
  void save_body(wire::Writer& out) const override;
  static std::string class_name() { return "ColumnVariant"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  PodVector<std::uint8_t> discriminators_;
  PodVector<std::uint64_t> rows_in_variant_;
  std::vector<std::size_t> counts_;  // rows of each type
  std::vector<ColumnRef> variants_;
};

// ===== Dynamic ====================================================================================

// Dynamic: each row is NULL or a value of any type. The types a column holds come with each
// block's data (its state prefix lists them), and the rows are stored as a Variant of those types
// plus "SharedVariant" (values of types beyond max_types, kept in a binary form with their type:
// decoded as bytes, not printed). Read-only for now: a column is filled by decoding; appending
// takes rows of a Dynamic column with the same types (append_range).
//
// Example (reading): a row's type and value
//   const auto& d = block.column_as<ColumnDynamic>("a");
//   if (!d.is_null(row)) {
//     const auto& v = d.variant();                    // ColumnVariant over d.types() + SharedVariant
//     const TypeRef& t = v.type()->elements()[v.discriminator(row)];
//   }
class ColumnDynamic final : public Column {
 public:
  explicit ColumnDynamic(TypeRef type);

  // The types of this column's rows, as the data listed them (not including SharedVariant).
  const std::vector<TypeRef>& types() const noexcept { return types_; }
  // The rows, as a Variant over types() and SharedVariant (sorted by name, as the server does).
  const ColumnVariant& variant() const noexcept { return *variant_; }
  bool is_null(std::size_t row) const noexcept { return variant_->is_null(row); }
  // Whether the row's value is held in SharedVariant's binary form.
  bool is_shared(std::size_t row) const noexcept {
    return !variant_->is_null(row) && variant_->discriminator(row) == shared_discriminator_;
  }
  // The binary form of a row for which is_shared() holds (decode_binary_value() reads it).
  std::string_view shared_bytes(std::size_t row) const;

  std::size_t size() const noexcept override { return variant_->size(); }
  void clear() override;
  void truncate(std::size_t rows) noexcept override { variant_->truncate(rows); }
  void reserve(std::size_t rows) override { variant_->reserve(rows); }
  void append_default() override { variant_->append_null(); }
  // Throws Error(usage) unless `other` holds the same types.
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override;
  void load_prefix(wire::Reader& in) override;
  void save_prefix(wire::Writer& out) const override;
  void save_body(wire::Writer& out) const override { variant_->save_body(out); }
  static std::string class_name() { return "ColumnDynamic"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override { variant_->load_body(in, rows); }

 private:
  void set_types(std::vector<TypeRef> types);

  std::vector<TypeRef> types_;
  std::shared_ptr<ColumnVariant> variant_;
  std::uint8_t shared_discriminator_ = 0;
};

// ===== JSON =======================================================================================

// JSON: each row is an object of paths ("a.b" for {"a": {"b": ...}}). A typed path (named in the
// type) has a value in every row, in a column of its type; the other paths are "dynamic": up to
// max_dynamic_paths of them have a Dynamic column each (NULL where the row lacks the path), and the
// rest live in "shared data", per row a list of (path, value) pairs sorted by path, each value in
// ClickHouse's binary form (its type in the binary type encoding, then the value in RowBinary).
// Which dynamic paths a column has comes with each block's data (its state prefix lists them).
// Read-only for now: a column is filled by decoding; appending takes rows of a JSON column with
// the same dynamic paths (append_range).
//
// Example (reading): the typed and dynamic paths of a row
//   const auto& j = block.column_as<ColumnJSON>("j");
//   for (std::size_t i = 0; i < j.typed_path_count(); ++i) { j.typed_path(i); j.typed_column(i); }
//   for (std::size_t i = 0; i < j.dynamic_paths().size(); ++i) {
//     if (!j.dynamic_column(i).is_null(row)) { /* j.dynamic_paths()[i] has a value in this row */ }
//   }
//   auto pairs = j.shared_data().range(row);   // rows of j.shared_paths() / j.shared_values()
class ColumnJSON final : public Column {
 public:
  explicit ColumnJSON(TypeRef type);

  // The typed paths, sorted (the order of their data on the wire), and their columns.
  std::size_t typed_path_count() const noexcept { return typed_paths_.size(); }
  const std::string& typed_path(std::size_t i) const { return typed_paths_.at(i); }
  const Column& typed_column(std::size_t i) const { return *typed_columns_.at(i); }
  Column& typed_column(std::size_t i) { return *typed_columns_.at(i); }
  // The dynamic paths of this column's rows, sorted, and their Dynamic columns.
  const std::vector<std::string>& dynamic_paths() const noexcept { return dynamic_paths_; }
  const ColumnDynamic& dynamic_column(std::size_t i) const { return *dynamic_columns_.at(i); }
  // Shared data: Array(Tuple(String, String)), one array of (path, binary value) per row.
  const ColumnArray& shared_data() const noexcept { return *shared_; }
  const ColumnString& shared_paths() const noexcept;
  const ColumnString& shared_values() const noexcept;
  // Appends a row: the value the caller has just appended to each typed_column(i), no value in the
  // dynamic paths, and `shared` as its shared data (pairs of a path and a value in binary form,
  // sorted by path, none a typed or dynamic path). Throws Error(usage) when a typed column has
  // not exactly one more row or `shared` breaks those rules (nothing is appended then).
  void append_row(const std::vector<std::pair<std::string, std::string>>& shared);

  std::size_t size() const noexcept override { return shared_->size(); }
  void clear() override;
  void truncate(std::size_t rows) noexcept override;
  void reserve(std::size_t rows) override { shared_->reserve(rows); }
  void append_default() override;
  // Throws Error(usage) unless `other` has the same dynamic paths (an empty column takes them).
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override;
  void load_prefix(wire::Reader& in) override;
  void save_prefix(wire::Writer& out) const override;
  void save_body(wire::Writer& out) const override;
  static std::string class_name() { return "ColumnJSON"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  void set_dynamic_paths(std::vector<std::string> paths);

  std::vector<std::string> typed_paths_;  // sorted
  std::vector<ColumnRef> typed_columns_;
  std::vector<std::string> dynamic_paths_;  // sorted
  std::vector<std::shared_ptr<ColumnDynamic>> dynamic_columns_;
  std::shared_ptr<ColumnArray> shared_;
};

// A value in ClickHouse's binary form, as Dynamic's SharedVariant and JSON's shared data hold it:
// its type in the binary type encoding, then the value in RowBinary. Returns a new column of that
// type holding the one value (LowCardinality(T) is read as T). Throws Error(protocol) naming what
// is wrong when the bytes are malformed, hold more than the value, or a type chconn does not read
// in this form (AggregateFunction, Nested, Dynamic other than as a JSON path's value).
ColumnRef decode_binary_value(std::string_view bytes, const wire::DecodeLimits& limits = {});

// One value of `column`'s type in RowBinary (as clickhouse-client reads FORMAT RowBinary) at the
// start of `bytes`, appended to `column`. Returns the bytes it took, or nullopt when `bytes` end
// inside the value (or a length in it reaches past them): `column` may then hold part of it, and
// the caller truncates it before trying again with more bytes. Nothing is allocated for a length
// beyond the bytes given. Throws Error(protocol) when the bytes are wrong for the type, or for a
// type chconn does not read in this form (LowCardinality: read its value type's column).
std::optional<std::size_t> decode_row_binary(std::string_view bytes, Column& column,
                                             const wire::DecodeLimits& limits = {});

// ===== LowCardinality =============================================================================

// LowCardinality(T): a dictionary of distinct values (a column of T with Nullable removed) and one
// index per row. For LowCardinality(Nullable(T)) dictionary entry 0 stands for NULL (index 0 is
// NULL) and entry 1 is the default value; for LowCardinality(T) entry 0 is the default value.
// The builder (append*) deduplicates values with a hash table over the dictionary's bytes.
//
// Invariants: every index < dictionary().size(); a nullable column's dictionary has entry 0.
class ColumnLowCardinality final : public Column {
 public:
  explicit ColumnLowCardinality(TypeRef type);  // a LowCardinality(...) type
  ~ColumnLowCardinality() override;

  bool nullable() const noexcept { return nullable_; }
  const Column& dictionary() const noexcept { return *dict_; }
  std::span<const std::uint32_t> indexes() const noexcept { return {indexes_.data(), indexes_.size()}; }
  std::uint32_t index(std::size_t i) const noexcept { return indexes_[i]; }
  bool is_null(std::size_t i) const noexcept { return nullable_ && indexes_[i] == 0; }
  // Row i's value through the dictionary's class C (ColumnString, ColumnUInt32, ...):
  // lc.value<ColumnString>(i) is a std::string_view.
  template <class C>
  decltype(auto) value(std::size_t i) const {
    return column_cast<C>(*dict_)[indexes_[i]];
  }

  // Builders. append(string_view) for String and FixedString dictionaries (FixedString values are
  // zero-padded); append_value(v) for fixed-width ones (sizeof(v) must equal the value size).
  // Throw Error(usage) on a value of the wrong kind or size.
  void append(std::string_view value);
  template <class T>
  void append_value(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    append_bytes(std::string_view(reinterpret_cast<const char*>(&value), sizeof(T)), true);
  }
  void append_null();  // throws Error(usage) unless nullable()

  // The plain column: T (or Nullable(T)) with one value per row.
  ColumnRef materialize() const;

  std::size_t size() const noexcept override { return indexes_.size(); }
  void clear() override;
  void truncate(std::size_t rows) noexcept override;
  void reserve(std::size_t rows) override { indexes_.reserve(rows); }
  void append_default() override;
  void append_range(const Column& other, std::size_t begin, std::size_t count) override;
  ColumnRef clone_empty() const override { return std::make_shared<ColumnLowCardinality>(type_); }
  void load_prefix(wire::Reader& in) override;
  void save_prefix(wire::Writer& out) const override;
  void save_body(wire::Writer& out) const override;
  static std::string class_name() { return "ColumnLowCardinality"; }

 protected:
  void load_rows(wire::Reader& in, std::size_t rows) override;

 private:
  // The bytes of entry i of this column's dictionary (its value as on the wire, FixedString
  // padding included).
  std::string_view entry_bytes(std::size_t i) const noexcept;
  void append_bytes(std::string_view bytes, bool exact_size);
  // Index of the entry with these bytes, appending one if absent.
  std::uint32_t find_or_insert(std::string_view bytes);
  void rebuild_hash();
  void reset_dictionary();
  void refresh_raw() noexcept;
  // Appends chunk-local dictionary `chunk` mapped into this dictionary; returns the local → global map.
  std::vector<std::uint32_t> merge_dictionary(const Column& chunk);

  TypeRef dict_type_;  // T with Nullable removed
  ColumnRef dict_;
  bool nullable_ = false;
  bool dict_is_string_ = false;
  const std::uint8_t* dict_raw_ = nullptr;  // raw bytes of a fixed-width dictionary, refreshed on change
  PodVector<std::uint32_t> indexes_;
  // Open-addressing hash table over the dictionary: slot = entry index + 1, 0 = empty. Built
  // lazily (a decoded dictionary is used as is until the first append).
  std::vector<std::uint32_t> slots_;
  std::size_t hash_count_ = 0;  // entries in slots_
  bool hash_valid_ = false;
  // The table's hash key, drawn per column, so a server cannot choose values that collide.
  std::uint64_t hash_key0_ = 0;
  std::uint64_t hash_key1_ = 0;
};

// Defined in src/wire/column_fixed.cpp for exactly these storage types.
extern template class ColumnFixed<std::uint8_t>;
extern template class ColumnFixed<std::uint16_t>;
extern template class ColumnFixed<std::uint32_t>;
extern template class ColumnFixed<std::uint64_t>;
extern template class ColumnFixed<UInt128>;
extern template class ColumnFixed<UInt256>;
extern template class ColumnFixed<std::int8_t>;
extern template class ColumnFixed<std::int16_t>;
extern template class ColumnFixed<std::int32_t>;
extern template class ColumnFixed<std::int64_t>;
extern template class ColumnFixed<Int128>;
extern template class ColumnFixed<Int256>;
extern template class ColumnFixed<float>;
extern template class ColumnFixed<double>;
extern template class ColumnFixed<UUID>;
extern template class ColumnFixed<IPv6>;
extern template class ColumnDecimal<std::int32_t>;
extern template class ColumnDecimal<std::int64_t>;
extern template class ColumnDecimal<Int128>;
extern template class ColumnDecimal<Int256>;
extern template class ColumnEnum<std::int8_t>;
extern template class ColumnEnum<std::int16_t>;

}  // namespace chconn
