// ShadowStrategy over two MockStrategies: which statements are mirrored, the comparison (columns,
// rows, order-insensitive or ordered checksum), reports with redacted SQL, candidate errors, the
// bounded queue that drops instead of waiting, sampling, and the caller's call untouched by all of
// it. Waits are for observable state (wait_idle, a connect hook's latch), never for a duration.
#include "chconn/strategy/shadow.h"

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"
#include "chconn/wire/columns.h"
#include "support/expect_error.h"
#include "support/mock_support.h"

namespace chconn {
namespace {

using chconn::test::expect_error;
using chconn::test::uint64_result;
using namespace std::chrono_literals;

struct Sides {
  std::shared_ptr<MockServer> primary_server = std::make_shared<MockServer>();
  std::shared_ptr<MockServer> candidate_server = std::make_shared<MockServer>();
  std::shared_ptr<MockStrategy> primary = std::make_shared<MockStrategy>(primary_server, "old");
  std::shared_ptr<MockStrategy> candidate = std::make_shared<MockStrategy>(candidate_server, "new");
  std::mutex mu;
  std::vector<ShadowMismatch> reports;

  ShadowOptions options(ShadowOptions o = {}) {
    o.on_mismatch = [this](const ShadowMismatch& m) {
      std::lock_guard lock(mu);
      reports.push_back(m);
    };
    return o;
  }
};

void idle(const ShadowStrategy& s) { ASSERT_TRUE(s.wait_idle(Deadline::after(60s))); }

TEST(Shadow, MirrorsReadOnlyStatementsOnlyAndMatchesEqualResults) {
  Sides sides;
  sides.primary_server->on("SELECT x FROM t", {.result = uint64_result("x", {1, 2, 3})});
  sides.candidate_server->on("SELECT x FROM t", {.result = uint64_result("x", {1, 2, 3})});
  ShadowStrategy shadow(sides.primary, sides.candidate, sides.options());
  {
    Lease lease = shadow.acquire();
    const Result r = lease->execute("SELECT x FROM t");
    EXPECT_EQ(r.row_count(), 3u);
    lease->execute("CREATE TABLE u (x UInt8) ENGINE = Memory");
    lease->execute("INSERT INTO u SELECT 1");
    std::size_t streamed = 0;
    lease->select("SELECT x FROM t", [&](const Block& b) { streamed += b.rows(); });
    EXPECT_EQ(streamed, 3u);
  }
  idle(shadow);
  EXPECT_EQ(sides.candidate_server->queries(), (std::vector<std::string>{"SELECT x FROM t", "SELECT x FROM t"}));
  const ShadowStats s = *shadow.shadow_stats();
  EXPECT_EQ(s.reads, 2u);
  EXPECT_EQ(s.not_read_only, 2u);
  EXPECT_EQ(s.compared, 2u);
  EXPECT_EQ(s.matched, 2u);
  EXPECT_EQ(s.mismatched, 0u);
  EXPECT_TRUE(sides.reports.empty());
}

TEST(Shadow, RowOrderCountsOnlyUnderOrderBy) {
  Sides sides;
  for (const char* sql :
       {"SELECT x FROM t", "SELECT x FROM t ORDER BY x", "SELECT x FROM (SELECT x FROM t ORDER BY x)"}) {
    sides.primary_server->on(sql, {.result = uint64_result("x", {1, 2, 3})});
    sides.candidate_server->on(sql, {.result = uint64_result("x", {3, 1, 2})});
  }
  ShadowStrategy shadow(sides.primary, sides.candidate, sides.options());
  {
    Lease lease = shadow.acquire();
    lease->execute("SELECT x FROM t");
    lease->execute("SELECT x FROM (SELECT x FROM t ORDER BY x)");  // an inner ORDER BY orders nothing outside
    lease->execute("SELECT x FROM t ORDER BY x");
  }
  idle(shadow);
  EXPECT_EQ(shadow.shadow_stats()->matched, 2u);
  ASSERT_EQ(sides.reports.size(), 1u);
  EXPECT_EQ(sides.reports[0].what, "checksum");
  EXPECT_EQ(sides.reports[0].sql, "SELECT x FROM t ORDER BY x");
  EXPECT_NE(sides.reports[0].diff.find("ORDER BY"), std::string::npos) << sides.reports[0].diff;
}

TEST(Shadow, ReportsTheFirstDifferenceWithTheQueryIdAndRedactedSql) {
  Sides sides;
  const auto typed = [](const std::shared_ptr<Column>& column, const std::string& name) {
    Result r;
    column->append_default();
    r.blocks.emplace_back();
    r.blocks.back().append(name, column);
    r.header.append(name, column->clone_empty());
    return r;
  };
  sides.primary_server->on(std::regex("SELECT .*"), {.result = uint64_result("x", {1, 2, 3})});
  sides.candidate_server->on("SELECT x FROM t WHERE s = 'hunter2'", {.result = uint64_result("x", {1, 2})});
  sides.candidate_server->on("SELECT x FROM t2", {.result = uint64_result("x", {1, 2, 4})});
  sides.candidate_server->on("SELECT x FROM t3", {.result = typed(std::make_shared<ColumnUInt32>(), "x")});
  sides.candidate_server->on("SELECT x FROM t4", {.result = typed(std::make_shared<ColumnUInt64>(), "y")});
  ShadowStrategy shadow(sides.primary, sides.candidate, sides.options());
  std::string first_query_id;
  {
    Lease lease = shadow.acquire();
    QueryOptions o;
    o.query_id = "q-primary-1";
    lease->execute("SELECT x FROM t WHERE s = 'hunter2'", o);
    for (const char* sql : {"SELECT x FROM t2", "SELECT x FROM t3", "SELECT x FROM t4"}) lease->execute(sql);
  }
  idle(shadow);
  ASSERT_EQ(sides.reports.size(), 4u);
  EXPECT_EQ(sides.reports[0].what, "rows");
  EXPECT_EQ(sides.reports[0].diff, "rows: primary 3, candidate 2");
  EXPECT_EQ(sides.reports[0].query_id, "q-primary-1");
  EXPECT_EQ(sides.reports[0].sql, "SELECT x FROM t WHERE s = '***'");
  EXPECT_EQ(sides.reports[1].what, "checksum");
  EXPECT_EQ(sides.reports[2].what, "columns");
  EXPECT_EQ(sides.reports[2].diff, "columns: primary (x UInt64), candidate (x UInt32)");
  EXPECT_EQ(sides.reports[3].diff, "columns: primary (x UInt64), candidate (y UInt64)");
  EXPECT_EQ(shadow.shadow_stats()->mismatched, 4u);
}

TEST(Shadow, CandidateErrorsAreReportedAndNeverReachTheCaller) {
  Sides sides;
  sides.primary_server->on("SELECT 1", {.result = uint64_result("x", {1})});
  sides.candidate_server->on("SELECT 1", {.error = Error(ErrorKind::server, "Code: 60. Table doesn't exist")});
  ShadowStrategy shadow(sides.primary, sides.candidate, sides.options());
  {
    Lease lease = shadow.acquire();
    EXPECT_EQ(lease->execute("SELECT 1").row_count(), 1u);
  }
  idle(shadow);
  sides.candidate_server->fail_next_connects(1);
  shadow.acquire()->execute("SELECT 1");
  idle(shadow);
  EXPECT_EQ(shadow.shadow_stats()->candidate_errors, 2u);
  ASSERT_EQ(sides.reports.size(), 2u);
  EXPECT_EQ(sides.reports[0].what, "candidate error");
  EXPECT_NE(sides.reports[0].diff.find("Table doesn't exist"), std::string::npos) << sides.reports[0].diff;
  EXPECT_NE(sides.reports[1].diff.find("connection refused"), std::string::npos) << sides.reports[1].diff;
}

TEST(Shadow, NothingIsMirroredWhenThePrimaryFailsOrTheCursorIsDropped) {
  Sides sides;
  sides.primary_server->on("SELECT bad", {.error = Error(ErrorKind::server, "Code: 47. Unknown identifier")});
  Result two;
  two.blocks = {test::uint64_block("x", {1}), test::uint64_block("x", {2})};
  two.header.append("x", std::make_shared<ColumnUInt64>());
  sides.primary_server->on("SELECT x FROM two", {.result = two});
  sides.candidate_server->on("SELECT x FROM two", {.result = two});
  ShadowStrategy shadow(sides.primary, sides.candidate, sides.options());
  {
    Lease lease = shadow.acquire();
    expect_error(ErrorKind::server, [&] { lease->execute("SELECT bad"); }, {"Unknown identifier"});
    {
      auto cursor = lease->query("SELECT x FROM two");
      ASSERT_TRUE(cursor->next());
    }  // dropped after one block of two
    auto cursor = lease->query("SELECT x FROM two");
    while (cursor->next()) {
    }
  }
  idle(shadow);
  const ShadowStats s = *shadow.shadow_stats();
  EXPECT_EQ(s.primary_failed, 2u);
  EXPECT_EQ(s.compared, 1u);
  EXPECT_EQ(s.matched, 1u);
  EXPECT_EQ(sides.candidate_server->queries(), (std::vector<std::string>{"SELECT x FROM two"}));
}

// The candidate is stuck connecting: the caller's calls return at once, one mirror waits in the
// worker, `queue_capacity` more are queued and the rest are dropped and counted.
TEST(Shadow, AFullQueueDropsWithoutMakingTheCallerWait) {
  Sides sides;
  sides.primary_server->on("SELECT 1", {.result = uint64_result("x", {1})});
  sides.candidate_server->on("SELECT 1", {.result = uint64_result("x", {1})});
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false;
  bool released = false;
  sides.candidate_server->set_connect_hook([&] {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
  });
  ShadowStrategy shadow(sides.primary, sides.candidate, sides.options({.queue_capacity = 2}));
  Lease lease = shadow.acquire();
  lease->execute("SELECT 1");
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });  // the worker holds the first mirror
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(lease->execute("SELECT 1").row_count(), 1u);
  ShadowStats s = *shadow.shadow_stats();
  EXPECT_EQ(s.queued, 2u);
  EXPECT_EQ(s.dropped, 2u);
  {
    std::lock_guard lock(mu);
    released = true;
  }
  cv.notify_all();
  idle(shadow);
  s = *shadow.shadow_stats();
  EXPECT_EQ(s.compared, 3u);
  EXPECT_EQ(s.matched, 3u);
  EXPECT_EQ(s.queued, 0u);
}

