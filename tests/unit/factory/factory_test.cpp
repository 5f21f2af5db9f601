// ConnectionFactory and initialize(): registry errors and the environment's default strategies.
#include "chconn/factory/factory.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"
#include "chconn/strategy/pooled.h"
#include "chconn/strategy/rollout.h"
#include "chconn/strategy/shadow.h"
#include "support/expect_error.h"
#include "support/mock_support.h"
#include "support/net_tls.h"

namespace chconn {
namespace {

using test::expect_error;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Factory, RegisterAcquireAndNames) {
  ConnectionFactory factory;
  auto one = std::make_shared<MockStrategy>(nullptr, "one");
  auto two = std::make_shared<MockStrategy>(nullptr, "two");
  factory.register_strategy(two);
  factory.register_strategy(one);
  EXPECT_EQ(factory.names(), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(factory.get("one"), one);
  EXPECT_EQ(factory.find("three"), nullptr);
  factory.set_default("two");
  EXPECT_EQ(factory.default_name(), "two");
  factory.acquire()->execute("SELECT 1");
  factory.acquire("one")->execute("SELECT 2");
  EXPECT_EQ(two->server().queries(), std::vector<std::string>{"SELECT 1"});
  EXPECT_EQ(one->server().queries(), std::vector<std::string>{"SELECT 2"});
  EXPECT_EQ(factory.get(), two);
}

TEST(Factory, DuplicateNameIsAnErrorUnlessReplacing) {
  ConnectionFactory factory;
  factory.register_strategy(std::make_shared<MockStrategy>(nullptr, "same"));
  const auto message = expect_error(
      ErrorKind::usage, [&] { factory.register_strategy(std::make_shared<MockStrategy>(nullptr, "same")); });
  EXPECT_TRUE(contains(message, "'same' is already registered")) << message;
  EXPECT_TRUE(contains(message, "replace")) << message;
  auto replacement = std::make_shared<MockStrategy>(nullptr, "same");
  factory.register_strategy(replacement, true);
  EXPECT_EQ(factory.get("same"), replacement);
  EXPECT_THROW(factory.register_strategy(nullptr), Error);
}

TEST(Factory, UnknownDefaultListsTheRegisteredNames) {
  ConnectionFactory factory;
  factory.register_strategy(std::make_shared<MockStrategy>(nullptr, "alpha"));
  factory.register_strategy(std::make_shared<MockStrategy>(nullptr, "beta"));
  const auto message = expect_error(ErrorKind::usage, [&] { factory.set_default("gamma"); });
  EXPECT_TRUE(contains(message, "'gamma'")) << message;
  EXPECT_TRUE(contains(message, "alpha, beta")) << message;
  const auto unknown = expect_error(ErrorKind::usage, [&] { (void)factory.acquire("gamma"); });
  EXPECT_TRUE(contains(unknown, "alpha, beta")) << unknown;
}

TEST(Factory, NoDefaultAndNoNameIsAClearError) {
  ConnectionFactory factory;
  auto message = expect_error(ErrorKind::usage, [&] { (void)factory.acquire(); });
  EXPECT_TRUE(contains(message, "no default strategy")) << message;
  EXPECT_TRUE(contains(message, "none are registered")) << message;
  factory.register_strategy(std::make_shared<MockStrategy>());
  message = expect_error(ErrorKind::usage, [&] { (void)factory.acquire(); });
  EXPECT_TRUE(contains(message, "set_default")) << message;
  EXPECT_TRUE(contains(message, "mock")) << message;
}

TEST(Factory, UnregisterUnsetsTheDefault) {
  ConnectionFactory factory;
  factory.register_strategy(std::make_shared<MockStrategy>());
  factory.set_default("mock");
  EXPECT_TRUE(factory.unregister("mock"));
  EXPECT_FALSE(factory.unregister("mock"));
  EXPECT_EQ(factory.default_name(), "");
}

TEST(Factory, LeaseOutlivesReplacementOfItsStrategy) {
  ConnectionFactory factory;
  auto server = std::make_shared<MockServer>();
  factory.register_strategy(
      std::make_shared<PooledStrategy>(std::make_shared<MockConnector>(server), PooledOptions{.name = "pooled"}));
  Lease lease = factory.acquire("pooled");
  factory.register_strategy(std::make_shared<MockStrategy>(nullptr, "pooled"), true);  // old pool destroyed
  EXPECT_NO_THROW(lease->execute("SELECT 1"));
  lease.release();
  EXPECT_EQ(server->connections_open(), 0u);
}

TEST(Factory, ConcurrentUseIsSafe) {
  ConnectionFactory factory;
  factory.register_strategy(std::make_shared<MockStrategy>());
  factory.set_default("mock");
  auto work = [&](int id) {
    for (int i = 0; i < 200; ++i) {
      factory.acquire()->execute("SELECT 1");
      factory.register_strategy(std::make_shared<MockStrategy>(nullptr, "t" + std::to_string(id)), true);
      (void)factory.names();
    }
  };
  std::thread a(work, 1);
  std::thread b(work, 2);
  a.join();
  b.join();
  EXPECT_EQ(factory.names().size(), 3u);
}

Config config_for(Environment environment, std::string strategy = {}) {
  Config c;
  c.environment = environment;
  c.strategy = std::move(strategy);
  return c;
}

TEST(Initialize, EnvironmentPicksTheDefault) {
  {
    ConnectionFactory f;
    initialize(f, config_for(Environment::testing));
    EXPECT_EQ(f.default_name(), "mock");
    EXPECT_EQ(f.names(), (std::vector<std::string>{"direct", "failover", "mock", "pooled"}));
    EXPECT_NE(std::dynamic_pointer_cast<MockStrategy>(f.get()), nullptr);
  }
  {
    ConnectionFactory f;
    initialize(f, config_for(Environment::production));
    EXPECT_EQ(f.default_name(), "pooled");
    EXPECT_EQ(f.names(), (std::vector<std::string>{"direct", "failover", "pooled"})) << "mock only in testing";
    EXPECT_NE(std::dynamic_pointer_cast<PooledStrategy>(f.get()), nullptr);
  }
  {
    ConnectionFactory f;
    initialize(f, config_for(Environment::development));
    EXPECT_EQ(f.default_name(), "direct");
  }
  EXPECT_EQ(default_strategy_for(Environment::testing), "mock");
  EXPECT_EQ(default_strategy_for(Environment::production), "pooled");
  EXPECT_EQ(default_strategy_for(Environment::development), "direct");
}

// mock_strict (DSN mock_strict=true, CHCONN_MOCK_STRICT) makes the testing environment's mock
// refuse queries no rule matches, so a test learns about every query it did not script.
TEST(Initialize, MockStrictComesFromTheConfig) {
  for (const bool strict : {false, true}) {
    ConnectionFactory f;
    Config c = config_for(Environment::testing);
    c.mock_strict = strict;
    initialize(f, c);
    auto mock = std::dynamic_pointer_cast<MockStrategy>(f.get());
    ASSERT_NE(mock, nullptr);
    EXPECT_EQ(mock->server().options().strict, strict);
    Lease lease = mock->acquire();
    if (strict) {
      EXPECT_THROW(lease->execute("SELECT 1"), Error);
    } else {
      EXPECT_TRUE(lease->execute("SELECT 1").blocks.empty());
    }
  }
}

TEST(Initialize, ConfigStrategyOverridesTheEnvironment) {
  ConnectionFactory f;
  initialize(f, config_for(Environment::production, "direct"));
  EXPECT_EQ(f.default_name(), "direct");
  ConnectionFactory g;
  initialize(g, config_for(Environment::testing, "pooled"));
  EXPECT_EQ(g.default_name(), "pooled");
}

TEST(Initialize, UnknownStrategyIsAConfigErrorListingKnownOnes) {
  ConnectionFactory f;
  const auto message =
      expect_error(ErrorKind::config, [&] { initialize(f, config_for(Environment::production, "fastest")); });
  EXPECT_TRUE(contains(message, "'fastest'")) << message;
  EXPECT_TRUE(contains(message, "direct, failover, pooled")) << message;
}

TEST(Initialize, PoolAndTimeoutsComeFromTheConfig) {
  Config c = config_for(Environment::production);
  c.pool.max_size = 3;
  c.timeouts.pool_acquire = std::chrono::seconds(2);
  ConnectionFactory f;
  initialize(f, c);
  auto pool = std::dynamic_pointer_cast<PooledStrategy>(f.get("pooled"));
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->options().pool.max_size, 3u);
  EXPECT_EQ(pool->options().acquire_timeout, std::chrono::seconds(2));
  EXPECT_EQ(f.timeouts().pool_acquire, std::chrono::seconds(2));
  EXPECT_EQ(pool->stats().open, 0u) << "initialize opens no connection";
}

TEST(Initialize, InvalidConfigIsRejected) {
  Config c;
  c.hosts.clear();
  ConnectionFactory f;
  EXPECT_THROW(initialize(f, c), Error);
}

// initialize() with TLS verification turned off: one warning through the logger per connector —
// one shared by direct and pooled, one for the failover strategy's one host — made when the
// strategies are, and none for each connection. The server closes each connection right after the
// TLS handshake, so every acquire connects anew and fails.
TEST(Initialize, TurnedOffVerificationIsLoggedPerStrategyNotPerConnection) {
  static const test::TestPki pki = test::TestPki::create();
  test::TlsEchoServer server({.identity = pki.server, .mode = test::TlsServerMode::close_after_handshake});
  test::CapturingLog log;
  Config c = config_for(Environment::production);
  c.hosts = {{server.host(), server.port()}};
  c.secure = true;
  c.tls.verify = false;
  c.timeouts.connect = std::chrono::seconds(10);
  c.logger = log.logger();
  const auto warnings = [&] {
    std::size_t n = 0;
    for (const auto& m : log.messages(LogLevel::warning)) n += contains(m, "verification is off") ? 1 : 0;
    return n;
  };
  ConnectionFactory f;
  initialize(f, c);
  EXPECT_EQ(warnings(), 2u) << "direct and pooled share a connector; failover has one per host";
  for (int i = 0; i < 2; ++i) {
    EXPECT_THROW((void)f.acquire("direct"), Error);
    EXPECT_THROW((void)f.acquire("pooled"), Error);
    EXPECT_THROW((void)f.acquire("failover"), Error);
  }
  EXPECT_GE(server.handshakes_ok(), 6);
  EXPECT_EQ(warnings(), 2u) << "connections add no warning";
}

TEST(Initialize, AgainReplacesTheStrategies) {
  ConnectionFactory f;
  initialize(f, config_for(Environment::testing));
  auto first = f.get("mock");
  initialize(f, config_for(Environment::testing));
  EXPECT_NE(f.get("mock"), first);
}

}  // namespace
}  // namespace chconn

