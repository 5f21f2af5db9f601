// Control packets of the native protocol against golden bytes: the [live] captures of
// docs/protocol.md (ClickHouse 18.16.1, revision 54412) and layouts from the server source
// for newer revisions.
#include "chconn/wire/detail/packets.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/detail/protocol.h"
#include "chconn/wire/io.h"
#include "core/strings.h"
#include "support/expect_error.h"
#include "support/hex.h"

namespace chconn::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Builds expected bytes readably: hex("01 00").str("ClickHouse") ...
class B {
 public:
  B& hex(std::string_view h) {
    const std::vector<std::uint8_t> more = test::unhex_bytes(h);
    bytes_.insert(bytes_.end(), more.begin(), more.end());
    return *this;
  }
  // A String: one-byte length (all test strings are < 128 bytes) and the bytes.
  B& str(std::string_view s) {
    EXPECT_LT(s.size(), 128u);
    bytes_.push_back(static_cast<std::uint8_t>(s.size()));
    return raw(s);
  }
  B& raw(std::string_view s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  operator Bytes() const { return bytes_; }  // NOLINT: a builder converts implicitly
  const Bytes& bytes() const { return bytes_; }

 private:
  Bytes bytes_;
};

Bytes bytes_of(const Writer& w) { return {w.data().begin(), w.data().end()}; }

std::string dump(const Bytes& b) {
  std::string out;
  char buf[4];
  for (const auto x : b) {
    std::snprintf(buf, sizeof buf, "%02x ", x);
    out += buf;
  }
  return out;
}

#define EXPECT_BYTES(actual, expected) EXPECT_EQ(dump(actual), dump(expected))

template <class F>
ErrorKind kind_of_error(F&& f) {
  return test::thrown_error(std::forward<F>(f)).kind();
}

template <class F>
std::string message_of_error(F&& f) {
  return test::thrown_error(std::forward<F>(f)).message();
}

constexpr std::uint64_t k_r1816 = 54412;  // ClickHouse 18.16.1

// The 18.16.1 server's Hello, [live] (docs/protocol.md, "Server Hello").
const B k_server_hello_1816 = B().hex("00").str("ClickHouse").hex("12 10 8c a9 03").str("Etc/UTC").str("vm").hex("01");

// ----- handshake ----------------------------------------------------------------------------------

TEST(ClientHello, LiveBytesForProtonotes) {
  Writer w;
  write_hello(w, {.client_name = "protonotes",
                  .version_major = 1,
                  .version_minor = 0,
                  .revision = 54412,
                  .database = "",
                  .user = "default",
                  .password = ""});
  EXPECT_BYTES(bytes_of(w), B().hex("00 0a 70726f746f6e6f746573 01 00 8c a9 03 00 07 64656661756c74 00").bytes());
}

TEST(ClientHello, AdvertisesChconnRevisionByDefault) {
  Writer w;
  write_hello(w, {.client_name = "x", .user = "u", .password = "p"});
  Writer revision;
  revision.uvarint(k_client_revision);
  EXPECT_BYTES(bytes_of(w), B().hex("00").str("x").hex("00 01").raw(revision.view()).str("").str("u").str("p").bytes());
}

TEST(ClientHello, RefusesEmptyUserAndControlCharactersWithoutShowingThePassword) {
  Writer w;
  EXPECT_EQ(kind_of_error([&] { write_hello(w, {.user = ""}); }), ErrorKind::usage);
  EXPECT_EQ(kind_of_error([&] { write_hello(w, {.user = "a\nb"}); }), ErrorKind::usage);
  EXPECT_EQ(kind_of_error([&] { write_hello(w, {.database = "d\x01"}); }), ErrorKind::usage);
  const auto msg = message_of_error([&] { write_hello(w, {.password = "sec\tret"}); });
  EXPECT_EQ(msg.find("sec"), std::string::npos) << msg;
  EXPECT_EQ(w.size(), 0u);
}

TEST(ServerHello, Live1816Reply) {
  MemorySource src(k_server_hello_1816.bytes());
  Reader in(src);
  const ServerHello h = read_hello_reply(in, k_client_revision);
  EXPECT_EQ(h.name, "ClickHouse");
  EXPECT_EQ(h.version_major, 18u);
  EXPECT_EQ(h.version_minor, 16u);
  EXPECT_EQ(h.revision, 54412u);
  EXPECT_EQ(h.timezone, "Etc/UTC");
  EXPECT_EQ(h.display_name, "vm");
  EXPECT_EQ(h.version_patch, 1u);
  EXPECT_FALSE(h.nonce.has_value());
  EXPECT_TRUE(h.password_rules.empty());
  EXPECT_TRUE(in.at_end());

  const auto r = negotiate_revision(k_client_revision, h.revision);
  EXPECT_EQ(r, 54412u);
  EXPECT_FALSE(addendum_required(r));
  Writer w;
  write_addendum(w, {.quota_key = "q"}, r);
  EXPECT_EQ(w.size(), 0u);
}

TEST(ServerHello, OldClientRevisionGetsTheShortLayout) {
  // [live] a client advertising 54000 gets no time zone, display name or patch.
  const Bytes bytes = B().hex("00").str("ClickHouse").hex("12 10 8c a9 03");
  MemorySource src(bytes);
  Reader in(src);
  const ServerHello h = read_hello_reply(in, 54000);
  EXPECT_EQ(h.revision, 54412u);
  EXPECT_EQ(h.timezone, "");
  EXPECT_EQ(h.version_patch, 54412u);  // patch := revision, as the server's own client does
  EXPECT_TRUE(in.at_end());
}

TEST(ServerHello, ModernLayoutIsGatedOnTheNegotiatedRevision) {
  // A server of revision 54478 answering a client that advertised 54478: every field
  // (docs/protocol.md, "Server Hello").
  const Bytes modern = B().hex("00")
                           .str("ClickHouse")
                           .hex("18 08")
                           .hex("ce a9 03")  // 54478
                           .hex("04")        // parallel replicas protocol version
                           .str("UTC")
                           .str("db1")
                           .hex("05")  // patch
                           .str("notchunked")
                           .str("chunked_optional")
                           .hex("01")
                           .str(".{8}")
                           .str("at least 8")
                           .hex("0807060504030201")  // nonce
                           .str("max_threads")
                           .hex("01")
                           .str("4")
                           .str("")    // end of settings
                           .hex("02")  // query plan serialization version
      ;
  {
    MemorySource src(modern);
    Reader in(src);
    const ServerHello h = read_hello_reply(in, 54478);
    EXPECT_EQ(h.version_major, 24u);
    EXPECT_EQ(h.revision, 54478u);
    EXPECT_EQ(h.parallel_replicas_protocol_version, 4u);
    EXPECT_EQ(h.timezone, "UTC");
    EXPECT_EQ(h.display_name, "db1");
    EXPECT_EQ(h.version_patch, 5u);
    EXPECT_EQ(h.chunked_send, "notchunked");
    EXPECT_EQ(h.chunked_recv, "chunked_optional");
    ASSERT_EQ(h.password_rules.size(), 1u);
    EXPECT_EQ(h.password_rules[0], (PasswordComplexityRule{".{8}", "at least 8"}));
    EXPECT_EQ(h.nonce, 0x0102030405060708u);
    ASSERT_EQ(h.settings.size(), 1u);
    EXPECT_EQ(h.settings.get("max_threads"), "4");
    EXPECT_TRUE(h.settings.begin()->important);
    EXPECT_EQ(h.query_plan_serialization_version, 2u);
    EXPECT_TRUE(in.at_end());
  }
  {
    // The same server answering a client at 54460: it writes only what 54460 knows.
    const Bytes reply = B().hex("00").str("ClickHouse").hex("18 08 ce a9 03").str("UTC").str("db1").hex("05");
    MemorySource src(reply);
    Reader in(src);
    const ServerHello h = read_hello_reply(in, 54460);
    EXPECT_EQ(h.parallel_replicas_protocol_version, 0u);
    EXPECT_EQ(h.version_patch, 5u);
    EXPECT_FALSE(h.nonce.has_value());
    EXPECT_TRUE(in.at_end());
    EXPECT_TRUE(addendum_required(negotiate_revision(54460, h.revision)));
  }
  {
    // Revision 54461..54462: rules and nonce appear.
    const Bytes reply = B().hex("00")
                            .str("ClickHouse")
                            .hex("17 01 be a9 03")
                            .str("UTC")
                            .str("d")
                            .hex("05")
                            .hex("00")
                            .hex("2a00000000000000");
    MemorySource src(reply);
    Reader in(src);
    const ServerHello h = read_hello_reply(in, 54462);
    EXPECT_EQ(h.revision, 54462u);
    EXPECT_TRUE(h.password_rules.empty());
    EXPECT_EQ(h.nonce, 42u);
    EXPECT_TRUE(in.at_end());
  }
}

TEST(Addendum, GatedFields) {
  {
    Writer w;
    write_addendum(w, {.quota_key = "qk"}, 54460);
    EXPECT_BYTES(bytes_of(w), B().str("qk").bytes());
  }
  {
    Writer w;
    write_addendum(w, {.quota_key = ""}, 54470);
    EXPECT_BYTES(bytes_of(w), B().str("").str("notchunked").str("notchunked").bytes());
  }
  {
    Writer w;
    write_addendum(w, {.quota_key = "", .parallel_replicas_protocol_version = 4}, 54471);
    EXPECT_BYTES(bytes_of(w), B().str("").str("notchunked").str("notchunked").hex("04").bytes());
  }
  {
    Writer w;
    write_addendum(w, {.quota_key = "qk"}, 54457);
    EXPECT_EQ(w.size(), 0u);
  }
}

TEST(HelloReply, ExceptionIsThrownAsTheServersError) {
  const Bytes bytes = B().hex("02 c1 00 00 00").str("DB::Exception").str("Wrong password").str("").hex("00");
  MemorySource src(bytes);
  Reader in(src);
  const Error e = test::thrown_error([&] { read_hello_reply(in, k_client_revision); });
  EXPECT_EQ(e.kind(), ErrorKind::server);
  EXPECT_EQ(e.server_code(), server_codes::wrong_password);
  EXPECT_EQ(e.message(), "Wrong password");
}

TEST(HelloReply, OtherPacketIsAProtocolError) {
  const Bytes bytes = B().hex("04");
  MemorySource src(bytes);
  Reader in(src);
  EXPECT_EQ(kind_of_error([&] { read_hello_reply(in, k_client_revision); }), ErrorKind::protocol);
}

// ----- Query --------------------------------------------------------------------------------------

Query select_query() {
  Query q;
  q.client_info.os_user = "osuser";
  q.client_info.client_hostname = "host";
  q.client_info.client_name = "protonotes";
  q.client_info.version_major = 1;
  q.client_info.version_minor = 0;
  q.text = "SELECT 1 AS x, 'ab' AS s";
  return q;
}

TEST(Query, Live86ByteSelectFor1816) {
  Writer w;
  Query q = select_query();
  q.client_info.protocol_revision = 54460;  // what chconn advertised when the bytes were captured
  write_query(w, q, k_r1816);
  // The last 12 of the 86 bytes in docs/protocol.md, "Query", are the empty Data block that follows
  // the Query.
  const Bytes expected = B().hex("01 00")
                             .hex("01 00 00")
                             .str("0.0.0.0:0")
                             .hex("01")
                             .str("osuser")
                             .str("host")
                             .str("protonotes")
                             .hex("01 00 bc a9 03 00 00")
                             .hex("00")
                             .hex("02 00")
                             .str("SELECT 1 AS x, 'ab' AS s");
  EXPECT_BYTES(bytes_of(w), expected);
  EXPECT_EQ(w.size() + 12, 86u);
}

TEST(Query, ModernLayoutAt54460) {
  Query q = select_query();
  q.query_id = "id";
  q.client_info.quota_key = "qk";
  q.client_info.version_patch = 3;
  q.client_info.protocol_revision = 54460;
  q.settings.set("max_threads", "2", true);
  q.compression = true;
  q.parameters = {{"p", "it's"}};
  Writer w;
  write_query(w, q, 54460);
  const Bytes expected = B().hex("01")
                             .str("id")
                             .hex("01 00 00")
                             .str("0.0.0.0:0")
                             .hex("00 00 00 00 00 00 00 00")  // initial_query_start_time (54449)
                             .hex("01")
                             .str("osuser")
                             .str("host")
                             .str("protonotes")
                             .hex("01 00 bc a9 03")
                             .str("qk")
                             .hex("00")        // distributed_depth (54448)
                             .hex("03")        // patch
                             .hex("00")        // no OpenTelemetry context (54442)
                             .hex("00 00 00")  // parallel replicas (54453)
                             .str("max_threads")
                             .hex("01")
                             .str("2")
                             .str("")  // end of settings
                             .str("")  // interserver secret hash (54441)
                             .hex("02 01")
                             .str("SELECT 1 AS x, 'ab' AS s")
                             .str("p")
                             .hex("02")
                             .str("'it\\'s'")
                             .str("");  // end of parameters
  EXPECT_BYTES(bytes_of(w), expected);
}

TEST(Query, NewestClientInfoFieldsAndRoles) {
  Query q;
  q.client_info.client_name = "c";
  q.client_info.trace = TraceContext{.trace_id_high = 0x0011223344556677,
                                     .trace_id_low = 0x8899aabbccddeeff,
                                     .span_id = 1,
                                     .tracestate = "t",
                                     .trace_flags = 1};
  q.client_info.jwt = "j";
  q.client_info.client_agent = "a";
  q.client_info.protocol_revision = 54485;
  q.external_roles = "r";
  q.text = "q";
  Writer w;
  write_query(w, q, 54485);
  const Bytes expected = B().hex("01")
                             .str("")
                             .hex("01 00 00")
                             .str("0.0.0.0:0")
                             .hex("00 00 00 00 00 00 00 00 01")
                             .str("")
                             .str("")
                             .str("c")
                             .hex("00 01 d5 a9 03")  // 0.1, 54485
                             .str("")                // quota key
                             .hex("00 00")           // depth, patch
                             .hex("01 77 66 55 44 33 22 11 00 ff ee dd cc bb aa 99 88 01 00 00 00 00 00 00 00")
                             .str("t")
                             .hex("01")
                             .hex("00 00 00")  // parallel replicas
                             .hex("00 00")     // script query and line numbers (54475)
                             .hex("01")
                             .str("j")  // JWT (54476)
                             .str("a")  // client agent (54485)
                             .str("")   // settings
                             .str("r")  // roles (54472)
                             .str("")   // secret
                             .hex("02 00")
                             .str("q")
                             .str("");  // parameters
  EXPECT_BYTES(bytes_of(w), expected);
}

TEST(Query, QueryKindNoneSendsOneByte) {
  Query q;
  q.client_info.query_kind = QueryKind::none;
  q.client_info.initial_address = "";
  q.text = "q";
  Writer w;
  write_query(w, q, k_r1816);
  EXPECT_BYTES(bytes_of(w), B().hex("01").str("").hex("00").str("").hex("02 00").str("q").bytes());
}

TEST(Query, EmptyInitialAddressIsRefused) {
  Query q = select_query();
  q.client_info.initial_address = "";
  Writer w;
  EXPECT_EQ(kind_of_error([&] { write_query(w, q, k_r1816); }), ErrorKind::usage);
  EXPECT_EQ(w.size(), 0u);
}

TEST(Query, ParametersAreAbsentBelow54459AndRefusedIfGiven) {
  Query q = select_query();
  Writer at_54458;
  write_query(at_54458, q, 54458);
  Writer at_54459;
  write_query(at_54459, q, 54459);
  // The only difference: the (empty) parameters list and its terminator.
  Bytes expected = bytes_of(at_54458);
  expected.push_back(0x00);
  EXPECT_BYTES(bytes_of(at_54459), expected);

  q.parameters = {{"x", "1"}};
  Writer old;
  const auto msg = message_of_error([&] { write_query(old, q, k_r1816); });
  EXPECT_NE(msg.find("parameters"), std::string::npos) << msg;
  EXPECT_EQ(old.size(), 0u);
  Writer modern;
  write_query(modern, q, 54459);
  EXPECT_BYTES(Bytes(modern.data().end() - 8, modern.data().end()), B().str("x").hex("02").str("'1'").str("").bytes());
}

TEST(Query, StagesAndCompressionFlag) {
  Query q;
  q.client_info.query_kind = QueryKind::none;
  q.stage = QueryStage::fetch_columns;
  q.compression = true;
  Writer w;
  write_query(w, q, k_r1816);
  EXPECT_BYTES(bytes_of(w), B().hex("01").str("").hex("00").str("").hex("00 01").str("").bytes());
}

// ----- settings -----------------------------------------------------------------------------------

Bytes settings_bytes(const Settings& s, std::uint64_t r) {
  Writer w;
  write_settings(w, s, r);
  return bytes_of(w);
}

TEST(Settings, OldBinaryFormFor1816) {
  // [live] the four settings checked against 18.16.1 (docs/protocol.md, "Settings").
  Settings s;
  s.set("max_block_size", "2");
  s.set("extremes", "1");
  s.set("send_logs_level", "trace");
  s.set("network_compression_method", "zstd");
  EXPECT_BYTES(settings_bytes(s, k_r1816), B().str("max_block_size")
                                               .hex("02")
                                               .str("extremes")
                                               .hex("01")
                                               .str("send_logs_level")
                                               .str("trace")
                                               .str("network_compression_method")
                                               .str("zstd")
                                               .hex("00")
                                               .bytes());
}

TEST(Settings, OldBinaryFormConvertsAndValidatesText) {
  EXPECT_BYTES(settings_bytes({{"extremes", "true"}}, k_r1816), B().str("extremes").hex("01 00").bytes());
  EXPECT_BYTES(settings_bytes({{"extremes", "FALSE"}}, k_r1816), B().str("extremes").hex("00 00").bytes());
  EXPECT_BYTES(settings_bytes({{"max_threads", "auto"}}, k_r1816), B().str("max_threads").hex("00 00").bytes());
  EXPECT_BYTES(settings_bytes({{"max_threads", "8"}}, k_r1816), B().str("max_threads").hex("08 00").bytes());
  EXPECT_BYTES(settings_bytes({{"max_execution_time", "300"}}, k_r1816),
               B().str("max_execution_time").hex("ac 02 00").bytes());
  EXPECT_BYTES(settings_bytes({{"queue_max_wait_ms", "5000"}}, k_r1816),
               B().str("queue_max_wait_ms").hex("88 27 00").bytes());
  // The largest values an old server's 9-byte varint reader takes ([live] one more desynchronises it).
  EXPECT_BYTES(settings_bytes({{"max_memory_usage", "9223372036854775807"}}, k_r1816),
               B().str("max_memory_usage").hex("ff ff ff ff ff ff ff ff 7f 00").bytes());
  // Int64 as zigzag VarInt: -1 → 1, 3 → 6, -64 → 127.
  EXPECT_BYTES(settings_bytes({{"distributed_ddl_task_timeout", "-1"}}, k_r1816),
               B().str("distributed_ddl_task_timeout").hex("01 00").bytes());
  EXPECT_BYTES(settings_bytes({{"network_zstd_compression_level", "3"}}, k_r1816),
               B().str("network_zstd_compression_level").hex("06 00").bytes());
  EXPECT_BYTES(settings_bytes({{"http_zlib_compression_level", "-64"}}, k_r1816),
               B().str("http_zlib_compression_level").hex("7f 00").bytes());
  EXPECT_BYTES(settings_bytes({{"http_zlib_compression_level", "-4611686018427387904"}}, k_r1816),
               B().str("http_zlib_compression_level").hex("ff ff ff ff ff ff ff ff 7f 00").bytes());
  EXPECT_BYTES(settings_bytes({{"http_zlib_compression_level", "4611686018427387903"}}, k_r1816),
               B().str("http_zlib_compression_level").hex("fe ff ff ff ff ff ff ff 7f 00").bytes());
  // Floats, strings, characters and enumerations as Strings.
  EXPECT_BYTES(settings_bytes({{"totals_auto_threshold", "0.25"}}, k_r1816),
               B().str("totals_auto_threshold").str("0.25").hex("00").bytes());
  EXPECT_BYTES(settings_bytes({{"format_csv_delimiter", ";"}}, k_r1816),
               B().str("format_csv_delimiter").str(";").hex("00").bytes());
  EXPECT_BYTES(settings_bytes({{"load_balancing", "in_order"}}, k_r1816),
               B().str("load_balancing").str("in_order").hex("00").bytes());
  EXPECT_BYTES(settings_bytes({{"group_by_overflow_mode", "any"}}, k_r1816),
               B().str("group_by_overflow_mode").str("any").hex("00").bytes());
  EXPECT_BYTES(settings_bytes({{"join_default_strictness", ""}}, k_r1816),
               B().str("join_default_strictness").str("").hex("00").bytes());
  EXPECT_BYTES(settings_bytes({}, k_r1816), B().hex("00").bytes());
}

TEST(Settings, OldBinaryFormRejectsBadValuesNamingSettingAndValue) {
  const auto bad = [](std::string name, std::string value) {
    Writer w;
    w.u8(0x7e);  // something already in the buffer must survive the failure
    Settings s;
    s.set("max_block_size", "1");
    s.set(name, value);
    std::string msg;
    const Error e = test::thrown_error([&] { write_settings(w, s, k_r1816); });
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    msg = e.message();
    EXPECT_NE(msg.find(name), std::string::npos) << msg;
    EXPECT_NE(msg.find(value), std::string::npos) << msg;
    EXPECT_EQ(w.size(), 1u) << "a failed encoder must leave no partial bytes";
    return msg;
  };
  bad("max_block_size", "abc");
  bad("max_block_size", "-1");
  bad("max_block_size", "1.5");
  bad("max_block_size", " 1");
  bad("max_block_size", "18446744073709551616");
  bad("max_memory_usage", "9223372036854775808");  // [live] 18.16.1 reads at most 63-bit varints
  bad("distributed_ddl_task_timeout", "4611686018427387904");
  bad("distributed_ddl_task_timeout", "-4611686018427387905");
  bad("max_block_size", "");
  bad("extremes", "yes");
  bad("max_threads", "automatic");
  EXPECT_NE(bad("max_execution_time", "1.5").find("seconds"), std::string::npos);
  EXPECT_NE(bad("queue_max_wait_ms", "5s").find("milliseconds"), std::string::npos);
  bad("network_zstd_compression_level", "9223372036854775808");
  bad("network_zstd_compression_level", "x");
  bad("totals_auto_threshold", "half");
  bad("totals_auto_threshold", "0.5x");
  bad("format_csv_delimiter", ";;");
  EXPECT_NE(bad("load_balancing", "first_or_random").find("'nearest_hostname'"), std::string::npos);
  bad("network_compression_method", "LZ4");  // 18.16 compares case-sensitively
  bad("read_overflow_mode", "any");          // 'any' only for group_by_overflow_mode
  bad("join_default_strictness", "all");
}

TEST(Settings, UnknownSettingForOldServerIsAUsageError) {
  Writer w;
  const auto msg = message_of_error([&] {
    write_settings(w, {{"max_bytes_ratio_before_external_sort", "0.5"}}, 54428);
  });
  EXPECT_NE(msg.find("max_bytes_ratio_before_external_sort"), std::string::npos) << msg;
  EXPECT_NE(msg.find("too old"), std::string::npos) << msg;
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(kind_of_error([&] { write_settings(w, {{"nope", "1"}}, k_r1816); }), ErrorKind::usage);
}

TEST(Settings, StringsWithFlagsFrom54429) {
  Settings s;
  s.set("max_block_size", "2");
  s.set("any_new_setting", "x", /*important=*/true);
  const Bytes expected =
      B().str("max_block_size").hex("00").str("2").str("any_new_setting").hex("01").str("x").hex("00");
  EXPECT_BYTES(settings_bytes(s, 54429), expected);
  EXPECT_BYTES(settings_bytes(s, k_client_revision), expected);
  // Values are passed through as text: the server parses them.
  EXPECT_BYTES(settings_bytes({{"extremes", "true"}}, 54429),
               B().str("extremes").hex("00").str("true").hex("00").bytes());
}

TEST(Settings, InvalidNamesAreRefusedInBothForms) {
  for (const std::uint64_t r : {k_r1816, k_client_revision}) {
    Writer w;
    EXPECT_EQ(kind_of_error([&] { write_settings(w, {{"", "1"}}, r); }), ErrorKind::usage);
    EXPECT_EQ(kind_of_error([&] { write_settings(w, {{"a b", "1"}}, r); }), ErrorKind::usage);
    EXPECT_EQ(w.size(), 0u);
  }
}

// ----- parameters ---------------------------------------------------------------------------------

// Each value is sent as a quoted literal that the server's readQuoted() (the rules of
// detail::read_quoted) turns back into exactly the value: backslashes, quotes, \N, control bytes,
// '$' and high bytes included.
TEST(Parameters, ValuesReadBackAsThemselves) {
  const std::vector<std::string> values{
      "", "abc", "it's", "a\\b", "\\N", std::string("t\tn\n\0z\x01\x7f", 8), "$$ $a$", "\xc3\xbc \xff"};
  for (const std::string& value : values) {
    Writer w;
    write_parameters(w, std::vector<QueryParameter>{{"p", value}});
    const auto bytes = bytes_of(w);
    MemorySource src(bytes);
    Reader r(src);
    EXPECT_EQ(r.string(), "p");
    EXPECT_EQ(r.uvarint(), 2u);  // the custom flag
    const std::string literal = r.string();
    std::string back;
    const detail::QuotedRead read = detail::read_quoted(literal, 0, back);
    EXPECT_EQ(read.status, detail::QuotedRead::ok) << literal;
    EXPECT_EQ(read.end, literal.size()) << literal;
    EXPECT_EQ(back, value) << literal;
  }
}

TEST(Parameters, StringsWithCustomFlag) {
  Writer w;
  const std::vector<QueryParameter> params{{"id", "42"}, {"name", "O'Brien"}};
  write_parameters(w, params);
  EXPECT_BYTES(bytes_of(w),
               B().str("id").hex("02").str("'42'").str("name").hex("02").str("'O\\'Brien'").hex("00").bytes());
  Writer w2;
  const std::vector<QueryParameter> bad{{"", "1"}};
  EXPECT_EQ(kind_of_error([&] { write_parameters(w2, bad); }), ErrorKind::usage);
  EXPECT_EQ(w2.size(), 0u);
}

// ----- small client packets -----------------------------------------------------------------------

TEST(ClientPackets, CancelPingTablesStatus) {
  Writer w;
  write_cancel(w);
  write_ping(w);
  const std::vector<TableName> tables{{"db", "t1"}, {"default", "x"}};
  write_tables_status_request(w, tables, k_r1816);
  EXPECT_BYTES(bytes_of(w), B().hex("03 04 05 02").str("db").str("t1").str("default").str("x").bytes());
  Writer old;
  EXPECT_EQ(kind_of_error([&] { write_tables_status_request(old, tables, 54225); }), ErrorKind::usage);
}

// ----- server packets -----------------------------------------------------------------------------

TEST(ServerPackets, CodeNames) {
  EXPECT_EQ(to_string(ServerPacketCode::end_of_stream), "EndOfStream");
  EXPECT_EQ(to_string(ServerPacketCode::profile_events), "ProfileEvents");
  EXPECT_EQ(to_string(static_cast<ServerPacketCode>(99)), "Unknown");
  EXPECT_EQ(to_string(ClientPacketCode::tables_status_request), "TablesStatusRequest");
}

TEST(ServerPackets, UnknownCodeIsAProtocolError) {
  for (const auto& bytes : {B().hex("14"), B().hex("0d"), B().hex("13"), B().hex("ff 01")}) {
    MemorySource src(bytes.bytes());
    Reader in(src);
    const auto msg = message_of_error([&] { read_server_packet_code(in); });
    EXPECT_NE(msg.find("unknown packet code"), std::string::npos) << msg;
    MemorySource src2(bytes.bytes());
    Reader in2(src2);
    EXPECT_EQ(kind_of_error([&] { read_server_packet_code(in2); }), ErrorKind::protocol);
  }
  for (const std::uint8_t code : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 17}) {
    const Bytes bytes{code};
    MemorySource src(bytes);
    Reader in(src);
    EXPECT_EQ(static_cast<std::uint8_t>(read_server_packet_code(in)), code);
  }
}

