// No password in any message: with a known password, every error message (and its causes), every
// log line at trace level and every printed form of the Config is collected while connecting,
// querying and failing in all the ways a user meets, and the password must appear in none of them —
// neither as typed, nor percent-encoded, nor in another letter case.
//
// The sandbox's users are extended for this test by a users.d fragment (ClickHouse merges
// users.d/*.xml and reloads it within seconds): user chconn_sentinel with the sentinel password, so
// a session that really logs in with it can fail in every post-login way too.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chconn/connection/connector.h"
#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/core/log.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/direct.h"
#include "chconn/strategy/failover.h"
#include "chconn/strategy/pooled.h"
#include "cli_support.h"
#include "support/connection_helpers.h"
#include "support/fake_server.h"
#include "support/net_loopback.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view k_sentinel = "pw-Sentinel-8d1f";
constexpr std::string_view k_sentinel_user = "chconn_sentinel";
// The same secret with every reserved URL character in it, for the DSN paths.
constexpr std::string_view k_reserved_sentinel = "p@ss:w/rd?#%Sentinel-8d1f";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// %XX for every byte (the form a paranoid encoder writes).
std::string percent_all(std::string_view s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    out += buf;
  }
  return out;
}

// %XX for the bytes outside RFC 3986's unreserved set (the form a DSN needs).
std::string percent_reserved(std::string_view s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// The lower-cased forms of `secret` that must not occur in lower-cased text. The tail after the
// last reserved character is included too: a password cut at a separator still leaks.
std::vector<std::string> variants(std::string_view secret) {
  std::vector<std::string> v = {lower(secret), lower(percent_all(secret)), lower(percent_reserved(secret))};
  const auto tail = secret.find("Sentinel");
  if (tail != std::string_view::npos) v.push_back(lower(secret.substr(tail)));
  return v;
}

std::string sha256_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), digest, &n, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

// Everything the library said, with where it came from.
class Collected {
 public:
  void add(std::string label, std::string_view text) {
    std::lock_guard lock(mutex_);
    items_.emplace_back(std::move(label), std::string(text));
  }
  void add_error(const std::string& label, const Error& e) {
    add(label + " what()", e.what());
    add(label + " message()", e.message());
    add(label + " server_name()", e.server_name());
    add(label + " stack trace", e.server_stack_trace());
    int depth = 0;
    for (const Error* cause = e.cause(); cause && depth < 64; cause = cause->cause(), ++depth) {
      add(label + " cause " + std::to_string(depth), cause->what());
    }
  }
  // Runs `f`, which must throw chconn::Error, and collects the error.
  template <class F>
  void expect_error(const std::string& label, F&& f) {
    try {
      f();
      ADD_FAILURE() << label << ": no error";
    } catch (const Error& e) {
      add_error(label, e);
    } catch (const std::exception& e) {
      ADD_FAILURE() << label << ": not a chconn::Error: " << e.what();
    }
  }
  std::shared_ptr<const Logger> logger() {
    return std::make_shared<const Logger>(
        [this](LogLevel level, std::string_view line) { add("log " + std::string(to_string(level)), line); },
        LogLevel::trace);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }
  std::size_t log_lines() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(items_.begin(), items_.end(), [](const auto& item) { return item.first.rfind("log ", 0) == 0; }));
  }

  void expect_absent(std::string_view secret) const {
    std::lock_guard lock(mutex_);
    for (const std::string& needle : variants(secret)) {
      for (const auto& [label, text] : items_) {
        EXPECT_EQ(lower(text).find(needle), std::string::npos)
            << "the secret (as '" << needle << "') is in " << label << ": " << text.substr(0, 400);
      }
    }
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> items_;
};

