// The protocol conversation as sans-I/O operations (issue 18), the shape every exchange with the
// server takes so that the blocking NativeConnection and the Asio AsyncConnection run one
// implementation of it: an operation never touches a socket; its resume() says what the driver must
// do next (write these bytes, read more, done or failed), the driver does it with its own I/O
// (blocking calls with deadlines, or Asio operations with timers) and calls resume() again.
// Boost.MySQL's sansio algorithms are the model; unlike MySQL's frames, ClickHouse packets carry no
// length, so an operation cannot know a packet is whole before it has decoded it.
//
// A packet that arrived in part (the rule, PacketDecoder):
//   - The packet is decoded from the front of the ReceiveBuffer (a checkpoint: nothing is consumed
//     until the whole packet decoded). A source that runs out of buffered bytes throws Incomplete,
//     which abandons the attempt; the bytes stay buffered.
//   - After a failed attempt with B bytes buffered, the next attempt waits until the buffer holds
//     at least 2B bytes, and the driver is asked for at least B new bytes (Next::read_hint). An
//     n-byte packet fed in pieces of any size is therefore decoded in at most log2(n) + 2 attempts,
//     each parsing at most the bytes buffered, so the parsing stays linear in n overall.
//   - Liveness: a peer that sent a whole packet waits for the client, so holding out for 2B bytes
//     could wait forever. Two exceptions make the next attempt at once when new bytes arrived since
//     the failed one:
//       * small packets (B < k_eager_limit): the driver's last read drained the transport (it
//         returned fewer bytes than the room it offered, ReceiveBuffer::more_ready() false). Cheap:
//         at most k_eager_limit bytes re-parsed per read.
//       * any size: the driver reported the transport idle (ReceiveBuffer::note_idle(): no byte came
//         for a while after a drained read). The async driver waits about as long as parsing the
//         buffered bytes takes before saying so (PacketDecoder::idle_spell: 1 ms + 1 ns a byte), so
//         re-parsing costs at most the time spent waiting; and each idle retry of the same packet
//         that still finds it incomplete doubles the next wait, so a link that keeps pausing (a
//         loaded peer, a congested network) causes at most log2(T / 1 ms) + 1 idle retries of one
//         packet over T, however the pauses fall.
//     On a link slower than the parsing (every read drains the socket) a large packet is therefore
//     re-parsed only when it has doubled or the link paused, not once per read: the bytes parsed
//     stay within a small multiple of n. Blocking connections need none of this: they read a packet
//     to its end from the socket (QueryOperation's blocking input), parsing it once.
//
// Bounded memory: a packet is held whole until it decodes, where the blocking path reads through
// one with bounded reads (skipping what it does not keep: the rest of a long exception text, part
// UUIDs). So each packet may occupy at most packet_bound() bytes of the ReceiveBuffer, set by the
// DecodeLimits the blocking path applies to a packet of its kind; one still incomplete past that
// is refused with Error(protocol) naming the limit, and the next attempt is due at bound + 1 bytes
// at the latest (the doubling never overshoots it). After a large packet the buffer gives its
// memory back (ReceiveBuffer::prepare), so a connection keeps at most k_retained_bytes between
// packets of ordinary size.
//
// Errors: resume() does not throw. An operation that fails returns Next::failed with the
// chconn::Error (a server Exception, a protocol error), or with CallbackFailed when a caller's
// callback threw; the driver rethrows it or hands it to its completion handler. Transport failures (EOF, reset,
// timeout) are the driver's own errors.
//
// Thread safety: none; an operation and its Conversation belong to one connection, used by one
// thread (or strand) at a time. Lifetimes: a Next's write bytes live in the Conversation's `out`
// until the next resume().
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <utility>

#include "chconn/core/limits.h"
#include "chconn/wire/io.h"

namespace chconn::detail::sansio {

// What the driver does next.
struct Next {
  enum class Kind : std::uint8_t {
    write,   // write all of `bytes`, then resume()
    read,    // read some bytes into the ReceiveBuffer (room for at least read_hint), then resume()
    block,   // a block is ready for the caller (QueryOperation::block()); resume() for the rest
    done,    // the operation ended well
    failed,  // the operation ended with `error` (a chconn::Error)
  };
  Kind kind = Kind::done;
  std::span<const std::uint8_t> bytes{};
  std::size_t read_hint = 0;
  std::exception_ptr error{};
  // read, when positive: a large packet is waiting for its end and the last read drained the
  // transport; if no byte comes for this long, the driver calls ReceiveBuffer::note_idle() and
  // resumes (the rule above). Zero: just read.
  std::chrono::nanoseconds idle_after{0};

