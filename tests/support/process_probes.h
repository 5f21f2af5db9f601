// What a test can read about its own process: open descriptors, resident memory, and whether it
// runs under AddressSanitizer (whose quarantine keeps freed memory resident, and which owns
// operator new).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <fstream>

#if defined(__SANITIZE_ADDRESS__)
#define CHCONN_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHCONN_TEST_ASAN 1
#endif
#endif

namespace chconn::test {

#ifdef CHCONN_TEST_ASAN
inline constexpr bool k_address_sanitizer = true;
#else
inline constexpr bool k_address_sanitizer = false;
#endif

// Descriptors open in this process (the /proc/self/fd entries, the iterator's own included).
inline std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Resident set size now, in bytes.
inline std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace chconn::test
