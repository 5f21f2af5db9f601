// NativeConnection's inserts: the pull form (insert with an InsertSource) and the push form (the
// InsertStream), which share the start, the blocks sent, the end and the early end
// (native_impl.h).
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "chconn/connection/insert_source.h"
#include "chconn/connection/insert_target.h"
#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/core/log.h"
#include "chconn/wire/block.h"
#include "connection/deadlines.h"
#include "connection/insert_flow.h"
#include "connection/native_impl.h"
#include "connection/sansio/query.h"

namespace chconn {

std::string NativeConnection::Impl::end_insert_early(bool compressed, Deadline drain,
                                                     const InsertProgress& sent) noexcept {
  std::optional<Error> refused;
  const detail::Drain outcome = cancel_and_drain(compressed, drain, true, &refused);
  try {
    return detail::describe_insert_ending(outcome, refused, drain, sent);
  } catch (...) {
    return {};  // no memory for the message: the error it completes is thrown as it is
  }
}

void NativeConnection::Impl::start_insert(InsertState& st, const InsertTarget& into, const QueryOptions& options,
                                          CallInProgress& call) {
  st.sql = into.insert_statement();
  st.table = into.name();
  st.options = &options;
  st.ended = true;  // until the sample came
  if (!options.external_tables.empty()) {
    throw Error(ErrorKind::usage, "external tables go with queries that read, not with an insert; nothing was sent");
  }
  check_not_stopped(options);
  st.deadline = query_deadline(options);
  prepare(st.deadline);
  call.arm();
  st.compressed = compressing();
  try {
    start_query(st.sql, options, st.deadline);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::usage) mark_broken();
    throw;
  }
  guarded(options, st.deadline, st.compressed, [&] {
    Result scratch;
    detail::sansio::QueryReply r = reply(detail::sansio::QueryReply::Mode::insert_sample, st.compressed);
    r.sql = st.sql;
    BlockingInput input(*this, st.deadline, true);
    detail::sansio::QueryOperation op(std::move(r), input, options, scratch);
    drive(op, st.deadline);  // the sample, or a failure
    last_sample = std::move(op.block());
  });
  st.ended = false;
}

std::exception_ptr NativeConnection::Impl::between_blocks(const InsertState& st) const {
  if (stop.stop_requested()) {
    return std::make_exception_ptr(detail::insert_stopped(last_query_id, st.table, peer, "QueryOptions::stop"));
  }
  if (st.deadline.expired()) {
    return std::make_exception_ptr(detail::insert_deadline_passed(last_query_id, st.table, peer, st.deadline));
  }
  return nullptr;
}

void NativeConnection::Impl::send_insert_block(InsertState& st, const Block& block) {
  try {
    guarded(*st.options, st.deadline, st.compressed, [&] {
      write_data(block, st.compressed);
      send(st.deadline);
    });
  } catch (...) {
    st.ended = true;
    throw;
  }
  ++st.sent.blocks;
  st.sent.rows += block.rows();
}

void NativeConnection::Impl::finish_insert(InsertState& st) {
  st.ended = true;
  guarded(*st.options, st.deadline, st.compressed, [&] {
    write_data(Block{}, st.compressed);
    send(st.deadline);
    Result scratch;
    finish(*st.options, st.deadline, scratch);
  });
}

void NativeConnection::Impl::fail_insert(InsertState& st, const std::exception_ptr& failure) {
  st.ended = true;
  const std::string ending = end_insert_early(st.compressed, drain_deadline(*st.options), st.sent);
  detail::rethrow_insert_failure(failure, ending);
}

