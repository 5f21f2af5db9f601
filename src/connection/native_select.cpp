// NativeConnection's select, execute and QueryCursor: the query sent, then its reply read block by
// block (native_impl.h).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "chconn/wire/block.h"
#include "connection/native_impl.h"
#include "connection/query_packet.h"
#include "connection/sansio/operation.h"
#include "connection/sansio/query.h"

namespace chconn {

NativeConnection::Impl::SelectState NativeConnection::Impl::start_select(std::string_view sql,
                                                                         const QueryOptions& options,
                                                                         CallInProgress& call) {
  check_not_stopped(options);
  SelectState st;
  st.sql = sql;
  st.options = &options;
  st.deadline = query_deadline(options);
  prepare(st.deadline);
  call.arm();
  st.compressed = compressing();
  try {
    st.result.query_id = start_query(sql, options, st.deadline);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::usage) mark_broken();
    throw;
  }
  if (!session_changed && sql::changes_session(sql)) session_changed = true;
  const sql::InsertShape shape = sql::insert_shape(sql);
  st.data_insert = shape.is_insert && !shape.from_select;
  return st;
}

std::optional<Block> NativeConnection::Impl::next_block(SelectState& st, Block* spare) {
  if (!st.op) {
    // Made here, not in start_select(): the operation points into the SelectState, which has
    // reached its place by the first next_block().
    detail::sansio::QueryReply r = reply(detail::sansio::QueryReply::Mode::select, st.compressed);
    r.data_insert = st.data_insert;
    if (st.data_insert) r.end_of_data = end_of_data(st.compressed);
    st.input = std::make_unique<BlockingInput>(*this, st.deadline, true);
    st.op = std::make_unique<detail::sansio::QueryOperation>(std::move(r), *st.input, *st.options, st.result);
  }
  if (spare && !spare->empty()) st.op->recycle(std::move(*spare));
  if (drive(*st.op, st.deadline)) return std::move(st.op->block());
  st.ended = true;
  if (st.op->inline_insert_ended() && sql::insert_shape(st.sql).inline_data) {
    throw detail::unread_inline_data(info.revision);
  }
  return std::nullopt;
}

Result NativeConnection::Impl::run_select(std::string_view sql, const std::function<void(const Block&)>* on_block,
                                          const QueryOptions& options) {
  const StopWatch watch(*this, options.stop);
  CallInProgress call(*this);
  SelectState st = start_select(sql, options, call);
  return guarded(options, st.deadline, st.compressed, [&]() -> Result {
    // A streamed block after on_block() returns: the next block decodes into the columns the
    // callback did not keep, so a long stream reuses its buffers instead of allocating each block.
    Block spare;
    while (std::optional<Block> block = next_block(st, &spare)) {
      if (on_block) {
        detail::sansio::call_back(*on_block, *block);
        spare = std::move(*block);
      } else {
        st.result.blocks.push_back(std::move(*block));
      }
    }
    return std::move(st.result);
  });
}

namespace {

// NativeConnection's QueryCursor: the select loop, one block per next(). It keeps its own copies of
// the query text and options (the SelectState points into them), and marks its connection busy
// (Impl::open_call) until it ends.
class NativeCursor final : public QueryCursor {
 public:
  NativeCursor(NativeConnection::Impl& impl, std::string_view sql, const QueryOptions& options)
      : impl_(impl), sql_(sql), options_(options) {
    const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
    {
      NativeConnection::Impl::CallInProgress call(impl_);
      st_ = impl_.start_select(sql_, options_, call);
    }
    impl_.open_call = "a query cursor";
  }

  ~NativeCursor() override {
    if (st_.ended) return;
    // Ended early: stop the query and keep the connection if it comes back to rest in time.
    impl_.open_call = nullptr;
    st_.ended = true;
    impl_.cancel_and_drain(st_.compressed, impl_.drain_deadline(options_));  // noexcept
  }

  std::optional<Block> next() override {
    if (st_.ended) return std::nullopt;
    try {
      const NativeConnection::Impl::StopWatch watch(impl_, options_.stop);
      std::optional<Block> block =
          impl_.guarded(options_, st_.deadline, st_.compressed, [&] { return impl_.next_block(st_, nullptr); });
      if (!block) impl_.open_call = nullptr;
      return block;
    } catch (...) {
      // guarded() has cancelled and drained, or marked the connection broken.
      st_.ended = true;
      impl_.open_call = nullptr;
      throw;
    }
  }

  const Result& summary() const noexcept override { return st_.result; }
  bool done() const noexcept override { return st_.ended; }

 private:
  NativeConnection::Impl& impl_;
  const std::string sql_;
  const QueryOptions options_;
  NativeConnection::Impl::SelectState st_;
};

}  // namespace

std::unique_ptr<QueryCursor> NativeConnection::query(std::string_view sql, const QueryOptions& options) {
  return std::make_unique<NativeCursor>(*impl_, sql, options);
}

Result NativeConnection::execute(std::string_view sql, const QueryOptions& options) {
  return impl_->run_select(sql, nullptr, options);
}

Result NativeConnection::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                                const QueryOptions& options) {
  return impl_->run_select(sql, &on_block, options);
}

}  // namespace chconn
