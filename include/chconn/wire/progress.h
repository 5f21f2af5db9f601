// What the server reports about a running query: Progress packets (rows and bytes read and
// written so far) and the ProfileInfo packet (rows, blocks and bytes of the result, and whether a
// LIMIT applied). Fields marked "R >= N" are sent only at protocol revision N and later
// (docs/protocol.md); at lower revisions they stay 0.
//
// Thread safety: plain values.
#pragma once

#include <cstdint>

namespace chconn::wire {

struct Progress {
  std::uint64_t read_rows = 0;
  std::uint64_t read_bytes = 0;
  std::uint64_t total_rows_to_read = 0;   // R >= 51554
  std::uint64_t total_bytes_to_read = 0;  // R >= 54463
  std::uint64_t written_rows = 0;         // R >= 54420
  std::uint64_t written_bytes = 0;        // R >= 54420
  std::uint64_t elapsed_ns = 0;           // R >= 54460

  Progress& operator+=(const Progress& delta) noexcept;
  friend bool operator==(const Progress&, const Progress&) = default;
};

struct ProfileInfo {
  std::uint64_t rows = 0;
  std::uint64_t blocks = 0;
  std::uint64_t bytes = 0;
  bool applied_limit = false;
  std::uint64_t rows_before_limit = 0;
  bool calculated_rows_before_limit = false;
  bool applied_aggregation = false;           // R >= 54469
  std::uint64_t rows_before_aggregation = 0;  // R >= 54469

  friend bool operator==(const ProfileInfo&, const ProfileInfo&) = default;
};

}  // namespace chconn::wire
