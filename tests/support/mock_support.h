// Helpers for tests of strategies, the factory and the client over MockConnections: a Logger that
// records what it is told, a condition spin-wait for multi-threaded tests, and small Result
// builders. Tests only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "chconn/connection/result.h"
#include "chconn/core/log.h"
#include "chconn/wire/block.h"
#include "chconn/wire/columns.h"

namespace chconn::test {

// A Logger whose messages can be inspected. Thread-safe.
class CapturingLog {
 public:
  CapturingLog()
      : logger_(std::make_shared<Logger>(
            [this](LogLevel level, std::string_view message) {
              std::lock_guard lock(mutex_);
              entries_.emplace_back(level, std::string(message));
            },
            LogLevel::trace)) {}

  std::shared_ptr<const Logger> logger() const { return logger_; }

  std::vector<std::string> messages(LogLevel level) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [l, m] : entries_) {
      if (l == level) out.push_back(m);
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<LogLevel, std::string>> entries_;
  std::shared_ptr<Logger> logger_;
};

// Spins (yielding) until `condition` holds. Not a timing assertion: the real-time guard only turns
// a hang into a failure.
inline bool wait_until(const std::function<bool()>& condition, std::chrono::seconds guard = std::chrono::seconds(60)) {
  const auto give_up = std::chrono::steady_clock::now() + guard;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) {
      ADD_FAILURE() << "condition not reached within the guard time";
      return false;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

// A one-column UInt64 block.
inline Block uint64_block(std::string name, std::vector<std::uint64_t> values) {
  auto column = std::make_shared<ColumnUInt64>();
  for (auto v : values) column->append(v);
  Block block;
  block.append(std::move(name), column);
  return block;
}

// A Result holding one UInt64 block (with its header).
inline Result uint64_result(std::string name, std::vector<std::uint64_t> values) {
  Result r;
  r.blocks.push_back(uint64_block(std::move(name), std::move(values)));
  auto header = std::make_shared<ColumnUInt64>();
  r.header.append(r.blocks.front().name(0), header);
  return r;
}

// The value at `row` of the first block's UInt64 column `name`.
inline std::uint64_t first_uint64(const Result& r, std::string_view name, std::size_t row = 0) {
  return r.blocks.at(0).column_as<ColumnUInt64>(name).at(row);
}

}  // namespace chconn::test
