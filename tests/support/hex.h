// Bytes written as hex, both ways, for golden-byte tests and messages: unhex("01 00 ff") reads
// digits of either case and skips everything else (spaces, '|'); an odd number of digits is a test
// failure. hex(bytes) writes two lower-case digits per byte, separated by spaces. The digits
// themselves come from the library's one rule (core/strings.h).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"

namespace chconn::test {

inline std::string unhex(std::string_view text) {
  std::string out;
  int high = -1;
  for (const char c : text) {
    const int v = detail::hex_value(c);
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high * 16 + v));
      high = -1;
    }
  }
  EXPECT_EQ(high, -1) << "odd number of hex digits in " << text;
  return out;
}

inline std::vector<std::uint8_t> unhex_bytes(std::string_view text) {
  const std::string bytes = unhex(text);
  return {bytes.begin(), bytes.end()};
}

inline std::string hex(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) {
    if (!out.empty()) out.push_back(' ');
    detail::append_hex_byte(out, static_cast<unsigned char>(c));
  }
  return out;
}

}  // namespace chconn::test
