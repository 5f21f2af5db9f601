// The SQL lexer; see chconn/core/sql.h. The statement facts built on it are in sql.cpp.
//
// The lexer follows ClickHouse's own (src/Parsers/Lexer.cpp) rule for rule, because chconn relies
// on it to decide where a parameter may be substituted and where a statement ends: a place where
// the server's lexer sees a comment or a string that this one does not would let a value change a
// query. Every rule below says which of the server's rules it is.
#include "chconn/core/sql.h"

#include <string_view>
#include <vector>

#include "core/strings.h"

namespace chconn::sql {

namespace {

using detail::ascii_upper;
using detail::is_space;
using detail::is_word_char;

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) noexcept { return detail::hex_value(c) >= 0; }

// A '_' between digits of a number ("1_000"): never first in a block, always followed by a digit.
bool is_number_separator(std::string_view s, std::size_t i, bool start_of_block, bool hex) noexcept {
  if (s[i] != '_' || start_of_block || i + 1 >= s.size()) return false;
  return hex ? is_hex_digit(s[i + 1]) : is_digit(s[i + 1]);
}

// The length of a Unicode blank at s[i] (the server skips these, for queries pasted from word
// processors): U+0085 U+00A0 U+180E U+2000..U+200D U+2028 U+2029 U+202F U+205F U+2060 U+3000
// U+FEFF, in UTF-8. 0 when there is none.
std::size_t unicode_blank(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (i + 1 < s.size() && b(0) == 0xC2 && (b(1) == 0x85 || b(1) == 0xA0)) return 2;
  if (i + 2 < s.size()) {
    if (b(0) == 0xE1 && b(1) == 0xA0 && b(2) == 0x8E) return 3;
    if (b(0) == 0xE2 && b(1) == 0x80 &&
        ((b(2) >= 0x80 && b(2) <= 0x8D) || b(2) == 0xA8 || b(2) == 0xA9 || b(2) == 0xAF))
      return 3;
    if (b(0) == 0xE2 && b(1) == 0x81 && (b(2) == 0x9F || b(2) == 0xA0)) return 3;
    if (b(0) == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;
    if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return 3;
  }
  return 0;
}

}  // namespace

Token Lexer::make(TokenKind kind, std::size_t begin) noexcept {
  Token t{kind, text_.substr(begin, pos_ - begin), begin};
  if (t.significant()) prev_significant_ = kind;
  return t;
}

// From an opening quote to just after the closing one: a backslash takes the next byte with it and
// a doubled quote stands for itself. Running off the end is `unterminated`.
Token Lexer::quoted(std::size_t begin, char quote, TokenKind kind) noexcept {
  pos_ = begin + 1;
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '\\') {
      if (pos_ + 1 >= text_.size()) break;
      pos_ += 2;
    } else if (c == quote) {
      ++pos_;
      if (pos_ < text_.size() && text_[pos_] == quote) {
        ++pos_;
        continue;
      }
      return make(kind, begin);
    } else {
      ++pos_;
    }
  }
  pos_ = text_.size();
  return make(TokenKind::unterminated, begin);
}

Token Lexer::number(std::size_t begin) noexcept {
  const std::string_view s = text_;
  pos_ = begin;
  const auto digits = [&](bool hex, bool start_of_block) {
    while (pos_ < s.size() &&
           ((hex ? is_hex_digit(s[pos_]) : is_digit(s[pos_])) || is_number_separator(s, pos_, start_of_block, hex))) {
      ++pos_;
      start_of_block = false;
    }
  };
  if (prev_significant_ == TokenKind::dot) {
    // After a dot only a plain integer, so that x.1.1 is x . 1 . 1 (nested tuple access).
    ++pos_;
    digits(false, false);
  } else {
    bool hex = false;
    bool start_of_block = false;
    if (pos_ + 2 < s.size() && s[pos_] == '0' && (ascii_upper(s[pos_ + 1]) == 'X' || ascii_upper(s[pos_ + 1]) == 'B')) {
      const bool valid =
          ascii_upper(s[pos_ + 1]) == 'X' ? is_hex_digit(s[pos_ + 2]) : (s[pos_ + 2] == '0' || s[pos_ + 2] == '1');
      if (valid) {
        hex = ascii_upper(s[pos_ + 1]) == 'X';
        pos_ += 2;
        start_of_block = true;
      } else {
        ++pos_;  // the zero alone; what follows may make it a word
      }
    } else {
      ++pos_;
    }
    digits(hex, start_of_block);
    if (pos_ < s.size() && s[pos_] == '.') {
      ++pos_;
      digits(hex, true);
    }
    if (pos_ + 1 < s.size() && (hex ? ascii_upper(s[pos_]) == 'P' : ascii_upper(s[pos_]) == 'E')) {
      ++pos_;
      if (pos_ + 1 < s.size() && (s[pos_] == '-' || s[pos_] == '+')) ++pos_;
      digits(false, true);
    }
  }
  // Letters right after a number make the whole a word (1identifier), or a bad number when the
  // number had a point or a sign in it.
  if (pos_ < s.size() && is_word_char(s[pos_])) {
    while (pos_ < s.size() && is_word_char(s[pos_])) ++pos_;
    for (std::size_t i = begin; i < pos_; ++i) {
      if (!is_word_char(s[i]) && s[i] != '$') return make(TokenKind::error, begin);
    }
    return make(TokenKind::bare_word, begin);
  }
  return make(TokenKind::number, begin);
}

