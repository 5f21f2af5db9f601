#include "connection/insert_flow.h"

#include <utility>

namespace chconn::detail {

std::optional<Block> next_insert_block(InsertSource& source, const Block& sample, std::string_view table) {
  std::optional<Block> block = source.next();
  if (block && block->rows() > 0) *block = match_insert_sample(*block, sample, table);
  return block;
}

std::string describe_insert_ending(Drain outcome, const std::optional<Error>& refused, Deadline drain,
                                   const InsertProgress& sent) {
  const std::string what = sent.blocks == 0 ? std::string("no block had been sent, nothing was inserted")
                                            : std::to_string(sent.rows) + " rows in " + std::to_string(sent.blocks) +
                                                  (sent.blocks == 1 ? " block" : " blocks") + " sent before";
  switch (outcome) {
    case Drain::kept:
      if (refused) return "; the server then failed the insert (" + refused->message() + "), " + what;
      if (sent.blocks == 0) return "; " + what + " and the connection was kept";
      return "; the " + what +
             " were inserted (the server commits each block it receives) and the connection "
             "was kept";
    case Drain::dropped:
      return "; the connection was dropped because the server did not end the insert within " + drain.describe() +
             (sent.blocks == 0 ? "; " + what : "; the " + what + " may have been inserted");
    case Drain::skipped: break;
  }
  return "; the connection was dropped, since no time was left to end the insert" +
         (sent.blocks == 0 ? "; " + what : "; the " + what + " may have been inserted");
}

void rethrow_insert_failure(const std::exception_ptr& failure, const std::string& ending) {
  try {
    std::rethrow_exception(failure);
  } catch (const Error& e) {
    if (e.server_code() != 0) throw;
    throw Error(e.kind(), e.message() + ending);
  }
}

Error insert_deadline_passed(std::string_view query_id, std::string_view table, std::string_view peer,
                             const Deadline& deadline) {
  return Error(ErrorKind::timeout, "the insert " + std::string(query_id) + " into " + std::string(table) + " on " +
                                       std::string(peer) + " did not finish within " + deadline.describe());
}

Error insert_stopped(std::string_view query_id, std::string_view table, std::string_view peer, std::string_view how) {
  return Error(ErrorKind::cancelled, "the insert " + std::string(query_id) + " into " + std::string(table) + " on " +
                                         std::string(peer) + " was stopped by the caller (" + std::string(how) + ")");
}

}  // namespace chconn::detail
