// JSONEachRow input (see input_parser.h): one JSON object per row, keys naming columns; and the
// minimal JSON reader the value readers use for a field's JSON value.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/strings.h"
#include "format/input_parser.h"

namespace chconn::text::detail {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

void Json::expect(char c) {
  if (!at(c)) throw BadValue{std::string("expected '") + c + "' in the JSON" + where()};
  ++pos_;
}

std::string Json::where() const {
  if (pos_ >= text_.size()) return " at its end";
  return " before " + excerpt(text_.substr(pos_, 16));
}

std::string Json::string() {
  expect('"');
  std::string out;
  for (;;) {
    if (pos_ >= text_.size()) throw BadValue{"has an unterminated JSON string"};
    const char c = text_[pos_++];
    if (c == '"') return out;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (pos_ >= text_.size()) throw BadValue{"has an unterminated JSON string"};
    const char e = text_[pos_++];
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t cp = hex4();
        if (cp >= 0xD800 && cp < 0xDC00 && pos_ + 1 < text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u') {
          pos_ += 2;
          const std::uint32_t low = hex4();
          if (low >= 0xDC00 && low < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        append_utf8(out, cp);
        break;
      }
      default: out += e; break;  // \" \\ \/ and others stand for themselves
    }
  }
}

std::string_view Json::bare() {
  skip_space();
  const std::size_t begin = pos_;
  while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ']' && text_[pos_] != ':' &&
         !chconn::detail::is_space(text_[pos_])) {
    ++pos_;
  }
  if (pos_ == begin) throw BadValue{"has no JSON value" + where()};
  return text_.substr(begin, pos_ - begin);
}

void Json::skip_value(int depth) {
  if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
  if (at('"')) {
    string();
  } else if (eat('[')) {
    if (eat(']')) return;
    do skip_value(depth + 1);
    while (eat(','));
    expect(']');
  } else if (eat('{')) {
    if (eat('}')) return;
    do {
      string();
      expect(':');
      skip_value(depth + 1);
    } while (eat(','));
    expect('}');
  } else {
    bare();
  }
}

std::uint32_t Json::hex4() {
  if (pos_ + 4 > text_.size()) throw BadValue{"has a bad \\u escape"};
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int d = chconn::detail::hex_value(text_[pos_ + static_cast<std::size_t>(i)]);
    if (d < 0) throw BadValue{"has a bad \\u escape"};
    v = v * 16 + static_cast<std::uint32_t>(d);
  }
  pos_ += 4;
  return v;
}

namespace {

class JsonEachRowParser final : public RowParser {
 public:
  using RowParser::RowParser;

 private:
  // One {...} object, after the blanks and the one ',' or ';' that may come before it.
  std::optional<std::string_view> scan() override {
    if (!skip_json_row_separator()) return std::nullopt;
    line_ = next_line_;
    if (input_.rest().front() != '{')
      throw BadValue{"does not start with '{': " + excerpt(input_.rest().substr(0, 16))};
    std::size_t i = 0;
    int depth = 0;
    bool in_string = false;
    for (;;) {
      const std::string_view r = input_.rest();
      while (i < r.size()) {
        const char c = r[i];
        if (in_string) {
          if (c == '\\') {
            if (i + 1 >= r.size()) break;
            i += 2;
            continue;
          }
          if (c == '"') in_string = false;
          ++i;
          continue;
        }
        if (c == '"') in_string = true;
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
          if (--depth == 0) {
            input_.consume(i + 1);
            const std::string_view row = r.substr(0, i + 1);
            count_lines(row, 0);
            return row;
          }
        }
        ++i;
      }
      if (!input_.more()) throw BadValue{"ends before its closing '}'"};
    }
  }

  void read(std::string_view row) override {
    seen_.assign(readers_.size(), false);
    Json j(row);
    std::size_t column = readers_.size();
    try {
      j.expect('{');
      if (!j.eat('}')) {
        do {
          column = readers_.size();
          const std::string key = j.string();
          j.expect(':');
          const auto it = index_.find(key);
          if (it == index_.end()) {
            if (!options_.skip_unknown_fields) {
              throw BadValue{
                  "has the key " + excerpt(key) +
                  ", which names no column of the table (InputOptions::skip_unknown_fields ignores such keys)"};
            }
            j.skip_value();
            continue;
          }
          column = it->second;
          if (seen_[column]) throw BadValue{"has the key " + excerpt(key) + " twice"};
          seen_[column] = true;
          readers_[column]->json(j, 0);
        } while (j.eat(','));
        column = readers_.size();
        j.expect('}');
      }
      if (!j.done()) throw BadValue{"has text after its closing '}'"};
    } catch (const BadValue& e) {
      if (column < readers_.size()) fail_value(column, row, e.why);
      fail_row("the object " + excerpt(row) + " " + e.why);
    }
    for (std::size_t c = 0; c < readers_.size(); ++c) {
      if (!seen_[c]) readers_[c]->append_default();
    }
  }

  std::vector<bool> seen_;  // the columns the row being read has keys for
};

}  // namespace

InputParserPtr make_json_each_row_parser(ByteSource& in, InputOptions options) {
  return std::make_unique<JsonEachRowParser>(InputFormat::json_each_row, in, std::move(options));
}

}  // namespace chconn::text::detail
