// chconn::net::Interrupt — wakes a stream's wait for the peer from another thread (or a signal
// handler), so a blocked read ends at once instead of at its deadline.
//
// A stream watches an Interrupt while one is set on it (Stream::set_interrupt()); a read that would
// wait for the peer while the Interrupt is triggered, or is waiting when it is triggered, throws
// Error(cancelled) having consumed nothing, so the stream may still be read (a connection uses this
// to stop waiting for the next packet, send Cancel and drain). Writes are not interrupted: a write
// stopped half-way would leave the stream unusable.
//
// The Interrupt stays triggered until clear(): every wait while it is triggered ends at once.
//
// Thread safety: trigger() may be called from any thread, concurrently with a wait on a stream that
// watches it, and is async-signal-safe. clear() and the constructor/destructor are called by the
// owner only, with no wait in progress. The Interrupt must outlive every stream's watch of it
// (set_interrupt(nullptr) before destroying it).
//
// Example:
//   chconn::net::Interrupt stop;
//   stream->set_interrupt(&stop);
//   std::stop_callback wake(token, [&] { stop.trigger(); });
//   stream->read_some(buf, n, deadline);  // throws Error(cancelled) once the token is stopped
#pragma once

namespace chconn::net {

class Interrupt {
 public:
  // Throws Error(network) if the operating system has no descriptor left for it.
  Interrupt();
  Interrupt(const Interrupt&) = delete;
  Interrupt& operator=(const Interrupt&) = delete;
  ~Interrupt();

  // Wakes the waits of the streams that watch it, now and until clear(). Never throws; async-signal-safe.
  void trigger() noexcept;
  // Ends the triggered state.
  void clear() noexcept;
  // Whether trigger() was called since the last clear().
  bool triggered() const noexcept;

  // The descriptor a wait polls for readability (an eventfd on Linux).
  int native_handle() const noexcept { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace chconn::net
