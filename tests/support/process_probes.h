// What a test can read about its own process: open descriptors, resident memory, and whether it
// runs under AddressSanitizer (whose quarantine keeps freed memory resident, and which owns
// operator new) or ThreadSanitizer (whose shadow memory grows with every page written).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#define CHCONN_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CHCONN_TEST_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define CHCONN_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CHCONN_TEST_TSAN 1
#endif
#endif

namespace chconn::test {

#ifdef CHCONN_TEST_ASAN
inline constexpr bool k_address_sanitizer = true;
#else
inline constexpr bool k_address_sanitizer = false;
#endif

#ifdef CHCONN_TEST_TSAN
inline constexpr bool k_thread_sanitizer = true;
#else
inline constexpr bool k_thread_sanitizer = false;
#endif

// Whether the growth of the peak RSS measures the code under test. ThreadSanitizer maps shadow
// memory for every application page written (about four times the page, plus metadata), so a
// decode that touches 20 MiB shows as 100 MiB there: peak-RSS bounds are asserted in the other
// builds (release, and ASan for peaks; ASan's quarantine is why steady-state RSS is not).
inline constexpr bool k_peak_rss_measures_the_code = !k_thread_sanitizer;

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

// A "Key:   N kB" field of /proc/self/status, in KiB (0 if absent).
inline std::size_t status_kib(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) == 0) return std::strtoull(line.c_str() + prefix.size(), nullptr, 10);
  }
  return 0;
}

// Resets the peak RSS (VmHWM) to the current RSS through /proc/self/clear_refs (Linux >= 4.0).
// Returns false where that is refused; peak_rss_bytes() then reports the peak since the start.
inline bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

// The peak RSS since the process started or reset_peak_rss() last succeeded, in bytes.
inline std::size_t peak_rss_bytes() { return status_kib("VmHWM") * 1024; }

}  // namespace chconn::test