TEST(ServerPackets, ExceptionCode60) {
  const std::string message = "DB::Exception: Table default.no_such_table_xyz doesn't exist.";
  const std::string trace(3000, 's');
  Writer body;
  body.fixed<std::int32_t>(60);
  body.string("DB::Exception");
  body.string(message);
  body.string(trace);
  body.u8(0);
  EXPECT_BYTES(Bytes(body.data().begin(), body.data().begin() + 4), B().hex("3c 00 00 00").bytes());
  MemorySource src(body.data());
  Reader in(src);
  const Error e = read_exception(in);
  EXPECT_EQ(e.kind(), ErrorKind::server);
  EXPECT_EQ(e.server_code(), 60);
  EXPECT_EQ(e.server_name(), "DB::Exception");
  EXPECT_EQ(e.message(), message);
  EXPECT_EQ(e.server_stack_trace(), trace);
  EXPECT_EQ(e.cause(), nullptr);
  EXPECT_FALSE(e.retryable());
  EXPECT_TRUE(in.at_end());
}

Bytes exception_chain(int n) {
  Writer w;
  for (int i = 0; i < n; ++i) {
    w.fixed<std::int32_t>(100 + i);
    w.string("N" + std::to_string(i));
    w.string("message " + std::to_string(i));
    w.string(i == 0 ? "trace" : "");
    w.u8(i + 1 < n ? 1 : 0);
  }
  return bytes_of(w);
}

