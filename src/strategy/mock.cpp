#include "chconn/strategy/mock.h"

#include "chconn/core/sql.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string_view>
#include <thread>
#include <utility>

namespace chconn {

std::string_view to_string(MockCallKind kind) noexcept {
  switch (kind) {
    case MockCallKind::execute: return "execute";
    case MockCallKind::select: return "select";
    case MockCallKind::insert: return "insert";
    case MockCallKind::ping: return "ping";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// MockServer

MockServer::MockServer() : MockServer(Options{}) {}

MockServer::MockServer(Options options)
    : options_(std::move(options)), clock_(options_.clock ? options_.clock : &steady_clock()) {}

std::function<void(Clock::duration)> MockServer::advance_on(ManualClock& clock) {
  return [&clock](Clock::duration d) { clock.advance(d); };
}

MockServer& MockServer::on(std::string sql, MockReply reply) {
  std::lock_guard lock(mutex_);
  rules_.push_back(Rule{.exact = std::move(sql), .pattern = std::nullopt, .reply = std::move(reply), .used = 0});
  return *this;
}

MockServer& MockServer::on(std::regex pattern, MockReply reply) {
  std::lock_guard lock(mutex_);
  rules_.push_back(Rule{.exact = std::nullopt, .pattern = std::move(pattern), .reply = std::move(reply), .used = 0});
  return *this;
}

MockServer& MockServer::fail_call(std::size_t n, Error error) {
  if (n == 0) throw Error(ErrorKind::usage, "MockServer::fail_call: calls are counted from 1");
  std::lock_guard lock(mutex_);
  failing_calls_.insert_or_assign(n, std::move(error));
  return *this;
}

MockServer& MockServer::fail_next_pings(std::size_t n, std::optional<Error> error) {
  std::lock_guard lock(mutex_);
  failing_pings_ = n;
  ping_error_ = std::move(error);
  return *this;
}

MockServer& MockServer::fail_next_connects(std::size_t n, std::optional<Error> error) {
  std::lock_guard lock(mutex_);
  failing_connects_ = n;
  connect_error_ = std::move(error);
  return *this;
}

MockServer& MockServer::set_connect_hook(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  connect_hook_ = std::move(hook);
  return *this;
}

void MockServer::clear_script() {
  std::lock_guard lock(mutex_);
  rules_.clear();
  failing_calls_.clear();
  failing_pings_ = 0;
  ping_error_.reset();
  failing_connects_ = 0;
  connect_error_.reset();
  connect_hook_ = nullptr;
}

std::vector<MockCall> MockServer::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

std::vector<std::string> MockServer::queries() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& c : calls_) {
    if (c.kind != MockCallKind::ping) out.push_back(c.sql);
  }
  return out;
}

std::size_t MockServer::query_count() const {
  std::lock_guard lock(mutex_);
  return query_count_;
}

std::size_t MockServer::ping_count() const {
  std::lock_guard lock(mutex_);
  return ping_count_;
}

std::vector<Block> MockServer::inserted(std::string_view table) const {
  std::lock_guard lock(mutex_);
  auto it = inserted_.find(table);
  return it == inserted_.end() ? std::vector<Block>{} : it->second;
}

void MockServer::clear_records() {
  std::lock_guard lock(mutex_);
  calls_.clear();
  inserted_.clear();
  query_count_ = 0;
  ping_count_ = 0;
}

std::size_t MockServer::connections_made() const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(next_connection_id_);
}

std::size_t MockServer::connections_open() const {
  std::lock_guard lock(mutex_);
  return connections_open_;
}

std::size_t MockServer::max_connections_open() const {
  std::lock_guard lock(mutex_);
  return max_connections_open_;
}

std::size_t MockServer::connect_attempts() const {
  std::lock_guard lock(mutex_);
  return connect_attempts_;
}

