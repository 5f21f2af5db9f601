// Query results: progress and profile figures, and Result, the collected answer of execute() with
// row access by column name (what a list of one dict per row gives in Python, without copying the
// columns).
//
// Thread safety: value types. A Result may be read from several threads at once.
//
// Lifetimes: rows(), row(i), a ResultRow and the std::string_view values it gives are views into
// the Result and must not outlive it. rows(), row(i) and value<std::string_view>() are deleted on a
// temporary Result, so that the commonest way to outlive it does not compile; value<T>() reads one
// owned value of a temporary.
//
// Example:
//   chconn::Result r = conn.execute("SELECT name, total FROM t");
//   for (const auto& row : r.rows())
//     std::cout << row.get<std::string_view>("name") << ' ' << row.get<std::uint64_t>("total") << '\n';
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "chconn/wire/block.h"
#include "chconn/wire/progress.h"
#include "chconn/wire/types.h"

namespace chconn {

// Progress of a query (the server sends increments; QueryOptions::on_progress also gets the
// running total) and the server's ProfileInfo, exactly as the wire layer decodes them.
using QueryProgress = wire::Progress;
using QueryProfile = wire::ProfileInfo;

class Result;

namespace detail {

template <class T>
struct SysTime : std::false_type {};
template <class Rep, class Period>
struct SysTime<std::chrono::time_point<std::chrono::system_clock, std::chrono::duration<Rep, Period>>>
    : std::bool_constant<StandardInteger<Rep> && (Period::num > 0)> {};

template <class T>
struct Duration : std::false_type {};
template <class Rep, class Period>
struct Duration<std::chrono::duration<Rep, Period>> : std::bool_constant<StandardInteger<Rep> && (Period::num > 0)> {};

template <class T>
struct Optional : std::false_type {};
template <class T>
struct Optional<std::optional<T>> : std::true_type {};

template <class T>
concept PlainResultValue = StandardInteger<T> || SysTime<T>::value || Duration<T>::value ||
    OneOf<T, bool, float, double, std::string, std::string_view, Int128, UInt128, Int256, UInt256, Decimal, UUID, IPv4,
          IPv6>;

}  // namespace detail

// A type that ResultRow::get<T>() can read; anything else does not compile, naming this concept.
//
//   bool, the standard integer types  integer columns, Bool, Enum values, Date/DateTime counts,
//                                     IPv4 as its number (checked for range: a value that does
//                                     not fit throws)
//   Int128, UInt128, Int256, UInt256  the same, and the wide integer columns
//   float, double                     Float32/Float64, BFloat16 (exact), integers, and Decimal
//                                     (the nearest value, so approximate)
//   std::string, std::string_view     String, FixedString (with its padding), Enum names
//   Decimal                           Decimal32/64/128/256, exact
//   UUID, IPv4, IPv6                  columns of those types
//   std::chrono::sys_time<D>, any D   Date, Date32, DateTime, DateTime64, converted exactly: D's
//     with a standard integer rep     rep must hold the count, and a value D cannot hold exactly
//     (sys_days, sys_seconds...)      throws rather than being truncated (a DateTime64(3) value with
//                                     milliseconds read as sys_seconds; a DateTime read as sys_days
//                                     unless at midnight UTC)
//   std::chrono::duration<Rep, P>     Time, Time64, converted exactly as above (a Time64(3) value
//     with a standard integer rep     with milliseconds read as std::chrono::seconds throws):
//     (seconds, milliseconds...)      std::chrono::seconds for Time, milliseconds for Time64(3)...
//   std::optional<T> of these         Nullable columns (nullopt for NULL)
//
// LowCardinality is looked through. char is not a ResultValue (see detail::StandardInteger in
// chconn/wire/types.h): read Int8/UInt8 as std::int8_t/std::uint8_t.
template <class T>
concept ResultValue = detail::PlainResultValue<T> ||
    (detail::Optional<T>::value&& detail::PlainResultValue<typename T::value_type>);

// One row of a Result: typed access to its values by column name or index.
//
// Lifetime: a ResultRow is a view into its Result's blocks and must not outlive the Result; so is
// a std::string_view it returns.
class ResultRow {
 public:
  ResultRow(const Block& block, std::size_t row) noexcept : block_(&block), row_(row) {}