TEST(ServerPackets, NestedExceptionChain) {
  const Bytes bytes = exception_chain(3);
  MemorySource src(bytes);
  Reader in(src);
  const Error e = read_exception(in);
  EXPECT_EQ(e.server_code(), 100);
  EXPECT_EQ(e.server_name(), "N0");
  EXPECT_EQ(e.server_stack_trace(), "trace");
  ASSERT_NE(e.cause(), nullptr);
  EXPECT_EQ(e.cause()->kind(), ErrorKind::server);
  EXPECT_EQ(e.cause()->server_code(), 101);
  EXPECT_EQ(e.cause()->message(), "message 1");
  ASSERT_NE(e.cause()->cause(), nullptr);
  EXPECT_EQ(e.cause()->cause()->server_code(), 102);
  EXPECT_EQ(e.cause()->cause()->cause(), nullptr);
  EXPECT_TRUE(in.at_end());
}

TEST(ServerPackets, ExceptionDepthLimit) {
  DecodeLimits limits;
  limits.max_exception_depth = 4;
  {
    const Bytes bytes = exception_chain(4);
    MemorySource src(bytes);
    Reader in(src, limits);
    EXPECT_EQ(read_exception(in).cause()->cause()->cause()->server_code(), 103);
  }
  {
    const Bytes bytes = exception_chain(5);
    MemorySource src(bytes);
    Reader in(src, limits);
    EXPECT_EQ(kind_of_error([&] { read_exception(in); }), ErrorKind::protocol);
  }
  {
    // A server that never stops nesting is cut off at the default limit without reading it all.
    const Bytes one_nested = B().hex("01 00 00 00").str("").str("").str("").hex("01");
    Bytes endless;
    for (int i = 0; i < 1000; ++i) endless.insert(endless.end(), one_nested.begin(), one_nested.end());
    MemorySource src(endless);
    Reader in(src);
    EXPECT_EQ(kind_of_error([&] { read_exception(in); }), ErrorKind::protocol);
    EXPECT_LE(in.position(), 33u * one_nested.size());
  }
}