// Adds user chconn_sentinel to the main sandbox for the object's life, and waits until the server
// has loaded it (its users config is re-read every couple of seconds).
class SentinelUser {
 public:
  SentinelUser() {
    const test::SandboxServer server = test::sandbox("main");
    dir_ = std::filesystem::path(server.dir) / "users.d";
    std::filesystem::create_directories(dir_);
    file_ = dir_ / "chconn_secrets_test.xml";
    std::ofstream out(file_);
    out << "<?xml version=\"1.0\"?>\n<yandex><users><" << k_sentinel_user << "><password_sha256_hex>"
        << sha256_hex(k_sentinel) << "</password_sha256_hex><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>"
        << "<profile>default</profile><quota>default</quota></" << k_sentinel_user << "></users></yandex>\n";
    out.close();
    Config config = test::sandbox_config("main");
    config.user = std::string(k_sentinel_user);
    config.password = std::string(k_sentinel);
    // Bounded: the reload interval is 2 s; 30 s means the fragment was not picked up at all.
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    for (;;) {
      try {
        test::connect(config)->ping(Deadline::after(5s));
        ready_ = true;
        return;
      } catch (const Error& e) {
        if (std::chrono::steady_clock::now() > give_up) {
          last_error_ = e.what();
          return;
        }
      }
      std::this_thread::sleep_for(200ms);  // polling the server's reload, not timing an assert
    }
  }
  ~SentinelUser() {
    std::error_code ignored;
    std::filesystem::remove(file_, ignored);
  }
  SentinelUser(const SentinelUser&) = delete;
  SentinelUser& operator=(const SentinelUser&) = delete;

