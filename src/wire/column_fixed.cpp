// Fixed-width columns: numbers, Bool, dates, UUID, IPs, Decimal, Enum, FixedString, Nothing.
// Every one of them decodes with one bulk copy into its storage (the in-memory layout is the wire
// layout) and encodes with one bulk write.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "chconn/wire/columns.h"
#include "column_impl.h"

namespace chconn {

// ===== ColumnFixed<T> =============================================================================

template <class T>
ColumnFixed<T>::ColumnFixed(TypeRef type, TypeCode expected, std::string_view column_class)
    : FixedWidthColumn(checked_type(std::move(type), expected, column_class), sizeof(T)) {}

template <class T>
void ColumnFixed<T>::load_rows(wire::Reader& in, std::size_t rows) {
  detail::charge_values(in, rows, sizeof(T), "values");
  detail::read_values(in, data_, rows, sizeof(T));
}

template <class T>
void ColumnFixed<T>::save_body(wire::Writer& out) const {
  out.write(data_.data(), data_.size() * sizeof(T));
}

template <class T>
void ColumnFixed<T>::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  const auto* o = dynamic_cast<const ColumnFixed<T>*>(&other);
  if (!o) detail::usage_error("cannot append rows of a " + other.type()->name() + " column of another class");
  // Grow first, then take the source pointer: `other` may be this very column.
  const std::size_t old = data_.size();
  data_.resize(old + count);
  if (count) std::memcpy(data_.data() + old, o->data_.data() + begin, count * sizeof(T));
}

template <class T>
std::uint8_t* ColumnFixed<T>::append_raw(std::size_t rows) {
  const std::size_t old = data_.size();
  data_.resize(old + rows);
  return reinterpret_cast<std::uint8_t*>(data_.data() + old);
}

template class ColumnFixed<std::uint8_t>;
template class ColumnFixed<std::uint16_t>;
template class ColumnFixed<std::uint32_t>;
template class ColumnFixed<std::uint64_t>;
template class ColumnFixed<UInt128>;
template class ColumnFixed<UInt256>;
template class ColumnFixed<std::int8_t>;
template class ColumnFixed<std::int16_t>;
template class ColumnFixed<std::int32_t>;
template class ColumnFixed<std::int64_t>;
template class ColumnFixed<Int128>;
template class ColumnFixed<Int256>;
template class ColumnFixed<float>;
template class ColumnFixed<double>;
template class ColumnFixed<UUID>;
template class ColumnFixed<IPv6>;

// ===== Dates, UUID, IPs ===========================================================================

ColumnDate::ColumnDate() : ColumnDate(Type::simple(TypeCode::Date)) {}
ColumnDate::ColumnDate(TypeRef type) : ColumnFixedTyped(std::move(type), TypeCode::Date, class_name()) {}

void ColumnDate::append(std::chrono::sys_days day) {
  const auto n = day.time_since_epoch().count();
  if (n < 0 || n > 0xFFFF) {
    detail::usage_error("day " + std::to_string(n) + " since 1970-01-01 is outside the range of Date (0-65535)");
  }
  data_.push_back(static_cast<std::uint16_t>(n));
}

ColumnDate32::ColumnDate32() : ColumnDate32(Type::simple(TypeCode::Date32)) {}
ColumnDate32::ColumnDate32(TypeRef type) : ColumnFixedTyped(std::move(type), TypeCode::Date32, class_name()) {}

ColumnDateTime::ColumnDateTime(std::string time_zone) : ColumnDateTime(Type::date_time(std::move(time_zone))) {}
ColumnDateTime::ColumnDateTime(TypeRef type) : ColumnFixedTyped(std::move(type), TypeCode::DateTime, class_name()) {}

void ColumnDateTime::append(std::chrono::sys_seconds t) {
  const auto n = t.time_since_epoch().count();
  if (n < 0 || n > 0xFFFFFFFFll) {
    detail::usage_error("Unix time " + std::to_string(n) + " is outside the range of DateTime (UInt32 seconds)");
  }
  data_.push_back(static_cast<std::uint32_t>(n));
}

