// The one reader of ClickHouse's quoted text (core/strings.h).
#include "core/strings.h"

namespace chconn::detail {

std::string message_excerpt(std::string_view text, std::size_t max_bytes) {
  std::size_t cut = text.size();
  if (cut > max_bytes) {
    cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) --cut;  // not inside a UTF-8 sequence
  }
  std::string out = "'";
  for (std::size_t i = 0; i < cut; ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      append_hex_byte(out, u);
      continue;
    }
    if (text[i] == '\'' || text[i] == '\\') out += '\\';
    out += text[i];
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
