// The "embedded" strategy: connections to the ClickHouse engine inside this process (chDB's
// libchdb.so, through EmbeddedConnection in chconn/connection/embedded_connection.h), so that a
// service or a test switches between a server and the embedded engine by its DSN alone:
//
//   chconn::initialize(chconn::Config::from_dsn("embedded://"));          // data in memory
//   chconn::initialize(chconn::Config::from_dsn("embedded:///var/lib/x"));  // data kept under a folder
//
// It is a PooledStrategy named "embedded" over embedded_connector(config): each connection is one
// chDB session, reused by later leases (a session whose state a lease changed, by SET or USE, is
// closed as with a server; see PoolOptions::keep_session_state), and at most config.pool.max_size
// sessions are open at once, each used by one lease at a time. Opening a session is cheap once the
// engine runs; the first acquire() of the process loads the library and starts the engine (about a
// second), within the acquire's deadline only in that it is checked before. For a new session per
// lease, closed when the lease ends, make a DirectStrategy over embedded_connector(config) instead.
//
// The engine is one per process (chDB's rule): every embedded strategy and connection of a process
// must use the same data path (EmbeddedOptions::path), or acquire() throws Error(config).
//
// Thread safety: as every strategy. Lifetimes: leases may outlive the strategy.
#pragma once

#include <memory>

#include "chconn/core/config.h"
#include "chconn/strategy/strategy.h"

namespace chconn {

// The strategy "embedded" for `config` (its embedded options, settings, database, timeouts and
// pool options). Nothing is loaded until the first acquire().
std::shared_ptr<ConnectionStrategy> make_embedded_strategy(const Config& config);

}  // namespace chconn
