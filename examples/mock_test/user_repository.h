// Application code that uses ClickHouse through chconn — the "code under test" of
// user_repository_test.cpp. Nothing here knows about mocks: it is given a chconn::Client, which in
// production names the default factory's pooled strategy and in tests a MockStrategy.
#pragma once

#include <chconn/chconn.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

namespace example {

class UserRepository {
 public:
  explicit UserRepository(chconn::Client db, std::chrono::milliseconds query_timeout = std::chrono::seconds(2))
      : db_(std::move(db)), query_timeout_(query_timeout) {}

  // How many users are active. Throws chconn::Error.
  std::uint64_t active_users();

  // The same, or nullopt when ClickHouse is unavailable right now (an error that is retryable():
  // unreachable, timed out, pool exhausted) — for a dashboard that degrades instead of failing.
  // Errors that a retry would not fix (a syntax error, a missing table) still throw.
  std::optional<std::uint64_t> active_users_or_none();

  // Appends one row per user id to the `logins` table, in one INSERT (the table's other columns
  // take their defaults).
  void record_logins(std::span<const std::uint64_t> user_ids);

 private:
  chconn::Client db_;
  std::chrono::milliseconds query_timeout_;
};

}  // namespace example
