#include "chconn/wire/io.h"

#include <string>

#include "chconn/core/error.h"

namespace chconn::wire {

namespace {
[[noreturn]] void truncated(std::string_view what) {
  throw Error(ErrorKind::protocol, "the stream ended in the middle of " + std::string(what) +
                                       "; the peer closed or sent a truncated packet");
}

// How to raise a limit, for the messages of the block budget.
constexpr std::string_view k_raise_block_limit =
    "; the stream is corrupt or the limit too low (raise DecodeLimits::max_block_bytes, DSN parameter "
    "max_block_bytes)";
}  // namespace

bool Reader::try_refill() {
  consumed_ += static_cast<std::uint64_t>(end_ - begin_);
  // Every byte of the buffer just finished has been consumed, so this is exact.
  if (in_block_ && consumed_ - block_start_ > limits_.max_block_bytes) {
    throw Error(ErrorKind::protocol,
                "the block's data runs past max_block_bytes = " + std::to_string(limits_.max_block_bytes) + " bytes (" +
                    std::to_string(consumed_ - block_start_) + " bytes read, counted after decompression if any)" +
                    std::string(k_raise_block_limit));
  }
  for (;;) {
    const auto view = source_->next();
    if (view.empty()) {
      begin_ = pos_ = end_ = nullptr;
      return false;
    }
    begin_ = pos_ = view.data();
    end_ = view.data() + view.size();
    return true;
  }
}

void Reader::refill(std::string_view what) {
  if (!try_refill()) truncated(what);
}

std::span<const std::uint8_t> Reader::peek() {
  if (pos_ == end_ && !try_refill()) return {};
  return {pos_, static_cast<std::size_t>(end_ - pos_)};
}

bool Reader::at_end() { return pos_ == end_ && !try_refill(); }

void Reader::read(void* dst, std::size_t n) {
  auto* out = static_cast<std::uint8_t*>(dst);
  while (n > 0) {
    if (pos_ == end_) refill("data");
    const std::size_t take = std::min(n, static_cast<std::size_t>(end_ - pos_));
    std::memcpy(out, pos_, take);
    out += take;
    pos_ += take;
    n -= take;
  }
}

void Reader::skip(std::size_t n) {
  while (n > 0) {
    if (pos_ == end_) refill("data");
    const std::size_t take = std::min(n, static_cast<std::size_t>(end_ - pos_));
    pos_ += take;
    n -= take;
  }
}

std::uint64_t Reader::uvarint_slow() {
  std::uint64_t value = 0;
  for (int i = 0; i < 10; ++i) {
    const std::uint8_t b = u8();
    value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) return value;
  }
  bad_varint();
}

void Reader::over_budget(std::uint64_t bytes, std::string_view what) const {
  throw Error(ErrorKind::protocol,
              "the block decodes to more than max_block_bytes = " + std::to_string(limits_.max_block_bytes) +
                  " bytes (" + std::to_string(charged_) + " bytes decoded, " + std::to_string(bytes) +
                  " more needed for " + std::string(what) + ")" + std::string(k_raise_block_limit));
}

void Reader::bad_varint() {
  throw Error(ErrorKind::protocol, "a variable-length integer is longer than 10 bytes; the stream is corrupt");
}

std::uint64_t Reader::count(std::uint64_t max, std::string_view what) {
  const std::uint64_t n = uvarint();
  if (n > max) {
    throw Error(ErrorKind::protocol, std::string(what) + " of " + std::to_string(n) + " exceeds the limit of " +
                                         std::to_string(max) + "; the stream is corrupt or the limit too low");
  }
  return n;
}

void Reader::string_into(std::string& out, std::uint64_t max_bytes, std::string_view what) {
  const std::uint64_t n = count(max_bytes ? max_bytes : limits_.max_string_bytes, std::string(what) + " length");
  out.clear();
  if (static_cast<std::uint64_t>(end_ - pos_) >= n) {
    out.assign(reinterpret_cast<const char*>(pos_), static_cast<std::size_t>(n));
    pos_ += n;
    return;
  }
  append(out, static_cast<std::size_t>(n));
}

std::string Reader::string(std::uint64_t max_bytes, std::string_view what) {
  std::string s;
  string_into(s, max_bytes, what);
  return s;
}

}  // namespace chconn::wire
