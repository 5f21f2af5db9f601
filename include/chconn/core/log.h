// The logging hook. chconn never writes to stdout or stderr by itself: it logs through a Logger
// the user passes in Config (Config::logger). Without one it is silent.
//
// Messages never contain passwords. Thread safety: a Logger's sink is called from whichever thread
// logs, possibly several at once; the sink must be thread-safe.
//
// Example:
//   config.logger = std::make_shared<chconn::Logger>(
//       [](chconn::LogLevel level, std::string_view msg) { std::clog << msg << '\n'; },
//       chconn::LogLevel::info);
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace chconn {

enum class LogLevel : std::uint8_t { trace, debug, info, warning, error, off };

std::string_view to_string(LogLevel level) noexcept;

using LogSink = std::function<void(LogLevel, std::string_view)>;

class Logger {
 public:
  explicit Logger(LogSink sink, LogLevel min_level = LogLevel::info) : sink_(std::move(sink)), min_level_(min_level) {}

  bool enabled(LogLevel level) const noexcept { return sink_ && level >= min_level_ && level != LogLevel::off; }
  void log(LogLevel level, std::string_view message) const {
    if (enabled(level)) sink_(level, message);
  }

 private:
  LogSink sink_;
  LogLevel min_level_;
};

// Logs through `logger` if it is set and enabled for `level`; does nothing otherwise.
inline void log(const Logger* logger, LogLevel level, std::string_view message) {
  if (logger) logger->log(level, message);
}

}  // namespace chconn