  static Next write(std::span<const std::uint8_t> b) { return {Kind::write, b, 0, {}}; }
  static Next read(std::size_t hint, std::chrono::nanoseconds idle_after = {}) {
    return {Kind::read, {}, hint, {}, idle_after};
  }
  static Next done() { return {}; }
  static Next block() { return {Kind::block, {}, 0, {}}; }
  static Next failed(std::exception_ptr e) { return {Kind::failed, {}, 0, std::move(e)}; }
};

// The most bytes of one server packet that a PacketDecoder buffers before the packet decodes, and
// the DecodeLimits field (also its DSN parameter) that sets it:
//   - a packet carrying a block (Data, Totals, Extremes, Log, ProfileEvents): max_block_bytes, the
//     block's budget, plus 1/64 of it for compression frames' headers and LZ4's worst expansion;
//   - Exception: max_exception_chain_bytes, what the blocking path keeps of a chain (it skips the
//     rest of a longer text, which this path would have to hold);
//   - any other packet: max_string_bytes, the bound of its strings and lists;
// each plus k_packet_slack for the fields around them. `pending` starts with the packet's code.
struct PacketBound {
  std::uint64_t bytes = 0;
  const char* limit = "";
};
inline constexpr std::uint64_t k_packet_slack = std::uint64_t{64} << 10;
PacketBound packet_bound(std::span<const std::uint8_t> pending, const DecodeLimits& limits) noexcept;

// Bytes the transport read that the conversation has not consumed yet. The driver reads into
// prepare(n) and commit()s what arrived; operations decode from pending() and consume().
class ReceiveBuffer {
 public:
  // Memory kept between packets: a buffer that grew past this for a large packet shrinks back to
  // what is pending (plus the read) once that needs a quarter of it or less. Server blocks of
  // ordinary size (the server cuts them near 1 MB) never grow it this far, so streaming them
  // reallocates nothing.
  static constexpr std::size_t k_retained_bytes = std::size_t{4} << 20;

  // Room for at least `n` new bytes after the pending ones (valid until the next call).
  std::span<std::uint8_t> prepare(std::size_t n);
  // Bytes allocated (for tests of the bound).
  std::size_t capacity() const noexcept { return buf_.capacity(); }
  // `n` bytes were read into the room prepare() gave; `more_ready`: the read filled all of that
  // room, so the transport may hold more at once (false: it was drained).
  void commit(std::size_t n, bool more_ready) noexcept {
    end_ += n;
    more_ready_ = more_ready;
    if (n > 0) idle_ = false;
  }
  // No byte arrived for a while after a drained read: a partial packet is worth an attempt at once
  // (see the rule above). Cleared by the next commit of bytes.
  void note_idle() noexcept { idle_ = true; }
  bool idle() const noexcept { return idle_; }
  // Bytes already read elsewhere that come before anything read from now on.
  void append(std::span<const std::uint8_t> bytes);
  std::span<const std::uint8_t> pending() const noexcept { return {buf_.data() + begin_, end_ - begin_}; }
  std::size_t size() const noexcept { return end_ - begin_; }
  void consume(std::size_t n) noexcept;
  bool more_ready() const noexcept { return more_ready_; }

 private:
  PodVector<std::uint8_t> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool more_ready_ = false;
  bool idle_ = false;
};

// Thrown by a BufferedSource that ran out of buffered bytes: the attempt stops, nothing is
// consumed. Deliberately not a chconn::Error, so no decoder mistakes it for a failure of its own
// (the codec's catch (...) blocks restore their state and rethrow).
struct Incomplete {};

// What a caller's callback threw (a block, progress, profile, log or profile-events callback),
// wrapped so that the connection cancels the query and drains its reply whatever was thrown. A
// chconn::Error from a callback (Block::column of a name the result lacks is Error(usage)) says
// nothing of the stream, which is in the middle of the reply: taken for one of the conversation's
// own errors, it left the connection usable with the rest of the reply unread, and the next query
// on it read the old query's rows as its own.
struct CallbackFailed {
  std::exception_ptr error;
};

// Calls `f(args...)`; whatever it throws comes out as CallbackFailed.
template <class F, class... Args>
void call_back(F& f, Args&&... args) {
  try {
    f(std::forward<Args>(args)...);
  } catch (...) {
    throw CallbackFailed{std::current_exception()};
  }
}

// The state one session's operations share: what was received, what is to be sent, the limits
// every decode is checked against, and the peer's name for messages.
struct Conversation {
  explicit Conversation(const DecodeLimits& l, std::string p) : limits(l), peer(std::move(p)) {}
  ReceiveBuffer in;
  wire::Writer out;
  DecodeLimits limits;
  std::string peer;
};

// One exchange with the server (a handshake, a ping...). resume() is called first with nothing
// done, then after each action its previous Next asked for has completed.
class Operation {
 public:
  virtual ~Operation() = default;
  virtual Next resume(Conversation& c) noexcept = 0;
};

// Decodes one packet at a time from the front of a ReceiveBuffer under the rule of this header.
class PacketDecoder {
 public:
  // Minimum room a read asks for, so small packets arrive in one read.
  static constexpr std::size_t k_min_read = 4096;

