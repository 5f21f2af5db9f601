#include "chconn/client/client.h"

#include <utility>

#include "chconn/core/error.h"

namespace chconn {

Client::Client(ConnectionFactory& factory, std::string strategy) : factory_(&factory), strategy_(std::move(strategy)) {}

// Deadline::never(): every strategy bounds acquire() by its own timeouts (strategy.h), on its own
// clock; a deadline computed here on steady_clock() would be meaningless to a strategy whose clock
// is injected.
Lease Client::lease() { return factory_->acquire(strategy_, Deadline::never()); }

// Runs f(connection) on a lease taken for the call. The lease ends on every path (its destructor);
// an error that broke the connection marks it, so the strategy drops it instead of reusing it.
template <class F>
decltype(auto) Client::with_lease(F&& f) {
  Lease l = lease();
  try {
    return std::forward<F>(f)(*l);
  } catch (const Error& e) {
    l.note_error(e);
    throw;
  }
}

Result Client::execute(std::string_view sql, const QueryOptions& options) {
  return with_lease([&](Connection& c) { return c.execute(sql, options); });
}

Result Client::execute(std::string_view sql, const Params& params) {
  return with_lease([&](Connection& c) { return c.execute(sql, params); });
}

Result Client::execute(std::string_view sql, const Params& params, const QueryOptions& options) {
  QueryOptions o = options;
  o.params.add(params);
  return execute(sql, o);
}

Result Client::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                      const QueryOptions& options) {
  return with_lease([&](Connection& c) { return c.select(sql, on_block, options); });
}

void Client::insert(std::string_view table, std::span<const Block> blocks, const QueryOptions& options) {
  // Error(usage) for text that is not a table name, before a lease is taken.
  const InsertTarget target = parse_insert_target(table);
  with_lease([&](Connection& c) { c.insert(target, blocks, options); });
}

void Client::insert(std::string_view table, InsertSource& source, const QueryOptions& options) {
  const InsertTarget target = parse_insert_target(table);
  with_lease([&](Connection& c) { c.insert(target, source, options); });
}

void Client::insert(std::string_view table, const Block& block, const QueryOptions& options) {
  insert(table, std::span<const Block>(&block, 1), options);
}

void Client::ping() {
  const Timeouts timeouts = factory_->timeouts();
  with_lease([&](Connection& c) { c.ping(Deadline::after(timeouts.connect).named("the connect timeout")); });
}

ConnectionFactory& default_factory() {
  static ConnectionFactory factory;
  return factory;
}

void initialize(const Config& config) { initialize(default_factory(), config); }

Client client(std::string_view strategy) { return Client(default_factory(), std::string(strategy)); }

}  // namespace chconn
