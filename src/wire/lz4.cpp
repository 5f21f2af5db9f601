// The LZ4 block decoder (lz4.h). The format: a sequence is a token byte (literal length in the high
// nibble, match length - 4 in the low one, 15 meaning "more length bytes follow, each added, until one
// is not 255"), the literals, a little-endian 16-bit match offset and the match. The last sequence is
// literals only.
//
// Which blocks are accepted follows liblz4 1.9.4 (lz4.c, LZ4_decompress_generic) rule for rule,
// because a block one decoder refuses and the other reads would make the two disagree on what the
// server sent. liblz4 has a fast mode (64 bytes or more of output left) and a safe mode with
// different tests, but they accept the same sequences, which come down to these rules:
// - short literals (under 15) with more than 16 bytes of input and 32 of output left need no test;
// - other literals that come within 12 bytes of the output's end or within 8 of the input's end
//   must be the last sequence and end exactly at the input's end;
// - a match must end 5 bytes or more before the output's end, except a short one (under 19 bytes,
//   offset 8 or more) after short literals of the first kind, which liblz4 copies untested;
// - a match may not reach before the output's start, and a length's extension bytes must leave
//   input (see read_length).
#include "wire/lz4.h"

#include <bit>
#include <cassert>
#include <cstring>

namespace chconn::wire::detail {

namespace {

constexpr std::size_t k_min_match = 4;
// liblz4's MFLIMIT and LASTLITERALS.
constexpr std::size_t k_last_sequence_output = 12;
constexpr std::size_t k_last_literals = 5;
// A sequence that is not the last leaves this much input after its literals in safe mode (the
// offset, a token and the last literals).
constexpr std::size_t k_last_sequence_input = 8;

// The register path below: a token at most this far from the input's end...
constexpr std::size_t k_register_input = 18;
// ...and an output position at least this far from its end (past liblz4's shortcut distances).
constexpr std::size_t k_register_output = 97;

static_assert(k_lz4_output_slack >= 16, "the copies below write up to 15 bytes past their end");
// The register arithmetic orders bytes as they lie in memory.
static_assert(std::endian::native == std::endian::little, "the LZ4 decoder assumes a little-endian machine");

// Reads a length's extension bytes, adding them to `length`. liblz4 refuses the block when `guard`
// bytes or fewer of input are left before the first byte (checked when `check_first`), or fewer than
// `guard` after any byte.
inline bool read_length(const std::uint8_t*& ip, const std::uint8_t* iend, std::size_t guard, bool check_first,
                        std::size_t& length) noexcept {
  if (check_first && static_cast<std::size_t>(iend - ip) <= guard) return false;
  std::uint8_t s = 0;
  do {
    s = *ip++;
    length += s;
    if (static_cast<std::size_t>(iend - ip) < guard) return false;
  } while (s == 255);
  return true;
}

inline void copy8(std::uint8_t* d, const std::uint8_t* s) noexcept { std::memcpy(d, s, 8); }
inline void copy16(std::uint8_t* d, const std::uint8_t* s) noexcept { std::memcpy(d, s, 16); }
inline std::uint64_t load64(const std::uint8_t* s) noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, s, 8);
  return v;
}
inline void store64(std::uint8_t* d, std::uint64_t v) noexcept { std::memcpy(d, &v, 8); }

// For a match offset below 8: the smallest multiple of the offset that is at least 8, so that an
// 8-byte copy from that far back repeats the pattern without overlapping what it writes.
constexpr std::uint8_t k_pattern_step[8] = {0, 8, 8, 9, 8, 10, 12, 14};

// Copies a match of `length` (4 or more) at `offset` (1 to op - start) to `op`; may write up to 15
// bytes past its end, and reads only bytes before the one it writes.
inline void copy_match(std::uint8_t* op, std::size_t offset, std::size_t length) noexcept {
  const std::uint8_t* match = op - offset;
  std::uint8_t* const end = op + length;
  if (offset >= 16) {
    do {
      copy16(op, match);
      op += 16;
      match += 16;
    } while (op < end);
  } else if (offset >= 8) {
    do {
      copy8(op, match);
      op += 8;
      match += 8;
    } while (op < end);
  } else {
    // Overlapping: the first 8 bytes one at a time (each may read one just written), then the
    // pattern repeats from a step back that is a multiple of the offset and at least 8.
    for (int i = 0; i < 8; ++i) op[i] = match[i];
    const std::size_t step = k_pattern_step[offset];
    for (std::uint8_t* p = op + 8; p < end; p += 8) copy8(p, p - step);
  }
}

}  // namespace

