// Observed leases. The outer lease's connection is an ObservedConnection that owns the inner
// Lease; the outer lease's owner is one immutable, stateless object (it keeps nothing between
// calls: everything a lease needs travels in the connection it gives back).
#include "chconn/strategy/observed.h"

#include <functional>
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
    std::optional<QueryOptions> guarded;
    const QueryOptions& o = guard_callbacks(options, guarded);
    Result r = call([&] { return inner_->execute(sql, o); });
    if (seen) {
      for (const Block& b : r.blocks) seen->on_block(b);
      ended.with(r);
    }
    return r;
  }
  Result select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                const QueryOptions& options) override {
    std::unique_ptr<QueryObserver> seen = observe(sql, options);
    std::optional<QueryOptions> guarded;
    const QueryOptions& o = guard_callbacks(options, guarded);
    const std::function<void(const Block&)> callers = caller_callback(on_block);
    if (!seen) return call([&] { return inner_->select(sql, callers, o); });
    Ended ended(seen.get());
    Result r = call([&] {
      return inner_->select(
          sql,
          [&](const Block& b) {
            seen->on_block(b);
            callers(b);
          },
          o);
    });
    ended.with(r);
    return r;
  }
  // The inner connection's cursor, its errors recorded like those of any call.
  std::unique_ptr<QueryCursor> query(std::string_view sql, const QueryOptions& options) override {
    std::unique_ptr<QueryObserver> seen = observe(sql, options);
    Ended ended(seen.get());
    // The inner cursor keeps its own copy of the options, the guarded callbacks with it.
    std::optional<QueryOptions> guarded;
    const QueryOptions& o = guard_callbacks(options, guarded);
    std::unique_ptr<QueryCursor> inner = call([&] { return inner_->query(sql, o); });
    ended.observer = nullptr;  // the cursor ends it now
    return std::make_unique<ObservedCursor>(*this, std::move(inner), std::move(seen));
  }
  void insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options) override {
    std::optional<QueryOptions> guarded;
    const QueryOptions& o = guard_callbacks(options, guarded);
    CallersSource callers(source, callback_failed_);
    call([&] {
      inner_->insert(target, callers, o);
      return 0;
    });
  }
  // The inner connection's insert stream, its errors recorded like those of any call.
  std::unique_ptr<InsertStream> insert(const InsertTarget& target, const QueryOptions& options) override {
    // As for query(): the stream keeps its own copy of the guarded options.
    std::optional<QueryOptions> guarded;
    const QueryOptions& o = guard_callbacks(options, guarded);
    std::unique_ptr<InsertStream> inner = call([&] { return inner_->insert(target, o); });
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
  bool callback_failed() const noexcept { return callback_failed_; }

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

  // The caller's own callback `f`, noting when it throws: what it throws is the caller's failure,
  // not the host's, whatever its kind (an Error(timeout) of the caller's own I/O, say). Holds its
  // own copy of `f`: a cursor or an insert stream calls it after the call that made it returned.
  template <class... Args>
  std::function<void(Args...)> caller_callback(const std::function<void(Args...)>& f) {
    if (!f) return f;
    return [this, f](Args... args) {
      try {
        f(std::forward<Args>(args)...);
      } catch (...) {
        callback_failed_ = true;
        throw;
      }
    };
  }

  // `options`, or a copy in `guarded` whose callbacks are caller_callback()s of its own.
  const QueryOptions& guard_callbacks(const QueryOptions& options, std::optional<QueryOptions>& guarded) {
    if (!options.on_progress && !options.on_profile && !options.on_log && !options.on_profile_events) return options;
    QueryOptions& o = guarded.emplace(options);
    o.on_progress = caller_callback(options.on_progress);
    o.on_profile = caller_callback(options.on_profile);
    o.on_log = caller_callback(options.on_log);
    o.on_profile_events = caller_callback(options.on_profile_events);
    return o;
  }

  // The caller's InsertSource, its failures noted as caller_callback()'s are.
  class CallersSource final : public InsertSource {
   public:
    CallersSource(InsertSource& inner, bool& failed) noexcept : inner_(inner), failed_(failed) {}
    void start(const Block& sample) override {
      try {
        inner_.start(sample);
      } catch (...) {
        failed_ = true;
        throw;
      }
    }
    std::optional<Block> next() override {
      try {
        return inner_.next();
      } catch (...) {
        failed_ = true;
        throw;
      }
    }

   private:
    InsertSource& inner_;
    bool& failed_;
  };

  // Runs one call, recording its chconn::Error for the lease's end, unless the caller's own
  // callback threw it (callback_failed_): that says nothing of the host.
  template <class F>
  auto call(F&& f) -> decltype(f()) {
    callback_failed_ = false;
    try {
      return f();
    } catch (const Error& e) {
      if (callback_failed_) throw;
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
  bool callback_failed_ = false;  // during or after the last call: the caller's callback threw
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

bool caller_callback_failed(const Connection& connection) noexcept {
  const auto* observed = dynamic_cast<const ObservedConnection*>(&connection);
  return observed != nullptr && observed->callback_failed();
}

Connection& unwrap_connection(Connection& connection) noexcept {
  Connection* c = &connection;
  while (auto* observed = dynamic_cast<ObservedConnection*>(c)) c = &observed->inner_connection();
  return *c;
}

}  // namespace chconn