TEST(ServerPackets, Progress1816) {
  const Bytes bytes = B().hex("03 01 01 00");
  MemorySource src(bytes);
  Reader in(src);
  ASSERT_EQ(read_server_packet_code(in), ServerPacketCode::progress);
  const Progress p = read_progress(in, k_r1816);
  EXPECT_EQ(p, (Progress{.read_rows = 1, .read_bytes = 1, .total_rows_to_read = 0}));
  EXPECT_TRUE(in.at_end());
}

TEST(ServerPackets, ProgressModernLayouts) {
  {
    // 54460: read_rows, read_bytes, total_rows, written_rows, written_bytes, elapsed_ns.
    const Bytes bytes = B().hex("05 06 07 08 09 80 01");
    MemorySource src(bytes);
    Reader in(src);
    EXPECT_EQ(read_progress(in, 54460), (Progress{.read_rows = 5,
                                                  .read_bytes = 6,
                                                  .total_rows_to_read = 7,
                                                  .written_rows = 8,
                                                  .written_bytes = 9,
                                                  .elapsed_ns = 128}));
    EXPECT_TRUE(in.at_end());
  }
  {
    // 54463: total_bytes_to_read after total_rows_to_read.
    const Bytes bytes = B().hex("05 06 07 0a 08 09 80 01");
    MemorySource src(bytes);
    Reader in(src);
    EXPECT_EQ(read_progress(in, 54463), (Progress{.read_rows = 5,
                                                  .read_bytes = 6,
                                                  .total_rows_to_read = 7,
                                                  .total_bytes_to_read = 10,
                                                  .written_rows = 8,
                                                  .written_bytes = 9,
                                                  .elapsed_ns = 128}));
    EXPECT_TRUE(in.at_end());
  }
  {
    // 54420..54459: written fields but no elapsed_ns.
    const Bytes bytes = B().hex("05 06 07 08 09");
    MemorySource src(bytes);
    Reader in(src);
    EXPECT_EQ(read_progress(in, 54420).written_bytes, 9u);
    EXPECT_TRUE(in.at_end());
  }
  Progress total;
  total += Progress{.read_rows = 1, .read_bytes = 10, .total_rows_to_read = 100};
  total += Progress{.read_rows = 2, .read_bytes = 20, .elapsed_ns = 5};
  EXPECT_EQ(total, (Progress{.read_rows = 3, .read_bytes = 30, .total_rows_to_read = 100, .elapsed_ns = 5}));
}

