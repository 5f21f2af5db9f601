// A small JSON reader for tests that check machine-readable output (chconn bench --json): objects,
// arrays, strings (with \" \\ \/ \b \f \n \r \t \uXXXX escapes, BMP only), numbers, true, false,
// null. Throws std::runtime_error with the offset on malformed input or trailing bytes.
#pragma once

#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace chconn::test {

struct Json {
  using Object = std::map<std::string, Json, std::less<>>;
  using Array = std::vector<Json>;
  std::variant<std::nullptr_t, bool, double, std::string, std::shared_ptr<Array>, std::shared_ptr<Object>> value;

  bool is_object() const { return std::holds_alternative<std::shared_ptr<Object>>(value); }
  bool is_number() const { return std::holds_alternative<double>(value); }
  bool is_string() const { return std::holds_alternative<std::string>(value); }
  const Object& object() const { return *std::get<std::shared_ptr<Object>>(value); }
  const Array& array() const { return *std::get<std::shared_ptr<Array>>(value); }
  double number() const { return std::get<double>(value); }
  const std::string& string() const { return std::get<std::string>(value); }
  bool boolean() const { return std::get<bool>(value); }
  bool has(std::string_view key) const { return is_object() && object().find(key) != object().end(); }
  // The member `key` of an object; throws std::runtime_error naming it when absent.
  const Json& operator[](std::string_view key) const {
    const Object& o = object();
    auto it = o.find(key);
    if (it == o.end()) throw std::runtime_error("JSON object has no member '" + std::string(key) + "'");
    return it->second;
  }

  static Json parse(std::string_view text) {
    std::size_t pos = 0;
    Json j = parse_value(text, pos);
    skip_ws(text, pos);
    if (pos != text.size()) fail(pos, "trailing bytes");
    return j;
  }

 private:
  [[noreturn]] static void fail(std::size_t pos, const std::string& what) {
    throw std::runtime_error("bad JSON at offset " + std::to_string(pos) + ": " + what);
  }
  static void skip_ws(std::string_view t, std::size_t& p) {
    while (p < t.size() && (t[p] == ' ' || t[p] == '\n' || t[p] == '\r' || t[p] == '\t')) ++p;
  }
  static void expect(std::string_view t, std::size_t& p, char c) {
    skip_ws(t, p);
    if (p >= t.size() || t[p] != c) fail(p, std::string("expected '") + c + "'");
    ++p;
  }
  static std::string parse_string(std::string_view t, std::size_t& p) {
    expect(t, p, '"');
    std::string out;
    while (true) {
      if (p >= t.size()) fail(p, "unterminated string");
      const char c = t[p++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail(p, "control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p >= t.size()) fail(p, "unterminated escape");
      const char e = t[p++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (p + 4 > t.size()) fail(p, "short \\u escape");
          const unsigned cp = static_cast<unsigned>(std::stoul(std::string(t.substr(p, 4)), nullptr, 16));
          p += 4;
          if (cp < 0x80)
            out += static_cast<char>(cp);
          else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default: fail(p, "bad escape");
      }
    }
  }
  static Json parse_value(std::string_view t, std::size_t& p) {
    skip_ws(t, p);
    if (p >= t.size()) fail(p, "unexpected end");
    Json j;
    const char c = t[p];
    if (c == '{') {
      ++p;
      auto obj = std::make_shared<Object>();
      skip_ws(t, p);
      if (p < t.size() && t[p] == '}') {
        ++p;
      } else {
        while (true) {
          std::string key = parse_string(t, p);
          expect(t, p, ':');
          if (!obj->emplace(key, parse_value(t, p)).second) fail(p, "duplicate key '" + key + "'");
          skip_ws(t, p);
          if (p < t.size() && t[p] == ',') {
            ++p;
            continue;
          }
          expect(t, p, '}');
          break;
        }
      }
      j.value = obj;
    } else if (c == '[') {
      ++p;
      auto arr = std::make_shared<Array>();
      skip_ws(t, p);
      if (p < t.size() && t[p] == ']') {
        ++p;
      } else {
        while (true) {
          arr->push_back(parse_value(t, p));
          skip_ws(t, p);
          if (p < t.size() && t[p] == ',') {
            ++p;
            continue;
          }
          expect(t, p, ']');
          break;
        }
      }
      j.value = arr;
    } else if (c == '"') {
      j.value = parse_string(t, p);
    } else if (t.substr(p, 4) == "true") {
      p += 4;
      j.value = true;
    } else if (t.substr(p, 5) == "false") {
      p += 5;
      j.value = false;
    } else if (t.substr(p, 4) == "null") {
      p += 4;
      j.value = nullptr;
    } else {
      const std::string rest(t.substr(p, 64));
      char* end = nullptr;
      const double v = std::strtod(rest.c_str(), &end);
      if (end == rest.c_str()) fail(p, "expected a value");
      p += static_cast<std::size_t>(end - rest.c_str());
      j.value = v;
    }
    return j;
  }
};

}  // namespace chconn::test
