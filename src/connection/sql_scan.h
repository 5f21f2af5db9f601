// Small lexical scans of query text that the connection needs (private to the connection layer).
#pragma once

#include <string_view>

namespace chconn::detail {

// Whether `sql` is an INSERT statement (leading whitespace and comments skipped).
bool is_insert(std::string_view sql);

// Whether an INSERT carries its data in the query text: anything but whitespace after the VALUES
// keyword or after "FORMAT <name>" (outside literals and comments).
bool has_inline_insert_data(std::string_view sql);

// Whether `sql` is INSERT ... SELECT (an INSERT whose rows come from a query, not from the client).
bool is_insert_select(std::string_view sql);

}  // namespace chconn::detail
