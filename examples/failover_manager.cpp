// The ConnectionManager over a failover cluster: a breaker-gated, retrying front door to several
// replicas, with a health thread, a health report and Prometheus metrics.
//
//   CLICKHOUSE_DSN='clickhouse://app:secret@db1:9000,db2:9000,db3:9000/analytics' ./example_failover_manager
//
// To show the failover with a single server at hand, the program puts an unreachable replica
// (127.0.0.1 port 1, where nothing listens) in front of the hosts of CLICKHOUSE_DSN and asks for the
// `in_order` policy, which would prefer it: the first acquire meets the dead host, counts an error
// against it and moves on; after that the healthy host is first in the order, and callers never see
// the dead one. Pass --no-dead-host to use the DSN's hosts as they are.
//
// It runs a fixed number of reads from two threads and exits 0 when none failed, 1 otherwise.
#include <chconn/chconn.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  const bool dead_host = !(argc > 1 && std::string_view(argv[1]) == "--no-dead-host");
  try {
    chconn::Config config = chconn::Config::from_env();
    if (dead_host) config.hosts.insert(config.hosts.begin(), chconn::HostPort{"127.0.0.1", 1});
    config.strategy = "failover";
    config.load_balancing = chconn::LoadBalancing::in_order;
    config.timeouts.connect = 2s;

    // The factory chooses; the manager adds breakers, retries and health checks on top of it. One
    // call sets up both: default_factory() and default_manager() over it, which chconn::client()
    // uses too (one call path, one set of pools).
    chconn::ManagerOptions options;
    options.health_interval = 1s;
    chconn::initialize(config, options);
    const std::shared_ptr<chconn::ConnectionManager> manager = chconn::default_manager();
    manager->start();  // the health thread: pings, reaping, min_idle refill; stopped by the destructor

    constexpr int k_threads = 2;
    constexpr int k_reads_per_thread = 100;
    std::atomic<int> failed{0};
    std::atomic<std::uint64_t> total{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < k_threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = 0; i < k_reads_per_thread; ++i) {
          try {
            chconn::ExecuteOptions read;
            read.deadline = chconn::Deadline::after(10s);  // retries included
            const chconn::Params params = chconn::Params().set("n", 1000 + t * 100 + i);
            const std::string_view sql = "SELECT sum(number) AS s FROM numbers({n:UInt32})";
            // The second thread goes through chconn::client(): the same manager, so the same
            // retries and breaker (its calls have no deadline but the retry overall timeout).
            const chconn::Result r =
                t == 0 ? manager->execute(sql, params, read) : chconn::client().execute(sql, params);
            total += r.row(0).get<std::uint64_t>("s");
          } catch (const chconn::Error& e) {
            ++failed;
            std::cerr << "read failed: " << e.what() << '\n';
          }
        }
      });
    }
    for (auto& w : workers) w.join();

    const chconn::HealthReport report = manager->run_health_check_once();
    std::cout << chconn::to_string(report) << '\n';
    std::cout << "reads: " << k_threads * k_reads_per_thread << ", failed: " << failed << ", checksum " << total
              << '\n';
    // A few lines of the metrics a Prometheus scrape would see.
    const std::string metrics = manager->metrics_text();
    std::size_t shown = 0;
    for (std::size_t at = 0; at < metrics.size() && shown < 12;) {
      const std::size_t end = metrics.find('\n', at);
      const std::string_view line(metrics.data() + at, (end == std::string::npos ? metrics.size() : end) - at);
      if (!line.empty() && line.front() != '#') {
        std::cout << "  " << line << '\n';
        ++shown;
      }
      at = end == std::string::npos ? metrics.size() : end + 1;
    }
    return failed == 0 ? 0 : 1;
  } catch (const chconn::Error& e) {
    std::cerr << "example_failover_manager: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "example_failover_manager: unexpected: " << e.what() << '\n';
    return 1;
  }
}
