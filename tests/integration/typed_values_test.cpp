// Typed values against the 18.16 sandboxes (one in UTC, one in Asia/Tokyo): every type it has (Date, DateTime with and
// without a time zone, Decimal32/64/128, UUID, the widest 64-bit integers, Nullable) read through get<T>, and the same
// kinds sent as Params, with every expected value computed by the server in the same query (toUInt16 of a date,
// toUInt32 of a time, toString of a decimal) or by std::chrono, never written down. Date32, DateTime64, IPv4/IPv6 and
// the 128/256-bit integers are newer than 18.16; the unit tests cover them.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using namespace std::chrono;

// Each test runs on a server in UTC ("main") and on one in Asia/Tokyo ("tokyo"): an instant read or
// sent must not depend on the server's zone, and a Date is the same day wherever the server is.
class TypedValues : public ::testing::TestWithParam<const char*> {};

INSTANTIATE_TEST_SUITE_P(ServerZones, TypedValues, ::testing::Values("main", "tokyo"));

TEST_P(TypedValues, TheSandboxRunsInTheZoneTheTestExpects) {
  auto conn = test::connect_sandbox(GetParam());
  // 18.16 names UTC by its zone file, Etc/UTC.
  const std::string zone = conn->server_info().timezone;
  if (std::string(GetParam()) == "tokyo") {
    EXPECT_EQ(zone, "Asia/Tokyo");
  } else {
    EXPECT_TRUE(zone == "UTC" || zone == "Etc/UTC") << zone;
  }
}

TEST_P(TypedValues, EveryTypeOfTheServerReadsAsItsCppValue) {
  auto conn = test::connect_sandbox(GetParam());
  const Result r = conn->execute(
      "SELECT toDate('2024-02-29') AS d, toUInt16(d) AS d_days, "
      "toDate('1970-01-01') AS d0, toUInt16(d0) AS d0_days, "
      "toDateTime('2024-02-29 12:34:56', 'UTC') AS t, toUInt32(t) AS t_s, "
      "toDateTime('2024-02-29 12:34:56', 'Asia/Tokyo') AS tk, toUInt32(tk) AS tk_s, "
      "toDateTime('2024-03-01 00:00:00', 'UTC') AS m, toUInt16(toDate(m)) AS m_days, "
      "toDecimal32('-1.50', 2) AS a, toString(a) AS a_s, toFloat64(a) AS a_f, "
      "toDecimal64('-0.000000000000000001', 18) AS b, toString(b) AS b_s, "
      "toDecimal128('-12345678901234567.123', 3) AS c, toString(c) AS c_s, "
      "toUUID('00112233-4455-6677-8899-aabbccddeeff') AS u, toString(u) AS u_s, "
      "toInt64(-9223372036854775807 - 1) AS i, toString(i) AS i_s, "
      "toUInt64('18446744073709551615') AS n, toString(n) AS n_s, "
      "CAST(NULL AS Nullable(Date)) AS null_date, "
      "CAST(toDate('2000-01-01') AS Nullable(Date)) AS some_date, toUInt16(assumeNotNull(some_date)) AS some_days, "
      "CAST(NULL AS Nullable(Decimal(9, 2))) AS null_dec");
  const ResultRow row = r.row(0);
  EXPECT_EQ(row.get<sys_days>("d").time_since_epoch().count(), row.get<int>("d_days"));
  EXPECT_EQ(row.get<sys_seconds>("d").time_since_epoch().count(), row.get<long long>("d_days") * 86400);
  EXPECT_EQ(row.get<sys_days>("d0").time_since_epoch().count(), row.get<int>("d0_days"));
  EXPECT_EQ(row.get<sys_seconds>("t").time_since_epoch().count(), row.get<long long>("t_s"));
  EXPECT_EQ(row.get<sys_time<milliseconds>>("t").time_since_epoch().count(), row.get<long long>("t_s") * 1000);
  // The time zone of the type names how the server shows the instant; the instant is the same.
  EXPECT_EQ(row.get<sys_seconds>("tk").time_since_epoch().count(), row.get<long long>("tk_s"));
  test::expect_error(ErrorKind::usage, [&] { (void)row.get<sys_days>("t"); }, {"'t'", "DateTime('UTC')", "sys_days"});
  EXPECT_EQ(row.get<sys_days>("m").time_since_epoch().count(), row.get<int>("m_days"));

  EXPECT_EQ(to_string(row.get<Decimal>("a")), row.get<std::string>("a_s"));
  EXPECT_EQ(row.get<double>("a"), row.get<double>("a_f"));
  EXPECT_EQ(to_string(row.get<Decimal>("b")), row.get<std::string>("b_s"));
  EXPECT_EQ(to_string(row.get<Decimal>("c")), row.get<std::string>("c_s"));
  EXPECT_LT(row.get<Decimal>("c"), row.get<Decimal>("a"));
  EXPECT_EQ(to_string(row.get<UUID>("u")), row.get<std::string>("u_s"));
  EXPECT_EQ(std::to_string(row.get<long long>("i")), row.get<std::string>("i_s"));
  EXPECT_EQ(to_string(row.get<Int128>("i")), row.get<std::string>("i_s"));
  EXPECT_EQ(std::to_string(row.get<unsigned long>("n")), row.get<std::string>("n_s"));
  test::expect_error(ErrorKind::usage, [&] { (void)row.get<long long>("n"); }, {"'n'", "UInt64", "does not fit"});

  EXPECT_EQ(row.get<std::optional<sys_days>>("null_date"), std::nullopt);
  EXPECT_EQ(row.get<std::optional<sys_days>>("some_date")->time_since_epoch().count(), row.get<int>("some_days"));
  EXPECT_EQ(row.get<std::optional<Decimal>>("null_dec"), std::nullopt);
  test::expect_error(ErrorKind::usage, [&] { (void)row.get<Decimal>("null_dec"); }, {"'null_dec'", "NULL"});
}

