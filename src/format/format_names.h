// A text format's names: one lookup for the tables of both directions (InputFormat in input.cpp,
// OutputFormat in text_format.cpp). Private to the format layer.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/strings.h"

namespace chconn::text::detail {

template <class Format>
struct FormatName {
  std::string_view name;
  Format format;
};

// The format `name` names in `names`, in any letter case; nullopt when none.
template <class Format, std::size_t N>
std::optional<Format> format_named(const FormatName<Format> (&names)[N], std::string_view name) noexcept {
  for (const FormatName<Format>& entry : names) {
    if (chconn::detail::iequals(entry.name, name)) return entry.format;
  }
  return std::nullopt;
}

// The first of `format`'s names in `names` (a table lists each canonical name before its aliases);
// "?" when it has none.
template <class Format, std::size_t N>
std::string_view name_of(const FormatName<Format> (&names)[N], Format format) noexcept {
  for (const FormatName<Format>& entry : names) {
    if (entry.format == format) return entry.name;
  }
  return "?";
}

}  // namespace chconn::text::detail
