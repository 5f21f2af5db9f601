// The value readers of dates and times (see input_parser.h): Date, Date32, DateTime and
// DateTime64 in the column's (or the session's) time zone, Time and Time64, from one field's text,
// SQL literal or JSON value, with ClickHouse 18.16's rules.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "chconn/core/error.h"
#include "core/strings.h"
#include "format/input_parser.h"
#include "format/timezone.h"

namespace chconn::text::detail {
namespace {

// YYYY-MM-DD at the start of `s`; the days since 1970-01-01.
bool parse_date(std::string_view s, std::int64_t& days) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  auto num = [&](std::size_t at, std::size_t n, unsigned& v) {
    v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
  };
  unsigned y = 0, m = 0, d = 0;
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d) || m < 1 || m > 12 || d < 1 || d > 31) return false;
  days = days_from_civil(y, m, d);
  return true;
}

class DateReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    std::int64_t days = 0;
    if (s.size() != 10 || !parse_date(s, days)) throw BadValue{"is not a Date (YYYY-MM-DD)"};
    if (days < 0 || days > 0xFFFF) throw BadValue{"is outside the range of Date (1970-01-01 to 2149-06-06)"};
    static_cast<ColumnDate&>(column_).append(static_cast<std::uint16_t>(days));
  }
};

// The zone a DateTime or DateTime64 column's text is in: its own, else the session's, else UTC.
std::shared_ptr<const TimeZone> zone_of(const Column& column, const ReadContext& context) {
  const std::string& own = column.type()->storage_type().time_zone();
  const std::string& zone = own.empty() ? context.time_zone : own;
  return context.zones->find(zone.empty() ? "UTC" : zone);
}

// "YYYY-MM-DD hh:mm:ss" (or with a 'T'), exactly 19 bytes: the wall time in seconds since
// 1970-01-01 00:00:00 of its own zone.
bool parse_wall_time(std::string_view s, std::int64_t& local) {
  std::int64_t days = 0;
  unsigned h = 0, mi = 0, se = 0;
  const auto two = [&](std::size_t at, unsigned& v) {
    if (s[at] < '0' || s[at] > '9' || s[at + 1] < '0' || s[at + 1] > '9') return false;
    v = static_cast<unsigned>((s[at] - '0') * 10 + (s[at + 1] - '0'));
    return true;
  };
  if (s.size() != 19 || !parse_date(s, days) || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' ||
      !two(11, h) || !two(14, mi) || !two(17, se) || h > 23 || mi > 59 || se > 59) {
    return false;
  }
  local = days * 86400 + static_cast<std::int64_t>(h) * 3600 + static_cast<std::int64_t>(mi) * 60 + se;
  return true;
}

// Local wall time to UTC: the offset in force at the instant it names (for a wall time repeated or
// skipped by a change, the offset before it, as ClickHouse's date table does).
std::int64_t wall_to_utc(const TimeZone& zone, std::int64_t local) {
  const std::int64_t guess = local - zone.offset_at(local);
  return local - zone.offset_at(guess);
}

// date_time_input_format = 'best_effort': the forms of ClickHouse 18.16's parseDateTimeBestEffort
// (see chconn/format/input.h), read from the whole text of one field; Unix seconds or the UTC time
// the text names in `zone` (when it names no zone or offset of its own). The scan is one pass over
// the field with a bounded number of digits per step; anything it cannot place is BadValue saying
// where.
class BestEffortDateTime {
 public:
  BestEffortDateTime(std::string_view text, const TimeZone& zone) : s_(text), zone_(zone) {}