  // The value of column `name` (or index) as T, one of the types of ResultValue above. A NULL read
  // as a non-optional T, an unknown column, a T that does not fit the column's type, or a value
  // that does not fit T (out of range, or a time finer than T's duration) throws Error(usage)
  // naming the column and both types.
  template <ResultValue T>
  T get(std::string_view name) const {
    return get<T>(column_index(name));
  }
  template <ResultValue T>
  T get(std::size_t column) const {
    if constexpr (detail::Optional<T>::value) {
      typename T::value_type value{};
      if (!read(column, value, true)) return std::nullopt;
      return value;
    } else {
      T value{};
      read(column, value, false);
      return value;
    }
  }

  bool is_null(std::string_view name) const;

  const Block& block() const noexcept { return *block_; }
  std::size_t index_in_block() const noexcept { return row_; }

 private:
  std::size_t column_index(std::string_view name) const;

  // One overload per ResultValue: reads the cell into `out`; false for a NULL when `optional`,
  // Error(usage) for a NULL otherwise. Overloads by reference, so no argument is ever converted.
  bool read(std::size_t column, bool& out, bool optional) const;
  bool read(std::size_t column, signed char& out, bool optional) const;
  bool read(std::size_t column, short& out, bool optional) const;
  bool read(std::size_t column, int& out, bool optional) const;
  bool read(std::size_t column, long& out, bool optional) const;
  bool read(std::size_t column, long long& out, bool optional) const;
  bool read(std::size_t column, unsigned char& out, bool optional) const;
  bool read(std::size_t column, unsigned short& out, bool optional) const;
  bool read(std::size_t column, unsigned& out, bool optional) const;
  bool read(std::size_t column, unsigned long& out, bool optional) const;
  bool read(std::size_t column, unsigned long long& out, bool optional) const;
  bool read(std::size_t column, Int128& out, bool optional) const;
  bool read(std::size_t column, UInt128& out, bool optional) const;
  bool read(std::size_t column, Int256& out, bool optional) const;
  bool read(std::size_t column, UInt256& out, bool optional) const;
  bool read(std::size_t column, float& out, bool optional) const;
  bool read(std::size_t column, double& out, bool optional) const;
  bool read(std::size_t column, std::string& out, bool optional) const;
  bool read(std::size_t column, std::string_view& out, bool optional) const;
  bool read(std::size_t column, Decimal& out, bool optional) const;
  bool read(std::size_t column, UUID& out, bool optional) const;
  bool read(std::size_t column, IPv4& out, bool optional) const;
  bool read(std::size_t column, IPv6& out, bool optional) const;
  template <class Rep, class Period>
  bool read(std::size_t column, std::chrono::sys_time<std::chrono::duration<Rep, Period>>& out, bool optional) const {
    using D = std::chrono::duration<Rep, Period>;
    const std::optional<Int128> count =
        read_time(column, optional, Period::num, Period::den, std::numeric_limits<Rep>::min(),
                  std::numeric_limits<Rep>::max(), std::numeric_limits<Rep>::is_signed, sizeof(Rep));
    if (!count) return false;
    out = std::chrono::sys_time<D>(D(static_cast<Rep>(*count)));
    return true;
  }
  template <class Rep, class Period>
  bool read(std::size_t column, std::chrono::duration<Rep, Period>& out, bool optional) const {
    using D = std::chrono::duration<Rep, Period>;
    const std::optional<Int128> count =
        read_duration(column, optional, Period::num, Period::den, std::numeric_limits<Rep>::min(),
                      std::numeric_limits<Rep>::max(), std::numeric_limits<Rep>::is_signed, sizeof(Rep));
    if (!count) return false;
    out = D(static_cast<Rep>(*count));
    return true;
  }
  // The cell's time (Time, Time64) as an exact count of num/den seconds, as read_time below.
  std::optional<Int128> read_duration(std::size_t column, bool optional, std::intmax_t num, std::intmax_t den,
                                      Int128 min, Int128 max, bool rep_signed, std::size_t rep_size) const;
  // The cell's instant as an exact count of num/den seconds within [min, max]; nullopt for a NULL
  // when `optional`. (The rep's signedness and size only name it in messages.)
  std::optional<Int128> read_time(std::size_t column, bool optional, std::intmax_t num, std::intmax_t den, Int128 min,
                                  Int128 max, bool rep_signed, std::size_t rep_size) const;

