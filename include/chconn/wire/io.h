// Byte sources, sinks, and the buffered Reader/Writer the whole codec is written against.
//
// The wire layer is sans-I/O: it decodes from a ByteSource and encodes into memory. A ByteSource
// may be a memory buffer (tests, fuzzing), a socket stream (the net layer), or a decompressing
// stream (compression.h) — the codec cannot tell them apart.
//
// Every length read from the peer is checked against DecodeLimits before anything is allocated,
// and large reads grow their destination only as bytes really arrive, so a lying length field can
// cost at most what the peer actually sends. What a whole block decodes into is charged to one
// budget per block (Reader::charge, DecodeLimits::max_block_bytes), so many values that are each
// within the limits cannot add up to more than the block may hold either.
//
// Thread safety: none; a Reader or Writer belongs to one connection, used by one thread at a time.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "chconn/core/limits.h"

namespace chconn {

// An allocator whose resize() leaves new trivially-constructible elements uninitialised, so a
// decoder can grow a buffer and copy into it without zero-filling it first. Code using PodVector
// must write every element it grows.
// (Deliberately not derived from std::allocator: libstdc++ has std::allocator overloads of its
// uninitialized-fill helpers that a derived allocator would bind to, zero-filling after all.)
template <class T>
struct DefaultInitAllocator {
  using value_type = T;

  DefaultInitAllocator() noexcept = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)

  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>{}.deallocate(p, n); }

  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <class U>
  friend bool operator==(const DefaultInitAllocator&, const DefaultInitAllocator<U>&) noexcept {
    return true;
  }
};

template <class T>
using PodVector = std::vector<T, DefaultInitAllocator<T>>;

}  // namespace chconn

namespace chconn::wire {

// A source of bytes that hands out views of its own buffers (zero-copy for memory sources).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Returns the next bytes of the stream: a non-empty view valid until the next call, or an empty
  // view at the end of the stream. Throws chconn::Error on I/O failure (network, timeout...).
  virtual std::span<const std::uint8_t> next() = 0;
};

// A ByteSource over one contiguous buffer, handed out in chunks of at most `chunk` bytes (tests
// use small chunks to cut every value at every possible point).
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const std::uint8_t> data, std::size_t chunk = SIZE_MAX)
      : data_(data), chunk_(chunk == 0 ? 1 : chunk) {}
  explicit MemorySource(std::string_view data, std::size_t chunk = SIZE_MAX)
      : MemorySource(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), chunk) {}
  std::span<const std::uint8_t> next() override {
    const std::size_t n = std::min(chunk_, data_.size() - pos_);
    auto view = data_.subspan(pos_, n);
    pos_ += n;
    return view;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

// The limits of chconn/core/limits.h, where Config holds them (Config::limits).
using DecodeLimits = chconn::DecodeLimits;

// Buffered, bounds-checked reading of protocol primitives from a ByteSource.
// Reading past the end of the stream throws chconn::Error(protocol).
class Reader {
 public:
  explicit Reader(ByteSource& source, const DecodeLimits& limits = {}) : source_(&source), limits_(limits) {}

  const DecodeLimits& limits() const noexcept { return limits_; }
  // Total bytes consumed so far.
  std::uint64_t position() const noexcept { return consumed_ + static_cast<std::uint64_t>(pos_ - begin_); }

  // ---- The budget of one block (DecodeLimits::max_block_bytes) ----
  // read_block() opens a budget for each block (BlockBudget). Decoders charge() every byte they
  // are about to allocate for the block, before allocating it: values, offsets, null maps,
  // dictionaries and indexes, names and parsed types. While the budget is open the bytes read from
  // the source count against the same limit too (checked each time a new buffer is pulled), so a
  // block that decompresses to more than it may hold is refused even where nothing is stored.
  // Exceeding either throws Error(protocol) naming the limit. Outside a block (a column decoded on
  // its own) charges accumulate from construction and the bytes read are not counted.
  //
  // Invariant: charged() <= limits().max_block_bytes.
  void charge(std::uint64_t bytes, std::string_view what) {
    if (bytes > limits_.max_block_bytes - charged_) over_budget(bytes, what);
    charged_ += bytes;
  }
  std::uint64_t charged() const noexcept { return charged_; }

  // Opens a block's budget for its lifetime (see charge()); not nested.
  class BlockBudget {
   public:
    explicit BlockBudget(Reader& in) noexcept : in_(in) {
      in_.charged_ = 0;
      in_.block_start_ = in_.position();
      in_.in_block_ = true;
    }
    ~BlockBudget() { in_.in_block_ = false; }
    BlockBudget(const BlockBudget&) = delete;
    BlockBudget& operator=(const BlockBudget&) = delete;

   private:
    Reader& in_;
  };

  // ---- How the block being read lays out its String columns ----
  // From revision 54492 a String column's body is its end offsets (UInt64 each) then its bytes,
  // in place of a UVarInt length before each value (docs/protocol.md, "String with a size
  // stream"). read_block() sets this for the block's columns (StringLayoutScope); a column decoded
  // on its own uses the per-value layout.
  bool string_size_stream() const noexcept { return string_size_stream_; }
  void set_string_size_stream(bool on) noexcept { string_size_stream_ = on; }

  std::uint8_t u8() {
    if (pos_ == end_) refill("a byte");
    return *pos_++;
  }

  // A fixed-width little-endian value (integers, floats, and trivially copyable aggregates).
  template <class T>
  T fixed() {
    static_assert(std::is_trivially_copyable_v<T>);
    T value;
    if (static_cast<std::size_t>(end_ - pos_) >= sizeof(T)) {
      std::memcpy(&value, pos_, sizeof(T));
      pos_ += sizeof(T);
    } else {
      read(&value, sizeof(T));
    }
    return value;
  }

  // Unsigned LEB128; at most 10 bytes.
  std::uint64_t uvarint() {
    if (end_ - pos_ >= 10) {  // fast path: the whole varint is in the buffer
      std::uint64_t value = 0;
      for (int i = 0; i < 10; ++i) {
        const std::uint8_t b = pos_[i];
        value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
          pos_ += i + 1;
          return value;
        }
      }
      bad_varint();
    }
    return uvarint_slow();
  }

  // A length-prefixed string, at most `max_bytes` long (limits().max_string_bytes by default).
  std::string string(std::uint64_t max_bytes = 0, std::string_view what = "string");
  void string_into(std::string& out, std::uint64_t max_bytes = 0, std::string_view what = "string");
  // A UVarInt count, checked against `max` ("what" names it in the error).
  std::uint64_t count(std::uint64_t max, std::string_view what);
  bool boolean() { return u8() != 0; }

  // Copies exactly n bytes into dst.
  void read(void* dst, std::size_t n);
  // Appends exactly n bytes to `out`, growing it only as bytes arrive.
  template <class Container>
  void append(Container& out, std::size_t n);
  void skip(std::size_t n);

  // Zero-copy access: at least one byte available (refilling if needed), or empty at end of stream.
  std::span<const std::uint8_t> peek();
  void consume(std::size_t n) { pos_ += n; }
  // The bytes pulled from the source and not consumed yet, without pulling more (a connection
  // hands them to the next reader of the same stream).
  std::span<const std::uint8_t> buffered() const noexcept { return {pos_, static_cast<std::size_t>(end_ - pos_)}; }
  // True if no byte is left in the stream (may pull from the source to find out).
  bool at_end();

 private:
  void refill(std::string_view what);
  bool try_refill();
  std::uint64_t uvarint_slow();
  [[noreturn]] void bad_varint();
  [[noreturn]] void over_budget(std::uint64_t bytes, std::string_view what) const;

  ByteSource* source_;
  DecodeLimits limits_;
  const std::uint8_t* begin_ = nullptr;
  const std::uint8_t* pos_ = nullptr;
  const std::uint8_t* end_ = nullptr;
  std::uint64_t consumed_ = 0;
  std::uint64_t charged_ = 0;      // bytes charged to the current block's budget
  std::uint64_t block_start_ = 0;  // position() where the current block began
  bool in_block_ = false;
  bool string_size_stream_ = false;
};