  std::int64_t parse() {
    while (pos_ < s_.size()) {
      std::size_t n = 0;
      if (year_ == 0 || !has_time_) {
        const std::string_view d = digits();
        n = d.size();
        if ((n == 9 || n == 10) && year_ == 0 && !has_time_) {
          // Unix seconds; nothing may follow them.
          if (pos_ < s_.size()) fail("after the Unix seconds " + std::string(d));
          return number(d);
        }
        if (n == 14 && year_ == 0 && !has_time_) {  // YYYYMMDDhhmmss
          set_date(d.substr(0, 8));
          hour_ = number(d.substr(8, 2));
          minute_ = number(d.substr(10, 2));
          second_ = number(d.substr(12, 2));
          has_time_ = true;
        } else if (n == 8 && year_ == 0) {  // YYYYMMDD
          set_date(d);
        } else if (n == 6) {
          if (year_ == 0 && month_ == 0) {  // YYYYMM
            year_ = number(d.substr(0, 4));
            month_ = number(d.substr(4, 2));
          } else if (!has_time_) {  // hhmmss
            hour_ = number(d.substr(0, 2));
            minute_ = number(d.substr(2, 2));
            second_ = number(d.substr(4, 2));
            has_time_ = true;
          } else {
            fail("6 digits that can be neither YYYYMM nor hhmmss");
          }
        } else if (n == 4 && year_ == 0) {
          if (!after_year(d)) break;
          continue;
        } else if (n == 1 || n == 2) {
          after_one_or_two(number(d));
        } else if (n != 0) {
          fail(std::to_string(n) + " digits in a row");
        }
      }
      if (n == 0 && !word()) break;
    }
    if (pos_ < s_.size()) fail("unexpected " + chconn::detail::message_excerpt(s_.substr(pos_), 16));
    return utc();
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw BadValue{"is not a DateTime that date_time_input_format 'best_effort' reads: " + what + " (at byte " +
                   std::to_string(pos_ + 1) + ")"};
  }
  static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
  static bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
  static unsigned number(std::string_view d) noexcept {
    unsigned v = 0;
    for (const char c : d) v = v * 10 + static_cast<unsigned>(c - '0');
    return v;
  }
  // At most 14 digits from pos_ (18.16 reads no more at once; the rest are a next number).
  std::string_view digits() noexcept {
    const std::size_t from = pos_;
    while (pos_ < s_.size() && pos_ - from < 14 && is_digit(s_[pos_])) ++pos_;
    return s_.substr(from, pos_ - from);
  }
  bool eat(char c) noexcept {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  // One or two digits (a month, a day, minutes, seconds, an offset's hours or minutes).
  unsigned one_or_two(const char* what) {
    const std::string_view d = digits();
    if (d.size() != 1 && d.size() != 2) fail(std::to_string(d.size()) + " digits for " + what);
    return number(d);
  }
  void set_date(std::string_view yyyymmdd) noexcept {
    year_ = number(yyyymmdd.substr(0, 4));
    month_ = number(yyyymmdd.substr(4, 2));
    day_ = number(yyyymmdd.substr(6, 2));
  }

  // A 4-digit year, then "*M[M]*D[D]" with any one delimiter used twice. False: the field ends here.
  bool after_year(std::string_view d) {
    year_ = number(d);
    if (pos_ >= s_.size()) return true;
    const char delimiter = s_[pos_];
    if (static_cast<unsigned char>(delimiter) < 0x20 || delimiter == ',' || delimiter == ';' || delimiter == '\'' ||
        delimiter == '"') {
      return false;
    }
    if (month_ != 0) return true;
    ++pos_;
    std::string_view m = digits();
    if (m.size() != 1 && m.size() != 2) {
      // After a space the digits were something else (18.16 drops them: "2018 010203" is 2018-01-01).
      if (delimiter == ' ') return true;
      fail(std::to_string(m.size()) + " digits for the month after the year");
    }
    month_ = number(m);
    if (day_ == 0 && eat(delimiter)) {
      m = digits();
      if (m.size() != 1 && m.size() != 2) {
        if (delimiter == ' ') return true;
        fail(std::to_string(m.size()) + " digits for the day after the year and month");
      }
      day_ = number(m);
    }
    return true;
  }

  // One or two digits: hh:mm[:ss], DD/MM[/YY[YY]], else a day (or an hour once the day is known).
  void after_one_or_two(unsigned v) {
    if (eat(':')) {
      if (has_time_) fail("a second time of day");
      hour_ = v;
      has_time_ = true;
      minute_ = one_or_two("the minutes");
      if (eat(':')) second_ = one_or_two("the seconds");
    } else if (eat('/')) {
      if (day_ != 0 || month_ != 0) fail("a second day or month");
      day_ = v;
      month_ = one_or_two("the month");
      if (eat('/')) {
        if (year_ != 0) fail("a second year");
        const std::string_view y = digits();
        if (y.size() == 4) {
          year_ = number(y);
        } else if (y.size() == 2) {
          year_ = number(y) + (number(y) >= 70 ? 1900 : 2000);
        } else {
          fail(std::to_string(y.size()) + " digits for the year");
        }
      }
    } else if (day_ != 0) {
      hour_ = v;
    } else {
      day_ = v;
    }
  }

  // What is not a number: a separator, a zone or offset, a fraction, a word. False: the field ends
  // here (something none of them starts with).
  bool word() {
    const char c = s_[pos_];
    if (c == ' ' || c == 'T') {
      ++pos_;
    } else if (c == 'Z') {
      ++pos_;
      has_offset_ = true;
    } else if (c == '.') {
      if (!has_time_) fail("a '.' before any time of day");
      ++pos_;
      (void)digits();  // a fraction of a second: dropped
    } else if (c == '+' || c == '-') {
      ++pos_;
      has_offset_ = true;
      offset_sign_ = c == '-' ? -1 : 1;
      const std::string_view d = digits();
      if (d.size() == 4 || d.size() == 3) {
        offset_minutes_ = number(d.substr(0, d.size() - 2)) * 60 + number(d.substr(d.size() - 2));
      } else if (d.size() == 2 || d.size() == 1) {
        offset_minutes_ = number(d) * 60;
        if (eat(':')) offset_minutes_ += one_or_two("the offset's minutes");
      } else {
        fail(std::to_string(d.size()) + " digits for the offset from UTC");
      }
    } else {
      std::size_t end = pos_;
      while (end < s_.size() && is_alpha(s_[end])) ++end;
      if (end == pos_) return false;
      const std::string_view w = s_.substr(pos_, std::min<std::size_t>(end - pos_, 3));
      if (w.size() == 1) fail("a lone letter");
      if (w.size() == 2) {
        if (!chconn::detail::iequals(w, "AM") && !chconn::detail::iequals(w, "PM")) fail("an unknown word");
        pm_ = pm_ || chconn::detail::iequals(w, "PM");
        pos_ = end;
      } else {
        const Word kind = three_letters(w);
        if (kind == Word::unknown) fail("an unknown word");
        pos_ = end;
        if (kind == Word::weekday) eat(',');  // RFC 2822: "Tue, 02 Jan 2018"
      }
    }
    return true;
  }

  enum class Word : std::uint8_t { unknown, known, weekday };
  // A month, a zone or a weekday by its first three letters (the caller skips the rest of the word).
  Word three_letters(std::string_view w) {
    static constexpr std::string_view k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static constexpr std::string_view k_days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    const auto is = [&](std::string_view name) { return chconn::detail::iequals(w, name); };
    for (unsigned i = 0; i < 12; ++i) {
      if (!is(k_months[i])) continue;
      month_ = i + 1;
      return Word::known;
    }
    if (is("UTC") || is("GMT") || is("MSK") || is("MSD")) {
      has_offset_ = true;
      offset_sign_ = 1;
      offset_minutes_ = is("MSK") ? 180 : is("MSD") ? 240 : 0;
      return Word::known;
    }
    for (const std::string_view day : k_days) {
      if (is(day)) return Word::weekday;
    }
    return Word::unknown;
  }

  std::int64_t utc() {
    const unsigned year = year_ == 0 ? 2000 : year_;
    const unsigned month = month_ == 0 ? 1 : month_;
    const unsigned day = day_ == 0 ? 1 : day_;
    if (pm_ && hour_ < 12) hour_ += 12;
    if (month > 12 || day > 31 || hour_ > 23 || minute_ > 59 || second_ > 59) {
      throw BadValue{"is not a valid date and time (month, day, hour, minute or second out of range)"};
    }
    const std::int64_t wall = days_from_civil(year, month, day) * 86400 + static_cast<std::int64_t>(hour_) * 3600 +
                              static_cast<std::int64_t>(minute_) * 60 + second_;
    return has_offset_ ? wall - offset_sign_ * static_cast<std::int64_t>(offset_minutes_) * 60
                       : wall_to_utc(zone_, wall);
  }

  std::string_view s_;
  const TimeZone& zone_;
  std::size_t pos_ = 0;
  unsigned year_ = 0, month_ = 0, day_ = 0, hour_ = 0, minute_ = 0, second_ = 0;
  bool has_time_ = false;
  bool has_offset_ = false;
  int offset_sign_ = 1;
  unsigned offset_minutes_ = 0;
  bool pm_ = false;
};

class DateTimeReader final : public ValueReader {
 public:
  DateTimeReader(Column& column, const ReadContext& context)
      : ValueReader(column),
        zone_(zone_of(column, context)),
        best_effort_(context.date_time_input_format == DateTimeInputFormat::best_effort) {}
  void text(std::string_view s) override {
    std::int64_t utc = 0;
    if (best_effort_) {
      utc = BestEffortDateTime(s, *zone_).parse();
    } else if (s.size() == 19) {
      std::int64_t local = 0;
      if (!parse_wall_time(s, local)) throw BadValue{"is not a DateTime (YYYY-MM-DD hh:mm:ss)"};
      utc = wall_to_utc(*zone_, local);
    } else if (!parse_integer(s, utc)) {
      throw BadValue{"is not a DateTime (YYYY-MM-DD hh:mm:ss, or Unix seconds)"};
    }
    if (utc < 0 || utc > 0xFFFFFFFFLL) throw BadValue{"is outside the range of DateTime"};
    static_cast<ColumnDateTime&>(column_).append(static_cast<std::uint32_t>(utc));
  }

