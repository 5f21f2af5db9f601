// The one reader of ClickHouse's quoted text (core/strings.h).
#include "core/strings.h"

namespace chconn::detail {

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (a lead byte at or above 0x80), or 0 when
// there is none or it encodes a C1 control (U+0080 to U+009F, which some terminals obey).
std::size_t printable_utf8_at(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const std::size_t n = b0 >= 0xC2 && b0 <= 0xDF ? 2 : b0 >= 0xE0 && b0 <= 0xEF ? 3 : b0 >= 0xF0 && b0 <= 0xF4 ? 4 : 0;
  if (n == 0 || n > s.size() - i) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0U) != 0x80U) return 0;
  }
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (b0 == 0xC2 && b1 < 0xA0) return 0;   // C1 controls
  if (b0 == 0xE0 && b1 < 0xA0) return 0;   // overlong
  if (b0 == 0xED && b1 >= 0xA0) return 0;  // surrogates
  if (b0 == 0xF0 && b1 < 0x90) return 0;   // overlong
  if (b0 == 0xF4 && b1 >= 0x90) return 0;  // beyond U+10FFFF
  return n;
}

}  // namespace

std::string message_excerpt(std::string_view text, std::size_t max_bytes) {
  std::size_t cut = text.size();
  if (cut > max_bytes) {
    cut = max_bytes;
    // Not inside a UTF-8 sequence (at most 3 continuation bytes back).
    for (int k = 0; k < 3 && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U; ++k) --cut;
  }
  const std::string_view shown = text.substr(0, cut);
  std::string out = "'";
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const auto u = static_cast<unsigned char>(shown[i]);
    if (u >= 0x80) {
      if (const std::size_t n = printable_utf8_at(shown, i); n != 0) {
        out.append(shown.substr(i, n));
        i += n - 1;
        continue;
      }
    }
    if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      append_hex_byte(out, u);
      continue;
    }
    if (shown[i] == '\'' || shown[i] == '\\') out += '\\';
    out += shown[i];
  }
  out += '\'';
  if (cut < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

QuotedRead read_quoted(std::string_view text, std::size_t open, std::string& out) {
  const char quote = text[open];
  std::size_t pos = open + 1;
  for (;;) {
    const std::size_t next = text.find_first_of(quote == '\''  ? std::string_view("'\\")
                                                : quote == '`' ? std::string_view("`\\")
                                                               : std::string_view("\"\\"),
                                                pos);
    if (next == std::string_view::npos) return {QuotedRead::unterminated, text.size()};
    out.append(text.substr(pos, next - pos));
    pos = next + 1;
    if (text[next] == quote) {
      if (pos < text.size() && text[pos] == quote) {  // a doubled quote stands for itself
        out += quote;
        ++pos;
        continue;
      }
      return {QuotedRead::ok, pos};
    }
    // A backslash: the escape sequence after it.
    if (pos >= text.size()) return {QuotedRead::unterminated, text.size()};
    const char e = text[pos++];
    char decoded = e;
    switch (e) {
      case 'x': {
        if (pos + 1 >= text.size() || hex_value(text[pos]) < 0 || hex_value(text[pos + 1]) < 0) {
          return {QuotedRead::bad_hex, pos - 2};
        }
        out += static_cast<char>(hex_value(text[pos]) * 16 + hex_value(text[pos + 1]));
        pos += 2;
        continue;
      }
      case 'N': continue;  // \N reads as nothing (it is NULL only where a whole field is \N)
      case 'a': decoded = '\a'; break;
      case 'b': decoded = '\b'; break;
      case 'e': decoded = '\x1b'; break;
      case 'f': decoded = '\f'; break;
      case 'n': decoded = '\n'; break;
      case 'r': decoded = '\r'; break;
      case 't': decoded = '\t'; break;
      case 'v': decoded = '\v'; break;
      case '0': decoded = '\0'; break;
      default: break;
    }
    const auto u = static_cast<unsigned char>(decoded);
    const bool control = u < 0x20 || u == 0x7f;
    if (!control && decoded != '\\' && decoded != '\'' && decoded != '"' && decoded != '`' && decoded != '/' &&
        decoded != '=') {
      out += '\\';
    }
    out += decoded;
  }
}

}  // namespace chconn::detail