void NativeConnection::Impl::run_insert(const InsertTarget& into, InsertSource& blocks, const QueryOptions& options) {
  const StopWatch watch(*this, options.stop);
  InsertState st;
  CallInProgress call(*this);
  start_insert(st, into, options, call);
  try {
    blocks.start(last_sample);
  } catch (...) {
    fail_insert(st, std::current_exception());
  }
  for (;;) {
    if (std::exception_ptr failure = between_blocks(st)) fail_insert(st, failure);
    std::optional<Block> block;
    try {
      block = detail::next_insert_block(blocks, last_sample, st.table);
    } catch (...) {
      fail_insert(st, std::current_exception());
    }
    if (!block) break;
    if (block->rows() == 0) continue;
    // A stop that came while the source made this block: the block is not sent.
    if (stop.stop_requested()) continue;
    send_insert_block(st, *block);
  }
  finish_insert(st);
}

void NativeConnection::Impl::finish(const QueryOptions& options, Deadline deadline, Result& scratch) {
  BlockingInput input(*this, deadline, true);
  detail::sansio::QueryOperation op(reply(detail::sansio::QueryReply::Mode::insert_finish, compressing()), input,
                                    options, scratch);
  drive(op, deadline);
}

namespace {

// NativeConnection's InsertStream: the push form of the insert, each block sent by write(). It
// keeps its own copy of the options (the InsertState points to them) and marks its connection busy
// (Impl::open_call) until it ends.
class NativeInsertStream final : public InsertStream {
 public:
  NativeInsertStream(NativeConnection::Impl& impl, const InsertTarget& target, const QueryOptions& options)
      : impl_(impl), options_(options) {
    const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
    {
      NativeConnection::Impl::CallInProgress call(impl_);
      impl_.start_insert(st_, target, options_, call);
    }
    impl_.open_call = "an unfinished insert";
  }

  ~NativeInsertStream() override {
    if (st_.ended) return;
    // Abandoned: end the data early (noexcept); the blocks sent stay inserted.
    impl_.open_call = nullptr;
    st_.ended = true;
    const std::string ending = impl_.end_insert_early(st_.compressed, impl_.drain_deadline(options_), st_.sent);
    if (const Logger* logger = impl_.logger(); logger && logger->enabled(LogLevel::warning)) {
      try {
        logger->log(LogLevel::warning, "chconn: the insert " + impl_.last_query_id + " into " + st_.table + " on " +
                                           impl_.peer + " was abandoned before finish()" + ending);
      } catch (...) {
        // A sink that throws, or no memory for the message: nothing more to say from a destructor.
      }
    }
  }

  const Block& sample() const noexcept override { return impl_.last_sample; }

  void write(const Block& block) override {
    check_open();
    const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
    if (std::exception_ptr failure = impl_.between_blocks(st_)) end_with(failure);
    if (block.rows() == 0) return;
    // A mismatch throws here, before anything is sent: the insert stays open.
    const Block matched = match_insert_sample(block, impl_.last_sample, st_.table);
    try {
      impl_.send_insert_block(st_, matched);
    } catch (...) {
      impl_.open_call = nullptr;
      throw;
    }
  }

  void finish() override {
    check_open();
    const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
    if (std::exception_ptr failure = impl_.between_blocks(st_)) end_with(failure);
    impl_.open_call = nullptr;
    impl_.finish_insert(st_);
    finished_ = true;
  }

  bool done() const noexcept override { return st_.ended; }
  InsertProgress progress() const noexcept override { return st_.sent; }

 private:
  void check_open() const {
    if (!st_.ended) return;
    throw Error(ErrorKind::usage, "the insert into " + st_.table + (finished_ ? " was finished" : " has ended") +
                                      "; start another with insert()");
  }

  [[noreturn]] void end_with(const std::exception_ptr& failure) {
    impl_.open_call = nullptr;
    impl_.fail_insert(st_, failure);
  }

  NativeConnection::Impl& impl_;
  const QueryOptions options_;
  NativeConnection::Impl::InsertState st_;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<InsertStream> NativeConnection::insert(const InsertTarget& target, const QueryOptions& options) {
  return std::make_unique<NativeInsertStream>(*impl_, target, options);
}

void NativeConnection::insert(const InsertTarget& target, InsertSource& source, const QueryOptions& options) {
  impl_->run_insert(target, source, options);
}

}  // namespace chconn
