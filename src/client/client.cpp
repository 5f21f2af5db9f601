#include "chconn/client/client.h"

#include <mutex>
#include <utility>

#include "chconn/core/error.h"

namespace chconn {

namespace {

std::shared_ptr<ConnectionManager> checked(std::shared_ptr<ConnectionManager> manager) {
  if (!manager) throw Error(ErrorKind::usage, "chconn::Client needs a ConnectionManager (got null)");
  return manager;
}

// A shared_ptr that does not own `factory` (the caller keeps it alive), for a manager of its own.
std::shared_ptr<ConnectionFactory> unowned(ConnectionFactory& factory) {
  return std::shared_ptr<ConnectionFactory>(std::shared_ptr<void>(), &factory);
}

// The one default_manager(): guarded, since initialize() may replace it while other threads make
// clients.
struct DefaultManager {
  std::mutex mutex;
  std::shared_ptr<ConnectionManager> manager;
};

DefaultManager& default_manager_slot() {
  // The factory is made first, so it is destroyed after the manager that points at it (statics
  // end in the reverse order of their construction).
  default_factory();
  static DefaultManager slot;
  return slot;
}

}  // namespace

Client::Client(std::shared_ptr<ConnectionManager> manager, std::string strategy)
    : manager_(checked(std::move(manager))), strategy_(std::move(strategy)) {}

Client::Client(ConnectionFactory& factory, std::string strategy)
    : manager_(std::make_shared<ConnectionManager>(unowned(factory), ManagerOptions::plain())),
      strategy_(std::move(strategy)) {}

ExecuteOptions Client::call_options(const QueryOptions& options) const {
  // Deadline::never(): with the plain options every strategy bounds acquire() by its own timeouts
  // (strategy.h), on its own clock; a deadline computed here on steady_clock() would be
  // meaningless to a strategy whose clock is injected. The query's own deadline stays in `query`.
  return ExecuteOptions{.strategy = strategy_, .routing_key = routing_key_, .query = options};
}

Client Client::routed(std::string routing_key) const {
  Client copy = *this;
  copy.routing_key_ = std::move(routing_key);
  return copy;
}

Lease Client::lease() { return manager_->acquire_for(routing_key_, strategy_, Deadline::never()); }

Result Client::execute(std::string_view sql, const QueryOptions& options) {
  return manager_->execute(sql, {}, call_options(options));
}

Result Client::execute(std::string_view sql, const Params& params) {
  return manager_->execute(sql, params, call_options({}));
}

Result Client::execute(std::string_view sql, const Params& params, const QueryOptions& options) {
  return manager_->execute(sql, params, call_options(options));
}

Result Client::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                      const QueryOptions& options) {
  return manager_->select(sql, on_block, call_options(options));
}

void Client::insert(std::string_view table, std::span<const Block> blocks, const QueryOptions& options) {
  manager_->insert(table, blocks, call_options(options));
}

void Client::insert(std::string_view table, InsertSource& source, const QueryOptions& options) {
  manager_->insert(table, source, call_options(options));
}

void Client::insert(std::string_view table, const Block& block, const QueryOptions& options) {
  insert(table, std::span<const Block>(&block, 1), options);
}

Inserter Client::insert(std::string_view table, const QueryOptions& options) {
  return manager_->insert(table, call_options(options));
}

Cursor Client::query(std::string_view sql, const QueryOptions& options) {
  return manager_->query(sql, {}, call_options(options));
}

Cursor Client::query(std::string_view sql, const Params& params, const QueryOptions& options) {
  return manager_->query(sql, params, call_options(options));
}

void Client::ping() {
  const Timeouts timeouts = factory().timeouts();
  Lease l = lease();
  try {
    l->ping(Deadline::after(timeouts.connect).named("the connect timeout"));
  } catch (const Error& e) {
    l.note_error(e);
    throw;
  }
}

ConnectionFactory& default_factory() {
  static ConnectionFactory factory;
  return factory;
}

std::shared_ptr<ConnectionManager> default_manager() {
  DefaultManager& slot = default_manager_slot();
  std::lock_guard lock(slot.mutex);
  if (!slot.manager) {
    slot.manager = std::make_shared<ConnectionManager>(unowned(default_factory()), ManagerOptions::plain());
  }
  return slot.manager;
}

void initialize(const Config& config) { initialize(default_factory(), config); }

void initialize(const Config& config, const ManagerOptions& manager_options) {
  // Made (and so validated) before anything changes.
  auto manager = std::make_shared<ConnectionManager>(unowned(default_factory()), manager_options);
  initialize(default_factory(), config);
  std::shared_ptr<ConnectionManager> old;
  {
    DefaultManager& slot = default_manager_slot();
    std::lock_guard lock(slot.mutex);
    old = std::exchange(slot.manager, std::move(manager));
  }
  // `old` (and its health thread, if one was started) ends here, outside the lock, unless clients
  // made earlier still hold it.
}

Client client(std::string_view strategy) { return Client(default_manager(), std::string(strategy)); }

}  // namespace chconn
