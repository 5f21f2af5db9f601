// Encoders and decoders of the control packets (everything that carries no Block).
#include "chconn/wire/detail/packets.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "chconn/core/sql.h"
#include "wire/settings_table.h"

namespace chconn::wire {

namespace {

// Truncates `out` back to where an encoder started if it throws half-way, so a rejected packet
// leaves no partial bytes behind to be sent by mistake.
class Rollback {
 public:
  explicit Rollback(Writer& out) : out_(out), mark_(out.size()) {}
  Rollback(const Rollback&) = delete;
  Rollback& operator=(const Rollback&) = delete;
  ~Rollback() {
    if (!committed_) out_.buffer().resize(mark_);
  }
  void commit() noexcept { committed_ = true; }

 private:
  Writer& out_;
  std::size_t mark_;
  bool committed_ = false;
};

void write_code(Writer& out, ClientPacketCode code) { out.uvarint(static_cast<std::uint64_t>(code)); }

// The server refuses ASCII control characters (0..31) in the Hello's database, user and password.
bool has_control_character(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) <= 31; });
}

[[noreturn]] void usage(std::string message) { throw Error(ErrorKind::usage, std::move(message)); }
[[noreturn]] void protocol(std::string message) { throw Error(ErrorKind::protocol, std::move(message)); }

void check_setting_name(std::string_view name, std::string_view what) {
  // An empty name would end the list early and desynchronise the rest of the packet.
  if (!is_valid_setting_name(name))
    usage("invalid " + std::string(what) + " name \"" + std::string(name) +
          "\": names are 1 to 256 characters of [A-Za-z0-9_]");
}

void write_settings_as_strings(Writer& out, const Settings& settings) {
  for (const auto& setting : settings) {
    check_setting_name(setting.name, "setting");
    out.string(setting.name);
    out.uvarint(setting.important ? k_setting_flag_important : 0);
    out.string(setting.value);
  }
  out.string("");
}

void write_settings_as_binary(Writer& out, const Settings& settings, std::uint64_t revision) {
  for (const auto& setting : settings) {
    check_setting_name(setting.name, "setting");
    const auto* entry = detail::find_legacy_setting(setting.name);
    if (entry == nullptr) {
      usage("setting " + setting.name + " is not a setting of ClickHouse 18.16, and the server (protocol revision " +
            std::to_string(revision) + " < " + std::to_string(k_min_revision_with_settings_serialized_as_strings) +
            ") is too old for chconn to encode unknown settings: it reads settings in a typed binary form and "
            "refuses unknown names; remove the setting for this server");
    }
    out.string(setting.name);
    detail::write_legacy_setting_value(out, *entry, setting.value);
  }
  out.string("");
}

// Exception names ("DB::Exception", "std::bad_alloc", ...) kept at most; longer ones are cut.
constexpr std::uint64_t k_max_exception_name_bytes = 256;

// The length of the longest prefix of `s` that does not end inside a UTF-8 character. Bytes that
// are not UTF-8 at all are left as they are.
std::size_t whole_utf8_prefix(std::string_view s) noexcept {
  std::size_t i = s.size();
  int continuation = 0;
  while (i > 0 && continuation < 3 && (static_cast<unsigned char>(s[i - 1]) & 0xC0) == 0x80) {
    --i;
    ++continuation;
  }
  if (i == 0) return s.size();
  const auto lead = static_cast<unsigned char>(s[i - 1]);
  const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return length > 1 && s.size() - (i - 1) < length ? i - 1 : s.size();
}