TEST_P(TypedValues, ParamsFromCppValuesMeanTheSameToTheServer) {
  auto conn = test::connect_sandbox(GetParam());
  const sys_days leap = 2024y / February / 29;
  const sys_seconds noon = leap + 12h + 34min + 56s;
  const Decimal price{Int256::from(-150), 2};
  const Decimal big{Int256::from(-12345678901234567), 3};
  const UUID id = *UUID::parse("00112233-4455-6677-8899-aabbccddeeff");
  const Result r = conn->execute(
      "SELECT toUInt16({d:Date}) AS d_got, toUInt16(toDate('2024-02-29')) AS d_want, {d:Date} AS d, "
      "toUInt32({t:DateTime}) AS t_got, toUInt32({t:DateTime('Asia/Tokyo')}) AS tk_got, "
      "toUInt32(toDateTime('2024-02-29 12:34:56', 'UTC')) AS t_want, {t:DateTime('Asia/Tokyo')} AS tk, "
      "toDate({t:DateTime}) = toDate('2024-02-29') AS same_day, "
      "toString({x:Decimal(9, 2)}) AS x_s, {x:Decimal(9, 2)} AS x, {y:Decimal(38, 3)} AS y, "
      "toString({u:UUID}) AS u_s, {u:UUID} AS u, isNull({n:Nullable(Date)}) AS n_null, "
      "{o:Nullable(Date)} AS o",
      Params()
          .set("d", leap)
          .set("t", noon)
          .set("x", price)
          .set("y", big)
          .set("u", id)
          .set("n", std::optional<sys_days>())
          .set("o", std::optional<sys_days>(leap)));
  const ResultRow row = r.row(0);
  EXPECT_EQ(row.get<int>("d_got"), row.get<int>("d_want"));
  EXPECT_EQ(row.get<sys_days>("d"), leap);
  // The instant is the same in UTC, in Tokyo and as std::chrono counts it.
  EXPECT_EQ(row.get<long long>("t_got"), row.get<long long>("t_want"));
  EXPECT_EQ(row.get<long long>("tk_got"), noon.time_since_epoch().count());
  EXPECT_EQ(row.get<sys_seconds>("tk"), noon);
  EXPECT_TRUE(row.get<bool>("same_day"));
  EXPECT_EQ(row.get<std::string>("x_s"), to_string(price));
  EXPECT_EQ(row.get<Decimal>("x"), price);
  EXPECT_EQ(row.get<Decimal>("y"), big);
  EXPECT_EQ(row.get<std::string>("u_s"), to_string(id));
  EXPECT_EQ(row.get<UUID>("u"), id);
  EXPECT_TRUE(row.get<bool>("n_null"));
  EXPECT_EQ(row.get<std::optional<sys_days>>("o"), leap);
}

// What the server's zone decides: a DateTime without a zone of its own is shown in the server's
// zone, and a time parameter still means the instant chrono counts. 2024-02-29 20:00 UTC is
// 2024-03-01 05:00 in Tokyo: the day differs between the two servers, the instant does not.
TEST_P(TypedValues, TheServersZoneShowsTheSameInstant) {
  auto conn = test::connect_sandbox(GetParam());
  const sys_seconds evening = sys_days{2024y / February / 29} + 20h;
  const Result r = conn->execute(
      "SELECT {t:DateTime} AS t, toUInt32(t) AS t_s, toString(t) AS shown, toDate(t) AS day, "
      "toUInt16(day) AS day_n, toDateTime('2024-03-01 05:00:00') AS local_five, toUInt32(local_five) AS five_s",
      Params().set("t", evening));
  const ResultRow row = r.row(0);
  EXPECT_EQ(row.get<sys_seconds>("t"), evening);
  EXPECT_EQ(row.get<long long>("t_s"), evening.time_since_epoch().count());
  const bool tokyo = std::string(GetParam()) == "tokyo";
  EXPECT_EQ(row.get<std::string>("shown"), tokyo ? "2024-03-01 05:00:00" : "2024-02-29 20:00:00");
  const sys_days day = tokyo ? sys_days{2024y / March / 1} : sys_days{2024y / February / 29};
  EXPECT_EQ(row.get<sys_days>("day"), day);
  EXPECT_EQ(row.get<long long>("day_n"), day.time_since_epoch().count());
  // A wall-clock text without a zone is read in the server's zone: 05:00 in Tokyo is 20:00 UTC.
  EXPECT_EQ(row.get<sys_seconds>("local_five"), tokyo ? evening : sys_days{2024y / March / 1} + 5h);
  EXPECT_EQ(row.get<long long>("five_s"), row.get<sys_seconds>("local_five").time_since_epoch().count());
}

}  // namespace
}  // namespace chconn
