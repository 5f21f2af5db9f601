// Lease: the RAII handle through which a strategy lends one Connection to one caller — the C++
// form of Python's `async with strategy.create_connection() as conn:` (docs/guide.md, "Migrating
// from a hand-rolled client").
//
// A Lease is move-only. `lease->execute(...)` reaches the connection. When the lease ends
// (destructor, release(), or being moved onto), the connection goes back to whatever lent it
// (its LeaseOwner): a pool keeps it for the next caller, a direct strategy closes it. The owner
// drops the connection instead of reusing it when
//   - the lease was marked broken (mark_broken()), or
//   - the connection reports itself unusable (!usable(): an error left the protocol mid-stream), or
//   - (a pool) the connection changed its session (SET, USE, a temporary table: see
//     Connection::session_changed() and PoolOptions::keep_session_state).
// After an error from a call on the lease, note_error(e) is the one rule for what it means.
// A connection dropped because it broke (mark_broken(error) with an error that classify() calls
// connection_broken and host_failure, or !usable()) also tells a pool that the other idle
// connections to the same peer are probably dead too (a server restart resets them all); see
// PooledStrategy.
//
// Lifetimes: a lease keeps its owner's state alive (never the strategy object): by holding a
// shared reference to it, or — for owners that manage this themselves (Lease::borrowed, used by
// PooledStrategy) — because the owner keeps itself alive while it has leases out. Either way a
// lease may outlive the strategy that made it: the strategy's destructor closes its idle
// connections, and a lease that ends later closes its connection instead of returning it. The
// Clock a strategy was given must outlive the strategy's leases too.
//
// Thread safety: a Lease, like the Connection inside it, is used by one thread at a time. It may
// be moved to, and ended on, another thread. Ending leases concurrently is safe (owners are).
//
// Example:
//   {
//     chconn::Lease lease = strategy.acquire(chconn::Deadline::after(std::chrono::seconds(5)));
//     try {
//       lease->execute("INSERT INTO t SELECT * FROM staging");
//     } catch (const chconn::Error& e) {
//       lease.note_error(e);  // dropped if the error broke it, kept if it came back to rest
//       throw;
//     }
//   }  // the connection is back in the pool (or dropped, if it broke)
#pragma once

#include <memory>
#include <utility>

#include "chconn/connection/connection.h"
#include "chconn/core/error.h"

namespace chconn {

// How a lease ended, as its owner is told.
struct LeaseEnd {
  // Drop the connection: it was marked broken or reports !usable().
  bool broken = false;
  // The connection broke in a way that suggests the peer's other connections are dead too
  // (reset, broken pipe, closed by a restarting server): a pool retires its idle ones to that peer.
  bool peer_failed = false;
  // The connection ran a statement that changed its session (Connection::session_changed()): a
  // pool closes it rather than lend it to the next caller, unless told to keep sessions.
  bool session_changed = false;
};

// What a lease returns its connection to. Implemented by strategies (and by anyone writing their
// own strategy). Owners are shared between the strategy and all its live leases.
class LeaseOwner {
 public:
  LeaseOwner() = default;
  LeaseOwner(const LeaseOwner&) = delete;
  LeaseOwner& operator=(const LeaseOwner&) = delete;
  virtual ~LeaseOwner() = default;

  // Takes back `connection`, lent with `token` (the owner's own bookkeeping, opaque to the lease).
  // Called exactly once per lease, on the thread that ends it. Must not throw.
  virtual void give_back(std::unique_ptr<Connection> connection, void* token, LeaseEnd end) noexcept = 0;
};

class Lease {
 public:
  // An empty lease (as after a move): it owns nothing, and using it throws Error(usage).
  Lease() noexcept = default;
  // A lease of `connection` (never null) that returns it to `owner` (never null) with `token`.
  // The lease shares ownership of `owner`, which therefore lives at least as long as the lease.
  Lease(std::shared_ptr<LeaseOwner> owner, std::unique_ptr<Connection> connection, void* token = nullptr) noexcept
      : owner_(owner.get()), owner_ref_(std::move(owner)), connection_(std::move(connection)), token_(token) {}

