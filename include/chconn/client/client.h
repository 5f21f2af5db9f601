// The facade: chconn::client(strategy?) on the one global of the library, default_factory(). It
// takes the place of a hand-rolled get_clickhouse_client() (docs/guide.md, "Migrating from a
// hand-rolled client").
//
// A Client is a small value naming a factory and a strategy. Each of its calls (execute, select,
// insert, ping) takes a lease for just that call and returns it before returning, also when the
// call throws. When the error broke the connection (classify(e).connection_broken), the lease is
// marked broken so a pool drops the connection (and its idle siblings to the same peer). To run
// several statements on one connection (a temporary table, a session setting), take a lease().
//
// No retries: a call that fails throws, even when the error is retryable(). After a server restart,
// for instance, the first call on a pooled connection that died while idle (and was lent without a
// validation ping: see PoolOptions::validate_after_idle) fails once with a network error; the pool
// then retires that peer's other idle connections, so later calls connect afresh
// (tests/integration/pool_test.cpp, PoolRestart). Client cannot know whether the server ran
// a query whose reply was lost, nor whether the statement is safe to repeat, so retrying is left to
// the caller or to the manager layer's retry policy.
//
// Timeouts: acquiring waits at most the strategy's own finite timeouts (a pool's acquire timeout,
// the connect timeout per host, both from the Config given to initialize()); the Client adds no
// deadline of its own on the real clock, so strategies on an injected clock (a MockStrategy over a
// ManualClock in a unit test) see only their own time. A ping waits at most timeouts().connect.
//
// Thread safety: default_factory() and initialize() may be called from any thread; a Client may be
// copied freely and used from several threads at once (each call takes its own lease).
// Lifetimes: a Client refers to its factory, which must outlive it (default_factory() lives until
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
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "chconn/connection/connection.h"
#include "chconn/connection/params.h"
#include "chconn/connection/result.h"
#include "chconn/core/config.h"
#include "chconn/factory/factory.h"
#include "chconn/strategy/lease.h"
#include "chconn/wire/block.h"

namespace chconn {

class Client {
 public:
  // Calls go to `strategy` of `factory` (its default when empty). The strategy is looked up on
  // each call, so a later set_default() or replacement is seen.
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
  void ping();

  // A lease for several calls on one connection; ended like any lease.
  Lease lease();

  // The strategy name this client was made for (empty: the factory's default at each call).
  const std::string& strategy() const noexcept { return strategy_; }
  ConnectionFactory& factory() const noexcept { return *factory_; }

 private:
  template <class F>
  decltype(auto) with_lease(F&& f);

  ConnectionFactory* factory_;
  std::string strategy_;
};

// The process-wide factory (a function-local static: created on first use, destroyed at exit).
// Empty until initialize() or your own register_strategy().
ConnectionFactory& default_factory();

// initialize(default_factory(), config): see chconn/factory/factory.h.
void initialize(const Config& config);

// A Client of default_factory() for `strategy` (its default when empty).
Client client(std::string_view strategy = {});

}  // namespace chconn
