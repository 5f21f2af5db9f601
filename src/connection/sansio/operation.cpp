#include "connection/sansio/operation.h"

#include <algorithm>
#include <cstring>

namespace chconn::detail::sansio {

std::span<std::uint8_t> ReceiveBuffer::prepare(std::size_t n) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0 && buf_.size() - end_ < n) {
    // Move the pending bytes to the front before growing: the buffer stays within a packet plus a
    // read, however long the session.
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < n) buf_.resize(end_ + n);
  return {buf_.data() + end_, buf_.size() - end_};
}

void ReceiveBuffer::append(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  const auto room = prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  end_ += bytes.size();
}

void ReceiveBuffer::consume(std::size_t n) noexcept {
  begin_ += std::min(n, end_ - begin_);
  if (begin_ == end_) begin_ = end_ = 0;
}

}  // namespace chconn::detail::sansio
