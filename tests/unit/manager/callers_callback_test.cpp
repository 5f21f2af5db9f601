// A QueryOptions callback of the caller's that throws while a cursor or an insert stream of the
// ConnectionManager runs: what it throws is the caller's failure, not the host's, whatever its kind
// (issue 18). The cursor's next() and the stream's finish() call the callbacks after query() and
// insert() have returned, so the observed lease's guard must travel with the options they keep.
// The same rule for execute, select and a source insert is manager_test.cpp's
// ACallbacksOwnErrorIsNotTheHostsFailure, over the mock (which calls no QueryOptions callback).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>

#include "chconn/connection/connector.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/pooled.h"
#include "support/expect_error.h"
#include "support/fake_server.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::expect_error;
using test::FakeScript;
using test::FakeServer;
namespace fake = test::fake;

struct Managed {
  explicit Managed(const FakeServer& server) {
    Config config = server.client_config("chconn-callers-callback");
    config.timeouts.query = 30s;
    pool = std::make_shared<PooledStrategy>(native_connector(config), config);
    auto factory = std::make_shared<ConnectionFactory>();
    factory->register_strategy(pool);
    factory->set_default(pool->name());
    ManagerOptions m;
    m.breaker.window_size = 4;
    m.breaker.minimum_calls = 1;  // one failed call would open it
    m.retry.max_attempts = 3;
    m.retry.base_delay = 1ms;
    m.retry.max_delay = 1ms;
    manager = std::make_unique<ConnectionManager>(factory, m);
  }
  std::shared_ptr<PooledStrategy> pool;
  std::unique_ptr<ConnectionManager> manager;
};

ExecuteOptions throwing_progress(int& calls) {
  ExecuteOptions o;
  o.query.on_progress = [&calls](const QueryProgress&, const QueryProgress&) {
    ++calls;
    throw Error(ErrorKind::timeout, "the caller's own sink timed out");
  };
  return o;
}

TEST(CallersCallback, AProgressCallbackThrowingInACursorIsNotTheHostsFailure) {
  // Progress before the first block; the query is cancelled and drained; then a plain query.
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)) + fake::progress_packet(1, 8) +
                              fake::data_packet(fake::uint64_block(3)))
                        .read_code(3)
                        .send(fake::end_of_stream_packet())
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(2)) + fake::end_of_stream_packet()));
  Managed m(server);
  int calls = 0;
  {
    Cursor cursor = m.manager->query("SELECT x FROM t", {}, throwing_progress(calls));
    expect_error(ErrorKind::timeout, [&] { (void)cursor.next(); }, {"caller's own sink"});
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(m.manager->breaker(m.pool->name()).metrics().failed_calls, 0u);
  EXPECT_EQ(m.manager->breaker(m.pool->name()).state(), CircuitState::closed);
  // The drained connection went back to the pool and serves the next call.
  EXPECT_EQ(m.pool->stats().idle, 1u);
  EXPECT_EQ(m.manager->execute("SELECT y").row_count(), 2u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

TEST(CallersCallback, AProgressCallbackThrowingInAnInsertStreamIsNotTheHostsFailure) {
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)))
                        .read_insert_data()
                        .send(fake::progress_packet(5, 40) + fake::end_of_stream_packet())
                        .read_code(3)  // the Cancel the callback's failure sends; the drain reads the end
                        .read_code(4)
                        .send(fake::pong_packet()));
  Managed m(server);
  int calls = 0;
  {
    Inserter inserter = m.manager->insert("t", throwing_progress(calls));
    inserter.write(fake::uint64_block(5));
    expect_error(ErrorKind::timeout, [&] { inserter.finish(); }, {"caller's own sink"});
  }
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(m.manager->breaker(m.pool->name()).metrics().failed_calls, 0u);
  EXPECT_EQ(m.manager->breaker(m.pool->name()).state(), CircuitState::closed);
  EXPECT_EQ(server.data_rows(), 5u);
  m.manager->acquire()->ping(Deadline::after(5s));
  EXPECT_EQ(server.connections(), 1);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

}  // namespace
}  // namespace chconn