  bool ready() const { return ready_; }
  const std::string& last_error() const { return last_error_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path file_;
  bool ready_ = false;
  std::string last_error_;
};

Config sentinel_config(Collected& collected, std::string_view user = k_sentinel_user) {
  Config config = test::sandbox_config("main");
  config.user = std::string(user);
  config.password = std::string(k_sentinel);
  config.logger = collected.logger();
  return config;
}

TEST(Secrets, PasswordAppearsInNoMessageLogOrPrintedConfig) {
  Collected collected;

  // 1. A wrong password against the sandbox (chconn_pw has another one).
  {
    const Config config = sentinel_config(collected, test::k_password_user);
    collected.expect_error("wrong password", [&] { test::connect(config); });
    collected.expect_error("wrong password via connector",
                           [&] { native_connector(config)->connect(Deadline::after(5s)); });
    collected.add("connector describe", native_connector(config)->describe());
  }

  // 2. A session that logs in with the secret, then fails every way a query can.
  {
    SentinelUser user;
    ASSERT_TRUE(user.ready()) << "the sandbox did not load the users.d fragment: " << user.last_error();
    Config config = sentinel_config(collected);
    auto conn = test::connect(config);
    collected.add("peer", conn->peer());
    EXPECT_EQ(conn->execute("SELECT 1 AS v").value<int>("v"), 1);
    collected.expect_error("unknown table", [&] { conn->execute("SELECT * FROM no_such_table_secrets"); });
    collected.expect_error("syntax error", [&] { conn->execute("SELEC 1"); });
    collected.expect_error("unknown setting", [&] {
      QueryOptions options;
      options.settings.set("no_such_setting_secrets", "1");
      conn->execute("SELECT 1", options);
    });
    {
      QueryOptions options;
      options.timeout = 300ms;
      collected.expect_error("query timeout", [&] { conn->execute("SELECT sleep(2)", options); });
    }
    collected.expect_error("bad parameter", [&] { conn->execute("SELECT {n:UInt8} AS n", Params().set("n", "x; y")); });
    conn->ping(Deadline::after(5s));
    conn->close();
    collected.expect_error("use after close", [&] { conn->execute("SELECT 1"); });

    // Through the strategies and the factory, which log on their own.
    ConnectionFactory factory;
    initialize(factory, config);
    factory.acquire("direct")->execute("SELECT 1");
    {
      Lease lease = factory.acquire("pooled");
      collected.expect_error("pooled unknown table", [&] { lease->execute("SELECT * FROM no_such_table_pooled"); });
    }
    factory.maintain();
    Config wrong = config;
    wrong.user = std::string(test::k_password_user);
    ConnectionFactory failing;
    initialize(failing, wrong);
    collected.expect_error("direct strategy wrong password", [&] { failing.acquire("direct"); });
    collected.expect_error("pooled strategy wrong password", [&] { failing.acquire("pooled"); });
  }

  // 3. DSNs that hold the secret and are wrong elsewhere.
  {
    const std::string user_info = "chconn_pw:" + std::string(k_sentinel) + "@";
    const std::vector<std::string> dsns = {
        "clickhouse://" + user_info + "localhost:notaport",
        "clickhouse://" + user_info + "localhost:99999",
        "clickhouse://" + user_info + "localhost?frobnicate=1",
        "clickhouse://" + user_info + "localhost?secure=maybe",
        "clickhouse://" + user_info + "localhost?secure=true&secure=false",
        "clickhouse://" + user_info,
        "clickhouse://" + user_info + "[::1",
        "clickhouse://" + user_info + "host/db/extra",
        "clickhouse://" + user_info + "host#fragment",
        "clickhouse://" + user_info + "host:9000,,other",
        "http://" + user_info + "host",
        "clickhouse://chconn_pw:" + std::string(k_sentinel) + "%zz@localhost",
        "clickhouse://chconn_pw:" + std::string(k_sentinel) + "/x@localhost:notaport",
        "clickhouse://chconn_pw:" + percent_reserved(k_reserved_sentinel) + "@localhost?pool_max=0",
        "clickhouse://chconn_pw:" + std::string(k_reserved_sentinel) + "@localhost:notaport",
        "clickhouse://" + user_info + "localhost?strategy=no-such&pool_min_idle=9&pool_max=1",
    };
    for (const std::string& dsn : dsns) {
      try {
        const Config c = Config::from_dsn(dsn);
        c.validate();
        // Accepted (a raw reserved character can make an odd but valid DSN): print it, log in with it.
        collected.add("accepted dsn to_string", c.to_string());
        Config quick = c;
        quick.timeouts.connect = 1s;
        quick.logger = collected.logger();
        collected.expect_error("accepted dsn connect", [&] { test::connect(quick); });
      } catch (const Error& e) {
        collected.add_error("dsn", e);
      }
    }
    // The environment, with the secret in CLICKHOUSE_PASSWORD and in a DSN.
    const auto env = [&](std::string_view dsn) {
      return [dsn_text = std::string(dsn)](std::string_view name) -> std::optional<std::string> {
        if (name == "CLICKHOUSE_PASSWORD") return std::string(k_sentinel);
        if (name == "CLICKHOUSE_PORT") return std::string("not-a-port");
        if (name == "CLICKHOUSE_DSN" && !dsn_text.empty()) return dsn_text;
        return std::nullopt;
      };
    };
    collected.expect_error("env bad port", [&] { Config::from_env(env("")); });
    collected.expect_error("env dsn",
                           [&] { Config::from_env(env("clickhouse://u:" + std::string(k_sentinel) + "@h?x=1")); });
  }

  // 4. A closed port, TLS against a plain port, a dead peer mid-handshake, a fake server's exception.
  {
    Config config = sentinel_config(collected);
    test::RefusedPort refused;
    config.hosts = {{refused.host(), refused.port()}};
    collected.expect_error("closed port", [&] { test::connect(config); });

    Config tls = sentinel_config(collected);
    tls.secure = true;
    tls.tls.ca_file = test::sandbox("tls").cert_file;
    collected.expect_error("tls against plain port", [&] { test::connect(tls); });

    test::FakeServer fake(test::FakeScript().read_hello().send(
        test::fake::exception_packet(193, "DB::Exception", "Wrong password for user " + std::string(k_sentinel_user))));
    Config at_fake = sentinel_config(collected);
    at_fake.hosts = {fake.address()};
    collected.expect_error("fake server exception", [&] { test::connect(at_fake); });
    test::FakeServer cut(test::FakeScript().read_hello().send(test::fake::hello_18_16().substr(0, 7)).close());
    at_fake.hosts = {cut.address()};
    collected.expect_error("fake server cut", [&] { test::connect(at_fake); });
    test::FakeServer garbage(test::FakeScript().handshake().read_query().send("garbage").stay_silent());
    at_fake.hosts = {garbage.address()};
    auto conn = test::connect(at_fake);
    collected.expect_error("fake garbage reply", [&] { conn->execute("SELECT 1"); });
    collected.expect_error("broken connection", [&] { conn->execute("SELECT 1"); });
  }

  // 5. Every printed form of a Config holding the secret.
  for (std::string_view secret : {k_sentinel, k_reserved_sentinel}) {
    Config config = test::sandbox_config("main");
    config.password = std::string(secret);
    collected.add("to_string", config.to_string());
    collected.add("to_dsn", config.to_dsn());
    collected.add("to_dsn(redact)", config.to_dsn(true));
    std::ostringstream os;
    os << config;
    collected.add("operator<<", os.str());
    const Config round_trip = Config::from_dsn(config.to_dsn(false));
    EXPECT_EQ(round_trip.password, secret);  // the unredacted form is the one explicit way out
    collected.add("round trip to_string", round_trip.to_string());
  }

  // 6. The manager over failover (a live host refusing the password, and a closed port): its
  //    errors, health report, metrics and per-host stats; and `chconn health --metrics` for the
  //    same DSN, whose output and process title must not show the password either.
  for (std::string_view secret : {k_sentinel, k_reserved_sentinel}) {
    Config config = sentinel_config(collected, test::k_password_user);
    config.password = std::string(secret);
    const test::RefusedPort closed;
    config.hosts.push_back(HostPort{closed.host(), closed.port()});
    config.strategy = "failover";
    config.timeouts.connect = 2s;
    auto factory = std::make_shared<ConnectionFactory>();
    initialize(*factory, config);
    ConnectionManager manager(factory);
    collected.expect_error("manager execute", [&] { manager.execute("SELECT 1"); });
    collected.expect_error("manager acquire", [&] { manager.acquire(); });
    const HealthReport report = manager.run_health_check_once();
    collected.add("health report", to_string(report));
    for (const StrategyHealth& sh : report.strategies) {
      collected.add("health last_error " + sh.name, sh.last_error);
      for (const HostHealth& hh : sh.hosts) collected.add("host health " + hh.address, hh.last_error);
    }
    collected.add("metrics", manager.metrics_text());
    if (auto failover = std::dynamic_pointer_cast<FailoverStrategy>(factory->get("failover"))) {
      for (const HostStats& h : failover->host_stats()) collected.add("host stats " + h.address, h.last_error);
    } else {
      ADD_FAILURE() << "initialize() registered no failover strategy";
    }

    const std::string cli = test::chconn_binary();
    ASSERT_FALSE(cli.empty()) << "build the chconn_cli target first";
    const test::ProcessResult health =
        test::run_process({cli, "--dsn", config.to_dsn(false), "--connect-timeout", "2s", "health", "--metrics"});
    EXPECT_NE(health.exit_code, 0) << "a host refusing the login is not healthy:\n" << health.out;
    EXPECT_NE(health.out.find("FAIL"), std::string::npos) << health.out;
    collected.add("chconn health stdout", health.out);
    collected.add("chconn health stderr", health.err);
  }

  EXPECT_GT(collected.log_lines(), 0u) << "the logger saw nothing; the test would prove nothing about logs";
  std::printf("[secrets] %zu texts collected (%zu log lines)\n", collected.size(), collected.log_lines());
  collected.expect_absent(k_sentinel);
  collected.expect_absent(k_reserved_sentinel);
}

// KNOWN LEAK, reported to the lead (src/core/config.cpp, not ours to change): when a DSN's user
// info cannot be told apart from a host — the "@host" part forgotten, or a raw '?' in the password
// (which the DSN rules say must be percent-encoded) — the password is parsed as a port and the
// error quotes it: "port 'pw-Sentinel-8d1f' of host 'u' is not valid". Enable once fixed.
TEST(Secrets, DsnWhosePasswordReadsAsAPortIsNotEchoed) {
  Collected collected;
  for (const std::string& dsn : {"clickhouse://chconn_pw:" + std::string(k_sentinel),
                                 "clickhouse://chconn_pw:" + std::string(k_sentinel) + "/db",
                                 "clickhouse://chconn_pw:" + std::string(k_sentinel) + "?secure=true",
                                 "clickhouse://chconn_pw:" + std::string(k_sentinel) + "?x=1@localhost"}) {
    collected.expect_error("dsn " + std::to_string(collected.size()), [&] { Config::from_dsn(dsn).validate(); });
  }
  collected.expect_absent(k_sentinel);
}

// The sandbox user's real password, used successfully, is not in anything either.
TEST(Secrets, WorkingPasswordAppearsNowhere) {
  Collected collected;
  Config config = test::sandbox_config("main");
  config.user = std::string(test::k_password_user);
  config.password = std::string(test::k_password);
  config.logger = collected.logger();
  auto conn = test::connect(config);
  conn->execute("SELECT 1");
  collected.expect_error("unknown table", [&] { conn->execute("SELECT * FROM no_such_table_pw"); });
  collected.add("to_string", config.to_string());
  collected.expect_absent(test::k_password);
}

}  // namespace
}  // namespace chconn
