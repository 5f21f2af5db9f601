// Bytes written as hex for golden-byte tests: hex("01 00 ff") — digits in either case, anything
// else (spaces, separators) skipped; an odd number of digits is a test failure.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace chconn::test {

inline std::vector<std::uint8_t> hex(std::string_view h) {
  std::vector<std::uint8_t> out;
  int nibble = -1;
  for (const char c : h) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(nibble * 16 + v));
      nibble = -1;
    }
  }
  EXPECT_EQ(nibble, -1) << "odd number of hex digits in " << h;
  return out;
}

}  // namespace chconn::test
