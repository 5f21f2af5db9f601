// MockConnection, MockConnector and MockStrategy (see chconn/strategy/mock.h): the connection a
// test's code talks to, which asks its MockServer (mock_server.cpp) for each call's answer, and the
// strategy that hands such connections out.
#include "chconn/strategy/mock.h"

#include <optional>
#include <stop_token>
#include <string_view>
#include <utility>
#include <vector>

namespace chconn {

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

namespace {

// Reads each external table from its source as NativeConnection sends them: checked first, then
// every non-empty block checked against the structure; a failure names the table.
std::vector<MockExternalTable> read_external_tables(const std::vector<ExternalTable>& tables) {
  check_external_tables(tables);
  std::vector<MockExternalTable> out;
  for (const ExternalTable& t : tables) {
    MockExternalTable table{.name = t.name, .structure = t.structure, .blocks = {}};
    try {
      t.source->start(t.structure);
      while (std::optional<Block> block = t.source->next()) {
        if (block->rows() > 0) table.blocks.push_back(match_insert_sample(*block, t.structure, t.name));
      }
    } catch (const Error& e) {
      throw e.with_context("the external table '" + t.name + "': the query was not run");
    }
    out.push_back(std::move(table));
  }
  return out;
}

}  // namespace

Result MockConnection::run(MockCall call, const QueryOptions& options) {
  check_usable();
  if (options.stop.stop_requested()) {
    throw Error(ErrorKind::cancelled, "mock: the query was not sent to " + peer_ +
                                          ": stop was requested before the call (QueryOptions::stop)");
  }
  if (call.kind != MockCallKind::insert) call.external_tables = read_external_tables(options.external_tables);
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
      throw Error(ErrorKind::timeout, "mock: the query did not finish before its deadline (scripted delay of " +
                                          duration_text(answer.delay) + ")");
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

void MockConnection::insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options) {
  MockCall call = make_call(MockCallKind::insert, target.insert_statement(), options);
  call.table = target.name();
  check_usable();
  if (!options.external_tables.empty()) {
    throw Error(ErrorKind::usage, "external tables go with queries that read, not with an insert; nothing was sent");
  }
  if (options.stop.stop_requested()) {
    throw Error(ErrorKind::cancelled, "mock: the query was not sent to " + peer_ +
                                          ": stop was requested before the call (QueryOptions::stop)");
  }
  const Block sample = server_->table_sample(call.table);
  source.start(sample);
  std::vector<Block> blocks;
  while (std::optional<Block> block = source.next()) {
    if (block->rows() > 0) blocks.push_back(match_insert_sample(*block, sample, call.table));
    if (options.stop.stop_requested()) throw mock_stopped("between the blocks of an insert");
  }
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