TEST(ServerPackets, ProfileInfo1816) {
  const Bytes bytes = B().hex("06 01 01 1c 00 00 01");
  MemorySource src(bytes);
  Reader in(src);
  ASSERT_EQ(read_server_packet_code(in), ServerPacketCode::profile_info);
  EXPECT_EQ(read_profile_info(in, k_r1816),
            (ProfileInfo{.rows = 1, .blocks = 1, .bytes = 28, .calculated_rows_before_limit = true}));
  EXPECT_TRUE(in.at_end());
}

TEST(ServerPackets, ProfileInfoWithRowsBeforeAggregation) {
  const Bytes bytes = B().hex("01 01 1c 01 05 01 01 07");
  MemorySource src(bytes);
  Reader in(src);
  EXPECT_EQ(read_profile_info(in, 54469), (ProfileInfo{.rows = 1,
                                                       .blocks = 1,
                                                       .bytes = 28,
                                                       .applied_limit = true,
                                                       .rows_before_limit = 5,
                                                       .calculated_rows_before_limit = true,
                                                       .applied_aggregation = true,
                                                       .rows_before_aggregation = 7}));
  EXPECT_TRUE(in.at_end());
}

TEST(ServerPackets, TableColumnsTimezonePartUuids) {
  const Bytes bytes = B().str("")
                          .str("columns format version: 1\n1 columns:\n`x` UInt8\n")
                          .str("Europe/Berlin")
                          .hex("02")
                          .raw(std::string(32, '\x11'))
                          .hex("ee");
  MemorySource src(bytes);
  Reader in(src);
  const TableColumns tc = read_table_columns(in);
  EXPECT_EQ(tc.table, "");
  EXPECT_EQ(tc.description, "columns format version: 1\n1 columns:\n`x` UInt8\n");
  EXPECT_EQ(read_timezone_update(in).timezone, "Europe/Berlin");
  EXPECT_EQ(read_part_uuids(in).count, 2u);
  EXPECT_EQ(in.u8(), 0xee);
}