// Over n statements with a fixed seed, the mirrored count is within 5 standard deviations of
// n * p; 0 and 100 are exact.
TEST(Shadow, SamplingWithinFiveSigma) {
  constexpr int n = 4000;
  for (const double sample : {0.0, 10.0, 100.0}) {
    Sides sides;
    sides.primary_server->on("SELECT 1", {.result = uint64_result("x", {1})});
    ShadowStrategy shadow(sides.primary, sides.candidate,
                          sides.options({.sample = sample, .queue_capacity = 65536, .random_seed = 7}));
    {
      Lease lease = shadow.acquire();
      for (int i = 0; i < n; ++i) lease->execute("SELECT 1");
    }
    idle(shadow);
    const ShadowStats s = *shadow.shadow_stats();
    EXPECT_EQ(s.reads, static_cast<std::uint64_t>(n));
    EXPECT_EQ(s.compared + s.sampled_out, static_cast<std::uint64_t>(n));
    const double p = sample / 100;
    const double sigma = std::sqrt(n * p * (1 - p));
    EXPECT_LE(std::abs(static_cast<double>(s.compared) - n * p), 5 * sigma + 1e-9) << sample;
  }
}

// A write is mirrored only when mirror_write opts that statement in, every time, and compared
// like a read (here the candidate lacks the database, so its error is reported).
TEST(Shadow, WritesAreMirroredOnlyWhenOptedIn) {
  Sides sides;
  sides.candidate_server->on("INSERT INTO audit SELECT 1", {.error = Error(ErrorKind::server, "Code: 81. no db")});
  ShadowStrategy shadow(sides.primary, sides.candidate,
                        sides.options({.sample = 0, .mirror_write = [](std::string_view sql) {
                                         return sql.find("audit") != std::string_view::npos;
                                       }}));
  {
    Lease lease = shadow.acquire();
    lease->execute("CREATE TABLE audit (x UInt8) ENGINE = Memory");
    lease->execute("INSERT INTO audit SELECT 1");
    lease->execute("INSERT INTO other SELECT 1");
    lease->execute("SELECT 1");  // sampled out: sample is 0
  }
  idle(shadow);
  EXPECT_EQ(sides.candidate_server->queries(),
            (std::vector<std::string>{"CREATE TABLE audit (x UInt8) ENGINE = Memory", "INSERT INTO audit SELECT 1"}));
  const ShadowStats s = *shadow.shadow_stats();
  EXPECT_EQ(s.writes_mirrored, 2u);
  EXPECT_EQ(s.not_read_only, 1u);
  EXPECT_EQ(s.sampled_out, 1u);
  EXPECT_EQ(s.matched, 1u);
  EXPECT_EQ(s.candidate_errors, 1u);
  ASSERT_EQ(sides.reports.size(), 1u);
  EXPECT_EQ(sides.reports[0].sql, "INSERT INTO audit SELECT 1");
}

