// What the blocking NativeConnection and the AsyncConnection share of an insert between its sample
// and its end (issue 18): taking the next block from a source, and the errors of an insert that
// ends early (its source failed, a stop or cancellation, the deadline between blocks), so both say
// the same about which blocks may have been inserted.
//
// Thread safety: pure functions, save next_insert_block, which calls the caller's source.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "chconn/connection/insert_source.h"
#include "chconn/core/clock.h"
#include "chconn/core/error.h"
#include "chconn/wire/block.h"
#include "connection/deadlines.h"

namespace chconn::detail {

// The source's next block matched to `sample` (match_insert_sample: Error(usage) on a mismatch),
// or nullopt when it has no more. A block without rows comes back as it is: the caller skips it.
std::optional<Block> next_insert_block(InsertSource& source, const Block& sample, std::string_view table);

// What became of an insert ended early with the empty block (the drain within `drain` ended as
// `outcome`; `refused`: the exception the server answered that end with, if any) after `sent`, as
// the end of the message of the error the insert fails with.
std::string describe_insert_ending(Drain outcome, const std::optional<Error>& refused, Deadline drain,
                                   const InsertProgress& sent);

// Rethrows `failure`, which ended the insert early: a chconn::Error not from the server with
// `ending` (describe_insert_ending) added to its message; anything else as it is.
[[noreturn]] void rethrow_insert_failure(const std::exception_ptr& failure, const std::string& ending);

// The query deadline passed between two blocks of the insert `query_id` into `table` on `peer`.
Error insert_deadline_passed(std::string_view query_id, std::string_view table, std::string_view peer,
                             const Deadline& deadline);
// The caller stopped the insert between two blocks; `how`: "QueryOptions::stop", "its cancellation slot".
Error insert_stopped(std::string_view query_id, std::string_view table, std::string_view peer, std::string_view how);

}  // namespace chconn::detail
