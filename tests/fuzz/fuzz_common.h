// Shared pieces of the libFuzzer targets: reading the mode byte and other fields from the input,
// the decode limits and chunk sizes a mode selects, the rule that only chconn::Error may escape a
// decoder, and the properties every decoded Block must have.
//
// Contract of every target: feeding it any bytes either decodes them or throws chconn::Error. Any
// other exception, a sanitizer report, a timeout or an allocation beyond -malloc_limit_mb is a bug.
// Properties that a successful decode must satisfy (round trips) abort() with a message when they
// do not hold, so libFuzzer records the input as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/block.h"
#include "chconn/wire/io.h"

namespace chconn::fuzz {

using Bytes = std::vector<std::uint8_t>;

// Reports a broken property and aborts, so libFuzzer saves the input.
[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "\n*** fuzz property violated: %.*s\n", static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  std::abort();
}

// CHCONN_FUZZ_VERBOSE=1 prints why each input was rejected: to check that seeds really decode
// (`fuzz_block corpus/block/*` should print nothing for recorded blocks).
inline bool verbose() {
  static const bool on = [] {
    const char* v = std::getenv("CHCONN_FUZZ_VERBOSE");
    return v != nullptr && *v != '\0' && *v != '0';
  }();
  return on;
}

// Runs `decode`; a chconn::Error (accepted by `allowed`) is the decoder rejecting bad input and is
// fine. Any other exception is a bug: it is reported with its message before aborting (letting it
// escape would only say "uncaught exception").
template <class F, class Allowed>
void expect_only_chconn_errors(F&& decode, Allowed&& allowed) {
  try {
    decode();
  } catch (const Error& e) {
    if (!allowed(e)) fail(std::string("unexpected chconn::Error: ") + e.what());
    if (verbose()) std::fprintf(stderr, "rejected: %s\n", e.what());
  } catch (const std::exception& e) {
    fail(std::string("exception other than chconn::Error: ") + typeid(e).name() + ": " + e.what());
  } catch (...) {
    fail("exception of unknown type");
  }
}

template <class F>
void expect_only_chconn_errors(F&& decode) {
  expect_only_chconn_errors(std::forward<F>(decode), [](const Error&) { return true; });
}

// The decoders report malformed input as Error(protocol) (packets.h, block.h, compression.h); any
// other kind from them (usage: a broken invariant) is a bug too.
inline bool is_protocol_error(const Error& e) { return e.kind() == ErrorKind::protocol; }

// Consumes fields from the front of the input; reading past the end yields zeros / empty.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // Bytes up to (not including) `delimiter`, which is consumed; the rest if there is none.
  std::string_view until(char delimiter) {
    std::size_t end = pos_;
    while (end < size_ && data_[end] != static_cast<std::uint8_t>(delimiter)) ++end;
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), end - pos_);
    pos_ = end < size_ ? end + 1 : end;
    return s;
  }
  // Unsigned LEB128 (at most 10 bytes; a truncated one ends with what it has).
  std::uint64_t uvarint() {
    std::uint64_t v = 0;
    for (int i = 0; i < 10 && pos_ < size_; ++i) {
      const std::uint8_t b = data_[pos_++];
      v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) break;
    }
    return v;
  }
  std::span<const std::uint8_t> rest() {
    auto s = std::span<const std::uint8_t>(data_ + pos_, size_ - pos_);
    pos_ = size_;
    return s;
  }
  std::size_t remaining() const noexcept { return size_ - pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// The default limits, or tight ones that make every limit check reachable with small inputs
// (exception texts shorter than any real message, for one).
inline wire::DecodeLimits limits_for(bool tight) {
  if (!tight) return {};
  return wire::DecodeLimits{
      .max_string_bytes = 300,
      .max_block_rows = 1000,
      .max_block_columns = 16,
      .max_array_elements = 2000,
      .max_block_bytes = 64 * 1024,
      .max_type_name_bytes = 200,
      .max_block_type_name_bytes = 600,
      .max_type_depth = 5,
      .max_frame_bytes = 64 * 1024,
      .max_exception_depth = 3,
      .max_exception_message_bytes = 40,
      .max_exception_stack_trace_bytes = 60,
      .max_exception_chain_bytes = 150,
  };
}

// Tight limits with a block budget of 4 KiB and 64 bytes of type names per block, but up to 65,536
// rows and array elements, a mode of its own: most blocks with data exceed the budget, so every
// check of it — a charge, the type names of a block, the bytes a block is read from (a Nothing
// column's skipped rows) — is reached by small inputs, while the tight mode still decodes small
// blocks whole.
inline wire::DecodeLimits tiny_block_limits() {
  wire::DecodeLimits limits = limits_for(true);
  limits.max_block_bytes = 4096;
  limits.max_block_type_name_bytes = 64;
  limits.max_block_rows = std::uint64_t{1} << 16;
  limits.max_array_elements = std::uint64_t{1} << 16;
  return limits;
}

// The chunk size a 2-bit selector picks for MemorySource: whole buffer, byte by byte (every value
// cut at every point), an odd size, and a network-like size.
inline std::size_t chunk_for(unsigned selector) {
  switch (selector & 3) {
    case 0: return SIZE_MAX;
    case 1: return 1;
    case 2: return 7;
    default: return 4096;
  }
}

// The properties of a decoded block (implemented in fuzz_common.cpp):
//  * its columns are equally long (read_block must never build anything else);
//  * it re-encodes without error, and encode(decode(encode(b))) == encode(b) — the encoding of a
//    decoded block is a fixed point (the first encoding may differ from the input: LowCardinality
//    flags, Nothing bytes, BlockInfo order and over-long varints are normalised);
//  * every value formats as text in every output format without anything but chconn::Error.
void check_block(const Block& block, std::uint64_t revision);

}  // namespace chconn::fuzz
