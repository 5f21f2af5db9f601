// EmbeddedConnection without chDB: the library cannot be loaded, and the error says which paths were
// tried and how to get it. These run everywhere (no engine is ever started in this program).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "chconn/connection/embedded_connection.h"
#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::expect_error;

// Sets an environment variable for the scope, restoring the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(EmbeddedConnection, MissingLibraryNamedInTheConfig) {
  Config config = Config::from_dsn("embedded://?chdb_library=/nonexistent/chconn-test/libchdb.so");
  const std::string message =
      expect_error(ErrorKind::config, [&] { EmbeddedConnection::open(config, Deadline::after(5s)); },
                   {"/nonexistent/chconn-test/libchdb.so", "CHCONN_CHDB_LIBRARY", "chconn_fetch_chdb"});
  // Only the library the config names is tried.
  EXPECT_EQ(message.find("\n  ", message.find("\n  ") + 1), std::string::npos) << message;
  EXPECT_EQ(message.find("/var/cache/chconn"), std::string::npos) << message;
}

TEST(EmbeddedConnection, BogusEnvironmentPathIsTheOneTried) {
  const ScopedEnv env("CHCONN_CHDB_LIBRARY", "/bogus/chconn-test/libchdb.so");
  const std::string message = expect_error(
      ErrorKind::config, [&] { EmbeddedConnection::open(Config::from_dsn("embedded://"), Deadline::after(5s)); },
      {"/bogus/chconn-test/libchdb.so"});
  EXPECT_EQ(message.find("/var/cache/chconn"), std::string::npos) << message;
}

TEST(EmbeddedConnection, AFileThatIsNoLibrary) {
  const std::string path = ::testing::TempDir() + "chconn-not-a-library.so";
  std::ofstream(path) << "not an ELF file\n";
  Config config = Config::from_dsn("embedded://");
  config.embedded.library = path;
  expect_error(ErrorKind::config, [&] { EmbeddedConnection::open(config, Deadline::after(5s)); }, {path});
  std::remove(path.c_str());
}

TEST(EmbeddedConnection, FactoryRegistersTheStrategyWithoutLoadingIt) {
  ConnectionFactory factory;
  initialize(factory, Config::from_dsn("embedded://?chdb_library=/nonexistent/chconn-test/libchdb.so"));
  EXPECT_EQ(factory.default_name(), "embedded");
  expect_error(ErrorKind::config, [&] { factory.acquire("", Deadline::after(5s)); },
               {"/nonexistent/chconn-test/libchdb.so"});
}

// The testing environment's default is the mock, unless the config asks for the embedded engine
// (an embedded:// DSN, or strategy=embedded with any DSN): then tests run real SQL, and the mock is
// still registered beside it.
TEST(EmbeddedConnection, TestingEnvironmentTakesTheEmbeddedEngineWhenTheConfigSaysSo) {
  ConnectionFactory plain;
  initialize(plain, Config::from_dsn("clickhouse://localhost?env=testing"));
  EXPECT_EQ(plain.default_name(), "mock");
  EXPECT_FALSE(plain.find("embedded"));

  for (const char* dsn : {"embedded://?env=testing&chdb_library=/nonexistent/chconn-test/libchdb.so",
                          "clickhouse://localhost?env=testing&strategy=embedded&chdb_library=/nonexistent/chconn-test/"
                          "libchdb.so"}) {
    SCOPED_TRACE(dsn);
    ConnectionFactory factory;
    initialize(factory, Config::from_dsn(dsn));
    EXPECT_EQ(factory.default_name(), "embedded");
    EXPECT_TRUE(factory.find("mock"));
    expect_error(ErrorKind::config, [&] { factory.acquire("", Deadline::after(5s)); },
                 {"/nonexistent/chconn-test/libchdb.so"});
  }
}

}  // namespace
}  // namespace chconn
