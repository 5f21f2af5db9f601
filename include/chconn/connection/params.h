// Query parameters: values for `{name:Type}` placeholders in a query's text.
//
// Servers that bind parameters themselves (protocol revision 54459 and later) receive the values
// separately from the query. Older servers (18.16 among them) have no server-side parameters, so
// chconn substitutes each placeholder client-side with a literal of the placeholder's type: the
// value is checked against the type (a number must be a number of that width) or quoted and
// escaped, so that no value can change the structure of the query.
//
// Values are given as text, or as the C++ values ResultRow::get<T>() reads (chconn::ResultValue):
// integers of every width, double, Decimal, UUID, IPv4, IPv6, std::chrono::sys_days (a date),
// sys_seconds and sys_time<D> (an instant in UTC), and std::optional of those (nullopt is NULL).
// Each becomes the text the server's parsers read, through the same literal writer and checks.
//
// Thread safety: a value type.
//
// Example:
//   using namespace std::chrono;
//   conn.execute("SELECT * FROM events WHERE user = {user:String} AND day >= {from:Date}",
//                chconn::Params().set("user", name).set("from", sys_days(2024y / January / 1)));
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <ratio>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/sql.h"
#include "chconn/wire/types.h"

namespace chconn {

struct Param {
  std::string name;
  std::string value;  // the value in ClickHouse's text form ("42", "2024-01-01", "[1,2]")
  bool is_null = false;
  // The ClickHouse type whose text `value` is, where the text alone would be read otherwise:
  // "DateTime('UTC')" or "DateTime64(p, 'UTC')" for a time point, whose text is in UTC while the
  // server reads a bare date-time in its own time zone. Empty for all other values.
  std::string text_type;

  friend bool operator==(const Param&, const Param&) = default;
};

class Params {
 public:
  Params() = default;

  // Sets a value given as text, as the server's text parsers read it (no quoting needed).
  Params& set(std::string name, std::string_view text);
  Params& set(std::string name, const char* text) { return set(std::move(name), std::string_view(text)); }
  Params& set(std::string name, const std::string& text) { return set(std::move(name), std::string_view(text)); }
  // Integers in decimal, bool as 1 or 0 (char is not a number here; see detail::StandardInteger).
  template <class T>
  requires(detail::StandardInteger<T> || std::same_as<T, bool>) Params& set(std::string name, T value) {
    if constexpr (std::same_as<T, bool>)
      return set(std::move(name), std::string_view(value ? "1" : "0"));
    else
      return set(std::move(name), std::string_view(std::to_string(value)));
  }
  Params& set(std::string name, Int128 value);
  Params& set(std::string name, UInt128 value);
  Params& set(std::string name, const Int256& value);
  Params& set(std::string name, const UInt256& value);
  // The shortest text that reads back as the same double; inf, -inf and nan as the server spells them.
  Params& set(std::string name, double value);
  Params& set(std::string name, const Decimal& value);  // exact: "-1.50"
  Params& set(std::string name, const UUID& value);
  Params& set(std::string name, IPv4 value);
  Params& set(std::string name, const IPv6& value);
  // A date as YYYY-MM-DD (for Date and Date32 placeholders, or any type the server casts a date to).
  // Throws Error(usage) outside the years 0000-9999.
  Params& set(std::string name, std::chrono::sys_days day);
  // An instant: the UTC date-time text with as many fractional digits as D has (none for seconds
  // or coarser, 3 for milliseconds...), marked as UTC (Param::text_type) so that the literal is
  // CAST(toDateTime('2024-02-29 12:00:00', 'UTC') AS T) for a placeholder of type T: the same
  // instant whatever the server's or T's time zone. D is a whole number of seconds or 1/10^k of one
  // (k <= 9, DateTime64's precisions). Throws Error(usage) outside the years 0000-9999. A
  // connection whose server binds parameters itself substitutes such values client-side, as it
  // could not say which time zone their text is in.
  template <class Rep, class Period>
  requires detail::StandardInteger<Rep> &&
      ((Period::den == 1 && Period::num > 0) ||
       (Period::num == 1 && (Period::den == 10 || Period::den == 100 || Period::den == 1000 || Period::den == 10'000 ||
                             Period::den == 100'000 || Period::den == 1'000'000 || Period::den == 10'000'000 ||
                             Period::den == 100'000'000 || Period::den == 1'000'000'000)))
          Params& set(std::string name, std::chrono::sys_time<std::chrono::duration<Rep, Period>> time) {
    const Int128 count = time.time_since_epoch().count();
    if constexpr (Period::den == 1)
      return set_time(std::move(name), count * Period::num, 0);
    else {
      std::uint32_t digits = 0;
      for (std::intmax_t d = Period::den; d > 1; d /= 10) ++digits;
      return set_time(std::move(name), count, digits);
    }
  }
  // nullopt is NULL, as set_null(name).
  template <class T>
  Params& set(std::string name, const std::optional<T>& value) {
    if (!value) return set_null(std::move(name));
    return set(std::move(name), *value);
  }
  Params& set_null(std::string name);

  // Adds every value of `more`. A name already set here is Error(usage) ("given twice"): the
  // overloads that take params next to QueryOptions add them to QueryOptions::params this way, so
  // a value is never silently replaced by another.
  Params& add(const Params& more);

  const Param* find(std::string_view name) const noexcept;
  bool empty() const noexcept { return items_.empty(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }
  std::size_t size() const noexcept { return items_.size(); }

  friend bool operator==(const Params&, const Params&) = default;

 private:
  // An instant of `ticks` 10^-digits seconds since the epoch, as UTC text of `digits` decimals.
  Params& set_time(std::string name, Int128 ticks, std::uint32_t digits);
  Params& set_typed(std::string name, std::string text, std::string text_type);

  std::vector<Param> items_;
};

// One `{name:Type}` placeholder found in a query's text.
struct Placeholder {
  std::string name;
  std::string type;    // as written, trimmed
  std::size_t offset;  // of the '{'
  std::size_t length;  // up to and including the '}'
};

// Finds the placeholders of `sql`, skipping string literals, quoted identifiers, comments and
// heredocs (with the one SQL lexer, chconn/core/sql.h), and the data of an INSERT ... FORMAT.
// Throws Error(usage) on a malformed placeholder ("{name}" without a type, an unclosed '{').
std::vector<Placeholder> find_placeholders(std::string_view sql);

// Checks that every placeholder of `sql` has a value in `params` and every value a placeholder;
// throws Error(usage) naming the first that does not. The check every query runs before it is
// sent, whoever binds the values.
void check_params(std::string_view sql, const Params& params);

// Replaces every placeholder of `sql` with a literal of its type built from `params`. Throws
// Error(usage) naming the parameter when one is missing, when its value is not valid for its
// type, or when it stands where its literal would join the text around it; parameters that no
// placeholder uses are an error too (a misspelt name would be silent). The result has exactly the
// template's tokens, each placeholder's replaced by its literal's.
std::string substitute_params(std::string_view sql, const Params& params);

// The SQL escapers live with the lexer; these names are kept for code written against them.
using sql::quote_identifier;
using sql::quote_string;

}  // namespace chconn
