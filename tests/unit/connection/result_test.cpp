// Typed access to results: ResultRow::get<T> for every ResultValue, with exact values at the
// boundaries (the widest integers, Date32 before 1970, DateTime64 of every precision and negative
// ticks, Decimal256's extremes, NULL), the errors for what does not fit, and the Decimal value type.
// Expected values come from the standard library (chrono's calendar, strtod) or from the inputs'
// own construction, never from the code under test.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chconn/connection/result.h"
#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using namespace std::chrono;
using test::expect_error;

// A Result of one block holding `column` under the name "v", and the row to read.
Result one_column(ColumnRef column) {
  Result r;
  Block b;
  b.append("v", std::move(column));
  r.header = b;
  r.blocks.push_back(std::move(b));
  return r;
}

template <class C, class V, class... A>
std::shared_ptr<C> column_of(V value, A&&... args) {
  auto c = std::make_shared<C>(std::forward<A>(args)...);
  c->append(value);
  return c;
}

// A 256-bit value built by test-side arithmetic: 10^digits - 1 (so many nines).
Int256 nines(int digits) {
  std::array<std::uint64_t, 4> v{};
  for (int i = 0; i < digits; ++i) {
    // v = v * 10 + 9, limb by limb.
    UInt128 carry = 9;
    for (auto& limb : v) {
      const UInt128 cur = static_cast<UInt128>(limb) * 10 + carry;
      limb = static_cast<std::uint64_t>(cur);
      carry = cur >> 64;
    }
  }
  return Int256{v};
}

Int256 negated(const Int256& x) {
  Int256 r;
  std::uint64_t carry = 1;
  for (std::size_t i = 0; i < 4; ++i) {
    r.limbs[i] = ~x.limbs[i] + carry;
    carry = carry && r.limbs[i] == 0;
  }
  return r;
}

