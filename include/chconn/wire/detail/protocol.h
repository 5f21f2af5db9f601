// Constants of the ClickHouse native TCP protocol: packet codes, protocol revisions, query stages.
//
// Everything optional on the wire is gated on the *negotiated revision* R = min(the revision the
// client advertises, the revision the server sends in its Hello). Each constant below is the first
// revision at which a field or packet exists; its comment names the server's DBMS_MIN_* constant
// and says what changes on the wire (docs/protocol.md, "Revisions").
//
// Thread safety: constants and pure functions only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace chconn::wire {

// The revision chconn advertises in its Hello: the highest revision whose every field chconn
// implements (docs/protocol.md, "Revisions"): up to 54486 that is sparse and replicated columns
// (54465, 54482, 54483), Dynamic's structure version 2 (54473), the Hello's chunked capabilities
// (always "notchunked"), password rules, nonce, server settings, query plan version and cluster
// function protocol version (54479), compressed Log/ProfileEvents/TableColumns (54481), BlockInfo
// field 3 (54480), and ClientInfo to is_internal (54486). Do not raise it past 54486 before the
// server's code shows where 54488's current roles and 54490's HTTP handler field go (and whether a
// client's TablesStatusRequest changes at 54487); String with a size stream (54492) is in the codec
// already, except inside LowCardinality, Variant, Dynamic and JSON.
inline constexpr std::uint64_t k_client_revision = 54486;

// The revision both sides speak: min(advertised, server's).
constexpr std::uint64_t negotiate_revision(std::uint64_t client, std::uint64_t server) noexcept {
  return std::min(client, server);
}

// --- Revisions (DBMS_MIN_REVISION_WITH_* / DBMS_MIN_PROTOCOL_VERSION_WITH_*) -------------------
inline constexpr std::uint64_t k_min_revision_with_temporary_tables = 50264;                // Data: table name
inline constexpr std::uint64_t k_min_revision_with_total_rows_in_progress = 51554;          // Progress: total_rows
inline constexpr std::uint64_t k_min_revision_with_block_info = 51903;                      // Block: BlockInfo
inline constexpr std::uint64_t k_min_revision_with_client_info = 54032;                     // Query: ClientInfo
inline constexpr std::uint64_t k_min_revision_with_server_timezone = 54058;                 // Hello: timezone
inline constexpr std::uint64_t k_min_revision_with_quota_key_in_client_info = 54060;        // ClientInfo: quota key
inline constexpr std::uint64_t k_min_revision_with_tables_status = 54226;                   // TablesStatus packets
inline constexpr std::uint64_t k_min_revision_with_server_display_name = 54372;             // Hello: display name
inline constexpr std::uint64_t k_min_revision_with_version_patch = 54401;                   // Hello, ClientInfo: patch
inline constexpr std::uint64_t k_min_revision_with_server_logs = 54406;                     // Log packets
inline constexpr std::uint64_t k_min_revision_with_column_defaults_metadata = 54410;        // TableColumns
inline constexpr std::uint64_t k_min_revision_with_client_write_info = 54420;               // Progress: written_*
inline constexpr std::uint64_t k_min_revision_with_settings_serialized_as_strings = 54429;  // settings as strings
inline constexpr std::uint64_t k_min_revision_with_interserver_secret = 54441;              // Query: secret hash
inline constexpr std::uint64_t k_min_revision_with_opentelemetry = 54442;                   // ClientInfo: trace
inline constexpr std::uint64_t k_min_protocol_version_with_distributed_depth = 54448;       // ClientInfo: depth
inline constexpr std::uint64_t k_min_protocol_version_with_initial_query_start_time = 54449;    // ClientInfo
inline constexpr std::uint64_t k_min_protocol_version_with_incremental_profile_events = 54451;  // ProfileEvents
inline constexpr std::uint64_t k_min_revision_with_parallel_replicas = 54453;     // ClientInfo: 3 UVarInts
inline constexpr std::uint64_t k_min_revision_with_custom_serialization = 54454;  // Block: per-column byte
inline constexpr std::uint64_t k_min_protocol_version_with_addendum = 54458;      // client addendum
inline constexpr std::uint64_t k_min_protocol_version_with_quota_key = 54458;     // addendum: quota key
inline constexpr std::uint64_t k_min_protocol_version_with_parameters = 54459;    // Query: parameters
inline constexpr std::uint64_t k_min_protocol_version_with_server_query_time_in_progress = 54460;  // elapsed_ns
inline constexpr std::uint64_t k_min_protocol_version_with_password_complexity_rules = 54461;      // Hello: rules
inline constexpr std::uint64_t k_min_revision_with_interserver_secret_v2 = 54462;                  // Hello: nonce
inline constexpr std::uint64_t k_min_protocol_version_with_total_bytes_in_progress = 54463;        // Progress
inline constexpr std::uint64_t k_min_protocol_version_with_timezone_updates = 54464;               // TimezoneUpdate
inline constexpr std::uint64_t k_min_revision_with_sparse_serialization = 54465;                   // sparse columns
inline constexpr std::uint64_t k_min_protocol_version_with_table_read_only_check = 54467;          // is_readonly
inline constexpr std::uint64_t k_min_revision_with_rows_before_aggregation = 54469;                // ProfileInfo: +2
inline constexpr std::uint64_t k_min_protocol_version_with_chunked_packets = 54470;               // Hello/addendum caps
inline constexpr std::uint64_t k_min_revision_with_versioned_parallel_replicas_protocol = 54471;  // Hello
inline constexpr std::uint64_t k_min_protocol_version_with_interserver_externally_granted_roles = 54472;
inline constexpr std::uint64_t k_min_revision_with_server_settings = 54474;                      // Hello: settings
inline constexpr std::uint64_t k_min_revision_with_query_and_line_numbers = 54475;               // ClientInfo: +2
inline constexpr std::uint64_t k_min_revision_with_jwt_in_interserver = 54476;                   // ClientInfo: JWT
inline constexpr std::uint64_t k_min_revision_with_query_plan_serialization = 54477;             // Hello: plan version
inline constexpr std::uint64_t k_min_revision_with_versioned_cluster_function_protocol = 54479;  // Hello: tail
inline constexpr std::uint64_t k_min_revision_with_v2_dynamic_and_json_serialization = 54473;    // Dynamic V2
inline constexpr std::uint64_t k_min_revision_with_compressed_logs_profile_events_columns = 54481;  // Log...
inline constexpr std::uint64_t k_min_revision_with_replicated_serialization = 54482;       // replicated columns
inline constexpr std::uint64_t k_min_revision_with_nullable_sparse_serialization = 54483;  // sparse Nullable
inline constexpr std::uint64_t k_min_revision_with_client_agent_in_client_info = 54485;
inline constexpr std::uint64_t k_min_protocol_version_with_internal_query_flag = 54486;  // ClientInfo
// String columns as UInt64 end offsets, then the bytes (DBMS_MIN_REVISION_WITH_STRING_WITH_SIZE_STREAM_
// SERIALIZATION; no per-column marker: the layout follows the revision).
inline constexpr std::uint64_t k_min_revision_with_string_size_stream = 54492;

