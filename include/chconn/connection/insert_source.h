// InsertSource: where a streaming insert takes its blocks from, one at a time.
//
// Connection::insert(target, source, options) sends the INSERT, receives the server's sample block
// (the target's columns with their exact types, no rows) and hands it to source.start(); it then
// asks source.next() for one block at a time, checks it against the sample and sends it, until
// next() says there are no more. Memory is bounded by the block the source holds: nothing is
// collected. The span-of-blocks insert is this with a BlockSpanSource.
//
// What a source's failure does (docs/guide.md, "Loading data"): if start() or next() throws, no
// part of the failed block is sent; the connection ends the insert's data as the protocol does
// after the last block, and the server inserts the blocks it had already received (ClickHouse
// commits each block it receives, and has no way to take one back). The error then thrown says how
// many blocks and rows that was; the connection stays usable. A stop requested (QueryOptions::stop)
// or the query deadline passing between blocks ends the insert the same way.
//
// Thread safety: a source is used by the one thread running the insert, inside the call; it need
// not be thread-safe. Lifetimes: the sample passed to start() is valid until the insert call
// returns; a source keeps nothing of the connection.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "chconn/wire/block.h"

namespace chconn {

class InsertSource {
 public:
  InsertSource() = default;
  InsertSource(const InsertSource&) = delete;
  InsertSource& operator=(const InsertSource&) = delete;
  virtual ~InsertSource() = default;

  // Called once, before next(), with the server's sample block: the columns the insert takes, in
  // the table's order, with exact types and no rows. Throwing here sends nothing.
  virtual void start(const Block& sample) = 0;

  // The next block, or nullopt when there are no more. A block must have the sample's columns
  // (names and exact types, in any order); a mismatch is Error(usage) before the block is sent. A
  // block with no rows is skipped.
  virtual std::optional<Block> next() = 0;
};

// An InsertSource over blocks the caller holds (the span insert). It checks every block against the
// sample in start(), so a mismatch anywhere is Error(usage) with nothing sent. The blocks must
// outlive the source.
class BlockSpanSource final : public InsertSource {
 public:
  BlockSpanSource(std::span<const Block> blocks, std::string table) : blocks_(blocks), table_(std::move(table)) {}
  void start(const Block& sample) override;
  std::optional<Block> next() override;

 private:
  std::span<const Block> blocks_;
  std::string table_;
  std::vector<Block> matched_;
  std::size_t next_ = 0;
};

// `block` with its columns in the order of `sample` (no data copied: the columns are shared).
// Throws Error(usage) naming `table` and the first column whose name is missing or whose type is
// not exactly the sample's. A sample without columns (a mock server that knows no structure)
// takes the block as it is.
Block match_insert_sample(const Block& block, const Block& sample, std::string_view table);

// How much an insert sent, for the messages of an insert that ended early.
struct InsertProgress {
  std::size_t blocks = 0;
  std::size_t rows = 0;
};

// The push form of the streaming insert: what Connection::insert(table) returns. The caller hands
// it one block at a time and ends it with finish():
//
//   std::unique_ptr<chconn::InsertStream> ins = conn.insert("events");
//   for (...) ins->write(make_block(ins->sample()));
//   ins->finish();
//
// write() checks the block against the server's sample (names and exact types, in any order; a
// mismatch is Error(usage) with nothing of that block sent, and the insert stays open) and sends it
// before it returns, so memory is bounded by the caller's block and every block write() accepted is
// one the server received. A block with no rows is skipped. finish() ends the data and waits for the
// server's acknowledgement: only then is the insert done. The query deadline (QueryOptions::timeout
// / deadline, else Config::timeouts.query) counts from insert() and bounds the whole insert, the
// caller's time between write() calls included; a stop (QueryOptions::stop) or that deadline seen by
// write() or finish() ends the insert early, as an InsertSource's failure does (insert_source.h).
//
// An error from write() or finish() other than a block mismatch ends the insert: later calls throw
// Error(usage). Abandoning an unfinished insert (destroying it before finish(), for example while
// an exception unwinds) ends the data early: the server inserts the blocks it received (ClickHouse
// commits each block it receives) and the connection is kept if the server answers within the
// cancel drain timeout, dropped otherwise. A destructor cannot throw, so the abandonment is logged
// at LogLevel::warning through Config::logger, naming the table, the query id and the rows sent;
// ConnectionManager counts it as a cancelled call. Call finish() to know the insert succeeded.
//
// Lifetimes: the stream refers to its connection, which must outlive it; while it is open the
// connection takes no other call (Error(usage)). Thread safety: the connection's thread only.
class InsertStream {
 public:
  InsertStream() = default;
  InsertStream(const InsertStream&) = delete;
  InsertStream& operator=(const InsertStream&) = delete;
  virtual ~InsertStream() = default;

  // The server's sample block: the columns the insert takes, with exact types and no rows. Empty
  // for a test double that knows no structure (it then takes blocks as they are).
  virtual const Block& sample() const noexcept = 0;
  virtual void write(const Block& block) = 0;
  virtual void finish() = 0;
  // True once finish() returned or an error ended the insert.
  virtual bool done() const noexcept = 0;
  // What the server has been sent so far.
  virtual InsertProgress progress() const noexcept = 0;
};

}  // namespace chconn
