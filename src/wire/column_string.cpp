// ColumnString: values in one contiguous byte buffer with end offsets.
//
// Decoding works on the Reader's buffer directly: every value that lies entirely in the bytes
// already received is copied from there with no intermediate; only a value cut by a buffer
// boundary takes the slower path through Reader::count/append. Nothing is allocated per value.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "chconn/wire/columns.h"
#include "column_impl.h"

namespace chconn {

namespace {

std::size_t uvarint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Values up to this size are copied with one fixed-size copy into room reserved past the end.
constexpr std::size_t k_slack = 32;

// Copies a value of `len` bytes from `src` to `dst`: with one fixed-size copy of k_slack bytes when
// it is that short and the source has k_slack bytes before `src_end` (the destination must have
// k_slack bytes of room; the extra bytes are overwritten or cut off by the caller), else exactly.
inline void copy_value(void* dst, const void* src, std::size_t len, const void* src_end) noexcept {
  if (len <= k_slack &&
      static_cast<const char*>(src_end) - static_cast<const char*>(src) >= static_cast<std::ptrdiff_t>(k_slack)) {
    std::memcpy(dst, src, k_slack);
  } else if (len) {
    std::memcpy(dst, src, len);
  }
}

// No one-byte length (above any byte's value).
constexpr std::uint64_t k_no_length = 256;

// The run loop of ColumnString::load_rows: a run shorter than k_long_run values is short, and a
// batch stops entering the loop after k_short_runs short ones.
constexpr std::size_t k_long_run = 8;
constexpr std::size_t k_short_runs = 16;

// Values decoded per pass over a buffer.
constexpr std::size_t k_batch_values = std::size_t{64} * 1024;

// A UVarInt lying wholly in [p, end) (p < end); returns the position after it, or nullptr when
// the buffer ends first or it runs past 10 bytes.
inline const std::uint8_t* parse_length(const std::uint8_t* p, const std::uint8_t* end, std::uint64_t& len) noexcept {
  if (*p < 0x80) {
    len = *p;
    return p + 1;
  }
  std::uint64_t v = 0;
  for (int shift = 0; shift < 70 && p < end; shift += 7) {
    const std::uint8_t b = *p++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      len = v;
      return p;
    }
  }
  return nullptr;
}

// Makes room for `extra` more elements, at least doubling the capacity when it grows (so repeated
// calls with small amounts stay amortised O(1)).
template <class Vec>
void grow(Vec& v, std::size_t extra) {
  if (v.capacity() - v.size() < extra) v.reserve(std::max(v.size() + extra, 2 * v.capacity()));
}

[[noreturn]] void string_too_long(std::uint64_t len, std::uint64_t max) {
  detail::protocol_error("String value length of " + std::to_string(len) + " exceeds the limit of " +
                         std::to_string(max) + "; the stream is corrupt or the limit too low");
}

}  // namespace

ColumnString::ColumnString() : ColumnString(Type::simple(TypeCode::String)) {}
ColumnString::ColumnString(TypeRef type) : Column(checked_type(std::move(type), TypeCode::String, class_name())) {}

std::string_view ColumnString::at(std::size_t i) const {
  if (i >= size()) detail::row_out_of_range(*this, i);
  return (*this)[i];
}

void ColumnString::truncate(std::size_t rows) noexcept {
  if (rows >= offsets_.size()) return;
  offsets_.resize(rows);
  chars_.resize(rows ? static_cast<std::size_t>(offsets_[rows - 1]) : 0);
}

void ColumnString::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  if (count == 0) return;
  const auto& o = column_cast<ColumnString>(other);
  const std::uint64_t src_begin = begin ? o.offsets_[begin - 1] : 0;
  const std::uint64_t src_end = o.offsets_[begin + count - 1];
  const std::uint64_t base = chars_.size();
  // Grow first, then read the source: `other` may be this very column.
  chars_.resize(base + (src_end - src_begin));
  if (src_end > src_begin) std::memcpy(chars_.data() + base, o.chars_.data() + src_begin, src_end - src_begin);
  const std::size_t old = offsets_.size();
  offsets_.resize(old + count);
  for (std::size_t i = 0; i < count; ++i) offsets_[old + i] = o.offsets_[begin + i] - src_begin + base;
}