MockServer::Answer MockServer::on_call(MockCall call) {
  std::lock_guard lock(mutex_);
  const std::string sql = call.sql;
  calls_.push_back(std::move(call));
  const std::size_t n = ++query_count_;
  if (auto it = failing_calls_.find(n); it != failing_calls_.end()) {
    Answer a{.result = std::nullopt, .error = std::move(it->second), .delay = {}};
    failing_calls_.erase(it);
    return a;
  }
  for (Rule& rule : rules_) {
    if (rule.reply.times != 0 && rule.used >= rule.reply.times) continue;
    const bool match = rule.exact ? *rule.exact == sql : std::regex_search(sql, *rule.pattern);
    if (!match) continue;
    ++rule.used;
    if (rule.reply.error) return Answer{.result = std::nullopt, .error = rule.reply.error, .delay = rule.reply.delay};
    return Answer{.result = rule.reply.result, .error = std::nullopt, .delay = rule.reply.delay};
  }
  if (options_.strict) {
    return Answer{.result = std::nullopt,
                  .error = Error(ErrorKind::usage, "MockServer (strict): no rule matches the query: " + sql),
                  .delay = {}};
  }
  return Answer{.result = Result{}, .error = std::nullopt, .delay = {}};
}

void MockServer::on_inserted(std::string table, std::span<const Block> blocks) {
  std::lock_guard lock(mutex_);
  auto& list = inserted_[std::move(table)];
  list.insert(list.end(), blocks.begin(), blocks.end());
}

std::optional<Error> MockServer::on_ping(MockCall call) {
  std::lock_guard lock(mutex_);
  calls_.push_back(std::move(call));
  ++ping_count_;
  if (failing_pings_ == 0) return std::nullopt;
  --failing_pings_;
  if (ping_error_) return ping_error_;
  return Error(ErrorKind::network, "mock: ping failed (scripted by MockServer::fail_next_pings)");
}

std::uint64_t MockServer::on_connect() {
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    ++connect_attempts_;
    hook = connect_hook_;
  }
  if (hook) hook();
  std::lock_guard lock(mutex_);
  if (failing_connects_ > 0) {
    --failing_connects_;
    if (connect_error_) throw *connect_error_;
    throw Error(ErrorKind::network, "mock: connection refused (scripted by MockServer::fail_next_connects)");
  }
  return ++next_connection_id_;
}

void MockServer::on_connection_opened() noexcept {
  std::lock_guard lock(mutex_);
  ++connections_open_;
  max_connections_open_ = std::max(max_connections_open_, connections_open_);
}

void MockServer::on_connection_closed() noexcept {
  std::lock_guard lock(mutex_);
  --connections_open_;
}

void MockServer::sleep(Clock::duration d, const std::stop_token& stop) const {
  if (d <= Clock::duration::zero()) return;
  if (options_.sleep) {
    options_.sleep(d);
  } else if (stop.stop_possible()) {
    // Wakes when stop is requested; nothing is ever notified otherwise, so this is a timed wait.
    std::mutex m;
    std::condition_variable_any wake;
    std::unique_lock lock(m);
    wake.wait_for(lock, stop, d, [] { return false; });
  } else {
    std::this_thread::sleep_for(d);
  }
}

