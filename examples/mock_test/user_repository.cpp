#include "user_repository.h"

#include <memory>

namespace example {

std::uint64_t UserRepository::active_users() {
  chconn::QueryOptions options;
  options.timeout = query_timeout_;
  return db_.execute("SELECT count() AS n FROM users WHERE active", options).value<std::uint64_t>("n");
}

std::optional<std::uint64_t> UserRepository::active_users_or_none() {
  try {
    return active_users();
  } catch (const chconn::Error& e) {
    if (e.retryable()) return std::nullopt;
    throw;
  }
}

void UserRepository::record_logins(std::span<const std::uint64_t> user_ids) {
  auto ids = std::make_shared<chconn::ColumnUInt64>();
  ids->append_data(user_ids);
  chconn::Block block;
  block.append("user_id", ids);
  // Naming the column lets the table fill its others from their defaults (a block must otherwise
  // hold every column the table takes).
  db_.insert("logins (user_id)", block);
}

}  // namespace example