void ColumnString::save_body(wire::Writer& out) const {
  if (out.string_size_stream()) {
    save_body_size_stream(out);
    return;
  }
  // Size the whole body first, then fill it: one buffer growth for the column.
  const std::size_t rows = offsets_.size();
  std::size_t total = chars_.size();
  std::uint64_t prev = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    total += uvarint_size(offsets_[i] - prev);
    prev = offsets_[i];
  }
  // k_slack bytes past the end let short values be copied with one fixed-size copy; they are cut
  // off again below.
  const std::size_t start = out.size();
  std::uint8_t* p = out.extend(total + k_slack);
  const char* const chars_end = chars_.data() + chars_.size();
  prev = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    const std::size_t len = static_cast<std::size_t>(offsets_[i] - prev);
    const char* src = chars_.data() + prev;
    prev = offsets_[i];
    std::uint64_t v = len;
    while (v >= 0x80) {
      *p++ = static_cast<std::uint8_t>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<std::uint8_t>(v);
    copy_value(p, src, len, chars_end);
    p += len;
  }
  out.buffer().resize(start + total);
}

void ColumnString::load_rows(wire::Reader& in, std::size_t rows) {
  if (in.string_size_stream()) {
    load_rows_size_stream(in, rows);
    return;
  }
  const std::uint64_t max_len = in.limits().max_string_bytes;

  // Every row costs at least one byte of input, so reserving for the rows (up to a bound) and for
  // the bytes already received keeps memory proportional to what arrived, and avoids copying the
  // buffers over and over as they double.
  grow(offsets_, std::min<std::size_t>(rows, detail::k_eager_read_bytes / sizeof(std::uint64_t)));

  std::size_t remaining = rows;
  while (remaining > 0) {
    const auto buf = in.peek();
    const std::uint8_t* const begin = buf.data();
    const std::uint8_t* const end = begin + buf.size();
    grow(chars_, std::min(buf.size(), detail::k_eager_read_bytes));

    // Pass 1: the lengths of the values lying wholly in this buffer become end offsets. Every
    // value takes at least one byte, so the offsets grown here are bounded by bytes received;
    // batches keep that growth (and the working set) small.
    const std::size_t batch = std::min({remaining, buf.size(), k_batch_values});
    const std::size_t offsets_old = offsets_.size();
    offsets_.resize(offsets_old + batch);
    std::uint64_t* const offs = offsets_.data() + offsets_old;
    const std::uint64_t base = chars_.size();
    std::uint64_t total = 0;
    std::size_t k = 0;
    bool cut = false;           // a value continues past this buffer
    bool short_lengths = true;  // every length of the batch took one byte
    const std::uint8_t* p = begin;
    std::uint64_t last = k_no_length;  // the last value's length when it took one byte
    std::size_t short_runs_left = k_short_runs;
    while (k < batch && p < end) {
      std::uint64_t len = 0;
      const std::uint8_t* q = parse_length(p, end, len);
      if (!q) {  // the length is cut by the buffer end (or over-long): the slow path decides
        cut = true;
        break;
      }
      const bool one_byte = q == p + 1;
      short_lengths &= one_byte;
      if (len > max_len) string_too_long(len, max_len);
      if (len > static_cast<std::uint64_t>(end - q)) {  // the value continues in the next buffer
        cut = true;
        break;
      }
      total += len;
      offs[k++] = base + total;
      p = q + len;
      if (len != last || !one_byte) {
        last = one_byte && short_runs_left > 0 ? len : k_no_length;
        continue;
      }
      // Two values in a row had the same one-byte length: values of one length come in runs
      // (numbers of one width, codes, dates as text). While the next length byte is the same, the
      // value is taken with that known size, so the position of the one after it does not wait
      // for the byte just loaded (the CPU predicts the loop's branch), where the loop above makes
      // each position depend on the load before. `len` passed the max_len check above.
      const std::size_t run_start = k;
      while (k < batch && len < static_cast<std::uint64_t>(end - p) && *p == len) {
        total += len;
        offs[k++] = base + total;
        p += len + 1;
      }
      // Where lengths vary, equal neighbours are chance and the run ends at once: each such
      // entry costs a mispredicted branch, so after k_short_runs of them this batch stops looking.
      if (k - run_start < k_long_run) --short_runs_left;
    }
    offsets_.resize(offsets_old + k);

    // Pass 2: copy the values; one growth of the byte buffer per batch, and a fixed-size copy
    // for short values (k_slack bytes of room past the end; the source is within the buffer).
    // The batch's offsets and bytes are charged to the block's budget first. (The offsets were
    // written in pass 1, within room bounded by the bytes received and by k_batch_values: at most
    // 512 KiB ahead of their charge, and only as long as this batch.)
    if (k > 0) {
      in.charge(k * sizeof(std::uint64_t) + total, "String values");
      chars_.resize(base + total + k_slack);
      char* const dst = chars_.data() + base;
      if (short_lengths) {
        // Every length took one byte, so value i starts at input byte (its offset in the batch)
        // + i + 1: each copy's addresses come from the offsets, not from the copy before, so the
        // copies do not wait on one another (the lengths need not be parsed again).
        std::uint64_t from = 0;
        for (std::size_t i = 0; i < k; ++i) {
          const std::uint64_t to = offs[i] - base;
          const std::size_t len = static_cast<std::size_t>(to - from);
          copy_value(dst + from, begin + from + i + 1, len, end);
          from = to;
        }
      } else {
        char* out = dst;
        const std::uint8_t* src = begin;
        for (std::size_t i = 0; i < k; ++i) {
          std::uint64_t len = 0;
          src = parse_length(src, end, len);
          copy_value(out, src, static_cast<std::size_t>(len), end);
          out += len;
          src += len;
        }
      }
      chars_.resize(base + total);
    }
    in.consume(static_cast<std::size_t>(p - begin));
    remaining -= k;

    if (remaining > 0 && (cut || buf.empty())) {
      // One value that straddles buffers (or the end of the stream, which count()/append() report).
      const std::uint64_t len = in.count(max_len, "String value length");
      in.charge(sizeof(std::uint64_t) + len, "String values");
      in.append(chars_, static_cast<std::size_t>(len));
      offsets_.push_back(chars_.size());
      --remaining;
    }
  }
}

