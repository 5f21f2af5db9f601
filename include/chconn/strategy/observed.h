// Observed leases: a Lease wrapped so that whoever lent it learns how it went — the errors its
// calls threw and whether it ended broken. FailoverStrategy uses it to feed each host's circuit
// breaker and error count, the ConnectionManager to feed its per-strategy breakers.
//
// observe_lease(inner, observer) returns a new Lease whose connection forwards every call to
// inner's connection and remembers the chconn::Errors they threw. When the new lease ends, the
// observer's on_lease_end() runs first (with a LeaseOutcome), then the inner lease ends: marked
// broken (with the error seen, so a pool also learns the peer failed) when the outer one was
// marked broken, or when its connection is no longer usable.
//
// An observer may also see each read call of the lease (on_query: execute, select or query with
// its SQL), the blocks as they pass to the caller and how the call ended; ShadowStrategy uses that
// to mirror reads to a candidate.
//
// Thread safety: like any Lease, used by one thread at a time; on_lease_end() runs on the thread
// that ends the lease and must not throw. Lifetimes: the observer is owned by the lease; the Clock
// must outlive the lease.
//
// Example:
//   struct Count final : chconn::LeaseObserver {
//     void on_lease_end(const chconn::LeaseOutcome& o) noexcept override { failed = o.failed(); }
//     bool failed = false;
//   };
//   chconn::Lease lease = chconn::observe_lease(pool.acquire(), std::make_unique<Count>());
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "chconn/core/clock.h"
#include "chconn/core/error.h"
#include "chconn/strategy/lease.h"

namespace chconn {

// How an observed lease ended.
struct LeaseOutcome {
  // Ended broken: marked broken, or its connection was no longer usable.
  bool broken = false;
  // Broken in a way that blames the peer (see LeaseEnd::peer_failed).
  bool peer_failed = false;
  // The first error a call threw that classify() calls a host failure, or else the last error a
  // call threw; empty when every call succeeded.
  std::optional<Error> error;
  // From observe_lease() to the end of the lease, on the clock given to observe_lease().
  Clock::duration held{};

  // True when the lease tells against the server: a host-failure error, or a peer failure.
  bool failed() const noexcept { return peer_failed || (error && classify(*error).host_failure); }
};

// Sees one read call of an observed lease, on the caller's thread: every block the caller gets, in
// order, then the end. Owned by the observed connection for the call. Must not throw.
class QueryObserver {
 public:
  QueryObserver() = default;
  QueryObserver(const QueryObserver&) = delete;
  QueryObserver& operator=(const QueryObserver&) = delete;
  virtual ~QueryObserver() = default;
  virtual void on_block(const Block& block) noexcept = 0;
  // The call returned `summary` (execute's Result, whose blocks on_block already saw; select's or
  // a cursor's summary), or threw (`summary` null) — a cursor dropped before its end counts as
  // thrown. Called exactly once.
  virtual void on_end(const Result* summary) noexcept = 0;
};

class LeaseObserver {
 public:
  LeaseObserver() = default;
  LeaseObserver(const LeaseObserver&) = delete;
  LeaseObserver& operator=(const LeaseObserver&) = delete;
  virtual ~LeaseObserver() = default;
  // Called once, when the observed lease ends, before the inner lease ends. Must not throw.
  virtual void on_lease_end(const LeaseOutcome& outcome) noexcept = 0;
  // A read call (execute, select or query) of `sql` starts: an observer for its blocks and end, or
  // null (the default) to leave it unobserved. Runs on the caller's thread; must not throw.
  virtual std::unique_ptr<QueryObserver> on_query(std::string_view sql, const QueryOptions& options) noexcept {
    (void)sql;
    (void)options;
    return nullptr;
  }
};

// Wraps `inner` (which must hold a connection; else Error(usage)). `observer` may be null (then
// nothing is told, but the wrapping still happens).
Lease observe_lease(Lease inner, std::unique_ptr<LeaseObserver> observer, const Clock& clock = steady_clock());

// Whether the last call on `connection` (an observed one; false for any other) failed because the
// caller's own callback threw: a block callback, a QueryOptions callback (on_progress, on_profile,
// on_log, on_profile_events) or an InsertSource of execute, select or insert; a QueryOptions
// callback of a query() cursor's next() or an insert stream's write() or finish(), where "the last
// call" is that next(), write() or finish(). Such an error is the
// caller's, not the host's, whatever its kind: it is not recorded for the lease's end (no breaker
// or host failure) and the manager does not retry it. The connection still reports its own state
// (a drain that failed after the callback threw leaves it broken, which counts).
bool caller_callback_failed(const Connection& connection) noexcept;

// The connection an observed connection forwards to (recursively, through several wrappings), or
// `connection` itself when it is not an observed one. For tests that need the concrete type.
Connection& unwrap_connection(Connection& connection) noexcept;

}  // namespace chconn
