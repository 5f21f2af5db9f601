// Small text helpers for strategy messages (internal to the strategy layer).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace chconn::detail {

// A duration for humans: "0 ms", "250 ms", "1.5 s", "300 s".
inline std::string format_duration(std::chrono::nanoseconds d) {
  using namespace std::chrono;
  if (d < nanoseconds::zero()) d = nanoseconds::zero();
  char buf[48];
  if (d < seconds(1)) {
    std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(duration_cast<milliseconds>(d).count()));
  } else if (d < seconds(100)) {
    std::snprintf(buf, sizeof buf, "%.1f s", duration<double>(d).count());
  } else {
    std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(duration_cast<seconds>(d).count()));
  }
  return buf;
}

}  // namespace chconn::detail