template <class Container>
void Reader::append(Container& out, std::size_t n) {
  using V = typename Container::value_type;
  static_assert(sizeof(V) == 1);
  // Grow in steps bounded by what has arrived, so a lying length costs only what is sent.
  while (n > 0) {
    if (pos_ == end_) refill("data");
    const std::size_t take = std::min(n, static_cast<std::size_t>(end_ - pos_));
    const std::size_t old = out.size();
    out.resize(old + take);
    std::memcpy(out.data() + old, pos_, take);
    pos_ += take;
    n -= take;
  }
}

// Growable output buffer with protocol primitives. Encoders write into it; the connection sends
// its bytes (or compresses them first). Growing it does not zero-fill (PodVector): extend() hands
// out room that the caller must write.
class Writer {
 public:
  Writer() = default;

  void u8(std::uint8_t v) { buf_.push_back(v); }
  template <class T>
  void fixed(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    write(&v, sizeof(T));
  }
  void uvarint(std::uint64_t v) {
    std::uint8_t tmp[10];
    std::size_t n = 0;
    while (v >= 0x80) {
      tmp[n++] = static_cast<std::uint8_t>(v | 0x80);
      v >>= 7;
    }
    tmp[n++] = static_cast<std::uint8_t>(v);
    write(tmp, n);
  }
  void string(std::string_view s) {
    uvarint(s.size());
    write(s.data(), s.size());
  }
  void boolean(bool b) { u8(b ? 1 : 0); }
  void write(const void* src, std::size_t n) {
    const std::size_t old = buf_.size();
    buf_.resize(old + n);
    if (n) std::memcpy(buf_.data() + old, src, n);
  }
  // Reserves n bytes at the end and returns a pointer to them (for bulk column encoding).
  std::uint8_t* extend(std::size_t n) {
    const std::size_t old = buf_.size();
    buf_.resize(old + n);
    return buf_.data() + old;
  }

  std::span<const std::uint8_t> data() const noexcept { return buf_; }
  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(buf_.data()), buf_.size()}; }
  std::size_t size() const noexcept { return buf_.size(); }
  void clear() noexcept { buf_.clear(); }
  void reserve(std::size_t n) { buf_.reserve(n); }
  // Grown bytes are not zero-filled: whoever extends the buffer writes them.
  PodVector<std::uint8_t>& buffer() noexcept { return buf_; }

  // How String columns are written (see Reader::string_size_stream()): write_block() sets it for
  // the block's columns.
  bool string_size_stream() const noexcept { return string_size_stream_; }
  void set_string_size_stream(bool on) noexcept { string_size_stream_ = on; }

 private:
  PodVector<std::uint8_t> buf_;
  bool string_size_stream_ = false;
};

// Sets the String layout of a Reader or Writer for its lifetime and restores the previous one.
template <class Stream>
class StringLayoutScope {
 public:
  StringLayoutScope(Stream& s, bool size_stream) noexcept : s_(s), old_(s.string_size_stream()) {
    s_.set_string_size_stream(size_stream);
  }
  ~StringLayoutScope() { s_.set_string_size_stream(old_); }
  StringLayoutScope(const StringLayoutScope&) = delete;
  StringLayoutScope& operator=(const StringLayoutScope&) = delete;

 private:
  Stream& s_;
  bool old_;
};

}  // namespace chconn::wire