Lz4Result lz4_decompress(std::span<const std::uint8_t> src, std::uint8_t* dst, std::size_t capacity) noexcept {
  constexpr Lz4Result k_malformed{Lz4Status::malformed, 0};
  if (capacity == 0) return (src.size() == 1 && src[0] == 0) ? Lz4Result{Lz4Status::ok, 0} : k_malformed;
  if (src.empty()) return k_malformed;

  const std::uint8_t* ip = src.data();
  const std::uint8_t* const iend = ip + src.size();
  std::uint8_t* op = dst;
  std::uint8_t* const oend = dst + capacity;
  const auto in_left = [&] { return static_cast<std::size_t>(iend - ip); };
  const auto out_left = [&] { return static_cast<std::size_t>(oend - op); };

  // The register path runs for tokens before these.
  const std::uint8_t* const register_in_end = src.size() > k_register_input ? iend - k_register_input : ip;
  std::uint8_t* const register_out_end = capacity > k_register_output ? oend - k_register_output : op;
  // The 8 output bytes before `op`, when `have_tail`. Columns of 8-byte values (counters, times)
  // compress to one short sequence per value whose match is at offset 8: its bytes are the 8 just
  // written. Reading them back from memory waits for the stores that wrote them (a store-forwarding
  // stall: most of the time liblz4 spends on such data), so the register path keeps them.
  std::uint64_t tail = 0;
  bool have_tail = false;

  for (;;) {
    assert(ip < iend);
    // The register path: short literals, a match of at most 18 bytes at offset 8 or more, far from
    // both ends: liblz4's shortcut, which accepts these without the end tests.
    if (ip < register_in_end && op < register_out_end) {
      const unsigned token = *ip;
      const std::size_t literals = token >> 4;
      const std::size_t length = (token & 15U) + k_min_match;
      if (literals < 15 && length < 15 + k_min_match) {
        const std::uint8_t* const literal = ip + 1;
        copy16(op, literal);
        const std::uint8_t* const after = literal + literals;
        const std::size_t offset = static_cast<std::size_t>(after[0]) | (static_cast<std::size_t>(after[1]) << 8);
        std::uint8_t* const at = op + literals;
        if (offset >= 8 && offset <= static_cast<std::size_t>(at - dst)) {
          ip = after + 2;
          op = at + length;
          if (offset == 8) {
            // The 8 bytes before `at`, from the input and the register where possible.
            std::uint64_t before = 0;
            if (literals >= 8) {
              before = load64(after - 8);
            } else if (!have_tail) {
              before = load64(at - 8);
            } else if (literals == 0) {
              before = tail;
            } else {
              before = (tail >> (8 * literals)) | (load64(literal) << (64 - 8 * literals));
            }
            store64(at, before);
            store64(at + 8, before);
            store64(at + 16, before);
            // The match repeats `before`; its last 8 bytes start `length` bytes into the pattern.
            const unsigned shift = 8 * (length & 7U);
            tail = shift == 0 ? before : (before >> shift) | (before << (64 - shift));
            have_tail = true;
          } else {
            // Three 8-byte pieces cover 18 bytes; each reads only bytes written before it.
            const std::uint8_t* const match = at - offset;
            copy8(at, match);
            copy8(at + 8, match + 8);
            copy8(at + 16, match + 16);
            have_tail = false;
          }
          continue;
        }
      }
    }
    have_tail = false;

    const unsigned token = *ip++;
    std::size_t literals = token >> 4;
    std::size_t length = token & 15U;
    // liblz4's shortcut for short literals far from both ends: they skip the end test.
    const bool shortcut = literals != 15 && in_left() > 16 && out_left() >= 32;
    if (literals == 15 && !read_length(ip, iend, 15, true, literals)) return k_malformed;

    if (!shortcut) {
      if (literals + k_last_sequence_output > out_left() || literals + k_last_sequence_input > in_left()) {
        // The last sequence: its literals end the input exactly.
        if (literals != in_left() || literals > out_left()) return k_malformed;
        std::memcpy(op, ip, literals);
        op += literals;
        return {Lz4Status::ok, static_cast<std::size_t>(op - dst)};
      }
    }
    // At least 2 bytes of input follow the literals, and 16 bytes fit in the output with its slack.
    if (literals <= 16 && in_left() >= 16) {
      copy16(op, ip);
    } else {
      std::memcpy(op, ip, literals);
    }
    op += literals;
    ip += literals;
    const std::size_t offset = static_cast<std::size_t>(ip[0]) | (static_cast<std::size_t>(ip[1]) << 8);
    ip += 2;

    // The shortcut copies a short match at offset 8 or more without the end test (it may end at
    // the output's very end).
    const bool end_test = !(shortcut && length != 15 && offset >= 8);
    if (length == 15 && !read_length(ip, iend, k_last_literals - 1, false, length)) return k_malformed;
    length += k_min_match;
    if (offset == 0) return {Lz4Status::zero_offset, 0};
    if (offset > static_cast<std::size_t>(op - dst)) return k_malformed;
    if (end_test && length + k_last_literals > out_left()) return k_malformed;
    copy_match(op, offset, length);
    op += length;
    // A sequence ending at the input's end is refused: the block's last sequence is literals.
    if (ip >= iend) return k_malformed;
  }
}

}  // namespace chconn::wire::detail