ColumnDateTime64::ColumnDateTime64(std::uint32_t precision, std::string time_zone)
    : ColumnDateTime64(Type::date_time64(precision, std::move(time_zone))) {}
ColumnDateTime64::ColumnDateTime64(TypeRef type)
    : ColumnFixedTyped(std::move(type), TypeCode::DateTime64, class_name()) {}

ColumnUUID::ColumnUUID() : ColumnUUID(Type::simple(TypeCode::UUID)) {}
ColumnBFloat16::ColumnBFloat16() : ColumnBFloat16(Type::simple(TypeCode::BFloat16)) {}
ColumnBFloat16::ColumnBFloat16(TypeRef type) : ColumnFixedTyped(std::move(type), TypeCode::BFloat16, class_name()) {}

float ColumnBFloat16::to_float(std::uint16_t bits) noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16);
}

std::uint16_t ColumnBFloat16::from_float(float value) noexcept {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  // Cutting a NaN whose payload lies in the low bits would leave infinity: keep a quiet NaN.
  if (std::isnan(value)) return static_cast<std::uint16_t>((bits >> 16) | 0x7FC0u);
  return static_cast<std::uint16_t>(bits >> 16);
}

ColumnTime::ColumnTime() : ColumnTime(Type::simple(TypeCode::Time)) {}
ColumnTime::ColumnTime(TypeRef type) : ColumnFixedTyped(std::move(type), TypeCode::Time, class_name()) {}

void ColumnTime::append(std::chrono::seconds t) {
  const auto s = t.count();
  if (s < std::numeric_limits<std::int32_t>::min() || s > std::numeric_limits<std::int32_t>::max()) {
    detail::usage_error("ColumnTime::append: " + std::to_string(s) + " seconds is outside the Int32 range of Time");
  }
  data_.push_back(static_cast<std::int32_t>(s));
}

ColumnTime64::ColumnTime64(std::uint32_t precision) : ColumnTime64(Type::time64(precision)) {}
ColumnTime64::ColumnTime64(TypeRef type) : ColumnFixedTyped(std::move(type), TypeCode::Time64, class_name()) {}

ColumnUUID::ColumnUUID(TypeRef type) : ColumnFixedTyped(std::move(type), TypeCode::UUID, class_name()) {}

ColumnIPv4::ColumnIPv4() : ColumnIPv4(Type::simple(TypeCode::IPv4)) {}
ColumnIPv4::ColumnIPv4(TypeRef type) : ColumnFixedTyped(std::move(type), TypeCode::IPv4, class_name()) {}

ColumnIPv6::ColumnIPv6() : ColumnIPv6(Type::simple(TypeCode::IPv6)) {}
ColumnIPv6::ColumnIPv6(TypeRef type) : ColumnFixedTyped(std::move(type), TypeCode::IPv6, class_name()) {}

// ===== Decimal ====================================================================================

namespace {
template <class T>
constexpr TypeCode decimal_code() {
  if constexpr (std::is_same_v<T, std::int32_t>) return TypeCode::Decimal32;
  if constexpr (std::is_same_v<T, std::int64_t>) return TypeCode::Decimal64;
  if constexpr (std::is_same_v<T, Int128>) return TypeCode::Decimal128;
  return TypeCode::Decimal256;
}
}  // namespace

template <class T>
ColumnDecimal<T>::ColumnDecimal(std::uint32_t precision, std::uint32_t scale)
    : ColumnDecimal(Type::decimal(precision, scale)) {}

template <class T>
ColumnDecimal<T>::ColumnDecimal(TypeRef type)
    : ColumnFixedTyped<ColumnDecimal<T>, T>(std::move(type), decimal_code<T>(), class_name()) {}

template <class T>
std::string ColumnDecimal<T>::to_string(std::size_t i) const {
  const T& raw = this->at(i);
  if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>) {
    return format_decimal(static_cast<std::int64_t>(raw), scale());
  } else {
    return format_decimal(raw, scale());
  }
}