// Reads a length-prefixed text of an exception (`what`: "exception message", ...) keeping at most
// `keep` bytes: the rest is skipped as it arrives, never stored. A cut text ends with a whole UTF-8
// character and a note saying how much was kept of how much, and which limit (`limit`) cut it.
// Returns the number of bytes of the text kept (the note not counted).
std::uint64_t read_kept_text(Reader& in, std::string& out, std::uint64_t keep, std::string_view what,
                             std::string_view limit) {
  const std::uint64_t n = in.count(in.limits().max_string_bytes, std::string(what) + " length");
  out.clear();
  if (n <= keep) {
    in.append(out, static_cast<std::size_t>(n));
    return n;
  }
  in.append(out, static_cast<std::size_t>(keep));
  in.skip(static_cast<std::size_t>(n - keep));
  out.resize(whole_utf8_prefix(out));
  const std::uint64_t kept = out.size();
  out += " [... truncated by chconn: " + std::to_string(kept) + " of " + std::to_string(n) + " bytes kept (" +
         std::string(limit) + ")]";
  return kept;
}

// Lists in the server's packets (password rules, table statuses, part UUIDs) are bounded like the
// server bounds them; nothing is reserved up front, so a lying count costs only the bytes sent.
std::uint64_t list_limit(const Reader& in) { return in.limits().max_string_bytes; }

Settings read_settings_as_strings(Reader& in) {
  Settings settings;
  for (;;) {
    std::string name = in.string(0, "setting name");
    if (name.empty()) return settings;
    const std::uint64_t flags = in.uvarint();
    std::string value = in.string(0, "setting value");
    settings.set(std::move(name), std::move(value), (flags & k_setting_flag_important) != 0);
  }
}

}  // namespace

// ----- names ------------------------------------------------------------------------------------

std::string_view to_string(ServerPacketCode code) noexcept {
  switch (code) {
    case ServerPacketCode::hello: return "Hello";
    case ServerPacketCode::data: return "Data";
    case ServerPacketCode::exception: return "Exception";
    case ServerPacketCode::progress: return "Progress";
    case ServerPacketCode::pong: return "Pong";
    case ServerPacketCode::end_of_stream: return "EndOfStream";
    case ServerPacketCode::profile_info: return "ProfileInfo";
    case ServerPacketCode::totals: return "Totals";
    case ServerPacketCode::extremes: return "Extremes";
    case ServerPacketCode::tables_status_response: return "TablesStatusResponse";
    case ServerPacketCode::log: return "Log";
    case ServerPacketCode::table_columns: return "TableColumns";
    case ServerPacketCode::part_uuids: return "PartUUIDs";
    case ServerPacketCode::read_task_request: return "ReadTaskRequest";
    case ServerPacketCode::profile_events: return "ProfileEvents";
    case ServerPacketCode::merge_tree_all_ranges_announcement: return "MergeTreeAllRangesAnnouncement";
    case ServerPacketCode::merge_tree_read_task_request: return "MergeTreeReadTaskRequest";
    case ServerPacketCode::timezone_update: return "TimezoneUpdate";
    case ServerPacketCode::ssh_challenge: return "SSHChallenge";
    case ServerPacketCode::preview_data: return "PreviewData";
  }
  return "Unknown";
}

std::string_view to_string(ClientPacketCode code) noexcept {
  switch (code) {
    case ClientPacketCode::hello: return "Hello";
    case ClientPacketCode::query: return "Query";
    case ClientPacketCode::data: return "Data";
    case ClientPacketCode::cancel: return "Cancel";
    case ClientPacketCode::ping: return "Ping";
    case ClientPacketCode::tables_status_request: return "TablesStatusRequest";
    case ClientPacketCode::keep_alive: return "KeepAlive";
    case ClientPacketCode::scalar: return "Scalar";
    case ClientPacketCode::ignored_part_uuids: return "IgnoredPartUUIDs";
    case ClientPacketCode::read_task_response: return "ReadTaskResponse";
    case ClientPacketCode::merge_tree_read_task_response: return "MergeTreeReadTaskResponse";
    case ClientPacketCode::ssh_challenge_request: return "SSHChallengeRequest";
    case ClientPacketCode::ssh_challenge_response: return "SSHChallengeResponse";
    case ClientPacketCode::query_plan: return "QueryPlan";
    case ClientPacketCode::merge_tree_all_ranges_announcement_response: return "MergeTreeAllRangesAnnouncementResponse";
  }
  return "Unknown";
}

// ----- client packets ---------------------------------------------------------------------------