TEST(ResultGet, EveryStandardIntegerTypeWithRangeChecks) {
  const Result r = one_column(column_of<ColumnUInt8>(std::uint8_t{255}));
  const ResultRow row = r.row(0);
  EXPECT_EQ(row.get<long long>("v"), 255);
  EXPECT_EQ(row.get<unsigned long>("v"), 255u);
  EXPECT_EQ(row.get<unsigned long long>("v"), 255u);
  EXPECT_EQ(row.get<short>("v"), 255);
  EXPECT_EQ(row.get<unsigned char>("v"), 255);
  expect_error(ErrorKind::usage, [&] { (void)row.get<signed char>("v"); }, {"'v'", "UInt8", "int8_t", "does not fit"});

  const Result min64 = one_column(column_of<ColumnInt64>(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(min64.row(0).get<long long>("v"), std::numeric_limits<long long>::min());
  EXPECT_EQ(min64.row(0).get<Int128>("v"), Int128(std::numeric_limits<std::int64_t>::min()));
  expect_error(ErrorKind::usage, [&] { (void)min64.row(0).get<int>("v"); }, {"does not fit"});
  expect_error(ErrorKind::usage, [&] { (void)min64.row(0).get<unsigned long long>("v"); }, {"does not fit"});

  const Result max64 = one_column(column_of<ColumnUInt64>(std::numeric_limits<std::uint64_t>::max()));
  EXPECT_EQ(max64.row(0).get<unsigned long long>("v"), std::numeric_limits<unsigned long long>::max());
  expect_error(ErrorKind::usage, [&] { (void)max64.row(0).get<long long>("v"); }, {"does not fit"});
  EXPECT_TRUE(max64.row(0).get<bool>("v"));
}

TEST(ResultGet, WideIntegers) {
  const Int128 min128 = -(Int128(1) << 126) * 2;  // -2^127 without overflow
  const Result i128 = one_column(column_of<ColumnInt128>(min128));
  EXPECT_EQ(i128.row(0).get<Int128>("v"), min128);
  EXPECT_EQ(i128.row(0).get<Int256>("v"), Int256::from_int128(min128));
  expect_error(ErrorKind::usage, [&] { (void)i128.row(0).get<UInt128>("v"); }, {"Int128", "does not fit"});
  expect_error(ErrorKind::usage, [&] { (void)i128.row(0).get<long long>("v"); }, {"does not fit"});

  const UInt128 top = UInt128(1) << 127;
  const Result u128 = one_column(column_of<ColumnUInt128>(top));
  EXPECT_EQ(u128.row(0).get<UInt128>("v"), top);
  expect_error(ErrorKind::usage, [&] { (void)u128.row(0).get<Int128>("v"); }, {"does not fit"});
  const UInt256 top256{{0, std::uint64_t{1} << 63, 0, 0}};
  EXPECT_EQ(u128.row(0).get<UInt256>("v"), top256);

  UInt256 max256;
  max256.limbs.fill(~std::uint64_t{0});
  const Result u256 = one_column(column_of<ColumnUInt256>(max256));
  EXPECT_EQ(u256.row(0).get<UInt256>("v"), max256);
  expect_error(ErrorKind::usage, [&] { (void)u256.row(0).get<Int256>("v"); }, {"UInt256", "does not fit"});
  // The nearest double to 2^256 - 1 is 2^256.
  EXPECT_EQ(u256.row(0).get<double>("v"), std::ldexp(1.0, 256));
  expect_error(ErrorKind::usage, [&] { (void)u256.row(0).get<float>("v"); }, {"does not fit"});

  const Result minus_one = one_column(column_of<ColumnInt256>(Int256::from(-1)));
  EXPECT_EQ(minus_one.row(0).get<int>("v"), -1);
  EXPECT_EQ(minus_one.row(0).get<Int128>("v"), Int128(-1));
  expect_error(ErrorKind::usage, [&] { (void)minus_one.row(0).get<unsigned>("v"); }, {"does not fit"});
  Int256 min256;
  min256.limbs[3] = std::uint64_t{1} << 63;
  const Result lowest = one_column(column_of<ColumnInt256>(min256));
  EXPECT_EQ(lowest.row(0).get<Int256>("v"), min256);
  expect_error(ErrorKind::usage, [&] { (void)lowest.row(0).get<Int128>("v"); }, {"does not fit"});
  EXPECT_EQ(lowest.row(0).get<double>("v"), -std::ldexp(1.0, 255));
}

TEST(ResultGet, DatesAreDaysAndSeconds) {
  const sys_days y1900 = 1900y / January / 1;  // Date32's first day
  const Result d32 = one_column(column_of<ColumnDate32>(static_cast<std::int32_t>(y1900.time_since_epoch().count())));
  EXPECT_EQ(d32.row(0).get<sys_days>("v"), y1900);
  EXPECT_EQ(d32.row(0).get<sys_seconds>("v"), sys_seconds(y1900));
  EXPECT_EQ(d32.row(0).get<int>("v"), y1900.time_since_epoch().count());  // the count, as before
  // A duration whose rep cannot hold the count: an error, not a wrapped value.
  expect_error(ErrorKind::usage, [&] { (void)d32.row(0).get<sys_time<duration<std::int32_t>>>("v"); },
               {"Date32", "does not fit"});
  expect_error(ErrorKind::usage, [&] { (void)d32.row(0).get<sys_time<duration<std::uint64_t>>>("v"); },
               {"does not fit"});

  const sys_days leap = 2024y / February / 29;
  const Result d = one_column(column_of<ColumnDate>(static_cast<std::uint16_t>(leap.time_since_epoch().count())));
  EXPECT_EQ(d.row(0).get<sys_days>("v"), leap);
  EXPECT_EQ(d.row(0).get<sys_time<milliseconds>>("v"), sys_time<milliseconds>(leap));
  const Result last = one_column(column_of<ColumnDate>(std::uint16_t{65535}));
  EXPECT_EQ(last.row(0).get<sys_days>("v"), sys_days(2149y / June / 6));
}

TEST(ResultGet, DateTimeIsSecondsAndNeverTruncated) {
  const sys_seconds noon = sys_days(2024y / February / 29) + 12h;
  const Result r = one_column(column_of<ColumnDateTime>(static_cast<std::uint32_t>(noon.time_since_epoch().count())));
  EXPECT_EQ(r.row(0).get<sys_seconds>("v"), noon);
  EXPECT_EQ(r.row(0).get<sys_time<hours>>("v"), sys_time<hours>(floor<hours>(noon)));
  expect_error(ErrorKind::usage, [&] { (void)r.row(0).get<sys_days>("v"); },
               {"DateTime", "std::chrono::sys_days", "not a whole number"});
  const Result midnight = one_column(column_of<ColumnDateTime>(
      static_cast<std::uint32_t>(sys_seconds(sys_days(2024y / March / 1)).time_since_epoch().count())));
  EXPECT_EQ(midnight.row(0).get<sys_days>("v"), sys_days(2024y / March / 1));
  const Result max = one_column(column_of<ColumnDateTime>(std::numeric_limits<std::uint32_t>::max()));
  EXPECT_EQ(max.row(0).get<sys_seconds>("v").time_since_epoch().count(), std::numeric_limits<std::uint32_t>::max());
}

TEST(ResultGet, DateTime64OfEveryPrecision) {
  for (std::uint32_t p = 0; p <= 9; ++p) {
    SCOPED_TRACE("precision " + std::to_string(p));
    std::int64_t per_second = 1;
    for (std::uint32_t i = 0; i < p; ++i) per_second *= 10;
    // One tick before the epoch, and a whole second before it.
    const Result tick = one_column(column_of<ColumnDateTime64>(std::int64_t{-1}, p));
    EXPECT_EQ(tick.row(0).get<sys_time<nanoseconds>>("v").time_since_epoch(), -nanoseconds(1'000'000'000 / per_second));
    if (p == 0) {
      EXPECT_EQ(tick.row(0).get<sys_seconds>("v").time_since_epoch(), -1s);
    } else {
      expect_error(ErrorKind::usage, [&] { (void)tick.row(0).get<sys_seconds>("v"); },
                   {"DateTime64(" + std::to_string(p) + ")", "not a whole number", "finer"});
    }
    const Result second = one_column(column_of<ColumnDateTime64>(-per_second, p));
    EXPECT_EQ(second.row(0).get<sys_seconds>("v").time_since_epoch(), -1s);
    EXPECT_EQ(second.row(0).get<sys_time<microseconds>>("v").time_since_epoch(), -1'000'000us);
  }
  // The extremes: DateTime64(0)'s largest value in nanoseconds overflows int64; DateTime64(9)'s
  // smallest is exactly int64's smallest nanosecond count.
  const Result far = one_column(column_of<ColumnDateTime64>(std::numeric_limits<std::int64_t>::max(), 0u));
  expect_error(ErrorKind::usage, [&] { (void)far.row(0).get<sys_time<nanoseconds>>("v"); }, {"does not fit"});
  EXPECT_EQ(far.row(0).get<sys_seconds>("v").time_since_epoch().count(), std::numeric_limits<std::int64_t>::max());
  const Result low = one_column(column_of<ColumnDateTime64>(std::numeric_limits<std::int64_t>::min(), 9u));
  EXPECT_EQ(low.row(0).get<sys_time<nanoseconds>>("v").time_since_epoch().count(),
            std::numeric_limits<std::int64_t>::min());
  // A Float64 is no time.
  const Result f = one_column(column_of<ColumnFloat64>(1.5));
  expect_error(ErrorKind::usage, [&] { (void)f.row(0).get<sys_seconds>("v"); }, {"Float64", "sys_seconds"});
}

// Time and Time64 read as durations, exactly (a Time64 tick finer than the duration throws);
// BFloat16 as float, exactly.
TEST(ResultGet, TimeTime64AndBFloat16) {
  const Result t = one_column(column_of<ColumnTime>(std::int32_t{-5}));
  EXPECT_EQ(t.row(0).get<seconds>("v"), -5s);
  EXPECT_EQ(t.row(0).get<milliseconds>("v"), -5000ms);
  expect_error(ErrorKind::usage, [&] { (void)t.row(0).get<minutes>("v"); },
               {"'v'", "Time", "std::chrono::minutes", "not a whole number"});
  expect_error(ErrorKind::usage, [&] { (void)t.row(0).get<sys_seconds>("v"); }, {"Time", "sys_seconds"});
  // Time64(3): -1.5 s.
  const Result t64 = one_column(column_of<ColumnTime64>(std::int64_t{-1500}, 3u));
  EXPECT_EQ(t64.row(0).get<milliseconds>("v"), -1500ms);
  EXPECT_EQ(t64.row(0).get<nanoseconds>("v"), -1'500'000'000ns);
  expect_error(ErrorKind::usage, [&] { (void)t64.row(0).get<seconds>("v"); }, {"Time64(3)", "-1.500 seconds", "finer"});
  const Result big = one_column(column_of<ColumnTime64>(std::numeric_limits<std::int64_t>::max(), 0u));
  expect_error(ErrorKind::usage, [&] { (void)big.row(0).get<nanoseconds>("v"); }, {"does not fit"});
  // A DateTime is no duration.
  const Result dt = one_column(column_of<ColumnDateTime>(std::uint32_t{1}));
  expect_error(ErrorKind::usage, [&] { (void)dt.row(0).get<seconds>("v"); }, {"DateTime", "std::chrono::seconds"});

  auto bf = std::make_shared<ColumnBFloat16>();
  bf->append_float(0.1f);  // cut to its upper 16 bits, as toBFloat16(0.1): 0x3DCC
  bf->append(std::uint16_t{0xBDCC});
  EXPECT_EQ((*bf)[0], 0x3DCC);
  const Result b = one_column(bf);
  EXPECT_EQ(b.row(0).get<float>("v"), 0.099609375f);
  EXPECT_EQ(b.row(1).get<double>("v"), -0.099609375);
  auto n = std::make_shared<ColumnNullable>(parse_type("Nullable(Time)"));
  n->append_null();
  const Result nr = one_column(n);
  EXPECT_EQ(nr.row(0).get<std::optional<seconds>>("v"), std::nullopt);
}

TEST(ResultGet, DecimalsOfEveryWidth) {
  auto d32 = std::make_shared<ColumnDecimal32>(9, 2);
  d32->append(-150);
  EXPECT_EQ(to_string(one_column(d32).value<Decimal>("v")), "-1.50");
  auto d64 = std::make_shared<ColumnDecimal64>(18, 18);
  d64->append(1);
  EXPECT_EQ(to_string(one_column(d64).value<Decimal>("v")), "0.000000000000000001");
  EXPECT_EQ(one_column(d64).value<double>("v"), 1e-18);
  auto d128 = std::make_shared<ColumnDecimal128>(38, 0);
  d128->append(-(Int128(1) << 100));
  EXPECT_EQ(one_column(d128).value<Decimal>("v"), (Decimal{Int256::from_int128(-(Int128(1) << 100)), 0}));

  // Decimal256's extremes: +-(10^76 - 1) at scale 0 and at scale 76.
  const std::string nines76(76, '9');
  for (std::uint32_t scale : {0u, 76u}) {
    auto d256 = std::make_shared<ColumnDecimal256>(76, scale);
    d256->append(nines(76));
    d256->append(negated(nines(76)));
    const Result r = one_column(d256);
    const std::string text = scale == 0 ? nines76 : "0." + nines76;
    EXPECT_EQ(to_string(r.row(0).get<Decimal>("v")), text);
    EXPECT_EQ(to_string(r.row(1).get<Decimal>("v")), "-" + text);
    EXPECT_EQ(r.row(0).get<double>("v"), std::strtod(text.c_str(), nullptr));  // the nearest double
    EXPECT_EQ(r.row(1).get<double>("v"), -std::strtod(text.c_str(), nullptr));
    if (scale == 0) {  // beyond float's range: no nearest float
      expect_error(ErrorKind::usage, [&] { (void)r.row(0).get<float>("v"); }, {"float", "does not fit"});
    } else {
      EXPECT_EQ(r.row(0).get<float>("v"), std::strtof(text.c_str(), nullptr));
    }
    EXPECT_LT(r.row(1).get<Decimal>("v"), r.row(0).get<Decimal>("v"));
    expect_error(ErrorKind::usage, [&] { (void)r.row(0).get<long long>("v"); }, {"Decimal(76, ", "int64_t"});
  }
}

TEST(Decimal, ComparesByValueAndConvertsExactly) {
  const auto dec = [](std::int64_t raw, std::uint32_t scale) { return Decimal{Int256::from(raw), scale}; };
  EXPECT_EQ(dec(150, 2), dec(15, 1));
  EXPECT_EQ(dec(0, 5), dec(0, 0));
  EXPECT_LT(dec(-1, 2), dec(0, 0));
  EXPECT_LT(dec(15, 1), dec(151, 2));
  EXPECT_LT(dec(-2, 0), dec(-199, 2));
  EXPECT_GT(dec(1, 0), dec(999, 3));
  EXPECT_EQ(to_string(dec(-5, 3)), "-0.005");
  EXPECT_EQ(to_string(dec(12, 0)), "12");
  EXPECT_EQ(static_cast<double>(dec(1999, 2)), 19.99);
  expect_error(ErrorKind::usage, [&] { (void)to_string(dec(1, 77)); }, {"76"});
  expect_error(ErrorKind::usage, [&] { (void)(dec(1, 77) == dec(1, 0)); }, {"76"});
}

TEST(ResultGet, UuidAndAddresses) {
  const UUID u = *UUID::parse("00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(one_column(column_of<ColumnUUID>(u)).value<UUID>("v"), u);
  const Result ip4 = one_column(column_of<ColumnIPv4>(std::uint32_t{0x01020304}));
  EXPECT_EQ(ip4.value<IPv4>("v"), IPv4{0x01020304});
  EXPECT_EQ(to_string(ip4.value<IPv4>("v")), "1.2.3.4");
  EXPECT_EQ(ip4.value<std::uint32_t>("v"), 0x01020304u);
  IPv6 six;
  six.bytes[15] = 1;
  EXPECT_EQ(one_column(column_of<ColumnIPv6>(six)).value<IPv6>("v"), six);
  const Result s = one_column(column_of<ColumnString>("1.2.3.4"));
  expect_error(ErrorKind::usage, [&] { (void)s.value<IPv4>("v"); }, {"'v'", "String", "chconn::IPv4"});
  expect_error(ErrorKind::usage, [&] { (void)s.value<UUID>("v"); }, {"chconn::UUID"});
  expect_error(ErrorKind::usage, [&] { (void)ip4.value<IPv6>("v"); }, {"IPv4", "chconn::IPv6"});
}

TEST(ResultGet, NullableAndLowCardinality) {
  auto n = std::make_shared<ColumnNullable>(std::make_shared<ColumnDate32>());
  n->append_null();
  n->nested_as<ColumnDate32>().append(sys_days(1969y / December / 31));
  n->append_not_null();
  const Result r = one_column(n);
  EXPECT_EQ(r.row(0).get<std::optional<sys_days>>("v"), std::nullopt);
  EXPECT_EQ(r.row(1).get<std::optional<sys_days>>("v"), sys_days(1969y / December / 31));
  EXPECT_EQ(r.row(1).get<std::optional<sys_seconds>>("v"), sys_seconds(sys_days(1969y / December / 31)));
  EXPECT_TRUE(r.row(0).is_null("v"));
  expect_error(ErrorKind::usage, [&] { (void)r.row(0).get<sys_days>("v"); },
               {"Nullable(Date32)", "NULL", "std::optional"});

  auto dn = std::make_shared<ColumnNullable>(std::make_shared<ColumnDecimal64>(18, 4));
  dn->append_null();
  const Result decimals = one_column(dn);
  EXPECT_EQ(decimals.value<std::optional<Decimal>>("v"), std::nullopt);
  EXPECT_EQ(decimals.value<std::optional<double>>("v"), std::nullopt);

  auto lc = std::make_shared<ColumnLowCardinality>(parse_type("LowCardinality(Nullable(String))"));
  lc->append("x");
  lc->append_null();
  const Result strings = one_column(lc);
  EXPECT_EQ(strings.row(0).get<std::optional<std::string_view>>("v"), std::optional<std::string_view>("x"));
  EXPECT_EQ(strings.row(1).get<std::optional<std::string>>("v"), std::nullopt);
}

TEST(ResultGet, FloatsAndStrings) {
  const Result big = one_column(column_of<ColumnFloat64>(1e300));
  EXPECT_EQ(big.value<double>("v"), 1e300);
  expect_error(ErrorKind::usage, [&] { (void)big.value<float>("v"); }, {"Float64", "float", "does not fit"});
  const Result inf = one_column(column_of<ColumnFloat64>(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(inf.value<float>("v"), std::numeric_limits<float>::infinity());
  auto fs = std::make_shared<ColumnFixedString>(3);
  fs->append("ab");
  EXPECT_EQ(one_column(fs).value<std::string>("v"), std::string("ab\0", 3));
  expect_error(ErrorKind::usage, [&] { (void)one_column(fs).value<int>("v"); }, {"FixedString(3)", "int32_t"});
}

Result make_result() {
  auto c = std::make_shared<ColumnString>();
  c->append("first");
  c->append("second");
  return one_column(c);
}

TEST(ResultLifetime, NamedResultsGiveViewsTemporariesGiveValues) {
  const Result r = make_result();
  std::string joined;
  for (const auto& row : r.rows()) joined += std::string(row.get<std::string_view>("v")) + ";";
  EXPECT_EQ(joined, "first;second;");
  // One value of a temporary, owned: what the deleted row() and rows() of a temporary leave.
  EXPECT_EQ(make_result().value<std::string>("v", 1), "second");
  EXPECT_EQ(r.value<std::string_view>("v"), "first");
  expect_error(ErrorKind::usage, [] { (void)make_result().value<std::string>("v", 2); }, {"row 2", "2 rows"});
  expect_error(ErrorKind::usage, [] { (void)make_result().value<std::string>("w"); }, {"no column 'w'"});
}

}  // namespace
}  // namespace chconn