// From revision 54492: the column's end offsets as UInt64 (cumulative byte counts from the start
// of this column's bytes, one per row, no leading zero: Array's offset layout), then all the
// bytes. The offsets are the peer's, so each is checked before it is used: not below the one
// before it, no value over max_string_bytes, the total charged to the block's budget before the
// bytes are allocated (which then grow only as they arrive).
void ColumnString::load_rows_size_stream(wire::Reader& in, std::size_t rows) {
  const std::uint64_t max_len = in.limits().max_string_bytes;
  detail::charge_values(in, rows, sizeof(std::uint64_t), "String offsets");
  const std::size_t first = offsets_.size();
  detail::read_values(in, offsets_, rows, sizeof(std::uint64_t));  // little-endian host (column_impl.h)
  const std::uint64_t base = chars_.size();
  std::uint64_t prev = 0;
  for (std::size_t i = first; i < offsets_.size(); ++i) {
    const std::uint64_t end = offsets_[i];
    if (end < prev) {
      detail::protocol_error("String offsets go backwards: row " + std::to_string(i - first) + " ends at byte " +
                             std::to_string(end) + ", before the end of the row before it (" + std::to_string(prev) +
                             "); the stream is corrupt");
    }
    if (end - prev > max_len) string_too_long(end - prev, max_len);
    prev = end;
    offsets_[i] = base + end;
  }
  in.charge(prev, "String values");
  in.append(chars_, static_cast<std::size_t>(prev));
}

void ColumnString::save_body_size_stream(wire::Writer& out) const {
  out.write(offsets_.data(), offsets_.size() * sizeof(std::uint64_t));  // little-endian host (column_impl.h)
  out.write(chars_.data(), chars_.size());
}

}  // namespace chconn