void write_hello(Writer& out, const ClientHello& hello) {
  if (hello.user.empty()) usage("the user name is empty; ClickHouse needs one (the default user is \"default\")");
  if (has_control_character(hello.database)) usage("the database name contains ASCII control characters");
  if (has_control_character(hello.user)) usage("the user name contains ASCII control characters");
  if (has_control_character(hello.password)) usage("the password contains ASCII control characters");

  write_code(out, ClientPacketCode::hello);
  out.string(hello.client_name);
  out.uvarint(hello.version_major);
  out.uvarint(hello.version_minor);
  out.uvarint(hello.revision);
  out.string(hello.database);
  out.string(hello.user);
  out.string(hello.password);
}

void write_addendum(Writer& out, const ClientAddendum& addendum, std::uint64_t revision) {
  if (revision >= k_min_protocol_version_with_quota_key) out.string(addendum.quota_key);
  if (revision >= k_min_protocol_version_with_chunked_packets) {
    out.string(addendum.chunked_send);
    out.string(addendum.chunked_recv);
  }
  if (revision >= k_min_revision_with_versioned_parallel_replicas_protocol)
    out.uvarint(addendum.parallel_replicas_protocol_version);
}

void write_client_info(Writer& out, const ClientInfo& info, std::uint64_t revision) {
  if (info.query_kind != QueryKind::none && info.initial_address.empty())
    usage("ClientInfo.initial_address is empty; servers reject that, send \"0.0.0.0:0\" instead");
  out.u8(static_cast<std::uint8_t>(info.query_kind));
  if (info.query_kind == QueryKind::none) return;  // the server fills in the rest itself
  out.string(info.initial_user);
  out.string(info.initial_query_id);
  out.string(info.initial_address);
  if (revision >= k_min_protocol_version_with_initial_query_start_time)
    out.fixed<std::uint64_t>(info.initial_query_start_time_us);
  out.u8(static_cast<std::uint8_t>(ClientInterface::tcp));
  out.string(info.os_user);
  out.string(info.client_hostname);
  out.string(info.client_name);
  out.uvarint(info.version_major);
  out.uvarint(info.version_minor);
  out.uvarint(info.protocol_revision);
  if (revision >= k_min_revision_with_quota_key_in_client_info) out.string(info.quota_key);
  if (revision >= k_min_protocol_version_with_distributed_depth) out.uvarint(info.distributed_depth);
  if (revision >= k_min_revision_with_version_patch) out.uvarint(info.version_patch);
  if (revision >= k_min_revision_with_opentelemetry) {
    if (info.trace) {
      out.u8(1);
      // The trace id as the server's UUID: the high half (first hex digits) first, each LE.
      out.fixed<std::uint64_t>(info.trace->trace_id_high);
      out.fixed<std::uint64_t>(info.trace->trace_id_low);
      out.fixed<std::uint64_t>(info.trace->span_id);
      out.string(info.trace->tracestate);
      out.u8(info.trace->trace_flags);
    } else {
      out.u8(0);
    }
  }
  if (revision >= k_min_revision_with_parallel_replicas) {
    out.uvarint(info.collaborate_with_initiator);
    out.uvarint(info.count_participating_replicas);
    out.uvarint(info.number_of_current_replica);
  }
  if (revision >= k_min_revision_with_query_and_line_numbers) {
    out.uvarint(info.script_query_number);
    out.uvarint(info.script_line_number);
  }
  if (revision >= k_min_revision_with_jwt_in_interserver) {
    if (info.jwt.empty()) {
      out.u8(0);
    } else {
      out.u8(1);
      out.string(info.jwt);
    }
  }
  if (revision >= k_min_revision_with_client_agent_in_client_info) out.string(info.client_agent);
  if (revision >= k_min_protocol_version_with_internal_query_flag) out.u8(info.is_internal ? 1 : 0);
}

void write_settings(Writer& out, const Settings& settings, std::uint64_t revision) {
  Rollback rollback(out);
  if (revision >= k_min_revision_with_settings_serialized_as_strings) {
    write_settings_as_strings(out, settings);
  } else {
    write_settings_as_binary(out, settings, revision);
  }
  rollback.commit();
}

