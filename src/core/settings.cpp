#include "chconn/core/settings.h"

#include <algorithm>

namespace chconn {

Settings::Settings(std::initializer_list<Setting> items) {
  for (const auto& s : items) set(s.name, s.value, s.important);
}

Settings& Settings::set(std::string name, std::string value, bool important) {
  auto it = std::find_if(items_.begin(), items_.end(), [&](const Setting& s) { return s.name == name; });
  if (it != items_.end()) {
    it->value = std::move(value);
    it->important = important;
  } else {
    items_.push_back({std::move(name), std::move(value), important});
  }
  return *this;
}

Settings& Settings::merge(const Settings& other) {
  for (const auto& s : other) set(s.name, s.value, s.important);
  return *this;
}

std::optional<std::string_view> Settings::get(std::string_view name) const {
  for (const auto& s : items_)
    if (s.name == name) return s.value;
  return std::nullopt;
}

bool Settings::erase(std::string_view name) {
  const auto n = std::erase_if(items_, [&](const Setting& s) { return s.name == name; });
  return n > 0;
}

bool is_valid_setting_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 256) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace chconn