  const Block* block_;
  std::size_t row_;
};

class Result {
 public:
  // Column names and types (0 rows). Present even when no row was returned.
  Block header;
  // The data blocks as they arrived (empty for select(), which streams them).
  std::vector<Block> blocks;
  std::optional<Block> totals;
  std::optional<Block> extremes;
  QueryProgress progress;               // sum of all Progress packets
  std::optional<QueryProfile> profile;  // when the server sent ProfileInfo
  std::string query_id;

  std::size_t row_count() const noexcept;
  std::size_t column_count() const noexcept { return header.column_count(); }
  // Index of column `name` in the header; throws Error(usage) listing the columns if absent.
  std::size_t column_index(std::string_view name) const;

  // Row i (0-based, across blocks). Throws Error(usage) if out of range. The row is a view into
  // this Result, so there is none of a temporary Result (name the Result first).
  ResultRow row(std::size_t i) const&;
  ResultRow row(std::size_t i) const&& = delete;

  // Iteration over all rows in order.
  class RowIterator {
   public:
    using value_type = ResultRow;
    using difference_type = std::ptrdiff_t;
    RowIterator() = default;
    RowIterator(const Result* result, std::size_t block, std::size_t row) : result_(result), block_(block), row_(row) {
      skip_empty();
    }
    ResultRow operator*() const { return ResultRow(result_->blocks[block_], row_); }
    RowIterator& operator++() {
      ++row_;
      skip_empty();
      return *this;
    }
    RowIterator operator++(int) {
      auto copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const RowIterator& a, const RowIterator& b) noexcept {
      return a.block_ == b.block_ && a.row_ == b.row_;
    }

   private:
    void skip_empty() {
      while (result_ && block_ < result_->blocks.size() && row_ >= result_->blocks[block_].rows()) {
        ++block_;
        row_ = 0;
      }
    }
    const Result* result_ = nullptr;
    std::size_t block_ = 0;
    std::size_t row_ = 0;
  };
  struct RowRange {
    const Result* result;
    RowIterator begin() const { return RowIterator(result, 0, 0); }
    RowIterator end() const { return RowIterator(result, result->blocks.size(), 0); }
  };
  // The value of column `name` in row `index` as T: row(index).get<T>(name) in one call, which is
  // also the way to read a value of a temporary Result:
  //   auto n = conn.execute("SELECT count() AS n FROM t").value<std::uint64_t>("n");
  // On a temporary, T must own its value (std::string, not std::string_view).
  template <ResultValue T>
  T value(std::string_view name, std::size_t index = 0) const& {
    return row(index).template get<T>(name);
  }
  template <ResultValue T>
  T value(std::string_view name, std::size_t index = 0) const&& {
    return static_cast<const Result&>(*this).row(index).template get<T>(name);
  }
  template <ResultValue T>
  requires detail::OneOf<T, std::string_view, std::optional<std::string_view>> T value(std::string_view name,
                                                                                       std::size_t index = 0)
  const&& = delete;

  // A view of the rows. Deleted on a temporary Result: `for (auto& row : conn.execute(sql).rows())`
  // would iterate over a Result destroyed before the loop's first iteration.
  RowRange rows() const& noexcept { return RowRange{this}; }
  RowRange rows() const&& = delete;
};

}  // namespace chconn
