// The types of ClickHouse 18.16's settings, needed to send settings to servers older than
// revision 54429, which read them in a typed binary form (docs/protocol.md, "Settings").
//
// Internal header of the wire layer. The table was taken from the server source of the v18.16
// series (dbms/src/Interpreters/Settings.h and SettingsCommon.{h,cpp}) and checked name by name
// against system.settings of a live 18.16.1 server (184 settings).
//
// Thread safety: immutable data and pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "chconn/wire/io.h"

namespace chconn::wire::detail {

// How the server's Setting* class of a setting reads and writes its value in the binary form.
enum class LegacySettingType : std::uint8_t {
  uint64,        // SettingUInt64: UVarInt
  boolean,       // SettingBool (an alias of SettingUInt64 in 18.16): UVarInt
  int64,         // SettingInt64: zigzag VarInt
  seconds,       // SettingSeconds: UVarInt whole seconds
  milliseconds,  // SettingMilliseconds: UVarInt whole milliseconds
  max_threads,   // SettingMaxThreads: UVarInt, 0 = auto
  float32,       // SettingFloat: String with the decimal text
  string,        // SettingString: String
  character,     // SettingChar: String of exactly one byte
  enumeration,   // SettingLoadBalancing, ...OverflowMode, ...: String, one of `values`
};

struct LegacySetting {
  std::string_view name;
  LegacySettingType type;
  std::span<const std::string_view> values;  // the accepted spellings of an enumeration
};

// The entry for `name`, or null when 18.16 has no such setting.
const LegacySetting* find_legacy_setting(std::string_view name) noexcept;

// All entries, in the server's declaration order.
std::span<const LegacySetting> legacy_settings() noexcept;

// Appends `value` (the setting's text form) in the binary encoding of `setting`'s type, after
// checking that it is a valid value of that type: "true"/"false" are accepted for booleans, "auto"
// for max_threads; durations are whole numbers in the setting's unit. Throws Error(usage) naming the
// setting and the value otherwise.
void write_legacy_setting_value(Writer& out, const LegacySetting& setting, std::string_view value);

}  // namespace chconn::wire::detail
