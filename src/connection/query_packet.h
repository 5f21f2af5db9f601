// The Query packet of a call, built once for both connections (issue 18): NativeConnection and
// AsyncConnection call build_query(), so the settings, the parameters (substituted as literals on
// servers without server-side parameters, sent as parameters to the others), the query id, the
// stage, the compression flag and the checks made before anything is sent are one implementation.
// The caller writes the packet (wire::write_query), then its external tables if it sends any
// (NativeConnection only, for now), then the empty Data block that ends them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chconn/connection/connection.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/wire/detail/packets.h"

namespace chconn::detail {

// Servers before this revision (18.16 among them) do not skip the client's remaining data
// packets when a query fails before reading them: the rest of the stream is then out of step, and
// the session cannot be reused (NativeConnection reconnects, AsyncConnection is dropped).
inline constexpr std::uint64_t k_min_revision_skipping_data_after_error = 54429;

// Who the client is, in every Query's ClientInfo: read once per connection (the OS user and the
// host name), never per query.
struct ClientIdentity {
  std::string os_user;
  std::string host_name;
  static ClientIdentity of_this_process();
};

// What build_query() needs to know of the session the query goes to.
struct QuerySession {
  const Config& config;
  std::uint64_t revision = 0;         // negotiated
  std::uint64_t server_revision = 0;  // the server's own (ServerInfo::revision)
  const std::string& peer;
  const ClientIdentity& client;
};

// The Query packet for `sql` with `options`: the config's settings merged with the options',
// QueryOptions::query_id or a random UUID, the stage `complete`, the compression flag of the
// config, and the parameters (QueryOptions::params) bound by the server where it can, substituted
// as typed literals where it cannot. Throws Error(usage) before anything is sent: a nested comment
// the server would read differently, a parameter missing or invalid, a text longer than the
// server reads or than a max_query_size set. External tables are not looked at.
wire::Query build_query(const QuerySession& session, std::string_view sql, const QueryOptions& options);

// The error to raise when sending a query of `text_bytes` failed with `e`: a network failure
// while sending a long text is most likely the server refusing it for its size, and says so.
Error query_send_failure(const Error& e, std::size_t text_bytes, const std::string& peer);

// The error of an execute() of an INSERT with data in its text that the server asked for as
// blocks instead (it does not parse inline data: revisions before 54415, 18.16 among them).
Error unread_inline_data(std::uint64_t server_revision);

}  // namespace chconn::detail
