// The facade: chconn::client(strategy?) on the library's one global pair, default_factory() and
// default_manager(). It takes the place of a hand-rolled get_clickhouse_client() (docs/guide.md,
// "Migrating from a hand-rolled client").
//
// One call path: a Client is a small value naming a ConnectionManager and a strategy, and every
// call goes through that manager (chconn/manager/manager.h): execute, select and insert are the
// manager's, lease() is manager.acquire(). So a Client and a manager over the same factory share
// one set of pools, one rule for what an error does to a lease (Lease::note_error: a connection
// that came back to rest is returned, one that broke is dropped), one place where parameters are
// merged, and the same counters, metrics and health report.
//
// Retries and the circuit breaker are the manager's options. chconn::client() uses
// default_manager(), which has neither (ManagerOptions::plain()) until initialize(config,
// manager_options) gives it some: then code written against Client gets them without a change.
// With the plain options a call that fails throws, even when the error is retryable(): after a
// server restart, for instance, the first call on a pooled connection that died while idle (and
// was lent without a validation ping: see PoolOptions::validate_after_idle) fails once with a
// network error; the pool then retires that peer's other idle connections, so later calls connect
// afresh (tests/integration/pool_test.cpp, PoolRestart). With retries on, the manager retries only
// what is safe to repeat (reads; see is_read_only_statement()).
//
// Timeouts: acquiring waits at most the strategy's own finite timeouts (a pool's acquire timeout,
// the connect timeout per host, both from the Config given to initialize()); with the plain
// options the Client adds no deadline of its own on the real clock, so strategies on an injected
// clock (a MockStrategy over a ManualClock in a unit test) see only their own time. A ping waits
// at most timeouts().connect.
//
// Thread safety: default_factory(), default_manager() and initialize() may be called from any
// thread; a Client may be copied freely and used from several threads at once (each call takes its
// own lease). Lifetimes: a Client shares ownership of its manager. A Client made over a
// ConnectionFactory& refers to that factory, which must outlive it (default_factory() lives until
// the program exits).
//
// Example:
//   chconn::initialize(chconn::Config::from_env());  // strategy chosen by CHCONN_ENV / config
//   auto rows = chconn::client().execute("SELECT name FROM system.tables LIMIT 5");
//   chconn::client("direct").execute("SYSTEM FLUSH LOGS");
//   {
//     chconn::Lease lease = chconn::client().lease();  // one connection for several statements
//     lease->execute("CREATE TEMPORARY TABLE ids (id UInt64)");
//     lease->execute("INSERT INTO ids VALUES (1)");
//   }
//   // Retries and a breaker for every chconn::client() call, over the same pools:
//   chconn::ManagerOptions options;  // retries of reads, a breaker per strategy
//   chconn::initialize(chconn::Config::from_env(), options);
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "chconn/connection/connection.h"
#include "chconn/connection/params.h"
#include "chconn/connection/result.h"
#include "chconn/core/config.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/lease.h"
#include "chconn/wire/block.h"

namespace chconn {

class Client {
 public:
  // Calls go through `manager` to its factory's strategy `strategy` (the default when empty). The
  // strategy is looked up on each call, so a later set_default() or replacement is seen. A null
  // manager is Error(usage).
  explicit Client(std::shared_ptr<ConnectionManager> manager, std::string strategy = {});
  // Calls go through a manager of its own over `factory` with ManagerOptions::plain() (shared by
  // the copies of this Client); `factory` must outlive it.
  explicit Client(ConnectionFactory& factory, std::string strategy = {});

  Result execute(std::string_view sql, const QueryOptions& options = {});
  Result execute(std::string_view sql, const Params& params);
  // `params` added to options.params (a name in both is Error(usage), before a lease is taken).
  Result execute(std::string_view sql, const Params& params, const QueryOptions& options);
  Result select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                const QueryOptions& options = {});
  // `table` as Connection::insert() takes it; text that is not a valid target (insert_target.h) is
  // Error(usage) before a lease is taken.
  void insert(std::string_view table, std::span<const Block> blocks, const QueryOptions& options = {});
  void insert(std::string_view table, const Block& block, const QueryOptions& options = {});
  // The streaming insert (Connection::insert with an InsertSource, chconn/connection/insert_source.h).
  void insert(std::string_view table, InsertSource& source, const QueryOptions& options = {});
  // The push form of the streaming insert on a lease of its own (chconn::Inserter, manager.h):
  //   auto ins = client.insert("events"); ins.write(block); ins.finish();
  // Never retried. Destroying it before finish() abandons the insert (the blocks sent stay inserted).
  Inserter insert(std::string_view table, const QueryOptions& options = {});
  // The result pulled block by block on a lease of its own (chconn::Cursor, manager.h); never
  // retried. Destroying it early cancels the query.
  Cursor query(std::string_view sql, const QueryOptions& options = {});
  Cursor query(std::string_view sql, const Params& params, const QueryOptions& options = {});
  void ping();

  // A lease for several calls on one connection (manager().acquire()); ended like any lease.
  Lease lease();

  // A copy of this client whose calls (and leases) are for `routing_key`, a user or tenant id: a
  // rollout strategy sends one key always to the same side (chconn/strategy/rollout.h), other
  // strategies ignore it (ExecuteOptions::routing_key). Never sent to the server. An empty key
  // routes as a client without one.
  //   chconn::client().routed(tenant_id).execute("SELECT ...");
  Client routed(std::string routing_key) const;
  const std::string& routing_key() const noexcept { return routing_key_; }

  // The strategy name this client was made for (empty: the factory's default at each call).
  const std::string& strategy() const noexcept { return strategy_; }
  ConnectionManager& manager() const noexcept { return *manager_; }
  ConnectionFactory& factory() const noexcept { return *manager_->factory(); }

 private:
  ExecuteOptions call_options(const QueryOptions& options) const;

  std::shared_ptr<ConnectionManager> manager_;
  std::string strategy_;
  std::string routing_key_;
};

// The process-wide factory (a function-local static: created on first use, destroyed at exit).
// Empty until initialize() or your own register_strategy().
ConnectionFactory& default_factory();

// The process-wide manager over default_factory(), which chconn::client() uses: made on first use
// with ManagerOptions::plain() (no retries, no breaker), replaced by initialize(config,
// manager_options). Clients made earlier keep the manager they were made with (over the same
// factory and pools). Its health thread is not started: call start() on it for one.
std::shared_ptr<ConnectionManager> default_manager();

// initialize(default_factory(), config) (see chconn/factory/factory.h); default_manager() keeps
// its options.
void initialize(const Config& config);
// The same, then default_manager() becomes a new manager over default_factory() with
// `manager_options` (validated first: bad options are Error(config) and change nothing).
void initialize(const Config& config, const ManagerOptions& manager_options);

// A Client of default_manager() for `strategy` (its default when empty).
Client client(std::string_view strategy = {});

}  // namespace chconn