 private:
  std::shared_ptr<const TimeZone> zone_;
  bool best_effort_;
};

// The range current servers give Date32 and DateTime64: 1900-01-01 to 2299-12-31 (days since
// 1970-01-01; a DateTime64's seconds are bounded by the same days in UTC).
constexpr std::int64_t k_first_day = -25567;  // 1900-01-01
constexpr std::int64_t k_last_day = 120529;   // 2299-12-31

class Date32Reader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    std::int64_t days = 0;
    if (s.size() != 10 || !parse_date(s, days)) throw BadValue{"is not a Date32 (YYYY-MM-DD)"};
    if (days < k_first_day || days > k_last_day) {
      throw BadValue{"is outside the range of Date32 (1900-01-01 to 2299-12-31)"};
    }
    static_cast<ColumnDate32&>(column_).append(static_cast<std::int32_t>(days));
  }
};

// DateTime64(p[, 'tz']), with the current server's rules (checked on ClickHouse 26.7): a wall time
// "YYYY-MM-DD hh:mm:ss[.f...]", a date "YYYY-MM-DD" or "YYYYMMDD" (its midnight), both in the
// column's zone (else the session's), or Unix seconds of 9 or 10 digits "s[.f...]" (no sign: the
// server reads a shorter, longer or signed number as something else or not at all). Fewer than p
// fraction digits are padded with zeros, digits beyond p are dropped (truncated, not rounded).
class DateTime64Reader final : public ValueReader {
 public:
  DateTime64Reader(Column& column, const ReadContext& context)
      : ValueReader(column), zone_(zone_of(column, context)), precision_(column.type()->storage_type().precision()) {}
  void text(std::string_view s) override {
    const std::size_t point = s.find('.');
    const std::string_view whole = s.substr(0, point);
    const std::string_view fraction = point == std::string_view::npos ? std::string_view{} : s.substr(point + 1);
    const auto all_digits = [](std::string_view d) {
      return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    std::int64_t seconds = 0;
    std::int64_t local = 0;
    std::int64_t days = 0;
    if (whole.size() == 19 && parse_wall_time(whole, local)) {
      seconds = wall_to_utc(*zone_, local);
    } else if (whole.size() == 10 && point == std::string_view::npos && parse_date(whole, days)) {
      seconds = wall_to_utc(*zone_, days * 86400);
    } else if (whole.size() == 8 && point == std::string_view::npos && all_digits(whole)) {
      const std::string dashed = std::string(whole.substr(0, 4)) + "-" + std::string(whole.substr(4, 2)) + "-" +
                                 std::string(whole.substr(6, 2));
      if (!parse_date(dashed, days)) throw BadValue{bad()};
      seconds = wall_to_utc(*zone_, days * 86400);
    } else if ((whole.size() == 9 || whole.size() == 10) && all_digits(whole)) {
      for (const char c : whole) seconds = seconds * 10 + (c - '0');
    } else {
      throw BadValue{bad()};
    }
    if (!all_digits(fraction)) throw BadValue{bad()};
    std::int64_t ticks_in_second = 0;
    for (std::size_t i = 0; i < precision_; ++i) {
      ticks_in_second = ticks_in_second * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    }
    if (seconds < k_first_day * 86400 || seconds > k_last_day * 86400 + 86399) {
      throw BadValue{"is outside the range of DateTime64 (1900-01-01 to 2299-12-31)"};
    }
    std::int64_t scale = 1;
    for (std::uint32_t i = 0; i < precision_; ++i) scale *= 10;
    const Int128 ticks = static_cast<Int128>(seconds) * scale + ticks_in_second;
    if (ticks < std::numeric_limits<std::int64_t>::min() || ticks > std::numeric_limits<std::int64_t>::max()) {
      throw BadValue{"is outside the range of " + column_.type()->name() + " (Int64 ticks)"};
    }
    static_cast<ColumnDateTime64&>(column_).append(static_cast<std::int64_t>(ticks));
  }

 private:
  std::string bad() const {
    return "is not a " + column_.type()->name() +
           " (YYYY-MM-DD hh:mm:ss[.fraction], YYYY-MM-DD, or Unix seconds[.fraction])";
  }
  std::shared_ptr<const TimeZone> zone_;
  std::uint32_t precision_;
};

// Time and Time64(p), as the current server reads them (checked on 26.7): "[-]hh:mm:ss" with 2 or
// 3 digits of hours (up to 999:59:59), and for Time64 a fraction, padded or truncated to p digits;
// a '-' makes the whole value negative. The engine's other forms (mm:ss, a bare number of seconds,
// minute 60 carried into the hour) are refused.
class TimeReader final : public ValueReader {
 public:
  TimeReader(Column& column, bool wide)
      : ValueReader(column), wide_(wide), precision_(wide ? column.type()->storage_type().precision() : 0) {}
  void text(std::string_view s) override {
    const bool negative = !s.empty() && s.front() == '-';
    if (negative) s.remove_prefix(1);
    const std::size_t point = s.find('.');
    const std::string_view clock = s.substr(0, point);
    const std::string_view fraction = point == std::string_view::npos ? std::string_view{} : s.substr(point + 1);
    const auto digits = [](std::string_view d) {
      return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    const std::size_t hours_len = clock.size() >= 8 ? clock.size() - 6 : 0;
    if ((hours_len != 2 && hours_len != 3) || clock[hours_len] != ':' || clock[hours_len + 3] != ':' ||
        !digits(clock.substr(0, hours_len)) || !digits(clock.substr(hours_len + 1, 2)) ||
        !digits(clock.substr(hours_len + 4, 2)) || (point != std::string_view::npos && !wide_) ||
        (point != std::string_view::npos && !digits(fraction))) {
      throw BadValue{"is not a " + column_.type()->name() + " ([-]hh:mm:ss" + (wide_ ? "[.fraction])" : ")")};
    }
    const auto number = [](std::string_view d) {
      std::int64_t v = 0;
      for (const char c : d) v = v * 10 + (c - '0');
      return v;
    };
    const std::int64_t minutes = number(clock.substr(hours_len + 1, 2));
    const std::int64_t secs = number(clock.substr(hours_len + 4, 2));
    if (minutes > 59 || secs > 59) throw BadValue{"has minutes or seconds past 59"};
    const std::int64_t seconds = number(clock.substr(0, hours_len)) * 3600 + minutes * 60 + secs;
    if (!wide_) {
      static_cast<ColumnTime&>(column_).append(static_cast<std::int32_t>(negative ? -seconds : seconds));
      return;
    }
    std::int64_t ticks = seconds;
    for (std::uint32_t i = 0; i < precision_; ++i) ticks = ticks * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    static_cast<ColumnTime64&>(column_).append(negative ? -ticks : ticks);
  }

 private:
  bool wide_;
  std::uint32_t precision_;
};

}  // namespace

ReaderPtr make_time_reader(Column& column, const ReadContext& context) {
  switch (column.type()->storage_type().code()) {
    case TypeCode::Date: return std::make_unique<DateReader>(column);
    case TypeCode::DateTime: return std::make_unique<DateTimeReader>(column, context);
    case TypeCode::Date32: return std::make_unique<Date32Reader>(column);
    case TypeCode::DateTime64: return std::make_unique<DateTime64Reader>(column, context);
    case TypeCode::Time: return std::make_unique<TimeReader>(column, false);
    case TypeCode::Time64: return std::make_unique<TimeReader>(column, true);
    default: return nullptr;
  }
}

}  // namespace chconn::text::detail