void write_parameters(Writer& out, std::span<const QueryParameter> parameters) {
  Rollback rollback(out);
  for (const auto& parameter : parameters) {
    check_setting_name(parameter.name, "query parameter");
    out.string(parameter.name);
    out.uvarint(k_setting_flag_custom);
    // The server reads the value with readQuoted(), whose escapes sql::quote_string writes: the
    // one literal form chconn writes, so the server gets back exactly `value`.
    out.string(sql::quote_string(parameter.value));
  }
  out.string("");
  rollback.commit();
}

void write_query(Writer& out, const Query& query, std::uint64_t revision) {
  if (!query.parameters.empty() && revision < k_min_protocol_version_with_parameters) {
    usage("the query has parameters, but the server (protocol revision " + std::to_string(revision) +
          ") does not support query parameters (they need revision " +
          std::to_string(k_min_protocol_version_with_parameters) + "); inline the values in the query text");
  }
  Rollback rollback(out);
  write_code(out, ClientPacketCode::query);
  out.string(query.query_id);
  if (revision >= k_min_revision_with_client_info) write_client_info(out, query.client_info, revision);
  write_settings(out, query.settings, revision);
  if (revision >= k_min_protocol_version_with_interserver_externally_granted_roles) out.string(query.external_roles);
  if (revision >= k_min_revision_with_interserver_secret) out.string(query.interserver_secret_hash);
  out.uvarint(static_cast<std::uint64_t>(query.stage));
  out.uvarint(query.compression ? 1 : 0);
  out.string(query.text);
  if (revision >= k_min_protocol_version_with_parameters) write_parameters(out, query.parameters);
  rollback.commit();
}

void write_cancel(Writer& out) { write_code(out, ClientPacketCode::cancel); }
void write_ping(Writer& out) { write_code(out, ClientPacketCode::ping); }

void write_tables_status_request(Writer& out, std::span<const TableName> tables, std::uint64_t revision) {
  if (revision < k_min_revision_with_tables_status) {
    usage("the server (protocol revision " + std::to_string(revision) + ") does not support TablesStatusRequest");
  }
  write_code(out, ClientPacketCode::tables_status_request);
  out.uvarint(tables.size());
  for (const auto& t : tables) {
    out.string(t.database);
    out.string(t.table);
  }
}

void write_data(Writer& out, std::string_view table, const Block& block, std::uint64_t revision,
                FrameEncoder* compression, Writer* scratch) {
  Rollback rollback(out);
  write_code(out, ClientPacketCode::data);
  if (revision >= k_min_revision_with_temporary_tables) out.string(table);
  if (compression == nullptr) {
    write_block(out, block, revision);
  } else {
    // Only the block travels in frames; the code and table name above stay plain.
    Writer temporary;
    Writer& plain = scratch != nullptr ? *scratch : temporary;
    plain.clear();
    write_block(plain, block, revision);
    compression->encode(out, plain.data());
  }
  rollback.commit();
}

void write_end_of_data(Writer& out, std::uint64_t revision, FrameEncoder* compression, Writer* scratch) {
  write_data(out, "", Block{}, revision, compression, scratch);
}

// ----- server packets ---------------------------------------------------------------------------

Progress& Progress::operator+=(const Progress& delta) noexcept {
  read_rows += delta.read_rows;
  read_bytes += delta.read_bytes;
  total_rows_to_read += delta.total_rows_to_read;
  total_bytes_to_read += delta.total_bytes_to_read;
  written_rows += delta.written_rows;
  written_bytes += delta.written_bytes;
  elapsed_ns += delta.elapsed_ns;
  return *this;
}