// Whether Log, ProfileEvents and TableColumns bodies travel in compression frames: from 54481
// when the query's compression flag is set (before, and without it, they are plain). Data, Totals
// and Extremes follow the flag at every revision.
constexpr bool side_packets_compressed(std::uint64_t revision, bool compression) noexcept {
  return compression && revision >= k_min_revision_with_compressed_logs_profile_events_columns;
}  // ClientInfo

// --- Packet codes -----------------------------------------------------------------------------
// Every packet is a UVarInt code followed by its body; there is no length prefix.

enum class ClientPacketCode : std::uint64_t {
  hello = 0,
  query = 1,
  data = 2,  // also external tables and the empty end-of-data block
  cancel = 3,
  ping = 4,
  tables_status_request = 5,
  keep_alive = 6,
  scalar = 7,
  ignored_part_uuids = 8,
  read_task_response = 9,
  merge_tree_read_task_response = 10,
  ssh_challenge_request = 11,
  ssh_challenge_response = 12,
  query_plan = 13,
  merge_tree_all_ranges_announcement_response = 14,
};

enum class ServerPacketCode : std::uint64_t {
  hello = 0,
  data = 1,
  exception = 2,
  progress = 3,
  pong = 4,
  end_of_stream = 5,
  profile_info = 6,
  totals = 7,
  extremes = 8,
  tables_status_response = 9,
  log = 10,
  table_columns = 11,
  part_uuids = 12,
  read_task_request = 13,
  profile_events = 14,
  merge_tree_all_ranges_announcement = 15,
  merge_tree_read_task_request = 16,
  timezone_update = 17,
  ssh_challenge = 18,
  preview_data = 19,
};

// The packet's name as the server spells it ("Hello", "Data", "EndOfStream", ...), or "Unknown".
std::string_view to_string(ServerPacketCode code) noexcept;
std::string_view to_string(ClientPacketCode code) noexcept;

// --- Query ------------------------------------------------------------------------------------

// How far the server processes a query. Clients want `complete`.
enum class QueryStage : std::uint64_t {
  fetch_columns = 0,
  with_mergeable_state = 1,
  complete = 2,
  with_mergeable_state_after_aggregation = 3,
  with_mergeable_state_after_aggregation_and_limit = 4,
};

// ClientInfo.query_kind. `none` sends only this byte and lets the server fill in defaults.
enum class QueryKind : std::uint8_t { none = 0, initial = 1, secondary = 2 };

// ClientInfo.interface. chconn only ever speaks TCP.
enum class ClientInterface : std::uint8_t {
  tcp = 1,
  http = 2,
  grpc = 3,
  mysql = 4,
  postgresql = 5,
  local = 6,
  tcp_interserver = 7
};

// Flags of the strings-with-flags settings format (R >= 54429).
inline constexpr std::uint64_t k_setting_flag_important = 0x01;  // unknown → error, not ignored
inline constexpr std::uint64_t k_setting_flag_custom = 0x02;     // query parameters
inline constexpr std::uint64_t k_setting_flag_obsolete = 0x04;

// The chunked-framing capability chconn announces: it never uses chunked packets.
inline constexpr std::string_view k_not_chunked = "notchunked";

}  // namespace chconn::wire