TEST(ServerPackets, TablesStatusResponse) {
  const Bytes old_layout = B().hex("02").str("db").str("plain").hex("00").str("db").str("repl").hex("01 2a");
  {
    MemorySource src(old_layout);
    Reader in(src);
    const auto r = read_tables_status_response(in, k_r1816);
    ASSERT_EQ(r.tables.size(), 2u);
    EXPECT_EQ(r.tables[0], (TableStatus{.name = {"db", "plain"}}));
    EXPECT_EQ(r.tables[1], (TableStatus{.name = {"db", "repl"}, .is_replicated = true, .absolute_delay = 42}));
    EXPECT_TRUE(in.at_end());
  }
  {
    const Bytes modern = B().hex("01").str("db").str("repl").hex("01 2a 01");
    MemorySource src(modern);
    Reader in(src);
    const auto r = read_tables_status_response(in, 54467);
    ASSERT_EQ(r.tables.size(), 1u);
    EXPECT_TRUE(r.tables[0].is_readonly);
    EXPECT_TRUE(in.at_end());
  }
}

TEST(ServerPackets, LyingCountsAreBoundedByTheBytesSent) {
  // A count of 2^40 rules with nothing behind it fails on truncation, not on allocation.
  const Bytes bytes = B().hex("80 80 80 80 80 20");
  MemorySource src(bytes);
  Reader in(src);
  EXPECT_EQ(kind_of_error([&] { read_tables_status_response(in, k_r1816); }), ErrorKind::protocol);
  MemorySource src2(bytes);
  Reader in2(src2);
  EXPECT_EQ(kind_of_error([&] { read_part_uuids(in2); }), ErrorKind::protocol);
}