  // Below this many bytes a failed packet is retried after every drained read (see the rule above).
  static constexpr std::size_t k_eager_limit = std::size_t{64} << 10;

  // Whether an attempt is due with what is buffered now (see the rule above).
  bool due(const ReceiveBuffer& in) const noexcept {
    if (failed_at_ == 0) return in.size() > 0;
    if (in.size() <= failed_at_) return false;
    if (in.size() > bound_) return true;  // past its bound: decoded now, or refused
    return in.size() >= 2 * failed_at_ || in.idle() || (!in.more_ready() && failed_at_ < k_eager_limit);
  }

  // Whether the driver should tell the transport's silence (note_idle) rather than wait for more:
  // a large packet failed and the last read drained the transport.
  bool waits_on_idle(const ReceiveBuffer& in) const noexcept {
    return failed_at_ >= k_eager_limit && !in.more_ready() && !due(in);
  }

  // How long the transport must stay quiet before the driver reports it idle, or zero when it
  // should not (waits_on_idle false): 1 ms plus 1 ns per buffered byte (about what re-parsing them
  // costs), doubled for each idle retry of this packet that failed (at most 2^16 times).
  std::chrono::nanoseconds idle_spell(const ReceiveBuffer& in) const noexcept {
    if (!waits_on_idle(in)) return std::chrono::nanoseconds::zero();
    const std::chrono::nanoseconds base = std::chrono::milliseconds(1) + std::chrono::nanoseconds(in.size());
    return base * (std::int64_t{1} << std::min<std::uint32_t>(idle_retries_, 16));
  }

  // The read to ask the driver for when no attempt is due or the last one failed.
  std::size_t read_hint(const ReceiveBuffer& in) const noexcept {
    // Never past the packet's bound by more than a read: an attempt there decodes it or refuses it.
    const std::size_t target =
        static_cast<std::size_t>(std::min<std::uint64_t>(2 * failed_at_, bound_ == UINT64_MAX ? bound_ : bound_ + 1));
    return target > in.size() ? std::max(target - in.size(), k_min_read) : k_min_read;
  }

  // Runs decode(wire::Reader&) over the pending bytes. True: the packet decoded, its bytes are
  // consumed and the rule starts afresh. False: it has not all arrived, nothing consumed. Errors
  // of the decoder (chconn::Error) propagate; a packet still incomplete past its packet_bound()
  // is Error(protocol).
  template <class Decode>
  bool attempt(ReceiveBuffer& in, const DecodeLimits& limits, Decode&& decode) {
    ++attempts_;
    parsed_ += in.size();
    BufferedSource source(in.pending());
    wire::Reader reader(source, limits);
    try {
      std::forward<Decode>(decode)(reader);
    } catch (const Incomplete&) {
      if (in.idle() && failed_at_ != 0) {
        ++idle_retries_;
        ++idle_failures_;
      }
      const PacketBound bound = packet_bound(in.pending(), limits);
      if (in.size() > bound.bytes) refuse_oversized(in.pending(), bound);
      failed_at_ = in.size();
      bound_ = bound.bytes;
      return false;
    }
    in.consume(static_cast<std::size_t>(reader.position()));
    failed_at_ = 0;
    idle_retries_ = 0;
    return true;
  }

  // Decode attempts made so far (for tests of the rule).
  std::uint64_t attempts() const noexcept { return attempts_; }
  // Idle retries that failed, over all packets so far (for tests of the rule).
  std::uint64_t idle_failures() const noexcept { return idle_failures_; }
  // Bytes buffered at each attempt, summed: at most what all attempts parsed (for tests).
  std::uint64_t parsed() const noexcept { return parsed_; }

 private:
  // Hands out the buffered bytes once, then throws Incomplete.
  class BufferedSource final : public wire::ByteSource {
   public:
    explicit BufferedSource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    std::span<const std::uint8_t> next() override {
      if (given_ || bytes_.empty()) throw Incomplete{};
      given_ = true;
      return bytes_;
    }

   private:
    std::span<const std::uint8_t> bytes_;
    bool given_ = false;
  };

  [[noreturn]] static void refuse_oversized(std::span<const std::uint8_t> pending, const PacketBound& bound);

  std::size_t failed_at_ = 0;  // bytes buffered at the last failed attempt of this packet (0: none)
  std::uint64_t bound_ = 0;    // packet_bound() of that packet
  std::uint64_t attempts_ = 0;
  std::uint64_t parsed_ = 0;
  std::uint32_t idle_retries_ = 0;  // of the current packet
  std::uint64_t idle_failures_ = 0;
};

}  // namespace chconn::detail::sansio
