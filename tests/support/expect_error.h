// Error expectations shared by the tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <string>

#include "chconn/core/error.h"

namespace chconn::test {

// Runs `f`, expecting it to throw a chconn::Error, and returns that error for the caller's checks.
// When nothing is thrown it records a failure and returns an error of kind usage saying so.
inline Error thrown_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no chconn::Error was thrown";
  return Error(ErrorKind::usage, "test: no chconn::Error was thrown");
}

// Runs `f`, expecting a chconn::Error of `kind` whose message contains every one of `parts`.
// Returns the error's message.
inline std::string expect_error(ErrorKind kind, const std::function<void()>& f,
                                std::initializer_list<std::string> parts = {}) {
  const Error e = thrown_error(f);
  EXPECT_EQ(e.kind(), kind) << e.what();
  for (const std::string& part : parts) EXPECT_NE(e.message().find(part), std::string::npos) << e.what();
  return e.message();
}

// The timeout a message reports ("... timed out after 250 ms"), in milliseconds; -1 if none. It is
// measured when the call starts, so it may be a little under what the test configured.
inline long reported_ms(const std::string& message) {
  const std::string key = "timed out after ";
  const auto at = message.find(key);
  if (at == std::string::npos) return -1;
  std::size_t used = 0;
  const long n = std::stol(message.substr(at + key.size()), &used);
  const bool seconds = message.compare(at + key.size() + used, 3, " ms") != 0;
  return seconds ? n * 1000 : n;
}

// Checks that `message` reports a timeout between half of `configured` and `configured`.
inline void expect_reported(const std::string& message, std::chrono::milliseconds configured) {
  const long ms = reported_ms(message);
  EXPECT_LE(ms, configured.count()) << message;
  EXPECT_GE(ms, configured.count() / 2) << message;
}

}  // namespace chconn::test
