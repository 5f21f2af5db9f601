#include "wire/settings_table.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#include "chconn/core/error.h"
#include "core/strings.h"

namespace chconn::wire::detail {

namespace {

using T = LegacySettingType;

// Accepted spellings, exactly as 18.16 compares them (case-sensitive; checked on a live 18.16.1:
// "LZ4" and "all" are refused).
constexpr std::array<std::string_view, 3> k_load_balancing{"random", "nearest_hostname", "in_order"};
constexpr std::array<std::string_view, 4> k_totals_mode{"before_having", "after_having_exclusive",
                                                        "after_having_inclusive", "after_having_auto"};
constexpr std::array<std::string_view, 3> k_compression_method{"lz4", "lz4hc", "zstd"};
constexpr std::array<std::string_view, 4> k_distributed_product_mode{"deny", "local", "global", "allow"};
constexpr std::array<std::string_view, 3> k_join_strictness{"", "ALL", "ANY"};
// 'any' is accepted only by group_by_overflow_mode (SettingOverflowMode<true>).
constexpr std::array<std::string_view, 2> k_overflow_mode{"throw", "break"};
constexpr std::array<std::string_view, 3> k_overflow_mode_group_by{"throw", "break", "any"};
constexpr std::array<std::string_view, 2> k_date_time_input_format{"basic", "best_effort"};

constexpr LegacySetting s(std::string_view name, T type) { return {name, type, {}}; }
template <std::size_t N>
constexpr LegacySetting e(std::string_view name, const std::array<std::string_view, N>& values) {
  return {name, T::enumeration, values};
}

// ClickHouse 18.16.1's APPLY_FOR_SETTINGS, in declaration order (= the order of system.settings).
// send_logs_level is a plain SettingString in 18.16: the server accepts any text when setting it.
constexpr std::array k_table{
    s("min_compress_block_size", T::uint64),
    s("max_compress_block_size", T::uint64),
    s("max_block_size", T::uint64),
    s("max_insert_block_size", T::uint64),
    s("min_insert_block_size_rows", T::uint64),
    s("min_insert_block_size_bytes", T::uint64),
    s("max_threads", T::max_threads),
    s("max_read_buffer_size", T::uint64),
    s("max_distributed_connections", T::uint64),
    s("max_query_size", T::uint64),
    s("interactive_delay", T::uint64),
    s("connect_timeout", T::seconds),
    s("connect_timeout_with_failover_ms", T::milliseconds),
    s("receive_timeout", T::seconds),
    s("send_timeout", T::seconds),
    s("tcp_keep_alive_timeout", T::seconds),
    s("queue_max_wait_ms", T::milliseconds),
    s("poll_interval", T::uint64),
    s("distributed_connections_pool_size", T::uint64),
    s("connections_with_failover_max_tries", T::uint64),
    s("extremes", T::boolean),
    s("use_uncompressed_cache", T::boolean),
    s("replace_running_query", T::boolean),
    s("background_pool_size", T::uint64),
    s("background_schedule_pool_size", T::uint64),
    s("distributed_directory_monitor_sleep_time_ms", T::milliseconds),
    s("distributed_directory_monitor_batch_inserts", T::boolean),
    s("optimize_move_to_prewhere", T::boolean),
    s("replication_alter_partitions_sync", T::uint64),
    s("replication_alter_columns_timeout", T::uint64),
    e("load_balancing", k_load_balancing),
    e("totals_mode", k_totals_mode),
    s("totals_auto_threshold", T::float32),
    s("compile", T::boolean),
    s("compile_expressions", T::boolean),
    s("min_count_to_compile", T::uint64),
    s("group_by_two_level_threshold", T::uint64),
    s("group_by_two_level_threshold_bytes", T::uint64),
    s("distributed_aggregation_memory_efficient", T::boolean),
    s("aggregation_memory_efficient_merge_threads", T::uint64),
    s("max_parallel_replicas", T::uint64),
    s("parallel_replicas_count", T::uint64),
    s("parallel_replica_offset", T::uint64),
    s("skip_unavailable_shards", T::boolean),
    s("distributed_group_by_no_merge", T::boolean),
    s("merge_tree_min_rows_for_concurrent_read", T::uint64),
    s("merge_tree_min_rows_for_seek", T::uint64),
    s("merge_tree_coarse_index_granularity", T::uint64),
    s("merge_tree_max_rows_to_use_cache", T::uint64),
    s("merge_tree_uniform_read_distribution", T::boolean),
    s("mysql_max_rows_to_insert", T::uint64),
    s("optimize_min_equality_disjunction_chain_length", T::uint64),
    s("min_bytes_to_use_direct_io", T::uint64),
    s("force_index_by_date", T::boolean),
    s("force_primary_key", T::boolean),
    s("mark_cache_min_lifetime", T::uint64),
    s("max_streams_to_max_threads_ratio", T::float32),
    e("network_compression_method", k_compression_method),
    s("network_zstd_compression_level", T::int64),
    s("priority", T::uint64),
    s("log_queries", T::boolean),
    s("log_queries_cut_to_length", T::uint64),
    e("distributed_product_mode", k_distributed_product_mode),
    s("max_concurrent_queries_for_user", T::uint64),
    s("insert_deduplicate", T::boolean),
    s("insert_sample_with_metadata", T::boolean),
    s("insert_quorum", T::uint64),
    s("insert_quorum_timeout", T::milliseconds),
    s("select_sequential_consistency", T::uint64),
    s("table_function_remote_max_addresses", T::uint64),
    s("read_backoff_min_latency_ms", T::milliseconds),
    s("read_backoff_max_throughput", T::uint64),
    s("read_backoff_min_interval_between_events_ms", T::milliseconds),
    s("read_backoff_min_events", T::uint64),
    s("memory_tracker_fault_probability", T::float32),
    s("enable_http_compression", T::boolean),
    s("http_zlib_compression_level", T::int64),
    s("http_native_compression_disable_checksumming_on_decompress", T::boolean),
    s("count_distinct_implementation", T::string),
    s("output_format_write_statistics", T::boolean),
    s("add_http_cors_header", T::boolean),
    s("input_format_skip_unknown_fields", T::boolean),
    s("input_format_import_nested_json", T::boolean),
    s("input_format_values_interpret_expressions", T::boolean),
    s("output_format_json_quote_64bit_integers", T::boolean),
    s("output_format_json_quote_denormals", T::boolean),
    s("output_format_json_escape_forward_slashes", T::boolean),
    s("output_format_pretty_max_rows", T::uint64),
    s("output_format_pretty_max_column_pad_width", T::uint64),
    s("output_format_pretty_color", T::boolean),
    s("use_client_time_zone", T::boolean),
    s("send_progress_in_http_headers", T::boolean),
    s("http_headers_progress_interval_ms", T::uint64),
    s("fsync_metadata", T::boolean),
    s("input_format_allow_errors_num", T::uint64),
    s("input_format_allow_errors_ratio", T::float32),
    s("join_use_nulls", T::boolean),
    e("join_default_strictness", k_join_strictness),
    s("preferred_block_size_bytes", T::uint64),
    s("max_replica_delay_for_distributed_queries", T::uint64),
    s("fallback_to_stale_replicas_for_distributed_queries", T::boolean),
    s("preferred_max_column_in_block_size_bytes", T::uint64),
    s("insert_distributed_sync", T::boolean),
    s("insert_distributed_timeout", T::uint64),
    s("distributed_ddl_task_timeout", T::int64),
    s("stream_flush_interval_ms", T::milliseconds),
    s("format_schema", T::string),
    s("insert_allow_materialized_columns", T::boolean),
    s("http_connection_timeout", T::seconds),
    s("http_send_timeout", T::seconds),
    s("http_receive_timeout", T::seconds),
    s("optimize_throw_if_noop", T::boolean),
    s("use_index_for_in_with_subqueries", T::boolean),
    s("empty_result_for_aggregation_by_empty_set", T::boolean),
    s("allow_distributed_ddl", T::boolean),
    s("odbc_max_field_size", T::uint64),
    s("max_rows_to_read", T::uint64),
    s("max_bytes_to_read", T::uint64),
    e("read_overflow_mode", k_overflow_mode),
    s("max_rows_to_group_by", T::uint64),
    e("group_by_overflow_mode", k_overflow_mode_group_by),
    s("max_bytes_before_external_group_by", T::uint64),
    s("max_rows_to_sort", T::uint64),
    s("max_bytes_to_sort", T::uint64),
    e("sort_overflow_mode", k_overflow_mode),
    s("max_bytes_before_external_sort", T::uint64),
    s("max_bytes_before_remerge_sort", T::uint64),
    s("max_result_rows", T::uint64),
    s("max_result_bytes", T::uint64),
    e("result_overflow_mode", k_overflow_mode),
    s("max_execution_time", T::seconds),
    e("timeout_overflow_mode", k_overflow_mode),
    s("min_execution_speed", T::uint64),
    s("timeout_before_checking_execution_speed", T::seconds),
    s("max_columns_to_read", T::uint64),
    s("max_temporary_columns", T::uint64),
    s("max_temporary_non_const_columns", T::uint64),
    s("max_subquery_depth", T::uint64),
    s("max_pipeline_depth", T::uint64),
    s("max_ast_depth", T::uint64),
    s("max_ast_elements", T::uint64),
    s("max_expanded_ast_elements", T::uint64),
    s("readonly", T::uint64),
    s("max_rows_in_set", T::uint64),
    s("max_bytes_in_set", T::uint64),
    e("set_overflow_mode", k_overflow_mode),
    s("max_rows_in_join", T::uint64),
    s("max_bytes_in_join", T::uint64),
    e("join_overflow_mode", k_overflow_mode),
    s("max_rows_to_transfer", T::uint64),
    s("max_bytes_to_transfer", T::uint64),
    e("transfer_overflow_mode", k_overflow_mode),
    s("max_rows_in_distinct", T::uint64),
    s("max_bytes_in_distinct", T::uint64),
    e("distinct_overflow_mode", k_overflow_mode),
    s("max_memory_usage", T::uint64),
    s("max_memory_usage_for_user", T::uint64),
    s("max_memory_usage_for_all_queries", T::uint64),
    s("max_network_bandwidth", T::uint64),
    s("max_network_bytes", T::uint64),
    s("max_network_bandwidth_for_user", T::uint64),
    s("max_network_bandwidth_for_all_users", T::uint64),
    s("format_csv_delimiter", T::character),
    s("format_csv_allow_single_quotes", T::boolean),
    s("format_csv_allow_double_quotes", T::boolean),
    e("date_time_input_format", k_date_time_input_format),
    s("log_profile_events", T::boolean),
    s("log_query_settings", T::boolean),
    s("log_query_threads", T::boolean),
    s("send_logs_level", T::string),
    s("enable_optimize_predicate_expression", T::boolean),
    s("low_cardinality_max_dictionary_size", T::uint64),
    s("low_cardinality_use_single_dictionary_for_part", T::boolean),
    s("allow_experimental_low_cardinality_type", T::boolean),
    s("decimal_check_overflow", T::boolean),
    s("prefer_localhost_replica", T::boolean),
    s("max_fetch_partition_retries_count", T::uint64),
    s("asterisk_left_columns_only", T::boolean),
    s("http_max_multipart_form_data_size", T::uint64),
    s("calculate_text_stack_trace", T::boolean),
    s("allow_ddl", T::boolean),
    s("parallel_view_processing", T::boolean),
    s("enable_debug_queries", T::boolean),
    s("low_cardinality_allow_in_native_format", T::boolean),
};

[[noreturn]] void bad_value(const LegacySetting& setting, std::string_view value, std::string_view expected) {
  throw Error(ErrorKind::usage, "setting " + std::string(setting.name) + " = \"" + std::string(value) +
                                    "\": expected " + std::string(expected));
}

bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return false;  // no sign, no space
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

bool parse_i64(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  const char first = text.front();
  if (first != '-' && (first < '0' || first > '9')) return false;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc{} && ptr == end;
}

using chconn::detail::iequals;

// The old server's readVarUInt stops after 9 bytes, so it reads at most 63 bits: a larger value
// (a 10-byte UVarInt) desynchronises the settings list ([live] 18.16.1 then reports an unknown
// setting with an empty name). Signed values go through zigzag first, which halves their range.
constexpr std::uint64_t k_max_varint = (std::uint64_t{1} << 63) - 1;
constexpr std::int64_t k_max_zigzag = (std::int64_t{1} << 62) - 1;
constexpr std::int64_t k_min_zigzag = -(std::int64_t{1} << 62);

std::uint64_t zigzag(std::int64_t v) {
  // (v << 1) ^ (v >> 63), computed on unsigned values to stay clear of signed-shift pitfalls.
  const auto u = static_cast<std::uint64_t>(v);
  return (u << 1) ^ (v < 0 ? ~std::uint64_t{0} : std::uint64_t{0});
}

}  // namespace

const LegacySetting* find_legacy_setting(std::string_view name) noexcept {
  // 184 short names: a linear scan costs far less than the query's round trip.
  for (const auto& entry : k_table)
    if (entry.name == name) return &entry;
  return nullptr;
}

std::span<const LegacySetting> legacy_settings() noexcept { return k_table; }

void write_legacy_setting_value(Writer& out, const LegacySetting& setting, std::string_view value) {
  switch (setting.type) {
    case T::uint64:
    case T::boolean:
    case T::seconds:
    case T::milliseconds:
    case T::max_threads: {
      std::uint64_t n = 0;
      if (setting.type == T::boolean && (iequals(value, "true") || iequals(value, "false"))) {
        n = iequals(value, "true") ? 1 : 0;
      } else if (setting.type == T::max_threads && value == "auto") {
        n = 0;  // the server's own encoding of 'auto'
      } else if (!parse_u64(value, n)) {
        switch (setting.type) {
          case T::boolean: bad_value(setting, value, "0, 1, true or false");
          case T::seconds: bad_value(setting, value, "a whole number of seconds");
          case T::milliseconds: bad_value(setting, value, "a whole number of milliseconds");
          case T::max_threads: bad_value(setting, value, "an unsigned integer or auto");
          default: bad_value(setting, value, "an unsigned integer");
        }
      }
      if (n > k_max_varint) {
        bad_value(setting, value,
                  "at most 9223372036854775807 (servers before protocol revision 54429 read at most 63-bit "
                  "integers here)");
      }
      out.uvarint(n);
      return;
    }
    case T::int64: {
      std::int64_t n = 0;
      if (!parse_i64(value, n)) bad_value(setting, value, "a signed integer");
      if (n < k_min_zigzag || n > k_max_zigzag) {
        bad_value(setting, value,
                  "an integer from -4611686018427387904 to 4611686018427387903 (servers before protocol "
                  "revision 54429 read at most 63-bit zigzag-encoded integers here)");
      }
      out.uvarint(zigzag(n));
      return;
    }
    case T::float32: {
      // The server parses the text itself; only make sure it is a number.
      double d = 0;
      const auto* end = value.data() + value.size();
      const auto [ptr, ec] = std::from_chars(value.data(), end, d);
      if (value.empty() || ptr != end || (ec != std::errc{} && ec != std::errc::result_out_of_range))
        bad_value(setting, value, "a number");
      out.string(value);
      return;
    }
    case T::string: out.string(value); return;
    case T::character:
      if (value.size() != 1) bad_value(setting, value, "exactly one character");
      out.string(value);
      return;
    case T::enumeration: {
      if (std::find(setting.values.begin(), setting.values.end(), value) == setting.values.end()) {
        std::string expected = "one of";
        for (std::size_t i = 0; i < setting.values.size(); ++i)
          expected += (i ? ", '" : " '") + std::string(setting.values[i]) + "'";
        bad_value(setting, value, expected);
      }
      out.string(value);
      return;
    }
  }
}

}  // namespace chconn::wire::detail