ServerPacketCode read_server_packet_code(Reader& in) {
  const std::uint64_t code = in.uvarint();
  switch (static_cast<ServerPacketCode>(code)) {
    case ServerPacketCode::hello:
    case ServerPacketCode::data:
    case ServerPacketCode::exception:
    case ServerPacketCode::progress:
    case ServerPacketCode::pong:
    case ServerPacketCode::end_of_stream:
    case ServerPacketCode::profile_info:
    case ServerPacketCode::totals:
    case ServerPacketCode::extremes:
    case ServerPacketCode::tables_status_response:
    case ServerPacketCode::log:
    case ServerPacketCode::table_columns:
    case ServerPacketCode::part_uuids:
    case ServerPacketCode::profile_events:
    case ServerPacketCode::timezone_update: return static_cast<ServerPacketCode>(code);
    default: break;
  }
  std::string message = "unknown packet code " + std::to_string(code);
  if (const auto name = to_string(static_cast<ServerPacketCode>(code)); name != "Unknown")
    message += " (" + std::string(name) + ", a packet a client never expects)";
  protocol(message + " from the server; the connection is out of sync and must be dropped");
}

ServerHello read_server_hello(Reader& in, std::uint64_t client_revision) {
  ServerHello h;
  in.string_into(h.name, 0, "server name");
  h.version_major = in.uvarint();
  h.version_minor = in.uvarint();
  h.revision = in.uvarint();
  const std::uint64_t r = negotiate_revision(client_revision, h.revision);

  if (r >= k_min_revision_with_versioned_parallel_replicas_protocol)
    h.parallel_replicas_protocol_version = in.uvarint();
  if (r >= k_min_revision_with_server_timezone) in.string_into(h.timezone, 0, "server time zone");
  if (r >= k_min_revision_with_server_display_name) in.string_into(h.display_name, 0, "server display name");
  h.version_patch = r >= k_min_revision_with_version_patch ? in.uvarint() : h.revision;
  if (r >= k_min_protocol_version_with_chunked_packets) {
    in.string_into(h.chunked_send, 0, "chunked send capability");
    in.string_into(h.chunked_recv, 0, "chunked receive capability");
    // chconn sends "notchunked" for both directions (never the framing). A server configured to
    // require the framing (proto_caps "chunked", not "chunked_optional") would refuse that after
    // the addendum; Connection::connect fails the same way ("Incompatible protocol").
    for (const std::string* cap : {&h.chunked_send, &h.chunked_recv}) {
      if (cap->starts_with("chunked") && !cap->ends_with("_optional")) {
        protocol("the server requires chunked packet framing (its proto_caps." +
                 std::string(cap == &h.chunked_send ? "send" : "recv") +
                 " is \"chunked\"), which chconn does not speak; set it to \"notchunked\" or \"chunked_optional\"");
      }
    }
  }
  if (r >= k_min_protocol_version_with_password_complexity_rules) {
    const std::uint64_t n = in.count(list_limit(in), "number of password complexity rules");
    for (std::uint64_t i = 0; i < n; ++i) {
      PasswordComplexityRule rule;
      in.string_into(rule.pattern, 0, "password rule pattern");
      in.string_into(rule.message, 0, "password rule message");
      h.password_rules.push_back(std::move(rule));
    }
  }
  if (r >= k_min_revision_with_interserver_secret_v2) h.nonce = in.fixed<std::uint64_t>();
  if (r >= k_min_revision_with_server_settings) h.settings = read_settings_as_strings(in);
  if (r >= k_min_revision_with_query_plan_serialization) h.query_plan_serialization_version = in.uvarint();
  // docs/en/interfaces/specs/NativeProtocol.md (ClickHouse), ServerHello row 14: at the tail.
  if (r >= k_min_revision_with_versioned_cluster_function_protocol) h.cluster_function_protocol_version = in.uvarint();
  return h;
}

