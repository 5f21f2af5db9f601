// TimeZone: UTC seconds → local civil time from the system's TZif files (RFC 8536), for printing
// DateTime('tz') values the way the server does. Internal to the format layer.
//
// Zones are read from $TZDIR or /usr/share/zoneinfo (Debian's tzdata) by a TimeZones object, which
// keeps them in a bounded, mutex-guarded cache of its own; nothing is global. The 64-bit (v2+) section is used when
// present, and the footer's POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0") covers instants after the last transition. "UTC"
// and its aliases work without any file. Every count and index of a file is checked before use; a malformed file is
// Error(config) naming the zone.
//
// Thread safety: a TimeZone is immutable; find() may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chconn/format/text.h"

namespace chconn::text {

// A point in local time: days since 1970-01-01 and the second of that day, as wall clocks show it.
struct LocalTime {
  std::int64_t days = 0;           // local calendar day, days since 1970-01-01 (negative before)
  std::int32_t second_of_day = 0;  // 0 .. 86399
  std::int32_t utc_offset = 0;     // seconds east of UTC in force at that instant
};

// A calendar date.
struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// Days since 1970-01-01 → proleptic Gregorian date, and back.
CivilDate civil_from_days(std::int64_t days) noexcept;
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept;

// A POSIX TZ rule, as in a TZif footer: standard offset, and optionally a DST offset with the
// rules for when it starts and ends each year.
struct PosixTzRule {
  struct Transition {
    enum class Kind : std::uint8_t { julian1, julian0, month_week_day } kind = Kind::month_week_day;
    int day = 0;               // Jn: 1..365; n: 0..365; M: day of week 0 (Sunday) .. 6
    int week = 0;              // M: 1..5 (5 = last)
    int month = 0;             // M: 1..12
    std::int32_t time = 7200;  // seconds after local midnight (may be negative or > 24 h)
  };
  std::int32_t std_offset = 0;  // seconds east of UTC
  bool has_dst = false;
  std::int32_t dst_offset = 0;
  Transition start, end;

  // Parses a TZ string; false if it is not one this parser understands.
  static bool parse(std::string_view text, PosixTzRule& rule);
  std::int32_t offset_at(std::int64_t utc_seconds) const noexcept;
};

class TimeZone {
 public:
  // Largest TZif file read (the biggest in tzdata are under 10 KiB).
  static constexpr std::size_t k_max_file_bytes = std::size_t{256} * 1024;

  // Builds a zone from the bytes of a TZif file (for tests and for find()). Throws Error(config).
  static std::shared_ptr<const TimeZone> from_tzif(std::string name, std::string_view bytes);
  // A zone with a fixed offset and no transitions.
  static std::shared_ptr<const TimeZone> fixed(std::string name, std::int32_t utc_offset);

  const std::string& name() const noexcept { return name_; }
  // Seconds east of UTC at `utc_seconds`.
  std::int32_t offset_at(std::int64_t utc_seconds) const noexcept;
  LocalTime to_local(std::int64_t utc_seconds) const noexcept;

  // The wall clock as ClickHouse 18.16 prints it. Its date lookup table keeps, per local day, the
  // UTC instant of local midnight and one offset change found on a 15-minute grid; hours come from
  // the time since that midnight (adjusted by the change), minutes from it too unless every offset
  // is whole hours, and seconds from the UTC value. That equals the true wall clock except on days
  // whose offset change is not whole hours (Lord Howe's 30-minute DST) or falls at midnight
  // (Brazil until 2019), and for offsets that are not whole minutes (before 1972). The hour may
  // reach 24 on such days, as it does there.
  struct LegacyClock {
    std::int64_t days = 0;  // local calendar day, days since 1970-01-01
    std::int64_t hour = 0;
    unsigned minute = 0;
    unsigned second = 0;
  };
  LegacyClock legacy_clock(std::int64_t utc_seconds) const;

  // For tests: whether `name` has the shape of a zone name (no "..", no leading '/', only
  // [A-Za-z0-9_+-./], at most 255 bytes).
  static bool valid_name(std::string_view name) noexcept;

 private:
  // The UTC instant of local midnight starting `days`; for a midnight skipped or repeated by a
  // change, the one reckoned with the offset in force before it (as cctz's civil lookup `pre`).
  std::int64_t local_midnight(std::int64_t days) const noexcept;
  // Whether every offset in force between 1970 and 2106 is a whole number of hours (computed once).
  bool whole_hour_offsets() const;

  std::string name_;
  std::vector<std::int64_t> transitions_;      // ascending UTC seconds
  std::vector<std::uint8_t> transition_type_;  // index into offsets_, one per transition
  std::vector<std::int32_t> offsets_;          // utoff of each local time type
  std::int32_t initial_offset_ = 0;            // before the first transition
  bool has_rule_ = false;
  PosixTzRule rule_;  // after the last transition, when has_rule_
  mutable std::once_flag whole_hours_once_;
  mutable bool whole_hours_ = true;
};

// The zones of one zone directory, each read on first use and kept (at most k_max_cached_zones; a
// zone found missing is remembered too). Thread-safe: find() may be called from any thread.
// BlockFormatter makes one of its own unless FormatOptions::time_zones gives one to share.
class TimeZones {
 public:
  static constexpr std::size_t k_max_cached_zones = 512;

  // `directory` empty: $TZDIR, or /usr/share/zoneinfo.
  explicit TimeZones(std::string directory = {});

  // The zone `name` ("Asia/Tokyo", "UTC"). Throws Error(config) for a name that is not a plausible
  // zone name, a zone that is not installed, or a corrupt file. The UTC aliases work without files.
  std::shared_ptr<const TimeZone> find(std::string_view name) const;

  const std::string& directory() const noexcept { return directory_; }

 private:
  std::string directory_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::shared_ptr<const TimeZone>> zones_;
};

}  // namespace chconn::text
