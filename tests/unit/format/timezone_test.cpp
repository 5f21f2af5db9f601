// TZif reading, POSIX TZ rules and the calendar (src/format/timezone.h).
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "chconn/core/error.h"
#include "format/timezone.h"
#include "support/expect_error.h"

namespace chconn::text {
namespace {

std::int64_t utc(std::int64_t y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
}

TEST(Calendar, KnownDaysAndRoundTrip) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2020, 1, 1), 18262);
  EXPECT_EQ(days_from_civil(2000, 2, 29), 11016);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2149, 6, 6), 65535);
  const CivilDate d = civil_from_days(-719162);
  EXPECT_EQ(d.year, 1);
  EXPECT_EQ(d.month, 1u);
  EXPECT_EQ(d.day, 1u);
  for (std::int64_t day = -1000000; day <= 1000000; day += 997) {
    const CivilDate c = civil_from_days(day);
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), day) << day;
    ASSERT_GE(c.month, 1u);
    ASSERT_LE(c.month, 12u);
  }
}

std::int32_t rule_offset(std::string_view tz, std::int64_t t) {
  PosixTzRule rule;
  EXPECT_TRUE(PosixTzRule::parse(tz, rule)) << tz;
  return rule.offset_at(t);
}

TEST(PosixTzRule, NorthernDst) {
  const char* ny = "EST5EDT,M3.2.0,M11.1.0";
  EXPECT_EQ(rule_offset(ny, 1520751599), -18000);  // 2018-03-11 01:59:59 EST
  EXPECT_EQ(rule_offset(ny, 1520751600), -14400);  // 03:00:00 EDT
  EXPECT_EQ(rule_offset(ny, 1541311199), -14400);  // 2018-11-04 01:59:59 EDT
  EXPECT_EQ(rule_offset(ny, 1541311200), -18000);  // 01:00:00 EST
  EXPECT_EQ(rule_offset(ny, utc(2100, 7, 1)), -14400);
  EXPECT_EQ(rule_offset(ny, utc(2100, 12, 31, 23, 59, 59)), -18000);
}

TEST(PosixTzRule, SouthernDstSpansTheNewYear) {
  const char* sydney = "AEST-10AEDT,M10.1.0,M4.1.0/3";
  EXPECT_EQ(rule_offset(sydney, utc(2024, 1, 15)), 39600);
  EXPECT_EQ(rule_offset(sydney, utc(2024, 7, 1)), 36000);
  // DST ends 2024-04-07 03:00 AEDT = 2024-04-06 16:00 UTC.
  EXPECT_EQ(rule_offset(sydney, utc(2024, 4, 6, 15, 59, 59)), 39600);
  EXPECT_EQ(rule_offset(sydney, utc(2024, 4, 6, 16)), 36000);
  // Starts 2024-10-06 02:00 AEST = 2024-10-05 16:00 UTC.
  EXPECT_EQ(rule_offset(sydney, utc(2024, 10, 5, 15, 59, 59)), 36000);
  EXPECT_EQ(rule_offset(sydney, utc(2024, 10, 5, 16)), 39600);
}

TEST(PosixTzRule, ExtendedHoursJulianDaysAndQuotedNames) {
  // Israel: the Friday before the last Sunday of March, written as Thursday 26:00.
  const char* israel = "IST-2IDT,M3.4.4/26,M10.5.0";
  EXPECT_EQ(rule_offset(israel, utc(2024, 3, 28, 23, 59, 59)), 7200);
  EXPECT_EQ(rule_offset(israel, utc(2024, 3, 29)), 10800);
  EXPECT_EQ(rule_offset("<+0330>-3:30", 0), 12600);
  EXPECT_EQ(rule_offset("<-03>3", 0), -10800);
  EXPECT_EQ(rule_offset("UTC0", 123), 0);
  // J60 is March 1 in every year; 59 (zero-based) is February 29 in a leap year.
  EXPECT_EQ(rule_offset("AAA0BBB,J60/0,J300/0", utc(2024, 2, 29, 23, 59, 59)), 0);
  EXPECT_EQ(rule_offset("AAA0BBB,J60/0,J300/0", utc(2024, 3, 1)), 3600);
  EXPECT_EQ(rule_offset("AAA0BBB,59/0,300/0", utc(2024, 2, 28, 23, 59, 59)), 0);
  EXPECT_EQ(rule_offset("AAA0BBB,59/0,300/0", utc(2024, 2, 29)), 3600);
  EXPECT_EQ(rule_offset("AAA0BBB-2,M3.2.0,M11.1.0", utc(2024, 7, 1)), 7200);  // explicit DST offset
}

