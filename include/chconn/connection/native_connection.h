// NativeConnection: a Connection that speaks ClickHouse's native TCP protocol over TCP or TLS.
//
// connect() opens the stream, performs the handshake and returns a ready connection. Each query
// then runs under a deadline (QueryOptions::timeout / deadline, else Config::timeouts.query); every
// single read also waits at most Config::timeouts.receive and every write Config::timeouts.send.
// When a query's deadline passes between packets, or a callback throws, the connection sends
// Cancel and drains the rest of the query for at most Config::timeouts.cancel_drain and never past
// the caller's deadline (QueryOptions::deadline, or the deadline given to connect() or ping()),
// staying usable if that works. When no time is left of the caller's deadline it does not drain;
// then, and after any network or protocol error, it closes itself and usable() turns false. So a
// call returns by the caller's deadline whatever the server does, and its timeout message names
// the limit that expired ("the caller's deadline of 1 s", "the query timeout of 600 s").
//
// Thread safety: one thread at a time (see Connection).
//
// Example:
//   auto config = chconn::Config::from_dsn("clickhouse://default@127.0.0.1:9000/default");
//   auto conn = chconn::NativeConnection::connect(config, config.hosts.front(),
//                                                 chconn::Deadline::after(config.timeouts.connect));
//   auto result = conn->execute("SELECT version()");
#pragma once

#include <memory>
#include <string>

#include "chconn/connection/connection.h"
#include "chconn/core/config.h"

namespace chconn {

namespace net {
class Resolver;
class Stream;
class TlsContext;
}  // namespace net

class NativeConnection final : public Connection {
 public:
  // Connects to `host` and performs the handshake within `deadline` (and the config's connect
  // timeout, which resolving the host name counts against). For TLS, `tls` may carry a shared
  // context; null makes one from config.tls. `resolver` may carry a shared Resolver (and its
  // cache, chconn/net/resolver.h); null makes one for this connection from config.dns_servers.
  // Reconnecting after a server error reuses both.
  // Throws Error: config when config.validate() does (before connecting) or for a dns_servers
  // entry that is not an IP address, network / timeout on connection failures (timeout also when
  // no DNS server answered in time), server for a refused login (wrong password: code 193 or 516;
  // unknown database: 81), protocol for a peer that is not ClickHouse.
  static std::unique_ptr<NativeConnection> connect(const Config& config, const HostPort& host, Deadline deadline,
                                                   std::shared_ptr<const net::TlsContext> tls = {},
                                                   std::shared_ptr<const net::Resolver> resolver = {});

  // Wraps an already-connected stream (used by tests with scripted peers) and handshakes on it.
  static std::unique_ptr<NativeConnection> handshake(const Config& config, std::unique_ptr<net::Stream> stream,
                                                     Deadline deadline);

  ~NativeConnection() override;

  Result execute(std::string_view sql, const QueryOptions& options = {}) override;
  using Connection::execute;
  Result select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                const QueryOptions& options = {}) override;
  // Streams: at most one block in memory (see QueryCursor).
  std::unique_ptr<QueryCursor> query(std::string_view sql, const QueryOptions& options = {}) override;
  void insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options = {}) override;
  // Streams: each block written is sent before write() returns.
  std::unique_ptr<InsertStream> insert(const InsertTarget& target, const QueryOptions& options = {}) override;
  using Connection::insert;
  void ping(Deadline deadline) override;
  void close() noexcept override;
  bool usable() const noexcept override;
  bool session_changed() const noexcept override;
  const ServerInfo& server_info() const noexcept override;
  const std::string& last_query_id() const noexcept override;
  const std::string& peer() const noexcept override;

  // The sample block the server sent for the last insert (column names and exact types), for
  // diagnostics.
  const Block& last_insert_sample() const noexcept;

  struct Impl;

 private:
  explicit NativeConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chconn