namespace {

Error mock_stopped(std::string_view what) {
  return Error(ErrorKind::cancelled, "mock: the query was stopped by the caller (QueryOptions::stop) " +
                                         std::string(what) + "; it was cancelled and the connection kept");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MockConnection

MockConnection::MockConnection(std::shared_ptr<MockServer> server, std::uint64_t id, std::string peer)
    : server_(std::move(server)), id_(id), peer_(std::move(peer)) {
  if (!server_) throw Error(ErrorKind::usage, "MockConnection needs a MockServer (got null)");
  server_->on_connection_opened();
}

MockConnection::~MockConnection() { close(); }

void MockConnection::close() noexcept {
  if (closed_) return;
  closed_ = true;
  server_->on_connection_closed();
}

const ServerInfo& MockConnection::server_info() const noexcept { return server_->options().server_info; }

void MockConnection::check_usable() const {
  if (closed_) {
    throw Error(ErrorKind::usage, "mock connection #" + std::to_string(id_) + " to " + peer_ + " is closed");
  }
  if (broken_) {
    throw Error(ErrorKind::network, "mock connection #" + std::to_string(id_) + " to " + peer_ +
                                        " is broken (an earlier error left it unusable); use a new connection");
  }
}

MockCall MockConnection::make_call(MockCallKind kind, std::string sql, const QueryOptions& options) const {
  MockCall call;
  call.kind = kind;
  call.sql = std::move(sql);
  call.params = options.params;
  call.settings = options.settings;
  call.query_id = options.query_id;
  call.connection_id = id_;
  call.peer = peer_;
  return call;
}

Result MockConnection::run(MockCall call, const QueryOptions& options) {
  check_usable();
  if (options.stop.stop_requested()) {
    throw Error(ErrorKind::cancelled, "mock: the query was not sent to " + peer_ +
                                          ": stop was requested before the call (QueryOptions::stop)");
  }
  last_query_id_ = call.query_id;
  if (call.kind != MockCallKind::insert && sql::changes_session(call.sql)) session_changed_ = true;
  MockServer::Answer answer = server_->on_call(std::move(call));
  if (answer.delay > Clock::duration::zero()) {
    Deadline deadline = options.deadline;
    if (options.timeout) deadline = deadline.earliest(*options.timeout, server_->clock());
    const Clock::duration left = deadline.remaining(server_->clock());
    if (answer.delay > left) {
      server_->sleep(left, options.stop);
      if (options.stop.stop_requested()) throw mock_stopped("during its scripted delay");
      throw Error(ErrorKind::timeout,
                  "mock: the query did not finish before its deadline (scripted delay of " +
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(answer.delay).count()) +
                      " ms)");
    }
    server_->sleep(answer.delay, options.stop);
    if (options.stop.stop_requested()) throw mock_stopped("during its scripted delay");
  }
  if (answer.error) {
    if (classify(*answer.error).connection_broken) broken_ = true;
    throw *answer.error;
  }
  Result result = std::move(*answer.result);
  if (result.query_id.empty()) result.query_id = last_query_id_;
  return result;
}

Result MockConnection::execute(std::string_view sql, const QueryOptions& options) {
  return run(make_call(MockCallKind::execute, std::string(sql), options), options);
}

Result MockConnection::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                              const QueryOptions& options) {
  Result result = run(make_call(MockCallKind::select, std::string(sql), options), options);
  for (const Block& block : result.blocks) {
    if (options.stop.stop_requested()) throw mock_stopped("between blocks");
    if (block.rows() > 0) on_block(block);
  }
  result.blocks.clear();
  return result;
}

void MockConnection::insert(const InsertTarget& target, std::span<const Block> blocks, const QueryOptions& options) {
  MockCall call = make_call(MockCallKind::insert, target.insert_statement(), options);
  call.table = target.name();
  call.blocks = blocks.size();
  run(std::move(call), options);
  server_->on_inserted(target.name(), blocks);
}

void MockConnection::ping(Deadline deadline) {
  check_usable();
  (void)deadline;
  MockCall call;
  call.kind = MockCallKind::ping;
  call.connection_id = id_;
  call.peer = peer_;
  if (auto error = server_->on_ping(std::move(call))) {
    if (classify(*error).connection_broken) broken_ = true;
    throw *error;
  }
}

// ---------------------------------------------------------------------------------------------
// MockConnector and MockStrategy

MockConnector::MockConnector(std::shared_ptr<MockServer> server, std::vector<std::string> peers)
    : server_(std::move(server)), peers_(std::move(peers)) {
  if (!server_) throw Error(ErrorKind::usage, "MockConnector needs a MockServer (got null)");
  if (peers_.empty()) peers_.emplace_back("mock:9000");
}

std::unique_ptr<Connection> MockConnector::connect(Deadline deadline) {
  std::string peer;
  {
    std::lock_guard lock(mutex_);
    peer = peers_[next_peer_++ % peers_.size()];
  }
  if (deadline.expired(server_->clock())) {
    throw Error(ErrorKind::timeout, "mock: connecting to " + peer + " timed out (the deadline had passed)");
  }
  const std::uint64_t id = server_->on_connect();
  return std::make_unique<MockConnection>(server_, id, std::move(peer));
}

std::string MockConnector::describe() const {
  std::string out;
  for (const auto& p : peers_) {
    if (!out.empty()) out += ",";
    out += p;
  }
  return out;
}

MockStrategy::MockStrategy(std::shared_ptr<MockServer> server, std::string name)
    : server_(server ? std::move(server) : std::make_shared<MockServer>()),
      direct_(std::make_shared<MockConnector>(server_), [&] {
        DirectOptions o;
        o.name = std::move(name);
        o.clock = &server_->clock();
        return o;
      }()) {}

}  // namespace chconn
