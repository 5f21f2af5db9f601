// The program every consumer project (tests/consumer/*) builds: it uses chconn only through its
// installed public headers, connects to the server named by the environment (CLICKHOUSE_DSN or
// CLICKHOUSE_HOST / CLICKHOUSE_PORT ..., see docs/configuration.md) and checks one query's answer.
// Exit status: 0 when the answer is right, 1 otherwise (with the reason on stderr).
#include <chconn/chconn.h>

#include <cstdint>
#include <exception>
#include <iostream>
#include <string>

int main() {
  try {
    chconn::initialize(chconn::Config::from_env());
    const chconn::Result r =
        chconn::client().execute("SELECT version() AS version, sum(number) AS total FROM numbers(10)");
    const auto total = r.row(0).get<std::uint64_t>("total");
    if (total != 45) {
      std::cerr << "consumer: expected sum 45, got " << total << '\n';
      return 1;
    }
    std::cout << "consumer: connected to ClickHouse " << r.row(0).get<std::string>("version") << " with strategy "
              << chconn::default_factory().default_name() << ", sum = " << total << '\n';
    return 0;
  } catch (const chconn::Error& e) {
    std::cerr << "consumer: " << e.what() << '\n';
  } catch (const std::exception& e) {
    std::cerr << "consumer: unexpected exception: " << e.what() << '\n';
  }
  return 1;
}
