// Settings: ClickHouse query/session settings as an ordered list of name → value text.
//
// Values are kept in their text form ("4", "zstd", "0.5"). The wire layer encodes them in the form
// the server understands (typed binary for old servers, strings for modern ones).
//
// Thread safety: a value type; no internal synchronisation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chconn {

struct Setting {
  std::string name;
  std::string value;
  // Modern servers reject an unknown "important" setting instead of ignoring it.
  bool important = false;

  friend bool operator==(const Setting&, const Setting&) = default;
};

class Settings {
 public:
  Settings() = default;
  Settings(std::initializer_list<Setting> items);

  // Sets `name` to `value`, replacing an earlier value of the same name (keeping its position).
  Settings& set(std::string name, std::string value, bool important = false);
  // Copies every setting of `other` over this one's.
  Settings& merge(const Settings& other);
  std::optional<std::string_view> get(std::string_view name) const;
  bool erase(std::string_view name);

  bool empty() const noexcept { return items_.empty(); }
  std::size_t size() const noexcept { return items_.size(); }
  auto begin() const noexcept { return items_.begin(); }
  auto end() const noexcept { return items_.end(); }

  friend bool operator==(const Settings&, const Settings&) = default;

 private:
  std::vector<Setting> items_;
};

// True when `name` is a plausible setting name: [A-Za-z0-9_]+, at most 256 characters.
bool is_valid_setting_name(std::string_view name) noexcept;

}  // namespace chconn
