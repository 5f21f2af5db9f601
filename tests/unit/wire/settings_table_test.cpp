// The table of ClickHouse 18.16's setting types (src/wire/settings_table.h).
#include "wire/settings_table.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/core/settings.h"
#include "chconn/wire/io.h"

namespace chconn::wire::detail {
namespace {

// SELECT name, value FROM system.settings on a live ClickHouse 18.16.1 (all 184 rows, in order;
// max_threads shows the machine's core count). Every one of these, sent in the old binary form
// with these values, was accepted by that server and read back unchanged.
const std::vector<std::pair<std::string_view, std::string_view>> k_live_1816_defaults{
    {"min_compress_block_size", "65536"},
    {"max_compress_block_size", "1048576"},
    {"max_block_size", "65536"},
    {"max_insert_block_size", "1048576"},
    {"min_insert_block_size_rows", "1048576"},
    {"min_insert_block_size_bytes", "268435456"},
    {"max_threads", "2"},
    {"max_read_buffer_size", "1048576"},
    {"max_distributed_connections", "1024"},
    {"max_query_size", "262144"},
    {"interactive_delay", "100000"},
    {"connect_timeout", "10"},
    {"connect_timeout_with_failover_ms", "50"},
    {"receive_timeout", "300"},
    {"send_timeout", "300"},
    {"tcp_keep_alive_timeout", "0"},
    {"queue_max_wait_ms", "5000"},
    {"poll_interval", "10"},
    {"distributed_connections_pool_size", "1024"},
    {"connections_with_failover_max_tries", "3"},
    {"extremes", "0"},
    {"use_uncompressed_cache", "1"},
    {"replace_running_query", "0"},
    {"background_pool_size", "16"},
    {"background_schedule_pool_size", "16"},
    {"distributed_directory_monitor_sleep_time_ms", "100"},
    {"distributed_directory_monitor_batch_inserts", "0"},
    {"optimize_move_to_prewhere", "1"},
    {"replication_alter_partitions_sync", "1"},
    {"replication_alter_columns_timeout", "60"},
    {"load_balancing", "random"},
    {"totals_mode", "after_having_exclusive"},
    {"totals_auto_threshold", "0.5"},
    {"compile", "0"},
    {"compile_expressions", "1"},
    {"min_count_to_compile", "3"},
    {"group_by_two_level_threshold", "100000"},
    {"group_by_two_level_threshold_bytes", "100000000"},
    {"distributed_aggregation_memory_efficient", "0"},
    {"aggregation_memory_efficient_merge_threads", "0"},
    {"max_parallel_replicas", "1"},
    {"parallel_replicas_count", "0"},
    {"parallel_replica_offset", "0"},
    {"skip_unavailable_shards", "0"},
    {"distributed_group_by_no_merge", "0"},
    {"merge_tree_min_rows_for_concurrent_read", "163840"},
    {"merge_tree_min_rows_for_seek", "0"},
    {"merge_tree_coarse_index_granularity", "8"},
    {"merge_tree_max_rows_to_use_cache", "1048576"},
    {"merge_tree_uniform_read_distribution", "1"},
    {"mysql_max_rows_to_insert", "65536"},
    {"optimize_min_equality_disjunction_chain_length", "3"},
    {"min_bytes_to_use_direct_io", "0"},
    {"force_index_by_date", "0"},
    {"force_primary_key", "0"},
    {"mark_cache_min_lifetime", "10000"},
    {"max_streams_to_max_threads_ratio", "1"},
    {"network_compression_method", "lz4"},
    {"network_zstd_compression_level", "1"},
    {"priority", "0"},
    {"log_queries", "0"},
    {"log_queries_cut_to_length", "100000"},
    {"distributed_product_mode", "deny"},
    {"max_concurrent_queries_for_user", "0"},
    {"insert_deduplicate", "1"},
    {"insert_sample_with_metadata", "0"},
    {"insert_quorum", "0"},
    {"insert_quorum_timeout", "600000"},
    {"select_sequential_consistency", "0"},
    {"table_function_remote_max_addresses", "1000"},
    {"read_backoff_min_latency_ms", "1000"},
    {"read_backoff_max_throughput", "1048576"},
    {"read_backoff_min_interval_between_events_ms", "1000"},
    {"read_backoff_min_events", "2"},
    {"memory_tracker_fault_probability", "0"},
    {"enable_http_compression", "0"},
    {"http_zlib_compression_level", "3"},
    {"http_native_compression_disable_checksumming_on_decompress", "0"},
    {"count_distinct_implementation", "uniqExact"},
    {"output_format_write_statistics", "1"},
    {"add_http_cors_header", "0"},
    {"input_format_skip_unknown_fields", "0"},
    {"input_format_import_nested_json", "0"},
    {"input_format_values_interpret_expressions", "1"},
    {"output_format_json_quote_64bit_integers", "1"},
    {"output_format_json_quote_denormals", "0"},
    {"output_format_json_escape_forward_slashes", "1"},
    {"output_format_pretty_max_rows", "10000"},
    {"output_format_pretty_max_column_pad_width", "250"},
    {"output_format_pretty_color", "1"},
    {"use_client_time_zone", "0"},
    {"send_progress_in_http_headers", "0"},
    {"http_headers_progress_interval_ms", "100"},
    {"fsync_metadata", "1"},
    {"input_format_allow_errors_num", "0"},
    {"input_format_allow_errors_ratio", "0"},
    {"join_use_nulls", "0"},
    {"join_default_strictness", "ALL"},
    {"preferred_block_size_bytes", "1000000"},
    {"max_replica_delay_for_distributed_queries", "300"},
    {"fallback_to_stale_replicas_for_distributed_queries", "1"},
    {"preferred_max_column_in_block_size_bytes", "0"},
    {"insert_distributed_sync", "0"},
    {"insert_distributed_timeout", "0"},
    {"distributed_ddl_task_timeout", "180"},
    {"stream_flush_interval_ms", "7500"},
    {"format_schema", ""},
    {"insert_allow_materialized_columns", "0"},
    {"http_connection_timeout", "1"},
    {"http_send_timeout", "1800"},
    {"http_receive_timeout", "1800"},
    {"optimize_throw_if_noop", "0"},
    {"use_index_for_in_with_subqueries", "1"},
    {"empty_result_for_aggregation_by_empty_set", "0"},
    {"allow_distributed_ddl", "1"},
    {"odbc_max_field_size", "1024"},
    {"max_rows_to_read", "0"},
    {"max_bytes_to_read", "0"},
    {"read_overflow_mode", "throw"},
    {"max_rows_to_group_by", "0"},
    {"group_by_overflow_mode", "throw"},
    {"max_bytes_before_external_group_by", "0"},
    {"max_rows_to_sort", "0"},
    {"max_bytes_to_sort", "0"},
    {"sort_overflow_mode", "throw"},
    {"max_bytes_before_external_sort", "0"},
    {"max_bytes_before_remerge_sort", "1000000000"},
    {"max_result_rows", "0"},
    {"max_result_bytes", "0"},
    {"result_overflow_mode", "throw"},
    {"max_execution_time", "0"},
    {"timeout_overflow_mode", "throw"},
    {"min_execution_speed", "0"},
    {"timeout_before_checking_execution_speed", "0"},
    {"max_columns_to_read", "0"},
    {"max_temporary_columns", "0"},
    {"max_temporary_non_const_columns", "0"},
    {"max_subquery_depth", "100"},
    {"max_pipeline_depth", "1000"},
    {"max_ast_depth", "1000"},
    {"max_ast_elements", "50000"},
    {"max_expanded_ast_elements", "500000"},
    {"readonly", "0"},
    {"max_rows_in_set", "0"},
    {"max_bytes_in_set", "0"},
    {"set_overflow_mode", "throw"},
    {"max_rows_in_join", "0"},
    {"max_bytes_in_join", "0"},
    {"join_overflow_mode", "throw"},
    {"max_rows_to_transfer", "0"},
    {"max_bytes_to_transfer", "0"},
    {"transfer_overflow_mode", "throw"},
    {"max_rows_in_distinct", "0"},
    {"max_bytes_in_distinct", "0"},
    {"distinct_overflow_mode", "throw"},
    {"max_memory_usage", "0"},
    {"max_memory_usage_for_user", "0"},
    {"max_memory_usage_for_all_queries", "0"},
    {"max_network_bandwidth", "0"},
    {"max_network_bytes", "0"},
    {"max_network_bandwidth_for_user", "0"},
    {"max_network_bandwidth_for_all_users", "0"},
    {"format_csv_delimiter", ","},
    {"format_csv_allow_single_quotes", "1"},
    {"format_csv_allow_double_quotes", "1"},
    {"date_time_input_format", "basic"},
    {"log_profile_events", "1"},
    {"log_query_settings", "1"},
    {"log_query_threads", "1"},
    {"send_logs_level", "none"},
    {"enable_optimize_predicate_expression", "0"},
    {"low_cardinality_max_dictionary_size", "8192"},
    {"low_cardinality_use_single_dictionary_for_part", "0"},
    {"allow_experimental_low_cardinality_type", "0"},
    {"decimal_check_overflow", "1"},
    {"prefer_localhost_replica", "1"},
    {"max_fetch_partition_retries_count", "5"},
    {"asterisk_left_columns_only", "0"},
    {"http_max_multipart_form_data_size", "1073741824"},
    {"calculate_text_stack_trace", "1"},
    {"allow_ddl", "1"},
    {"parallel_view_processing", "0"},
    {"enable_debug_queries", "0"},
    {"low_cardinality_allow_in_native_format", "1"},
};

TEST(SettingsTable, CoversEvery1816SettingInTheServersOrder) {
  const auto table = legacy_settings();
  ASSERT_EQ(table.size(), k_live_1816_defaults.size());
  for (std::size_t i = 0; i < table.size(); ++i) EXPECT_EQ(table[i].name, k_live_1816_defaults[i].first) << i;
  std::set<std::string_view> names;
  for (const auto& entry : table) {
    EXPECT_TRUE(names.insert(entry.name).second) << "duplicate " << entry.name;
    EXPECT_TRUE(is_valid_setting_name(entry.name)) << entry.name;
    EXPECT_EQ(find_legacy_setting(entry.name), &entry);
    EXPECT_EQ(entry.type == LegacySettingType::enumeration, !entry.values.empty()) << entry.name;
  }
  EXPECT_EQ(find_legacy_setting("max_bytes_ratio_before_external_sort"), nullptr);
  EXPECT_EQ(find_legacy_setting(""), nullptr);
}

TEST(SettingsTable, EveryLiveDefaultEncodes) {
  for (const auto& [name, value] : k_live_1816_defaults) {
    Writer w;
    EXPECT_NO_THROW(write_legacy_setting_value(w, *find_legacy_setting(name), value)) << name << " = " << value;
    EXPECT_GT(w.size(), 0u);
  }
}

TEST(SettingsTable, TypesFromTheServerSource) {
  const auto type_of = [](std::string_view name) { return find_legacy_setting(name)->type; };
  using T = LegacySettingType;
  EXPECT_EQ(type_of("max_block_size"), T::uint64);
  EXPECT_EQ(type_of("extremes"), T::boolean);
  EXPECT_EQ(type_of("max_threads"), T::max_threads);
  EXPECT_EQ(type_of("connect_timeout"), T::seconds);
  EXPECT_EQ(type_of("max_execution_time"), T::seconds);
  EXPECT_EQ(type_of("tcp_keep_alive_timeout"), T::seconds);
  EXPECT_EQ(type_of("queue_max_wait_ms"), T::milliseconds);
  EXPECT_EQ(type_of("network_zstd_compression_level"), T::int64);
  EXPECT_EQ(type_of("distributed_ddl_task_timeout"), T::int64);
  EXPECT_EQ(type_of("totals_auto_threshold"), T::float32);
  EXPECT_EQ(type_of("input_format_allow_errors_ratio"), T::float32);
  EXPECT_EQ(type_of("count_distinct_implementation"), T::string);
  EXPECT_EQ(type_of("send_logs_level"), T::string);
  EXPECT_EQ(type_of("format_csv_delimiter"), T::character);
  EXPECT_EQ(type_of("network_compression_method"), T::enumeration);
  EXPECT_EQ(type_of("timeout_overflow_mode"), T::enumeration);
  EXPECT_EQ(type_of("low_cardinality_allow_in_native_format"), T::boolean);
}

}  // namespace
}  // namespace chconn::wire::detail
