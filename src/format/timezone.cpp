// TZif reading and POSIX TZ rules; see timezone.h.
#include "format/timezone.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "chconn/core/error.h"

namespace chconn::text {

// ===== Calendar ===================================================================================

// The days ↔ civil date conversions count in 400-year eras of 146097 days, with years starting
// on March 1 so that the leap day is the last day of a year; this keeps them exact for any input.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<std::uint64_t>(year - era * 400);
  const std::uint64_t shifted_month = month > 2 ? month - 3 : month + 9;  // March = 0
  const std::uint64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const std::uint64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

CivilDate civil_from_days(std::int64_t days) noexcept {
  days += 719468;  // shift the epoch to 0000-03-01
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<std::uint64_t>(days - era * 146097);
  const std::uint64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::uint64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::uint64_t shifted_month = (5 * day_of_year + 2) / 153;
  CivilDate date;
  date.day = static_cast<unsigned>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  date.month = static_cast<unsigned>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  date.year = static_cast<std::int64_t>(year_of_era) + era * 400 + (date.month <= 2 ? 1 : 0);
  return date;
}

namespace {

constexpr std::int64_t k_day = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

bool is_leap(std::int64_t year) noexcept { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned days_in_month(std::int64_t year, unsigned month) noexcept {
  static constexpr unsigned k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : k_days[month - 1];
}

// ===== POSIX TZ strings ===========================================================================

class TzParser {
 public:
  explicit TzParser(std::string_view text) : text_(text) {}

  bool at_end() const noexcept { return pos_ == text_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }
  bool consume(char c) noexcept {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  // A zone abbreviation: letters, or anything but '>' inside <...>.
  bool name() noexcept {
    if (consume('<')) {
      const std::size_t end = text_.find('>', pos_);
      if (end == std::string_view::npos || end == pos_) return false;
      pos_ = end + 1;
      return true;
    }
    const std::size_t start = pos_;
    while (!at_end() && ((peek() >= 'A' && peek() <= 'Z') || (peek() >= 'a' && peek() <= 'z'))) ++pos_;
    return pos_ - start >= 3;
  }

  bool number(int max, int& value) noexcept {
    if (peek() < '0' || peek() > '9') return false;
    value = 0;
    while (peek() >= '0' && peek() <= '9') {
      value = value * 10 + (text_[pos_++] - '0');
      if (value > max) return false;
    }
    return true;
  }

  // [+-]hh[:mm[:ss]] in seconds; hours up to `max_hours`.
  bool clock(int max_hours, std::int32_t& seconds) noexcept {
    int sign = 1;
    if (consume('-'))
      sign = -1;
    else
      consume('+');
    int h = 0, m = 0, s = 0;
    if (!number(max_hours, h)) return false;
    if (consume(':')) {
      if (!number(59, m)) return false;
      if (consume(':') && !number(59, s)) return false;
    }
    seconds = sign * (h * 3600 + m * 60 + s);
    return true;
  }

  bool transition(PosixTzRule::Transition& t) noexcept {
    using Kind = PosixTzRule::Transition::Kind;
    if (consume('J')) {
      t.kind = Kind::julian1;
      if (!number(365, t.day) || t.day < 1) return false;
    } else if (consume('M')) {
      t.kind = Kind::month_week_day;
      if (!number(12, t.month) || t.month < 1 || !consume('.') || !number(5, t.week) || t.week < 1 || !consume('.') ||
          !number(6, t.day)) {
        return false;
      }
    } else {
      t.kind = Kind::julian0;
      if (!number(365, t.day)) return false;
    }
    t.time = 7200;
    // RFC 8536 §3.3.1 extends the time to -167..167 hours.
    if (consume('/') && !clock(167, t.time)) return false;
    return true;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// The local day (days since the epoch) on which `t` falls in `year`.
std::int64_t transition_day(const PosixTzRule::Transition& t, std::int64_t year) noexcept {
  using Kind = PosixTzRule::Transition::Kind;
  const std::int64_t jan1 = days_from_civil(year, 1, 1);
  switch (t.kind) {
    case Kind::julian1:  // 1..365, February 29 never counted
      return jan1 + t.day - 1 + (is_leap(year) && t.day >= 60 ? 1 : 0);
    case Kind::julian0:  // 0..365, February 29 counted
      return jan1 + t.day;
    case Kind::month_week_day: {
      const auto month = static_cast<unsigned>(t.month);
      const std::int64_t first = days_from_civil(year, month, 1);
      const std::int64_t first_weekday = ((first + 4) % 7 + 7) % 7;  // 0 = Sunday; 1970-01-01 was a Thursday
      std::int64_t day = 1 + (t.day - first_weekday + 7) % 7 + (t.week - 1) * std::int64_t{7};
      while (day > days_in_month(year, month)) day -= 7;
      return first + day - 1;
    }
  }
  return jan1;
}

}  // namespace

bool PosixTzRule::parse(std::string_view text, PosixTzRule& rule) {
  TzParser p(text);
  PosixTzRule r;
  std::int32_t offset = 0;
  // POSIX offsets count west of Greenwich; ours count east.
  if (!p.name() || !p.clock(24, offset)) return false;
  r.std_offset = -offset;
  if (p.at_end()) {
    rule = r;
    return true;
  }
  if (!p.name()) return false;
  r.has_dst = true;
  r.dst_offset = r.std_offset + 3600;
  if (p.peek() != ',' && !p.at_end()) {
    if (!p.clock(24, offset)) return false;
    r.dst_offset = -offset;
  }
  if (p.consume(',')) {
    if (!p.transition(r.start) || !p.consume(',') || !p.transition(r.end)) return false;
  } else {
    // No rules: POSIX leaves them to the implementation; use the United States' (as glibc does).
    r.start = {Transition::Kind::month_week_day, 0, 2, 3, 7200};
    r.end = {Transition::Kind::month_week_day, 0, 1, 11, 7200};
  }
  if (!p.at_end()) return false;
  rule = r;
  return true;
}

std::int32_t PosixTzRule::offset_at(std::int64_t utc_seconds) const noexcept {
  if (!has_dst) return std_offset;
  const std::int64_t year = civil_from_days(floor_div(utc_seconds + std_offset, k_day)).year;
  // The start is written in standard time, the end in daylight time.
  const std::int64_t start_utc = transition_day(start, year) * k_day + start.time - std_offset;
  const std::int64_t end_utc = transition_day(end, year) * k_day + end.time - dst_offset;
  const bool dst = start_utc < end_utc ? (utc_seconds >= start_utc && utc_seconds < end_utc)
                                       : !(utc_seconds >= end_utc && utc_seconds < start_utc);
  return dst ? dst_offset : std_offset;
}

// ===== TZif ======================================================================================

namespace {

[[noreturn]] void bad_file(const std::string& name, const std::string& what) {
  throw Error(ErrorKind::config, "time zone file of '" + name + "' is corrupt or unsupported: " + what);
}

class ByteReader {
 public:
  ByteReader(std::string_view bytes, const std::string& name) : bytes_(bytes), name_(name) {}
  std::size_t pos() const noexcept { return pos_; }
  std::size_t left() const noexcept { return bytes_.size() - pos_; }
  void need(std::size_t n) const {
    if (n > left()) bad_file(name_, "truncated at byte " + std::to_string(pos_));
  }
  void skip(std::size_t n) {
    need(n);
    pos_ += n;
  }
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(bytes_[pos_++]);
  }
  std::uint32_t be32() {
    need(4);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(bytes_[pos_++]);
    return v;
  }
  std::uint64_t be64() {
    need(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(bytes_[pos_++]);
    return v;
  }
  std::string_view rest() const noexcept { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  const std::string& name_;
  std::size_t pos_ = 0;
};

struct TzifHeader {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;

  std::size_t data_size(std::size_t time_size) const noexcept {
    return std::size_t{timecnt} * time_size + timecnt + std::size_t{typecnt} * 6 + charcnt +
           std::size_t{leapcnt} * (time_size + 4) + isstdcnt + isutcnt;
  }
};

TzifHeader read_header(ByteReader& in, const std::string& name) {
  in.need(44);
  const std::string_view magic = in.rest().substr(0, 4);
  if (magic != "TZif") bad_file(name, "no TZif magic");
  in.skip(4);
  TzifHeader h;
  h.version = static_cast<char>(in.u8());
  in.skip(15);
  h.isutcnt = in.be32();
  h.isstdcnt = in.be32();
  h.leapcnt = in.be32();
  h.timecnt = in.be32();
  h.typecnt = in.be32();
  h.charcnt = in.be32();
  // Bounds well above anything in tzdata, so that a corrupt count cannot make us allocate much.
  if (h.typecnt == 0 || h.typecnt > 256) bad_file(name, "bad local time type count");
  if (h.timecnt > 100000 || h.leapcnt > 10000 || h.charcnt > 65536) bad_file(name, "counts too large");
  if ((h.isutcnt != 0 && h.isutcnt != h.typecnt) || (h.isstdcnt != 0 && h.isstdcnt != h.typecnt)) {
    bad_file(name, "bad indicator counts");
  }
  return h;
}

bool is_utc_alias(std::string_view name) noexcept {
  for (std::string_view alias : {"UTC", "Etc/UTC", "UCT", "Etc/UCT", "GMT", "Etc/GMT", "Universal", "Etc/Universal",
                                 "Zulu", "Etc/Zulu", "GMT0", "Etc/GMT0"}) {
    if (name == alias) return true;
  }
  return false;
}

}  // namespace

bool TimeZone::valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 255 || name.front() == '/') return false;
  std::size_t component_start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '/') {
      const std::string_view component = name.substr(component_start, i - component_start);
      // No empty, hidden or parent components: the name must stay inside the zoneinfo folder.
      if (component.empty() || component.front() == '.') return false;
      component_start = i + 1;
      continue;
    }
    const char c = name[i];
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '+' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::shared_ptr<const TimeZone> TimeZone::fixed(std::string name, std::int32_t utc_offset) {
  auto zone = std::make_shared<TimeZone>();
  zone->name_ = std::move(name);
  zone->initial_offset_ = utc_offset;
  return zone;
}

std::shared_ptr<const TimeZone> TimeZone::from_tzif(std::string name, std::string_view bytes) {
  if (bytes.size() > k_max_file_bytes) bad_file(name, "file larger than " + std::to_string(k_max_file_bytes));
  ByteReader in(bytes, name);
  TzifHeader h = read_header(in, name);
  std::size_t time_size = 4;
  if (h.version >= '2') {
    // Skip the 32-bit block: the 64-bit one after it covers all of the DateTime range.
    in.skip(h.data_size(4));
    h = read_header(in, name);
    time_size = 8;
  }
  in.need(h.data_size(time_size));

  auto zone = std::make_shared<TimeZone>();
  zone->name_ = std::move(name);
  zone->transitions_.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    const std::int64_t t = time_size == 8 ? static_cast<std::int64_t>(in.be64()) : static_cast<std::int32_t>(in.be32());
    if (!zone->transitions_.empty() && t <= zone->transitions_.back())
      bad_file(zone->name_, "transitions not ascending");
    zone->transitions_.push_back(t);
  }
  zone->transition_type_.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    const std::uint8_t type = in.u8();
    if (type >= h.typecnt) bad_file(zone->name_, "transition to a missing local time type");
    zone->transition_type_.push_back(type);
  }
  for (std::uint32_t i = 0; i < h.typecnt; ++i) {
    const auto utoff = static_cast<std::int32_t>(in.be32());
    if (utoff < -26 * 3600 || utoff > 26 * 3600) bad_file(zone->name_, "UTC offset out of range");
    zone->offsets_.push_back(utoff);
    in.skip(2);  // isdst, abbreviation index: not needed to print times
  }
  in.skip(h.charcnt + std::size_t{h.leapcnt} * (time_size + 4) + h.isstdcnt + h.isutcnt);
  // RFC 8536 §3.2: before the first transition, local time type 0 applies.
  zone->initial_offset_ = zone->offsets_[0];

  if (time_size == 8 && in.left() > 0) {
    const std::string_view footer = in.rest();
    if (footer.front() != '\n') bad_file(zone->name_, "footer does not start with a newline");
    const std::size_t end = footer.find('\n', 1);
    if (end == std::string_view::npos) bad_file(zone->name_, "footer does not end with a newline");
    const std::string_view tz = footer.substr(1, end - 1);
    if (!tz.empty()) {
      if (!PosixTzRule::parse(tz, zone->rule_))
        bad_file(zone->name_, "cannot read the TZ rule '" + std::string(tz) + "'");
      zone->has_rule_ = true;
    }
  }
  return zone;
}

TimeZones::TimeZones(std::string directory) : directory_(std::move(directory)) {
  if (directory_.empty()) {
    const char* dir_env = std::getenv("TZDIR");
    directory_ = dir_env && *dir_env ? dir_env : "/usr/share/zoneinfo";
  }
}

std::shared_ptr<const TimeZone> TimeZones::find(std::string_view name) const {
  if (!TimeZone::valid_name(name)) {
    throw Error(ErrorKind::config, "'" + std::string(name) + "' is not a valid time zone name");
  }
  const std::string key(name);
  {
    std::lock_guard lock(mutex_);
    if (auto it = zones_.find(key); it != zones_.end()) {
      if (it->second) return it->second;
      throw Error(ErrorKind::config, "time zone '" + key + "' is not installed (install the tzdata package)");
    }
  }
  // Read outside the lock: another thread may load the same zone meanwhile; the first stored wins.
  std::shared_ptr<const TimeZone> zone;
  std::ifstream file(directory_ + "/" + key, std::ios::binary);
  std::string bytes;
  if (file) {
    bytes.resize(TimeZone::k_max_file_bytes + 1);
    file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(file.gcount()));
  }
  if (!bytes.empty()) {
    zone = TimeZone::from_tzif(key, bytes);
  } else if (is_utc_alias(key)) {
    zone = TimeZone::fixed(key, 0);  // works on machines without tzdata
  }
  std::lock_guard lock(mutex_);
  auto [it, inserted] = zones_.emplace(key, zone);
  if (!inserted) {
    zone = it->second;
  } else if (zones_.size() > k_max_cached_zones) {
    zones_.erase(it);  // full: answer this call, but do not keep it
  }
  if (!zone) throw Error(ErrorKind::config, "time zone '" + key + "' is not installed (install the tzdata package)");
  return zone;
}

std::int32_t TimeZone::offset_at(std::int64_t utc_seconds) const noexcept {
  if (transitions_.empty()) return has_rule_ ? rule_.offset_at(utc_seconds) : initial_offset_;
  if (utc_seconds < transitions_.front()) return initial_offset_;
  if (has_rule_ && utc_seconds >= transitions_.back()) return rule_.offset_at(utc_seconds);
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  const auto index = static_cast<std::size_t>(std::distance(transitions_.begin(), it)) - 1;
  return offsets_[transition_type_[index]];
}

LocalTime TimeZone::to_local(std::int64_t utc_seconds) const noexcept {
  LocalTime local;
  local.utc_offset = offset_at(utc_seconds);
  const std::int64_t wall = utc_seconds + local.utc_offset;
  local.days = floor_div(wall, k_day);
  local.second_of_day = static_cast<std::int32_t>(wall - local.days * k_day);
  return local;
}

std::int64_t TimeZone::local_midnight(std::int64_t days) const noexcept {
  const std::int64_t wall = days * k_day;
  // Offsets well before and well after this midnight (UTC offsets are within ±26 h).
  const std::int32_t before = offset_at(wall - 2 * k_day);
  const std::int32_t after = offset_at(wall + 2 * k_day);
  if (offset_at(wall - before) == before) return wall - before;
  if (offset_at(wall - after) == after) return wall - after;
  return wall - before;  // skipped by a change: reckoned with the earlier offset
}

bool TimeZone::whole_hour_offsets() const {
  std::call_once(whole_hours_once_, [this] {
    constexpr std::int64_t k_end = std::int64_t{1} << 32;  // the end of the DateTime range
    bool whole = offset_at(0) % 3600 == 0;
    for (std::size_t i = 0; i < transitions_.size(); ++i) {
      if (transitions_[i] >= 0 && transitions_[i] < k_end) whole = whole && offsets_[transition_type_[i]] % 3600 == 0;
    }
    if (has_rule_ && (transitions_.empty() || transitions_.back() < k_end)) {
      whole = whole && rule_.std_offset % 3600 == 0 && (!rule_.has_dst || rule_.dst_offset % 3600 == 0);
    }
    whole_hours_ = whole;
  });
  return whole_hours_;
}

TimeZone::LegacyClock TimeZone::legacy_clock(std::int64_t utc_seconds) const {
  LegacyClock clock;
  // The day: the UTC day number if the instant lies within that local day (from its midnight to
  // the next), else the neighbouring day that holds it. Around a midnight repeated by a change
  // this picks the later day, where the true wall clock is still on the earlier one.
  const std::int64_t guess = floor_div(utc_seconds, k_day);
  std::int64_t start = 0, next = 0;
  auto holds = [&](std::int64_t day) {
    start = local_midnight(day);
    next = local_midnight(day + 1);
    return (day == 0 || utc_seconds >= start) && utc_seconds < next;
  };
  const std::int64_t first = offset_at(0) >= 0 ? guess + 1 : guess - 1;
  const std::int64_t second = offset_at(0) >= 0 ? guess - 1 : guess + 1;
  if (holds(guess))
    clock.days = guess;
  else if (holds(first))
    clock.days = first;
  else if (holds(second))
    clock.days = second;
  else {
    clock.days = first;
    holds(first);
  }
  const std::int64_t change = k_day - (next - start);
  std::int64_t since_midnight = utc_seconds - start;
  if (change != 0) {
    // The table finds the change on a 15-minute grid from midnight; one at midnight itself (the
    // offset at midnight is already the new one) is never applied.
    const std::int32_t at_start = offset_at(start);
    for (std::int64_t step = 900; step < next - start; step += 900) {
      if (offset_at(start + step) != at_start) {
        if (since_midnight >= step) since_midnight += change;
        break;
      }
    }
  }
  clock.hour = floor_div(since_midnight, 3600);
  const std::int64_t minutes = whole_hour_offsets() ? floor_div(utc_seconds, 60) : floor_div(utc_seconds - start, 60);
  clock.minute = static_cast<unsigned>(((minutes % 60) + 60) % 60);
  clock.second = static_cast<unsigned>(((utc_seconds % 60) + 60) % 60);
  return clock;
}

}  // namespace chconn::text