namespace chconn {
namespace {

// strategy=rollout registers "rollout" over the named arms (or arms made from DSNs of their own,
// named rollout.a / rollout.b), with the config's share; no connection is opened.
TEST(Initialize, RolloutOverNamedArmsAndArmDsns) {
  {
    Config c = config_for(Environment::testing, "rollout");
    c.rollout.a = "mock";
    c.rollout.b = "failover";
    c.rollout.share = 2.5;
    ConnectionFactory f;
    initialize(f, c);
    EXPECT_EQ(f.default_name(), "rollout");
    auto rollout = std::dynamic_pointer_cast<RolloutStrategy>(f.get());
    ASSERT_NE(rollout, nullptr);
    EXPECT_EQ(rollout->arm_a(), f.get("mock"));
    EXPECT_EQ(rollout->arm_b(), f.get("failover"));
    EXPECT_DOUBLE_EQ(rollout->share(), 2.5);
    EXPECT_EQ(rollout->arm_stats().at(1).strategy, "failover");
  }
  {
    Config c = config_for(Environment::production, "rollout");
    c.rollout.b = "clickhouse://new1:9000,new2:9000?strategy=failover";
    ConnectionFactory f;
    initialize(f, c);
    auto rollout = std::dynamic_pointer_cast<RolloutStrategy>(f.get());
    ASSERT_NE(rollout, nullptr);
    EXPECT_EQ(rollout->arm_a(), f.get("pooled"));
    EXPECT_EQ(rollout->arm_b()->name(), "rollout.b");
    EXPECT_EQ(rollout->host_stats().size(), 2u);  // arm B's two hosts (pooled A has no host list)
  }
  {
    Config c = config_for(Environment::production, "rollout");
    c.rollout.b = "mock";  // not registered outside testing
    ConnectionFactory f;
    const auto message = expect_error(ErrorKind::config, [&] { initialize(f, c); });
    EXPECT_TRUE(contains(message, "rollout_b names strategy 'mock'")) << message;
  }
}

// strategy=shadow registers "shadow" over its named primary and a candidate from a DSN of its own
// (named shadow.candidate), with the config's sample; no connection is opened.
TEST(Initialize, ShadowOverANamedPrimaryAndACandidateDsn) {
  Config c = config_for(Environment::production, "shadow");
  c.shadow.primary = "failover";
  c.shadow.candidate = "clickhouse://new1:9000?strategy=direct";
  c.shadow.sample = 12.5;
  ConnectionFactory f;
  initialize(f, c);
  EXPECT_EQ(f.default_name(), "shadow");
  auto shadow = std::dynamic_pointer_cast<ShadowStrategy>(f.get());
  ASSERT_NE(shadow, nullptr);
  EXPECT_EQ(shadow->primary(), f.get("failover"));
  EXPECT_EQ(shadow->candidate()->name(), "shadow.candidate");
  EXPECT_DOUBLE_EQ(shadow->sample(), 12.5);
  EXPECT_TRUE(shadow->shadow_stats());

  c.shadow.candidate = "mock";  // not registered outside testing
  ConnectionFactory g;
  const auto message = expect_error(ErrorKind::config, [&] { initialize(g, c); });
  EXPECT_TRUE(contains(message, "shadow_candidate names strategy 'mock'")) << message;
}

}  // namespace
}  // namespace chconn
