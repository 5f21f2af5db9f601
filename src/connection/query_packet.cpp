#include "connection/query_packet.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>

#include "chconn/core/sql.h"
#include "chconn/wire/detail/protocol.h"
#include "connection/sansio/handshake.h"
#include "connection/substitution.h"

namespace chconn::detail {

namespace {

// Servers up to this revision (18.16 among them) read a query's text as a string of at most
// k_old_max_query_text_bytes; a longer one is answered with "Too large string size" and the
// connection closed with the rest unread, which the client sees as a reset part-way through
// sending (measured on 18.16.1: 16777215 bytes are read and parsed, 16777216 reset). Later servers
// read more; chconn does not check a limit it does not know.
constexpr std::uint64_t k_last_revision_reading_16_mib_queries = 54412;
constexpr std::size_t k_old_max_query_text_bytes = 0xFFFFFF;
// Servers from this revision (21.3) nest block comments as chconn's lexer does; nesting came in
// 20.10, but chconn knows no revision between, so servers before this one are taken not to nest
// (refusing a nested comment there is safe, reading it differently from the server is not).
constexpr std::uint64_t k_min_revision_nesting_comments = 54447;
// The server's default max_query_size: beyond it a reset while sending is likely the text's size.
constexpr std::size_t k_default_max_query_size = 262144;

std::string current_os_user() {
  if (const char* user = std::getenv("USER"); user && *user) return user;
  // getpwuid_r, not getpwuid: connections are opened from several threads at once (a pool, the
  // bench), and getpwuid returns a static buffer that they would all overwrite (a data race TSan
  // reported from `chconn bench --concurrency 4`).
  passwd entry{};
  passwd* found = nullptr;
  std::array<char, 4096> buffer{};
  if (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found && found->pw_name) {
    return found->pw_name;
  }
  return {};
}

std::string current_host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return {};
  return name.data();
}

// A random (version 4) UUID, the form the server uses for the query ids it generates.
std::string random_query_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t hi = (rng() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const std::uint64_t lo = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return text;
}

// Refuses, before anything is sent, a query text the server is known to refuse for its size:
// longer than a server up to revision 54412 reads, or than a max_query_size the caller set.
void check_query_size(const QuerySession& s, std::string_view text, const Settings& settings) {
  if (s.server_revision <= k_last_revision_reading_16_mib_queries && text.size() > k_old_max_query_text_bytes) {
    throw Error(ErrorKind::usage,
                "the query text is " + std::to_string(text.size()) + " bytes, more than " + s.peer + " reads (" +
                    std::to_string(k_old_max_query_text_bytes) + " bytes for protocol revision " +
                    std::to_string(k_last_revision_reading_16_mib_queries) +
                    " and older: it would close the connection while the text arrives); nothing was sent. Pass "
                    "large data as blocks with insert(), or split the query");
  }
  // The server applies max_query_size to the part of the text it parses; an INSERT's inline data
  // is read after that part, so only the statements without inline data are checked here.
  const std::optional<std::string_view> setting = settings.get("max_query_size");
  if (!setting) return;
  std::uint64_t limit = 0;
  const auto [end, ec] = std::from_chars(setting->data(), setting->data() + setting->size(), limit);
  // A value that is not a number is the server's to judge; 0 means no limit, as on the server.
  if (ec != std::errc() || end != setting->data() + setting->size() || limit == 0) return;
  if (text.size() <= limit || sql::insert_shape(text).inline_data.has_value()) return;
  throw Error(ErrorKind::usage,
              "the query text is " + std::to_string(text.size()) + " bytes, more than max_query_size (" +
                  std::to_string(limit) +
                  " bytes) set for it; the server would refuse it (code 62, Max query size exceeded) after "
                  "receiving all of it; nothing was sent. Raise max_query_size, or pass large data as blocks "
                  "with insert()");
}

}  // namespace

ClientIdentity ClientIdentity::of_this_process() { return {current_os_user(), current_host_name()}; }

wire::Query build_query(const QuerySession& s, std::string_view sql, const QueryOptions& options) {
  if (s.revision < k_min_revision_nesting_comments && sql::has_nested_comment(sql)) {
    // Where the server and chconn disagree on where a comment ends, chconn's reading of the
    // statement (its placeholders, whether it reads or writes, inline data) is not the
    // server's: a value substituted where chconn sees a comment would be SQL to the server.
    throw Error(ErrorKind::usage,
                "the query has a comment inside a comment (/* ... /* ... */), which this server (revision " +
                    std::to_string(s.revision) +
                    ") ends at the first */ while chconn, like ClickHouse from 20.10, nests it; the two would "
                    "read different statements, so it is not sent. Remove the inner /*");
  }
  wire::Query query;
  query.query_id = options.query_id.empty() ? random_query_id() : options.query_id;
  query.client_info.os_user = s.client.os_user;
  query.client_info.client_hostname = s.client.host_name;
  query.client_info.client_name = s.config.client_name;
  query.client_info.version_major = sansio::k_version_major;
  query.client_info.version_minor = sansio::k_version_minor;
  query.client_info.version_patch = sansio::k_version_patch;
  query.settings = s.config.settings;
  query.settings.merge(options.settings);
  if (s.config.compression == Compression::zstd && !query.settings.get("network_compression_method")) {
    query.settings.set("network_compression_method", "zstd");
  }
  query.compression = s.config.compression != Compression::none;
  // The server binds the values where it reads them as substitution writes them (bind_params()).
  BoundStatement bound = bind_params(sql, options.params, s.revision >= wire::k_min_protocol_version_with_parameters);
  query.text = std::move(bound.text);
  query.parameters = std::move(bound.parameters);
  check_query_size(s, query.text, query.settings);
  return query;
}

Error query_send_failure(const Error& e, std::size_t text_bytes, const std::string& peer) {
  // A server that refuses a text for its size closes the connection while the rest of it is
  // still arriving; all the client sees is a reset. Say what was being sent.
  if (e.kind() != ErrorKind::network || text_bytes <= k_default_max_query_size) return e;
  return e.with_context(
      "the connection failed while sending a query of " + std::to_string(text_bytes) + " bytes to " + peer +
      "; a server refuses a query text longer than it reads (" + std::to_string(k_old_max_query_text_bytes) +
      " bytes up to 18.16) or parses (max_query_size, " + std::to_string(k_default_max_query_size) +
      " bytes by default) and may close the connection while the text still arrives. Pass large data as "
      "blocks with insert()");
}

Error unread_inline_data(std::uint64_t server_revision) {
  // Servers from revision 54415 parse data written in the query text themselves and never ask;
  // older ones (18.16) do, and would insert nothing from the text: the data was ended without
  // rows, and the call says so rather than report a success that inserted nothing.
  return Error(ErrorKind::usage, "this server (revision " + std::to_string(server_revision) +
                                     ") does not read data written in an INSERT's text; nothing was inserted. Pass "
                                     "the rows as blocks with insert(), or use INSERT ... SELECT");
}

}  // namespace chconn::detail