// Every proper prefix of a packet must fail with a protocol error, whatever the chunking.
template <class Decode>
void expect_every_truncation_fails(const Bytes& packet, Decode decode) {
  for (std::size_t cut = 0; cut < packet.size(); ++cut) {
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{3}, SIZE_MAX}) {
      const Bytes prefix(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(cut));
      MemorySource src(prefix, chunk);
      Reader in(src);
      EXPECT_EQ(kind_of_error([&] { decode(in); }), ErrorKind::protocol) << "cut at " << cut << " chunk " << chunk;
    }
  }
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{3}, SIZE_MAX}) {
    MemorySource src(packet, chunk);
    Reader in(src);
    EXPECT_NO_THROW(decode(in));
    EXPECT_TRUE(in.at_end());
  }
}

TEST(Truncation, HelloAtEveryByte) {
  expect_every_truncation_fails(k_server_hello_1816.bytes(),
                                [](Reader& in) { read_hello_reply(in, k_client_revision); });
}

TEST(Truncation, ExceptionAtEveryByte) {
  Bytes packet{0x02};
  const Bytes chain = exception_chain(2);
  packet.insert(packet.end(), chain.begin(), chain.end());
  expect_every_truncation_fails(packet, [](Reader& in) {
    ASSERT_EQ(read_server_packet_code(in), ServerPacketCode::exception);
    const Error e = read_exception(in);
    EXPECT_EQ(e.cause()->server_code(), 101);
  });
}

TEST(Truncation, ProgressAndProfileInfoAtEveryByte) {
  expect_every_truncation_fails(B().hex("05 06 07 0a 08 09 80 01"), [](Reader& in) { read_progress(in, 54463); });
  expect_every_truncation_fails(B().hex("01 01 1c 01 05 01 01 07"), [](Reader& in) { read_profile_info(in, 54469); });
}

}  // namespace
}  // namespace chconn::wire