TEST(Shadow, RedactsEveryStringLiteral) {
  EXPECT_EQ(redact_sql_literals("SELECT * FROM remote('h:9000', db.t, 'user', 'p\\'w') WHERE a = \"col\""),
            "SELECT * FROM remote('***', db.t, '***', '***') WHERE a = \"col\"");
  EXPECT_EQ(redact_sql_literals("SELECT $x$secret$x$, 'open"), "SELECT '***', '***'");
  EXPECT_EQ(redact_sql_literals("SELECT 1 -- 'not a literal'"), "SELECT 1 -- 'not a literal'");
}

TEST(Shadow, OptionsAreChecked) {
  Sides sides;
  expect_error(ErrorKind::usage, [&] { ShadowStrategy(nullptr, sides.candidate); }, {"primary and a candidate"});
  expect_error(ErrorKind::config, [&] { ShadowStrategy(sides.primary, sides.candidate, {.sample = 101}); }, {"sample"});
  expect_error(ErrorKind::config, [&] { ShadowStrategy(sides.primary, sides.candidate, {.queue_capacity = 0}); },
               {"queue_capacity"});
  expect_error(ErrorKind::config, [&] { ShadowStrategy(sides.primary, sides.candidate, {.candidate_timeout = 0ms}); },
               {"candidate_timeout"});
}

}  // namespace
}  // namespace chconn
