// The scalar text of one value (the escapers, floats) and FormatOptions by server version; see
// chconn/format/text.h. Dates and the column writers are in value_writer.h's files.
#include "chconn/format/text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <memory>
#include <string>

#include "core/strings.h"
#include "format/timezone.h"
#include "format/value_writer.h"

namespace chconn::text {

// ===== Scalars ====================================================================================

void append_escaped(std::string& out, std::string_view s) { chconn::detail::append_server_escaped(out, s, '\''); }

void append_quoted(std::string& out, std::string_view s) {
  out += '\'';
  append_escaped(out, s);
  out += '\'';
}

void append_csv_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '"') continue;
    out.append(s.data() + run, i + 1 - run);
    out += '"';
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json_string(std::string& out, std::string_view s, bool escape_forward_slashes) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\\': out += "\\\\"; continue;
      case '"': out += "\\\""; continue;
      case '/': out += escape_forward_slashes ? "\\/" : "/"; continue;
      default: break;
    }
    if (c < 0x20) {
      out += "\\u00";
      chconn::detail::append_hex_byte(out, c, true);
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      // U+2028 and U+2029 end lines in JavaScript; ClickHouse escapes them for that reason.
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void append_xml_escaped(std::string& out, std::string_view s) {
  // As 18.16's writeXMLString: only '<' and '&' (and nothing else) get an entity.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '<' && s[i] != '&') continue;
    out.append(s.data() + run, i - run);
    out += s[i] == '<' ? "&lt;" : "&amp;";
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

namespace {

// Lays out the shortest digits of a float as ClickHouse (double-conversion's ToShortest with
// decimal_in_shortest_low = -6, high = 21) does: fixed notation for decimal exponents in [-6, 21),
// else d.ddde[-]x without a '+'.
template <class T>
void append_float_impl(std::string& out, T value) {
  if (std::isnan(value)) {
    out += "nan";
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-inf" : "inf";
    return;
  }
  std::array<char, 64> buf{};
  // Scientific form gives the shortest round-trip digits and the exponent in one parseable shape:
  // [-]d[.ddd]e[+-]xx.
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  if (ec != std::errc()) {
    out += "nan";  // cannot happen with 64 bytes
    return;
  }
  std::string_view text(buf.data(), static_cast<std::size_t>(end - buf.data()));
  const bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  const std::size_t e_pos = text.find('e');
  std::string_view mantissa = text.substr(0, e_pos);
  int exponent = 0;
  std::from_chars(text.data() + e_pos + 1 + (text[e_pos + 1] == '+' ? 1 : 0), text.data() + text.size(), exponent);
  std::array<char, 32> digits{};
  std::size_t n = 0;
  for (char c : mantissa) {
    if (c != '.') digits[n++] = c;
  }
  while (n > 1 && digits[n - 1] == '0') --n;  // to_chars gives none, but keep the invariant explicit

  if (negative) out += '-';
  if (exponent >= -6 && exponent < 21) {
    if (exponent >= 0) {
      const auto int_digits = static_cast<std::size_t>(exponent) + 1;
      if (n <= int_digits) {
        out.append(digits.data(), n);
        out.append(int_digits - n, '0');
      } else {
        out.append(digits.data(), int_digits);
        out += '.';
        out.append(digits.data() + int_digits, n - int_digits);
      }
    } else {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out.append(digits.data(), n);
    }
    return;
  }
  out += digits[0];
  if (n > 1) {
    out += '.';
    out.append(digits.data() + 1, n - 1);
  }
  out += 'e';
  char exp_buf[8];
  const auto [exp_end, exp_ec] = std::to_chars(exp_buf, exp_buf + sizeof exp_buf, exponent);
  (void)exp_ec;
  out.append(exp_buf, exp_end);
}

}  // namespace

void append_float(std::string& out, double value) { append_float_impl(out, value); }
void append_float(std::string& out, float value) { append_float_impl(out, value); }
std::shared_ptr<TimeZones> make_time_zones(std::string directory) {
  return std::make_shared<TimeZones>(std::move(directory));
}

FormatOptions options_for_server(std::uint64_t major, std::uint64_t minor, std::string server_time_zone) {
  // Version 0 is a server that did not say: taken for a current one.
  const auto before = [&](std::uint64_t m, std::uint64_t n) {
    return major != 0 && (major < m || (major == m && minor < n));
  };
  FormatOptions options;
  options.server_time_zone = server_time_zone.empty() ? "UTC" : std::move(server_time_zone);
  options.legacy_dates = before(21, 1);
  options.pretty_align_uuid_right = before(21, 1);
  options.decimal_trailing_zeros = before(21, 9);
  options.json_quote_64bit_integers = before(25, 8);
  options.json_named_tuples_as_objects = !before(22, 6);
  return options;
}

}  // namespace chconn::text