Token Lexer::next() noexcept {
  const std::string_view s = text_;
  const std::size_t begin = pos_;
  if (begin >= s.size()) return Token{TokenKind::end, s.substr(s.size()), s.size()};
  const auto single = [&](TokenKind kind) {
    ++pos_;
    return make(kind, begin);
  };
  const auto at = [&](std::size_t i, char c) { return i < s.size() && s[i] == c; };
  const auto line_comment = [&] {
    const std::size_t nl = s.find('\n', pos_);  // a newline in a line comment cannot be escaped
    pos_ = nl == std::string_view::npos ? s.size() : nl;
    return make(TokenKind::comment, begin);
  };
  const char c = s[begin];
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
    case '\f':
    case '\v':
      while (pos_ < s.size() && is_space(s[pos_])) ++pos_;
      return make(TokenKind::whitespace, begin);
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': return number(begin);
    case '\'': return quoted(begin, '\'', TokenKind::string_literal);
    case '"': return quoted(begin, '"', TokenKind::quoted_identifier);
    case '`': return quoted(begin, '`', TokenKind::quoted_identifier);
    case '(': return single(TokenKind::open_round);
    case ')': return single(TokenKind::close_round);
    case '[': return single(TokenKind::open_square);
    case ']': return single(TokenKind::close_square);
    case '{': return single(TokenKind::open_curly);
    case '}': return single(TokenKind::close_curly);
    case ',': return single(TokenKind::comma);
    case ';': return single(TokenKind::semicolon);
    case '.': {
      // A dot after a word, a quoted name, a number or a closing bracket, or not followed by a
      // digit, is a qualifier or tuple access; otherwise it starts a number (.5, .5e3).
      const bool digit_next = begin + 1 < s.size() && is_digit(s[begin + 1]);
      const TokenKind p = prev_significant_;
      if (begin > 0 && (!digit_next || p == TokenKind::close_round || p == TokenKind::close_square ||
                        p == TokenKind::bare_word || p == TokenKind::quoted_identifier || p == TokenKind::number)) {
        return single(TokenKind::dot);
      }
      ++pos_;
      bool start_of_block = true;
      while (pos_ < s.size() && (is_digit(s[pos_]) || is_number_separator(s, pos_, start_of_block, false))) {
        ++pos_;
        start_of_block = false;
      }
      if (pos_ + 1 < s.size() && ascii_upper(s[pos_]) == 'E') {
        ++pos_;
        if (pos_ + 1 < s.size() && (s[pos_] == '-' || s[pos_] == '+')) ++pos_;
        start_of_block = true;
        while (pos_ < s.size() && (is_digit(s[pos_]) || is_number_separator(s, pos_, start_of_block, false))) {
          ++pos_;
          start_of_block = false;
        }
      }
      return make(TokenKind::number, begin);
    }
    case '+': return single(TokenKind::plus);
    case '-':
      ++pos_;
      if (at(pos_, '>')) return single(TokenKind::arrow);
      if (at(pos_, '-')) return line_comment();
      return make(TokenKind::minus, begin);
    case '*': return single(TokenKind::asterisk);
    case '/':
      ++pos_;
      if (at(pos_, '/')) return line_comment();
      if (at(pos_, '*')) {
        ++pos_;
        std::size_t depth = 1;  // nested comments, as the SQL standard has them
        while (pos_ + 2 <= s.size()) {
          if (s[pos_] == '/' && s[pos_ + 1] == '*') {
            pos_ += 2;
            ++depth;
          } else if (s[pos_] == '*' && s[pos_ + 1] == '/') {
            pos_ += 2;
            if (--depth == 0) return make(TokenKind::comment, begin);
          } else {
            ++pos_;
          }
        }
        pos_ = s.size();
        return make(TokenKind::unterminated, begin);
      }
      return make(TokenKind::slash, begin);
    case '#':
      // A MySQL-style comment only when followed by a space, or "#!" (a shebang line).
      ++pos_;
      if (at(pos_, ' ') || at(pos_, '!')) return line_comment();
      return make(TokenKind::error, begin);
    case '%': return single(TokenKind::percent);
    case '^': return single(TokenKind::caret);
    case '=':
      ++pos_;
      if (at(pos_, '=')) ++pos_;
      return make(TokenKind::equals, begin);
    case '!':
      ++pos_;
      if (at(pos_, '=')) return single(TokenKind::not_equals);
      return make(TokenKind::error, begin);
    case '<':
      ++pos_;
      if (at(pos_, '=') && at(pos_ + 1, '>')) {
        pos_ += 2;
        return make(TokenKind::spaceship, begin);
      }
      if (at(pos_, '=')) return single(TokenKind::less_or_equals);
      if (at(pos_, '>')) return single(TokenKind::not_equals);
      return make(TokenKind::less, begin);
    case '>':
      ++pos_;
      if (at(pos_, '=')) return single(TokenKind::greater_or_equals);
      return make(TokenKind::greater, begin);
    case '?': return single(TokenKind::question_mark);
    case ':':
      ++pos_;
      if (at(pos_, ':')) return single(TokenKind::double_colon);
      return make(TokenKind::colon, begin);
    case '|':
      ++pos_;
      if (at(pos_, '|')) return single(TokenKind::concatenation);
      return make(TokenKind::pipe, begin);
    case '@':
      ++pos_;
      if (at(pos_, '@')) return single(TokenKind::double_at);
      return make(TokenKind::at, begin);
    case '\\':
      ++pos_;
      if (at(pos_, 'G')) return single(TokenKind::vertical_delimiter);
      return make(TokenKind::error, begin);
    default: break;
  }
  const auto byte = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0u; };
  if (byte(begin) == 0xE2) {
    // U+2212 MINUS SIGN is a minus.
    if (byte(begin + 1) == 0x88 && byte(begin + 2) == 0x92) {
      pos_ = begin + 3;
      return make(TokenKind::minus, begin);
    }
    // ‘...’ is a string and “...” a quoted name; no escapes inside, the first closing quote ends it.
    // The opening quote alone starts one (unterminated without its closing quote), however few
    // bytes follow: a rule that wanted room for both quotes lexed "“;4" as an error, ';' and 4 but
    // "“;4 " as one unterminated name, so a statement lexed on its own split where the script did
    // not (fuzz_sql).
    if (byte(begin + 1) == 0x80 && (byte(begin + 2) == 0x98 || byte(begin + 2) == 0x9C)) {
      const bool single_quote = byte(begin + 2) == 0x98;
      const char closing[] = {'\xE2', '\x80', single_quote ? '\x99' : '\x9D'};
      const std::size_t close = s.find(std::string_view(closing, 3), begin + 3);
      if (close == std::string_view::npos) {
        pos_ = s.size();
        return make(TokenKind::unterminated, begin);
      }
      pos_ = close + 3;
      return make(single_quote ? TokenKind::string_literal : TokenKind::quoted_identifier, begin);
    }
  }
  if (c == '$') {
    // A heredoc: $tag$ (any bytes between the dollars) up to the next occurrence of the same tag.
    const std::size_t tag_end = s.find('$', begin + 1);
    if (tag_end != std::string_view::npos) {
      const std::string_view tag = s.substr(begin, tag_end + 1 - begin);
      const std::size_t close = s.find(tag, tag_end + 1);
      if (close != std::string_view::npos) {
        pos_ = close + tag.size();
        return make(TokenKind::heredoc, begin);
      }
    }
    if (begin + 1 == s.size() || !is_word_char(s[begin + 1])) return single(TokenKind::dollar);
  }
  if ((c == 'x' || c == 'X' || c == 'b' || c == 'B') && begin + 2 < s.size() && s[begin + 1] == '\'') {
    // x'4142' and b'0101': a string written in hex or binary digits.
    const bool hex = c == 'x' || c == 'X';
    pos_ = begin + 2;
    while (pos_ < s.size() && (hex ? is_hex_digit(s[pos_]) : (s[pos_] == '0' || s[pos_] == '1'))) ++pos_;
    if (pos_ >= s.size() || s[pos_] != '\'') {
      pos_ = s.size();
      return make(TokenKind::unterminated, begin);
    }
    ++pos_;
    return make(TokenKind::string_literal, begin);
  }
  if (is_word_char(c) || c == '$') {
    ++pos_;
    while (pos_ < s.size() && (is_word_char(s[pos_]) || s[pos_] == '$')) ++pos_;
    return make(TokenKind::bare_word, begin);
  }
  while (pos_ < s.size()) {
    if (is_space(s[pos_])) {
      ++pos_;
    } else if (const std::size_t n = unicode_blank(s, pos_)) {
      pos_ += n;
    } else {
      break;
    }
  }
  if (pos_ > begin) return make(TokenKind::whitespace, begin);
  return single(TokenKind::error);
}

Token Lexer::next_significant() noexcept {
  for (;;) {
    const Token t = next();
    if (t.significant()) return t;
  }
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  Lexer lexer(text);
  for (Token t = lexer.next(); t.kind != TokenKind::end; t = lexer.next()) tokens.push_back(t);
  return tokens;
}

bool is_keyword(const Token& token, std::string_view keyword) noexcept {
  if (token.kind != TokenKind::bare_word || token.text.size() != keyword.size()) return false;
  for (std::size_t i = 0; i < keyword.size(); ++i) {
    if (ascii_upper(token.text[i]) != keyword[i]) return false;
  }
  return true;
}

}  // namespace chconn::sql
