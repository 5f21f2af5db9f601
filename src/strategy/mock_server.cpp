// MockServer (see chconn/strategy/mock.h): the script (rules matched against each call, failures
// to inject, latency), the records of calls, inserts and connections, and the injected clock the
// mock's delays run on. The connection that asks it is in mock.cpp.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string_view>
#include <thread>
#include <utility>

#include "chconn/core/sql.h"
#include "chconn/strategy/mock.h"

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

MockServer::MockServer() : MockServer(Options{}) {}

MockServer::MockServer(Options options)
    : options_(std::move(options)), clock_(options_.clock ? options_.clock : &steady_clock()) {}

std::function<void(Clock::duration)> MockServer::advance_on(ManualClock& clock) {
  return [&clock](Clock::duration d) { clock.advance(d); };
}

MockServer& MockServer::add_rule(Rule rule) {
  std::lock_guard lock(mutex_);
  if (rule.description.empty()) {
    rule.description = rule.exact ? "`" + *rule.exact + "`" : "regex rule #" + std::to_string(rules_.size() + 1);
  }
  rules_.push_back(std::move(rule));
  return *this;
}

MockServer& MockServer::on(std::string sql, MockReply reply) {
  return add_rule(Rule{.exact = std::move(sql), .pattern = std::nullopt, .reply = std::move(reply)});
}

MockServer& MockServer::on(std::regex pattern, MockReply reply) {
  return add_rule(Rule{.exact = std::nullopt, .pattern = std::move(pattern), .reply = std::move(reply)});
}

MockServer& MockServer::expect(std::string sql, MockReply reply) {
  return add_rule(Rule{.exact = std::move(sql), .pattern = std::nullopt, .reply = std::move(reply), .expected = true});
}

MockServer& MockServer::expect(std::regex pattern, MockReply reply, std::string description) {
  if (!description.empty()) description = "/" + description + "/";
  return add_rule(Rule{.exact = std::nullopt,
                       .pattern = std::move(pattern),
                       .reply = std::move(reply),
                       .expected = true,
                       .description = std::move(description)});
}

std::vector<std::string> MockServer::verification_problems() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const Rule& rule : rules_) {
    if (!rule.expected) continue;
    const std::size_t wanted = rule.reply.times;
    if (wanted == 0 ? rule.used == 0 : rule.used != wanted) {
      out.push_back("expected " + (wanted == 0 ? std::string("at least one call") : std::to_string(wanted) + " calls") +
                    " of " + rule.description + ", got " + std::to_string(rule.used));
    }
  }
  for (const std::string& u : unexpected_) out.push_back(u);
  return out;
}

void MockServer::verify() const {
  const std::vector<std::string> problems = verification_problems();
  if (problems.empty()) return;
  std::string message = "MockServer::verify: " + std::to_string(problems.size()) + " problem(s): ";
  for (std::size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
  throw Error(ErrorKind::usage, std::move(message));
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
  unexpected_.clear();
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
  const Params params = call.params;
  const MockCallKind kind = call.kind;
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
    if (rule.reply.params) {
      const bool all_there = std::all_of(rule.reply.params->begin(), rule.reply.params->end(), [&](const Param& p) {
        const Param* given = params.find(p.name);
        return given != nullptr && *given == p;
      });
      if (!all_there) continue;
    }
    ++rule.used;
    if (rule.reply.error) return Answer{.result = std::nullopt, .error = rule.reply.error, .delay = rule.reply.delay};
    return Answer{.result = rule.reply.result, .error = std::nullopt, .delay = rule.reply.delay};
  }
  unexpected_.push_back("unexpected " + std::string(to_string(kind)) + " of `" + sql + "`" +
                        (params.empty() ? "" : " (with " + std::to_string(params.size()) + " parameters)"));
  if (options_.strict) {
    return Answer{.result = std::nullopt,
                  .error = Error(ErrorKind::usage, "MockServer (strict): no rule matches the query: " + sql),
                  .delay = {}};
  }
  return Answer{.result = Result{}, .error = std::nullopt, .delay = {}};
}

void MockServer::set_table(std::string table, Block sample) {
  std::lock_guard lock(mutex_);
  tables_[std::move(table)] = std::move(sample);
}

Block MockServer::table_sample(std::string_view table) const {
  std::lock_guard lock(mutex_);
  const auto it = tables_.find(table);
  return it == tables_.end() ? Block{} : it->second;
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

}  // namespace chconn
