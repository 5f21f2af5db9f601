// Observed leases. The outer lease's connection is an ObservedConnection that owns the inner
// Lease; the outer lease's owner is one immutable, stateless object (it keeps nothing between
// calls: everything a lease needs travels in the connection it gives back).
#include "chconn/strategy/observed.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace chconn {

namespace {

class ObservedConnection final : public Connection {
 public:
  ObservedConnection(Lease inner, std::unique_ptr<LeaseObserver> observer, const Clock& clock)
      : inner_(std::move(inner)), observer_(std::move(observer)), clock_(clock), started_(clock.now()) {}

  using Connection::execute;
  using Connection::insert;

  Result execute(std::string_view sql, const QueryOptions& options) override {
    std::unique_ptr<QueryObserver> seen = observe(sql, options);
    Ended ended(seen.get());
    Result r = call([&] { return inner_->execute(sql, options); });
    if (seen) {
      for (const Block& b : r.blocks) seen->on_block(b);
      ended.with(r);
    }
    return r;
  }
  Result select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                const QueryOptions& options) override {
    std::unique_ptr<QueryObserver> seen = observe(sql, options);
    if (!seen) return call([&] { return inner_->select(sql, on_block, options); });
    Ended ended(seen.get());
    Result r = call([&] {
      return inner_->select(
          sql,
          [&](const Block& b) {
            seen->on_block(b);
            on_block(b);
          },
          options);
    });
    ended.with(r);
    return r;
  }
  // The inner connection's cursor, its errors recorded like those of any call.
  std::unique_ptr<QueryCursor> query(std::string_view sql, const QueryOptions& options) override {
    std::unique_ptr<QueryObserver> seen = observe(sql, options);
    Ended ended(seen.get());
    std::unique_ptr<QueryCursor> inner = call([&] { return inner_->query(sql, options); });
    ended.observer = nullptr;  // the cursor ends it now
    return std::make_unique<ObservedCursor>(*this, std::move(inner), std::move(seen));
  }
  void insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options) override {
    call([&] {
      inner_->insert(target, source, options);
      return 0;
    });
  }
  // The inner connection's insert stream, its errors recorded like those of any call.
  std::unique_ptr<InsertStream> insert(const InsertTarget& target, const QueryOptions& options) override {
    std::unique_ptr<InsertStream> inner = call([&] { return inner_->insert(target, options); });
    return std::make_unique<ObservedInsertStream>(*this, std::move(inner));
  }
  void ping(Deadline deadline) override {
    call([&] {
      inner_->ping(deadline);
      return 0;
    });
  }
  void close() noexcept override {
    if (inner_) inner_->close();
  }
  bool usable() const noexcept override { return inner_ && inner_->usable(); }
  bool session_changed() const noexcept override { return inner_ && inner_->session_changed(); }
  const ServerInfo& server_info() const noexcept override { return inner_->server_info(); }
  const std::string& last_query_id() const noexcept override { return inner_->last_query_id(); }
  const std::string& peer() const noexcept override { return inner_->peer(); }

  Connection& inner_connection() const noexcept { return *inner_; }

  // The end of the outer lease: tell the observer, then end the inner lease.
  void finish(LeaseEnd end) noexcept {
    LeaseOutcome outcome;
    outcome.broken = end.broken;
    outcome.peer_failed = end.peer_failed;
    if (host_error_)
      outcome.error = host_error_;
    else
      outcome.error = last_error_;
    outcome.held = clock_.now() - started_;
    if (observer_) observer_->on_lease_end(outcome);
    if (end.broken) {
      if (outcome.error)
        inner_.mark_broken(*outcome.error);
      else
        inner_.mark_broken();
    }
    inner_.release();
  }

 private:
  class ObservedCursor final : public QueryCursor {
   public:
    ObservedCursor(ObservedConnection& connection, std::unique_ptr<QueryCursor> inner,
                   std::unique_ptr<QueryObserver> seen)
        : connection_(connection), inner_(std::move(inner)), seen_(std::move(seen)) {}
    ObservedCursor(const ObservedCursor&) = delete;
    ObservedCursor& operator=(const ObservedCursor&) = delete;
    // Dropped before its end (or after a throw): the observer hears it ended without a summary.
    ~ObservedCursor() override {
      if (seen_) seen_->on_end(nullptr);
    }
    std::optional<Block> next() override {
      std::optional<Block> b;
      try {
        b = connection_.call([&] { return inner_->next(); });
      } catch (...) {
        end(nullptr);
        throw;
      }
      if (seen_) {
        if (b)
          seen_->on_block(*b);
        else
          end(&inner_->summary());
      }
      return b;
    }
    const Result& summary() const noexcept override { return inner_->summary(); }
    bool done() const noexcept override { return inner_->done(); }

   private:
    void end(const Result* summary) noexcept {
      if (seen_) std::exchange(seen_, nullptr)->on_end(summary);
    }

    ObservedConnection& connection_;
    std::unique_ptr<QueryCursor> inner_;
    std::unique_ptr<QueryObserver> seen_;
  };

  // Ends a call's observer once: with the summary when with() is reached, else (a throw) without.
  struct Ended {
    explicit Ended(QueryObserver* o) noexcept : observer(o) {}
    QueryObserver* observer;
    Ended(const Ended&) = delete;
    Ended& operator=(const Ended&) = delete;
    void with(const Result& r) noexcept {
      if (observer) std::exchange(observer, nullptr)->on_end(&r);
    }
    ~Ended() {
      if (observer) observer->on_end(nullptr);
    }
  };

  std::unique_ptr<QueryObserver> observe(std::string_view sql, const QueryOptions& options) noexcept {
    return observer_ ? observer_->on_query(sql, options) : nullptr;
  }

  class ObservedInsertStream final : public InsertStream {
   public:
    ObservedInsertStream(ObservedConnection& connection, std::unique_ptr<InsertStream> inner)
        : connection_(connection), inner_(std::move(inner)) {}
    const Block& sample() const noexcept override { return inner_->sample(); }
    void write(const Block& block) override {
      connection_.call([&] {
        inner_->write(block);
        return 0;
      });
    }
    void finish() override {
      connection_.call([&] {
        inner_->finish();
        return 0;
      });
    }
    bool done() const noexcept override { return inner_->done(); }
    InsertProgress progress() const noexcept override { return inner_->progress(); }

   private:
    ObservedConnection& connection_;
    std::unique_ptr<InsertStream> inner_;
  };

  template <class F>
  auto call(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const Error& e) {
      if (!host_error_ && classify(e).host_failure) host_error_ = e;
      last_error_ = e;
      throw;
    }
  }

  Lease inner_;
  std::unique_ptr<LeaseObserver> observer_;
  const Clock& clock_;
  Clock::time_point started_;
  std::optional<Error> host_error_;
  std::optional<Error> last_error_;
};

class ObservedOwner final : public LeaseOwner {
 public:
  void give_back(std::unique_ptr<Connection> connection, void*, LeaseEnd end) noexcept override {
    static_cast<ObservedConnection&>(*connection).finish(end);
  }
};

// Immutable and stateless: shared by every observed lease of the process.
ObservedOwner& observed_owner() noexcept {
  static ObservedOwner owner;
  return owner;
}

}  // namespace

Lease observe_lease(Lease inner, std::unique_ptr<LeaseObserver> observer, const Clock& clock) {
  if (!inner) throw Error(ErrorKind::usage, "observe_lease: the lease to observe holds no connection");
  auto connection = std::make_unique<ObservedConnection>(std::move(inner), std::move(observer), clock);
  return Lease::borrowed(observed_owner(), std::move(connection));
}

Connection& unwrap_connection(Connection& connection) noexcept {
  Connection* c = &connection;
  while (auto* observed = dynamic_cast<ObservedConnection*>(c)) c = &observed->inner_connection();
  return *c;
}

}  // namespace chconn
