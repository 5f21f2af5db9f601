// A service-style program: configuration from the environment, one initialize() at start-up, and
// request handlers on several threads that reach ClickHouse through chconn::client().
//
//   CLICKHOUSE_DSN='clickhouse://app:secret@db1:9000,db2:9000/analytics' CHCONN_ENV=production ./example_service
//
// What it shows:
//   - the strategy is chosen at run time (CHCONN_ENV, CHCONN_STRATEGY or ?strategy= in the DSN):
//     production → pooled, development → direct; the code below does not change;
//   - chconn::client() is cheap to make and safe to use from many threads at once: every call takes
//     a connection for just that call and gives it back (to the pool, if pooled);
//   - errors are one type, chconn::Error; retryable() says whether trying again may help;
//   - the library logs through a hook you give it, never by itself.
// It handles a fixed number of "requests" and exits 0, or 1 if any request failed for good.
#include <chconn/chconn.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

std::mutex g_log_mutex;

void log_line(std::string_view what) {
  const std::lock_guard lock(g_log_mutex);
  std::clog << what << '\n';
}

// One request of the service: how many numbers below `limit` are divisible by `divisor`.
// A transient failure (a dropped connection, a full pool, a timeout) is retried a few times with a
// growing pause; anything else (a syntax error, a wrong password) is reported at once.
std::uint64_t handle_request(std::uint64_t limit, std::uint64_t divisor) {
  chconn::QueryOptions options;
  options.timeout = std::chrono::seconds(10);
  const std::string sql = "SELECT count() AS n FROM numbers(" + std::to_string(limit) + ") WHERE number % " +
                          std::to_string(divisor) + " = 0";
  for (int attempt = 1;; ++attempt) {
    try {
      return chconn::client().execute(sql, options).value<std::uint64_t>("n");
    } catch (const chconn::Error& e) {
      if (!e.retryable() || attempt == 3) throw;
      log_line("request failed (" + std::string(chconn::to_string(e.kind())) + "), retrying: " + e.message());
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
    }
  }
}

}  // namespace

int main() {
  try {
    chconn::Config config = chconn::Config::from_env();
    config.client_name = "example-service";
    config.logger = std::make_shared<chconn::Logger>(
        [](chconn::LogLevel level, std::string_view message) {
          log_line("[chconn " + std::string(chconn::to_string(level)) + "] " + std::string(message));
        },
        chconn::LogLevel::warning);
    // Printing a config never shows its password.
    std::cout << "config: " << config << '\n';

    // Once, at start-up: registers "direct" and "pooled" (and "mock" when CHCONN_ENV=testing) in
    // chconn::default_factory() and makes the configured one the default. No connection yet.
    chconn::initialize(config);
    std::cout << "strategy: " << chconn::default_factory().default_name() << '\n';

    // Fail fast at start-up if the server cannot be reached at all.
    chconn::client().ping();

    constexpr int k_workers = 4;
    constexpr int k_requests_per_worker = 5;
    std::atomic<int> failed{0};
    std::atomic<std::uint64_t> answers{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < k_workers; ++w) {
      workers.emplace_back([w, &failed, &answers] {
        for (int i = 0; i < k_requests_per_worker; ++i) {
          const auto divisor = static_cast<std::uint64_t>(w + i + 1);
          try {
            const std::uint64_t n = handle_request(1000, divisor);
            // numbers(1000) holds 0..999: ceil(1000 / divisor) of them are divisible by divisor.
            if (n != (1000 + divisor - 1) / divisor) {
              log_line("wrong answer for divisor " + std::to_string(divisor) + ": " + std::to_string(n));
              ++failed;
            }
            answers += n;
          } catch (const chconn::Error& e) {
            log_line("request failed for good: " + std::string(e.what()));
            ++failed;
          }
        }
      });
    }
    for (auto& t : workers) t.join();

    const chconn::StrategyStats stats = chconn::default_factory().get()->stats();
    std::cout << "requests: " << k_workers * k_requests_per_worker << ", failed: " << failed.load()
              << ", sum of answers: " << answers.load() << ", connections opened: " << stats.created
              << ", leases: " << stats.acquired << '\n';
    return failed.load() == 0 ? 0 : 1;
  } catch (const chconn::Error& e) {
    // Config errors name the DSN parameter or environment variable that is wrong.
    std::cerr << "example_service: " << e.what() << '\n';
    return 1;
  }
}