  // A lease whose owner keeps itself alive until every lease it lent has been given back (so the
  // lease holds no reference count). For owners on a hot path: PooledStrategy lends this way, and
  // takes a reference to itself only when it is destroyed with leases outstanding.
  static Lease borrowed(LeaseOwner& owner, std::unique_ptr<Connection> connection, void* token = nullptr) noexcept {
    Lease lease;
    lease.owner_ = &owner;
    lease.connection_ = std::move(connection);
    lease.token_ = token;
    return lease;
  }

  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease(Lease&& other) noexcept
      : owner_(std::exchange(other.owner_, nullptr)),
        owner_ref_(std::move(other.owner_ref_)),
        connection_(std::move(other.connection_)),
        token_(std::exchange(other.token_, nullptr)),
        broken_(std::exchange(other.broken_, false)),
        peer_failed_(std::exchange(other.peer_failed_, false)) {}
  // Ends this lease (returning its connection), then takes over `other`'s.
  Lease& operator=(Lease&& other) noexcept {
    if (this != &other) {
      release();
      owner_ = std::exchange(other.owner_, nullptr);
      owner_ref_ = std::move(other.owner_ref_);
      connection_ = std::move(other.connection_);
      token_ = std::exchange(other.token_, nullptr);
      broken_ = std::exchange(other.broken_, false);
      peer_failed_ = std::exchange(other.peer_failed_, false);
    }
    return *this;
  }
  ~Lease() { release(); }

  // The connection. Throws Error(usage) on an empty (moved-from or released) lease.
  Connection& connection() const {
    if (!connection_) throw_empty();
    return *connection_;
  }
  Connection* operator->() const { return &connection(); }
  Connection& operator*() const { return connection(); }

  // True while the lease holds a connection.
  explicit operator bool() const noexcept { return connection_ != nullptr; }

  // The connection must not be reused: its owner closes it when the lease ends.
  void mark_broken() noexcept { broken_ = true; }
  // The same, because of `cause`. When classify(cause) says both connection_broken and
  // host_failure (a reset, a broken pipe, a timeout, a corrupt stream — not a cancellation by the
  // caller), the owner also learns that the peer's other connections are suspect.
  void mark_broken(const Error& cause) noexcept {
    broken_ = true;
    const ErrorClass c = classify(cause);
    if (c.connection_broken && c.host_failure) peer_failed_ = true;
  }
  bool broken() const noexcept { return broken_; }

  // What an error thrown by a call on this lease does to it; the one rule every caller of the
  // library uses (Client, ConnectionManager, the strategies' health checks, the CLI). A connection
  // the error left unusable is dropped when the lease ends, and the peer's other connections are
  // suspected when classify(error) says the host failed (a reset, a timeout that could not be
  // drained) rather than the caller (a cancellation, a usage error). A connection that came back to
  // rest (a server exception, a timed-out query whose Cancel was drained in time) is kept: it is as
  // good as a fresh one. Never throws.
  void note_error(const Error& error) noexcept {
    if (connection_ && !connection_->usable()) mark_broken(error);
  }

  // Ends the lease now: the connection goes back to its owner (or is dropped, see above). The
  // lease is empty afterwards. Idempotent; never throws.
  void release() noexcept {
    if (!connection_) return;
    LeaseEnd end{.broken = broken_, .peer_failed = peer_failed_, .session_changed = connection_->session_changed()};
    // The lease's thread is the only user of the connection, so asking it here is safe; the owner
    // may then decide under its own lock without touching the connection. An unusable connection
    // whose cause nobody recorded (note_error) is dropped, and its peer suspected.
    if (!connection_->usable() && !broken_) end.broken = end.peer_failed = true;
    LeaseOwner* owner = std::exchange(owner_, nullptr);
    // Held until give_back() has returned: the owner may be gone after that.
    const std::shared_ptr<LeaseOwner> keep = std::move(owner_ref_);
    broken_ = peer_failed_ = false;
    owner->give_back(std::move(connection_), std::exchange(token_, nullptr), end);
  }

 private:
  [[noreturn]] static void throw_empty();

  LeaseOwner* owner_ = nullptr;
  std::shared_ptr<LeaseOwner> owner_ref_;  // null for borrowed leases
  std::unique_ptr<Connection> connection_;
  void* token_ = nullptr;
  bool broken_ = false;
  bool peer_failed_ = false;
};

}  // namespace chconn
