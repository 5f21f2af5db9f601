// Statement splitting and the few facts the CLI needs about a statement; see chconn/wire/text.h.
#include <cctype>

#include "chconn/wire/text.h"

namespace chconn::text {

namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_word_start(char c) noexcept { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_word_char(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string upper(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return r;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The lexical pieces the splitter and the statement checks care about. Quoted text is one token
// whatever it holds; comments and whitespace are skipped.
struct Token {
  enum class Kind : std::uint8_t { word, string, quoted_identifier, symbol, end } kind = Kind::end;
  std::string_view text;
};

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::size_t pos() const noexcept { return pos_; }

  Token next() noexcept {
    skip_blank();
    if (pos_ >= s_.size()) return {Token::Kind::end, {}};
    const std::size_t start = pos_;
    const char c = s_[pos_];
    if (c == '\'' || c == '"' || c == '`') {
      skip_quoted(c);
      return {c == '\'' ? Token::Kind::string : Token::Kind::quoted_identifier, s_.substr(start, pos_ - start)};
    }
    if (is_word_start(c)) {
      while (pos_ < s_.size() && is_word_char(s_[pos_])) ++pos_;
      return {Token::Kind::word, s_.substr(start, pos_ - start)};
    }
    ++pos_;
    return {Token::Kind::symbol, s_.substr(start, 1)};
  }

 private:
  void skip_blank() noexcept {
    while (pos_ < s_.size()) {
      if (is_space(s_[pos_])) {
        ++pos_;
      } else if (s_.compare(pos_, 2, "--") == 0) {
        const std::size_t nl = s_.find('\n', pos_);
        pos_ = nl == std::string_view::npos ? s_.size() : nl + 1;
      } else if (s_.compare(pos_, 2, "/*") == 0) {
        const std::size_t close = s_.find("*/", pos_ + 2);
        pos_ = close == std::string_view::npos ? s_.size() : close + 2;
      } else {
        return;
      }
    }
  }

  // From an opening quote to just after its closing one: a backslash escapes the next byte and a
  // doubled quote stands for itself, as in ClickHouse's lexer.
  void skip_quoted(char quote) noexcept {
    ++pos_;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == '\\') {
        pos_ += 2;
      } else if (c == quote) {
        if (pos_ + 1 < s_.size() && s_[pos_ + 1] == quote) {
          pos_ += 2;
        } else {
          ++pos_;
          return;
        }
      } else {
        ++pos_;
      }
    }
    pos_ = s_.size();
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

bool word_is(const Token& t, std::string_view keyword) {
  return t.kind == Token::Kind::word && upper(t.text) == keyword;
}

}  // namespace

std::vector<std::string_view> split_statements(std::string_view script) {
  std::vector<std::string_view> statements;
  Lexer lexer(script);
  std::size_t start = 0;
  bool has_content = false;
  for (;;) {
    const Token t = lexer.next();
    if (t.kind == Token::Kind::end) break;
    if (t.kind == Token::Kind::symbol && t.text == ";") {
      if (has_content) statements.push_back(trim(script.substr(start, lexer.pos() - 1 - start)));
      start = lexer.pos();
      has_content = false;
    } else {
      has_content = true;
    }
  }
  if (has_content) statements.push_back(trim(script.substr(start)));
  return statements;
}

std::string first_keyword(std::string_view statement) {
  Lexer lexer(statement);
  for (;;) {
    const Token t = lexer.next();
    if (t.kind == Token::Kind::symbol && t.text == "(") continue;
    return t.kind == Token::Kind::word ? upper(t.text) : std::string();
  }
}

std::optional<std::string> trailing_format(std::string_view statement) {
  if (first_keyword(statement) == "INSERT") return std::nullopt;  // there FORMAT names the input
  Lexer lexer(statement);
  Token before_last, last;
  for (Token t = lexer.next(); t.kind != Token::Kind::end; t = lexer.next()) {
    before_last = last;
    last = t;
  }
  if (!word_is(before_last, "FORMAT")) return std::nullopt;
  if (last.kind == Token::Kind::word) return std::string(last.text);
  if (last.kind == Token::Kind::quoted_identifier && last.text.size() >= 2) {
    return std::string(last.text.substr(1, last.text.size() - 2));
  }
  return std::nullopt;
}

bool insert_has_inline_data(std::string_view statement) {
  if (first_keyword(statement) != "INSERT") return false;
  Lexer lexer(statement);
  for (Token t = lexer.next(); t.kind != Token::Kind::end; t = lexer.next()) {
    if (word_is(t, "SELECT") || word_is(t, "WITH")) return false;
    if (word_is(t, "VALUES") || word_is(t, "FORMAT")) return true;
  }
  // `INSERT INTO t` alone: the data would have to come from the client too.
  return true;
}

}  // namespace chconn::text