template class ColumnDecimal<std::int32_t>;
template class ColumnDecimal<std::int64_t>;
template class ColumnDecimal<Int128>;
template class ColumnDecimal<Int256>;

// ===== Enum =======================================================================================

template <class T>
ColumnEnum<T>::ColumnEnum(std::vector<EnumItem> items)
    : ColumnEnum(sizeof(T) == 1 ? Type::enum8(std::move(items)) : Type::enum16(std::move(items))) {}

template <class T>
ColumnEnum<T>::ColumnEnum(TypeRef type)
    : ColumnFixedTyped<ColumnEnum<T>, T>(std::move(type), sizeof(T) == 1 ? TypeCode::Enum8 : TypeCode::Enum16,
                                         class_name()) {}

template <class T>
void ColumnEnum<T>::append_name(std::string_view name) {
  const auto value = this->type_->storage_type().enum_value(name);
  if (!value) {
    detail::usage_error("'" + std::string(name) + "' is not an item of " + this->type_->name());
  }
  this->data_.push_back(static_cast<T>(*value));
}

template class ColumnEnum<std::int8_t>;
template class ColumnEnum<std::int16_t>;

// ===== FixedString ================================================================================

ColumnFixedString::ColumnFixedString(std::size_t n) : ColumnFixedString(Type::fixed_string(n)) {}

ColumnFixedString::ColumnFixedString(TypeRef type)
    : FixedWidthColumn(checked_type(std::move(type), TypeCode::FixedString, class_name()), 0) {
  value_size_ = type_->storage_type().fixed_string_size();
}

std::string_view ColumnFixedString::at(std::size_t i) const {
  if (i >= size()) detail::row_out_of_range(*this, i);
  return (*this)[i];
}

void ColumnFixedString::append(std::string_view value) {
  if (value.size() > value_size_) {
    detail::usage_error("a value of " + std::to_string(value.size()) + " bytes does not fit in " + type_->name());
  }
  const std::size_t old = chars_.size();
  chars_.resize(old + value_size_);
  std::memcpy(chars_.data() + old, value.data(), value.size());
  std::memset(chars_.data() + old + value.size(), 0, value_size_ - value.size());
}

void ColumnFixedString::truncate(std::size_t rows) noexcept {
  if (rows < size()) chars_.resize(rows * value_size_);
}

void ColumnFixedString::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  const auto& o = column_cast<ColumnFixedString>(other);
  const std::size_t old = chars_.size();
  chars_.resize(old + count * value_size_);  // before taking the source: `other` may be *this
  if (count) std::memcpy(chars_.data() + old, o.chars_.data() + begin * value_size_, count * value_size_);
}

void ColumnFixedString::save_body(wire::Writer& out) const { out.write(chars_.data(), chars_.size()); }

std::uint8_t* ColumnFixedString::append_raw(std::size_t rows) {
  const std::size_t old = chars_.size();
  chars_.resize(old + rows * value_size_);
  return reinterpret_cast<std::uint8_t*>(chars_.data() + old);
}

void ColumnFixedString::load_rows(wire::Reader& in, std::size_t rows) {
  detail::charge_values(in, rows, value_size_, "values");
  detail::read_values(in, chars_, rows, value_size_);
}

// ===== Nothing ====================================================================================

ColumnNothing::ColumnNothing() : ColumnNothing(Type::simple(TypeCode::Nothing)) {}
ColumnNothing::ColumnNothing(TypeRef type) : Column(checked_type(std::move(type), TypeCode::Nothing, class_name())) {}

void ColumnNothing::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  rows_ += count;
}

void ColumnNothing::save_body(wire::Writer& out) const {
  // The server writes '0' for each row and ignores the content when reading.
  if (rows_ > 0) std::memset(out.extend(rows_), '0', rows_);
}

void ColumnNothing::load_rows(wire::Reader& in, std::size_t rows) {
  // Nothing is allocated, so nothing is charged; the bytes skipped still count against the block's
  // budget as bytes read (wire::Reader::charge).
  in.skip(rows);
  rows_ += rows;
}

}  // namespace chconn