Error read_exception(Reader& in) {
  struct Frame {
    std::int32_t code;
    std::string name, message, stack_trace;
  };
  const DecodeLimits& limits = in.limits();
  // Each text is cut to its own limit and to what is left of the chain's; a huge one is skipped,
  // never stored, so the chain costs at most those limits whatever the server sends.
  std::uint64_t chain_left = limits.max_exception_chain_bytes;
  const auto read_text = [&](std::string& out, std::uint64_t limit, std::string_view limit_name,
                             std::string_view what) {
    const bool chain_cuts = chain_left < limit;
    chain_left -= read_kept_text(in, out, chain_cuts ? chain_left : limit, what,
                                 chain_cuts ? "max_exception_chain_bytes" : limit_name);
  };
  std::vector<Frame> chain;
  const std::uint64_t max_depth = std::max<std::uint64_t>(1, limits.max_exception_depth);
  for (;;) {
    Frame f;
    f.code = in.fixed<std::int32_t>();
    read_text(f.name, k_max_exception_name_bytes, "exception names are cut at 256 bytes", "exception name");
    read_text(f.message, limits.max_exception_message_bytes, "max_exception_message_bytes", "exception message");
    read_text(f.stack_trace, limits.max_exception_stack_trace_bytes, "max_exception_stack_trace_bytes",
              "exception stack trace");
    const bool has_nested = in.u8() != 0;
    chain.push_back(std::move(f));
    if (!has_nested) break;
    if (chain.size() >= max_depth) {
      protocol("the server's exception chain is deeper than the limit of " + std::to_string(max_depth) +
               " nested exceptions; the stream is corrupt or the limit too low (DSN parameter max_exception_depth)");
    }
  }
  // Built innermost first, so each exception holds the one nested in it as its cause.
  std::shared_ptr<const Error> nested;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    nested = std::make_shared<const Error>(Error::from_server(it->code, std::move(it->name), std::move(it->message),
                                                              std::move(it->stack_trace), std::move(nested)));
  }
  return *nested;
}

Progress read_progress(Reader& in, std::uint64_t revision) {
  Progress p;
  p.read_rows = in.uvarint();
  p.read_bytes = in.uvarint();
  if (revision >= k_min_revision_with_total_rows_in_progress) p.total_rows_to_read = in.uvarint();
  if (revision >= k_min_protocol_version_with_total_bytes_in_progress) p.total_bytes_to_read = in.uvarint();
  if (revision >= k_min_revision_with_client_write_info) {
    p.written_rows = in.uvarint();
    p.written_bytes = in.uvarint();
  }
  if (revision >= k_min_protocol_version_with_server_query_time_in_progress) p.elapsed_ns = in.uvarint();
  return p;
}

ProfileInfo read_profile_info(Reader& in, std::uint64_t revision) {
  ProfileInfo p;
  p.rows = in.uvarint();
  p.blocks = in.uvarint();
  p.bytes = in.uvarint();
  p.applied_limit = in.boolean();
  p.rows_before_limit = in.uvarint();
  p.calculated_rows_before_limit = in.boolean();
  if (revision >= k_min_revision_with_rows_before_aggregation) {
    p.applied_aggregation = in.boolean();
    p.rows_before_aggregation = in.uvarint();
  }
  return p;
}

TableColumns read_table_columns(Reader& in, bool compressed, CompressedSource* frames) {
  TableColumns t;
  if (!compressed) {
    in.string_into(t.table, 0, "table name");
    in.string_into(t.description, 0, "column description");
    return t;
  }
  // From 54481 the server writes both strings through the query's compressed output
  // (NativeProtocol.md, TableColumns; PR #82535 "Compress logs and profile events", TableColumns
  // added in review). A frame ends with the packet, so `in` is left on the next packet.
  std::optional<CompressedSource> temporary;
  CompressedSource& source = frames != nullptr ? *frames : temporary.emplace(in);
  Reader body(source, in.limits());
  body.string_into(t.table, 0, "table name");
  body.string_into(t.description, 0, "column description");
  return t;
}

TimezoneUpdate read_timezone_update(Reader& in) {
  TimezoneUpdate t;
  in.string_into(t.timezone, 0, "time zone");
  return t;
}

