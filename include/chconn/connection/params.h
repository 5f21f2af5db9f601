// Query parameters: values for `{name:Type}` placeholders in a query's text.
//
// Servers that bind parameters themselves (protocol revision 54459 and later) receive the values
// separately from the query. Older servers (18.16 among them) have no server-side parameters, so
// chconn substitutes each placeholder client-side with a literal of the placeholder's type: the
// value is checked against the type (a number must be a number of that width) or quoted and
// escaped, so that no value can change the structure of the query.
//
// Thread safety: a value type.
//
// Example:
//   conn.execute("SELECT * FROM events WHERE user = {user:String} AND day >= {from:Date}",
//                chconn::Params().set("user", name).set("from", "2024-01-01"));
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/sql.h"

namespace chconn {

struct Param {
  std::string name;
  std::string value;  // the value in ClickHouse's text form ("42", "2024-01-01", "[1,2]")
  bool is_null = false;

  friend bool operator==(const Param&, const Param&) = default;
};

class Params {
 public:
  Params() = default;

  // Sets a value given as text, as the server's text parsers read it (no quoting needed).
  Params& set(std::string name, std::string_view text);
  Params& set(std::string name, const char* text) { return set(std::move(name), std::string_view(text)); }
  Params& set(std::string name, const std::string& text) { return set(std::move(name), std::string_view(text)); }
  template <std::integral T>
  Params& set(std::string name, T value) {
    if constexpr (std::same_as<T, bool>) return set(std::move(name), std::string_view(value ? "1" : "0"));
    else return set(std::move(name), std::string_view(std::to_string(value)));
  }
  Params& set(std::string name, double value);
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
  std::vector<Param> items_;
};

// One `{name:Type}` placeholder found in a query's text.
struct Placeholder {
  std::string name;
  std::string type;     // as written, trimmed
  std::size_t offset;   // of the '{'
  std::size_t length;   // up to and including the '}'
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