TEST(PosixTzRule, RejectsMalformed) {
  PosixTzRule rule;
  for (std::string_view bad : {"", "EST", "5", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "EST5EDT,M3.2.7,M11.1.0",
                               "<+05-5", "EST5EDT,M3.2.0,M11.1.0x", "EST99"}) {
    EXPECT_FALSE(PosixTzRule::parse(bad, rule)) << bad;
  }
}

// ----- TZif ----------------------------------------------------------------------------------------

void be32(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void be64(std::string& s, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

struct TzifSpec {
  std::vector<std::int64_t> times;
  std::vector<std::uint8_t> types;
  std::vector<std::int32_t> offsets;
  std::string footer;
  char version = '2';
};

void header(std::string& s, char version, std::uint32_t timecnt, std::uint32_t typecnt, std::uint32_t charcnt) {
  s += "TZif";
  s += version;
  s.append(15, '\0');
  be32(s, 0);  // isutcnt
  be32(s, 0);  // isstdcnt
  be32(s, 0);  // leapcnt
  be32(s, timecnt);
  be32(s, typecnt);
  be32(s, charcnt);
}

std::string tzif(const TzifSpec& spec) {
  std::string s;
  const auto timecnt = static_cast<std::uint32_t>(spec.times.size());
  const auto typecnt = static_cast<std::uint32_t>(spec.offsets.size());
  auto data = [&](bool wide) {
    for (auto t : spec.times) {
      if (wide)
        be64(s, static_cast<std::uint64_t>(t));
      else
        be32(s, static_cast<std::uint32_t>(t));
    }
    for (auto t : spec.types) s += static_cast<char>(t);
    for (auto o : spec.offsets) {
      be32(s, static_cast<std::uint32_t>(o));
      s += '\0';
      s += '\0';
    }
    s.append("ABC", 4);
  };
  header(s, spec.version, timecnt, typecnt, 4);
  data(false);
  if (spec.version >= '2') {
    header(s, spec.version, timecnt, typecnt, 4);
    data(true);
    s += '\n' + spec.footer + '\n';
  }
  return s;
}

TEST(TimeZoneTzif, TransitionsThenFooterRule) {
  const auto zone = TimeZone::from_tzif("Test/Zone", tzif({{1000, 2000}, {1, 0}, {0, 3600}, "<+05>-5"}));
  EXPECT_EQ(zone->name(), "Test/Zone");
  EXPECT_EQ(zone->offset_at(-5000000000LL), 0);  // before the first transition: type 0
  EXPECT_EQ(zone->offset_at(999), 0);
  EXPECT_EQ(zone->offset_at(1000), 3600);
  EXPECT_EQ(zone->offset_at(1999), 3600);
  EXPECT_EQ(zone->offset_at(2000), 18000);  // the footer's rule from the last transition on
  const LocalTime local = zone->to_local(1000);
  EXPECT_EQ(local.days, 0);
  EXPECT_EQ(local.second_of_day, 4600);
  EXPECT_EQ(local.utc_offset, 3600);
  const LocalTime before_epoch = zone->to_local(-1);
  EXPECT_EQ(before_epoch.days, -1);
  EXPECT_EQ(before_epoch.second_of_day, 86399);
}

TEST(TimeZoneTzif, VersionOneAndEmptyFooter) {
  TzifSpec v1{{1000}, {1}, {0, -3600}, "", '\0'};
  const auto zone = TimeZone::from_tzif("V1", tzif(v1));
  EXPECT_EQ(zone->offset_at(999), 0);
  EXPECT_EQ(zone->offset_at(5000000000LL), -3600);  // after the last transition: its type
  TzifSpec no_rule{{1000}, {1}, {0, 7200}, ""};
  EXPECT_EQ(TimeZone::from_tzif("NoRule", tzif(no_rule))->offset_at(5000000000LL), 7200);
}

TEST(TimeZoneTzif, RejectsCorruptFiles) {
  const std::string good = tzif({{1000, 2000}, {1, 0}, {0, 3600}, "UTC0"});
  auto expect_bad = [](const std::string& bytes, std::string_view why) {
    const Error e = test::thrown_error([&] { TimeZone::from_tzif("Bad/Zone", bytes); });
    EXPECT_EQ(e.kind(), ErrorKind::config) << why;
    EXPECT_NE(std::string(e.what()).find("Bad/Zone"), std::string::npos) << why;
  };
  expect_bad("", "empty");
  expect_bad("TZjf" + good.substr(4), "bad magic");
  for (std::size_t cut : {10u, 44u, 60u, static_cast<unsigned>(good.size()) - 10}) {
    expect_bad(good.substr(0, cut), "truncated at " + std::to_string(cut));
  }
  expect_bad(tzif({{1000}, {2}, {0, 3600}, ""}), "type index out of range");
  expect_bad(tzif({{2000, 1000}, {1, 0}, {0, 3600}, ""}), "not ascending");
  expect_bad(tzif({{1000}, {1}, {0, 3600}, "garbage rule!"}), "bad footer");
  expect_bad(tzif({{1000}, {1}, {0, 200000}, ""}), "offset out of range");
  expect_bad(tzif({{}, {}, {}, ""}), "no types");
  expect_bad(std::string(TimeZone::k_max_file_bytes + 1, 'x'), "too large");
}

TEST(TimeZoneNames, OnlyPlainZoneNames) {
  for (std::string_view ok : {"UTC", "Asia/Tokyo", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "EST5EDT"}) {
    EXPECT_TRUE(TimeZone::valid_name(ok)) << ok;
  }
  for (std::string_view bad : {"", "/etc/passwd", "../etc/passwd", "Asia/../../etc/passwd", "Asia//Tokyo", ".hidden",
                               "Asia/", "a b", "Asia\\Tokyo", "x\n"}) {
    EXPECT_FALSE(TimeZone::valid_name(bad)) << bad;
    EXPECT_THROW(TimeZones().find(bad), Error) << bad;
  }
}

TEST(TimeZoneFind, SystemZonesAreCachedAndThreadSafe) {
  const TimeZones zones;
  const auto tokyo = zones.find("Asia/Tokyo");
  EXPECT_EQ(tokyo->offset_at(1600000000), 32400);
  EXPECT_EQ(zones.find("Asia/Tokyo").get(), tokyo.get());
  EXPECT_NE(TimeZones().find("Asia/Tokyo").get(), tokyo.get());  // each TimeZones keeps its own
  EXPECT_EQ(zones.find("UTC")->offset_at(1600000000), 0);
  EXPECT_THROW(zones.find("No/Such_Zone"), Error);
  EXPECT_THROW(zones.find("No/Such_Zone"), Error);  // the cached miss too
  // Another directory: UTC without any file, nothing else.
  const TimeZones empty("/nonexistent-zoneinfo");
  EXPECT_EQ(empty.find("UTC")->offset_at(1600000000), 0);
  EXPECT_THROW(empty.find("Asia/Tokyo"), Error);

  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&wrong, &zones, i] {
      const char* names[] = {"Europe/Moscow", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"};
      const std::int32_t expected[] = {10800, -18000, 19800, 39600};  // at 2020-01-02
      for (int k = 0; k < 200; ++k) {
        const int z = (i + k) % 4;
        if (zones.find(names[z])->offset_at(1577934245) != expected[z]) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace chconn::text