TablesStatusResponse read_tables_status_response(Reader& in, std::uint64_t revision) {
  TablesStatusResponse response;
  const std::uint64_t n = in.count(list_limit(in), "number of table statuses");
  for (std::uint64_t i = 0; i < n; ++i) {
    TableStatus status;
    in.string_into(status.name.database, 0, "database name");
    in.string_into(status.name.table, 0, "table name");
    status.is_replicated = in.boolean();
    if (status.is_replicated) {
      status.absolute_delay = in.uvarint();
      if (revision >= k_min_protocol_version_with_table_read_only_check) status.is_readonly = in.uvarint() != 0;
    }
    response.tables.push_back(std::move(status));
  }
  return response;
}

PartUUIDs read_part_uuids(Reader& in) {
  PartUUIDs p;
  p.count = in.count(list_limit(in) / 16, "number of part UUIDs");
  in.skip(static_cast<std::size_t>(p.count * 16));
  return p;
}

DataPacket read_data(Reader& in, std::uint64_t revision, bool compressed, CompressedSource* frames, Block* recycle) {
  DataPacket packet;
  if (revision >= k_min_revision_with_temporary_tables) in.string_into(packet.table, 0, "table name");
  if (compressed) {
    // The frames source reads from `in` only as the block parser needs bytes, and never past the
    // frame that completes the block (a packet never ends mid-frame), so `in` is left on the next
    // packet. A fresh Reader per block, so no decompressed byte of this block leaks into the next.
    std::optional<CompressedSource> temporary;
    CompressedSource& source = frames != nullptr ? *frames : temporary.emplace(in);
    Reader block_in(source, in.limits());
    packet.block = read_block(block_in, revision, recycle);
  } else {
    packet.block = read_block(in, revision, recycle);
  }
  return packet;
}

ServerPacket read_server_packet_body(Reader& in, ServerPacketCode code, const PacketContext& context) {
  const std::uint64_t r = context.revision;
  ServerPacket packet;
  packet.code = code;
  switch (code) {
    case ServerPacketCode::hello: packet.body = read_server_hello(in, r); break;
    case ServerPacketCode::data:
    case ServerPacketCode::totals:
    case ServerPacketCode::extremes: packet.body = read_data(in, r, context.compression, context.frames); break;
    case ServerPacketCode::log:
    case ServerPacketCode::profile_events:
      packet.body = read_data(in, r, side_packets_compressed(r, context.compression), context.frames);
      break;
    case ServerPacketCode::exception: packet.body = ServerException{read_exception(in)}; break;
    case ServerPacketCode::progress: packet.body = read_progress(in, r); break;
    case ServerPacketCode::pong: packet.body = Pong{}; break;
    case ServerPacketCode::end_of_stream: packet.body = EndOfStream{}; break;
    case ServerPacketCode::profile_info: packet.body = read_profile_info(in, r); break;
    case ServerPacketCode::tables_status_response: packet.body = read_tables_status_response(in, r); break;
    case ServerPacketCode::table_columns:
      packet.body = read_table_columns(in, side_packets_compressed(r, context.compression), context.frames);
      break;
    case ServerPacketCode::part_uuids: packet.body = read_part_uuids(in); break;
    case ServerPacketCode::timezone_update: packet.body = read_timezone_update(in); break;
    default:
      protocol("unknown packet code " + std::to_string(static_cast<std::uint64_t>(code)) +
               " from the server; the connection is out of sync and must be dropped");
  }
  return packet;
}

ServerPacket read_server_packet(Reader& in, const PacketContext& context) {
  const ServerPacketCode code = read_server_packet_code(in);
  return read_server_packet_body(in, code, context);
}

ServerHello read_hello_reply(Reader& in, std::uint64_t client_revision) {
  const std::uint64_t code = in.uvarint();
  if (code == static_cast<std::uint64_t>(ServerPacketCode::hello)) return read_server_hello(in, client_revision);
  if (code == static_cast<std::uint64_t>(ServerPacketCode::exception)) throw read_exception(in);
  protocol("expected Hello or Exception in reply to the handshake, got packet code " + std::to_string(code) + " (" +
           std::string(to_string(static_cast<ServerPacketCode>(code))) +
           "); the server is not speaking the ClickHouse native protocol");
}

}  // namespace chconn::wire
