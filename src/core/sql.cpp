// The SQL lexer and the statement facts built on it; see chconn/core/sql.h.
//
// The lexer follows ClickHouse's own (src/Parsers/Lexer.cpp) rule for rule, because chconn relies
// on it to decide where a parameter may be substituted and where a statement ends: a place where
// the server's lexer sees a comment or a string that this one does not would let a value change a
// query. Every rule below says which of the server's rules it is.
#include "chconn/core/sql.h"

#include <utility>

#include "chconn/core/error.h"
#include "core/strings.h"

namespace chconn::sql {

namespace {

bool is_ascii_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) noexcept { return detail::hex_value(c) >= 0; }
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_word_char(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '_'; }

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

char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }

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
    if (pos_ + 2 < s.size() && s[pos_] == '0' && (upper(s[pos_ + 1]) == 'X' || upper(s[pos_ + 1]) == 'B')) {
      const bool valid =
          upper(s[pos_ + 1]) == 'X' ? is_hex_digit(s[pos_ + 2]) : (s[pos_ + 2] == '0' || s[pos_ + 2] == '1');
      if (valid) {
        hex = upper(s[pos_ + 1]) == 'X';
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
    if (pos_ + 1 < s.size() && (hex ? upper(s[pos_]) == 'P' : upper(s[pos_]) == 'E')) {
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
      while (pos_ < s.size() && is_ascii_space(s[pos_])) ++pos_;
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
      if (pos_ + 1 < s.size() && upper(s[pos_]) == 'E') {
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
    if (is_ascii_space(s[pos_])) {
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
    if (upper(token.text[i]) != keyword[i]) return false;
  }
  return true;
}

namespace {

// The end of the line holding `from` (the offset of its '\n', or text.size()).
std::size_t line_end(std::string_view text, std::size_t from) {
  const std::size_t eol = text.find('\n', std::min(from, text.size()));
  return eol == std::string_view::npos ? text.size() : eol;
}

// How a split treats an INSERT's inline data: as the client reads it (to the end of its line, or
// with data_to_end to the end of the text), or not at all (split_statements: SQL rules throughout).
enum class InlineData { client_lines, client_to_end, as_sql };

std::vector<ScriptStatement> split(std::string_view script, InlineData inline_data) {
  const bool data_to_end = inline_data == InlineData::client_to_end;
  std::vector<ScriptStatement> out;
  std::size_t pos = 0;
  while (pos < script.size()) {
    const std::string_view rest = script.substr(pos);
    Lexer lexer(rest);
    const Token first = lexer.next_significant();
    if (first.kind == TokenKind::end) break;
    if (first.kind == TokenKind::semicolon) {
      pos += first.end();
      continue;
    }
    const bool insert = inline_data != InlineData::as_sql && is_keyword(first, "INSERT");
    std::size_t statement_end = rest.size();
    std::size_t next = rest.size();
    std::optional<std::string_view> data;
    int depth = 0;
    for (Token t = first; t.kind != TokenKind::end; t = lexer.next_significant()) {
      if (t.kind == TokenKind::open_round) ++depth;
      if (t.kind == TokenKind::close_round) --depth;
      if (t.kind == TokenKind::semicolon && depth <= 0) {
        statement_end = t.offset;
        next = t.end();
        break;
      }
      const bool values = is_keyword(t, "VALUES");
      if (!insert || depth != 0 || (!values && !is_keyword(t, "FORMAT"))) continue;
      // Where the data starts: insert_shape() reads the statement up to the end of the line
      // after the keyword's next token (the data starts on that token's line or the next).
      Lexer ahead = lexer;
      const Token after = ahead.next_significant();
      if (values && after.kind == TokenKind::semicolon) {
        // VALUES; : data that is only the ';' ending it, which 18.16's client inserts as no rows
        // ("Ok."), where a statement without data at all is its error 108.
        statement_end = after.offset;
        data = rest.substr(after.offset, 1);
        next = after.end();
        break;
      }
      const std::size_t from = after.kind == TokenKind::end ? t.end() : after.end();
      std::size_t until = line_end(rest, from);
      if (!values && until < rest.size()) until = line_end(rest, until + 1);
      const InsertShape shape = insert_shape(rest.substr(first.offset, until - first.offset));
      if (!shape.inline_data) continue;  // no data here: it comes from stdin
      const std::size_t begin = first.offset + *shape.inline_data;
      std::size_t end = data_to_end && out.empty() ? rest.size() : line_end(rest, begin);
      next = end < rest.size() ? end + 1 : end;
      if (values) {
        // A top-level ';' ends VALUES data too; what follows it on the line is the next statement.
        Lexer in_data(rest.substr(begin, end - begin));
        for (Token d = in_data.next_significant(); d.kind != TokenKind::end; d = in_data.next_significant()) {
          if (d.kind == TokenKind::semicolon) {
            next = begin + d.end();
            end = begin + d.offset;
            break;
          }
        }
      }
      statement_end = begin;
      data = rest.substr(begin, end - begin);
      break;
    }
    const std::string_view written = rest.substr(first.offset, next - first.offset);
    out.push_back({detail::trim_space(rest.substr(first.offset, statement_end - first.offset)), data,
                   written.substr(0, written.find_last_not_of(" \t\r\n") + 1)});
    pos += next;
  }
  return out;
}

}  // namespace

std::vector<ScriptStatement> split_script(std::string_view script, bool data_to_end) {
  return split(script, data_to_end ? InlineData::client_to_end : InlineData::client_lines);
}

std::vector<std::string_view> split_statements(std::string_view script) {
  std::vector<std::string_view> statements;
  for (const ScriptStatement& s : split(script, InlineData::as_sql)) {
    if (!s.sql.empty()) statements.push_back(s.sql);
  }
  return statements;
}

std::string first_keyword(std::string_view statement) {
  Lexer lexer(statement);
  for (;;) {
    const Token t = lexer.next_significant();
    if (t.kind == TokenKind::open_round) continue;
    if (t.kind != TokenKind::bare_word) return {};
    std::string word(t.text);
    for (char& ch : word) ch = upper(ch);
    return word;
  }
}

bool is_read_only(std::string_view statement) noexcept {
  Lexer lexer(statement);
  Token t = lexer.next_significant();
  while (t.kind == TokenKind::open_round) t = lexer.next_significant();
  for (std::string_view k : {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN"}) {
    if (is_keyword(t, k)) return true;
  }
  return false;
}

bool has_nested_comment(std::string_view text) noexcept {
  // Nesting needs two openers; most statements have none, and a large one is not lexed for it.
  const std::size_t first = text.find("/*");
  if (first == std::string_view::npos || text.find("/*", first + 2) == std::string_view::npos) return false;
  Lexer lexer(text);
  for (Token t = lexer.next(); t.kind != TokenKind::end; t = lexer.next()) {
    if ((t.kind != TokenKind::comment && t.kind != TokenKind::unterminated) || !t.text.starts_with("/*")) continue;
    const std::string_view body = t.text.substr(2);
    const std::size_t inner = body.find("/*");
    if (inner != std::string_view::npos && inner < body.find("*/")) return true;
  }
  return false;
}

namespace {
// The last significant token of `text` and the end of the one before it (0 if none).
std::pair<Token, std::size_t> last_significant(std::string_view text) noexcept {
  Lexer lexer(text);
  Token last;
  std::size_t before_end = 0;
  for (Token t = lexer.next_significant(); t.kind != TokenKind::end; t = lexer.next_significant()) {
    if (last.kind != TokenKind::end) before_end = last.end();
    last = t;
  }
  return {last, before_end};
}
}  // namespace

bool ends_statement(std::string_view text) noexcept {
  const TokenKind last = last_significant(text).first.kind;
  return last == TokenKind::semicolon || last == TokenKind::vertical_delimiter;
}

std::optional<std::string_view> without_vertical_suffix(std::string_view statement) noexcept {
  const auto [last, before_end] = last_significant(statement);
  if (last.kind != TokenKind::vertical_delimiter) return std::nullopt;
  return statement.substr(0, before_end);
}

bool changes_session(std::string_view statement) noexcept {
  Lexer lexer(statement);
  Token t = lexer.next_significant();
  while (t.kind == TokenKind::open_round) t = lexer.next_significant();
  for (std::string_view k : {"SET", "USE", "BEGIN", "COMMIT", "ROLLBACK"}) {
    if (is_keyword(t, k)) return true;
  }
  if (is_keyword(t, "START")) return is_keyword(lexer.next_significant(), "TRANSACTION");
  if (is_keyword(t, "DROP")) return is_keyword(lexer.next_significant(), "TEMPORARY");
  if (is_keyword(t, "CREATE")) {
    t = lexer.next_significant();
    if (is_keyword(t, "OR")) {
      if (!is_keyword(lexer.next_significant(), "REPLACE")) return false;
      t = lexer.next_significant();
    }
    return is_keyword(t, "TEMPORARY");
  }
  return false;
}

namespace {
std::string unquoted_name(const Token& t) {
  if (t.kind == TokenKind::quoted_identifier && t.text.size() >= 2 && (t.text[0] == '`' || t.text[0] == '"')) {
    std::string out;
    if (detail::read_quoted(t.text, 0, out).status == detail::QuotedRead::ok) return out;
  }
  return std::string(t.text);
}
}  // namespace

InsertShape insert_shape(std::string_view statement) {
  InsertShape shape;
  Lexer lexer(statement);
  if (!is_keyword(lexer.next_significant(), "INSERT")) return shape;
  shape.is_insert = true;
  // The first top-level VALUES, FORMAT, SELECT or WITH decides. Parentheses hold the column list
  // (and a table function's arguments), where none of these can mean the data.
  int depth = 0;
  for (Token t = lexer.next_significant(); t.kind != TokenKind::end; t = lexer.next_significant()) {
    if (t.kind == TokenKind::open_round) ++depth;
    if (t.kind == TokenKind::close_round) --depth;
    if (depth > 0 || t.kind != TokenKind::bare_word) continue;
    if (is_keyword(t, "SELECT") || is_keyword(t, "WITH")) {
      shape.from_select = true;
      return shape;
    }
    if (is_keyword(t, "VALUES")) {
      const std::size_t after = t.end();
      Lexer rest(statement.substr(after));
      const Token first = rest.next_significant();
      if (first.kind != TokenKind::end) shape.inline_data = after + first.offset;
      return shape;
    }
    if (is_keyword(t, "FORMAT")) {
      const Token name = lexer.next_significant();
      if (name.kind != TokenKind::bare_word && name.kind != TokenKind::quoted_identifier) return shape;
      shape.format = unquoted_name(name);
      // The data starts after the spaces and tabs that follow the name and then one line end (\n
      // or \r\n), as the server's parser (ParserInsertQuery, 18.16 to current) and
      // clickhouse-client read it; a statement that ends there has none.
      std::size_t data = name.end();
      while (data < statement.size() &&
             (statement[data] == ' ' || statement[data] == '\t' || statement[data] == '\f')) {
        ++data;
      }
      if (data < statement.size() && statement[data] == '\r') ++data;
      if (data < statement.size() && statement[data] == '\n') ++data;
      bool blank = true;
      for (std::size_t i = data; i < statement.size(); ++i) blank = blank && is_ascii_space(statement[i]);
      if (!blank) shape.inline_data = data;
      return shape;
    }
  }
  return shape;
}

std::optional<std::string> trailing_format(std::string_view statement) {
  if (first_keyword(statement) == "INSERT") return std::nullopt;  // there FORMAT names the input
  Lexer lexer(statement);
  Token before_last, last;
  for (Token t = lexer.next_significant(); t.kind != TokenKind::end; t = lexer.next_significant()) {
    before_last = last;
    last = t;
  }
  if (!is_keyword(before_last, "FORMAT")) return std::nullopt;
  if (last.kind == TokenKind::bare_word) return std::string(last.text);
  if (last.kind == TokenKind::quoted_identifier) return unquoted_name(last);
  return std::nullopt;
}

namespace {
// The value of a plain single-quoted string literal ('a\'b', 'it''s'), read as the server reads it
// (detail::read_quoted), or nullopt for the other forms (x'41', b'01', typographic quotes).
std::optional<std::string> plain_string_value(const Token& t) {
  if (t.kind != TokenKind::string_literal || t.text.size() < 2 || t.text.front() != '\'') return std::nullopt;
  std::string out;
  const detail::QuotedRead read = detail::read_quoted(t.text, 0, out);
  if (read.status != detail::QuotedRead::ok || read.end != t.text.size()) return std::nullopt;
  return out;
}
}  // namespace

std::optional<std::string> into_outfile(std::string_view statement) {
  if (first_keyword(statement) == "INSERT") return std::nullopt;
  Lexer lexer(statement);
  int depth = 0;
  Token previous;
  for (Token t = lexer.next_significant(); t.kind != TokenKind::end; t = lexer.next_significant()) {
    if (t.kind == TokenKind::open_round) ++depth;
    if (t.kind == TokenKind::close_round) --depth;
    const bool clause = depth == 0 && is_keyword(previous, "INTO") && is_keyword(t, "OUTFILE");
    previous = t;
    if (!clause) continue;
    const Token name = lexer.next_significant();
    std::optional<std::string> file = plain_string_value(name);
    if (!file) {
      throw Error(ErrorKind::usage, "INTO OUTFILE needs the file name as a plain single-quoted string ('out.tsv')" +
                                        std::string(name.kind == TokenKind::end ? ", and none follows"
                                                                                : ", not " + std::string(name.text)));
    }
    const Token after = lexer.next_significant();
    for (const char* later : {"AND", "APPEND", "TRUNCATE", "COMPRESSION"}) {
      if (is_keyword(after, later)) {
        throw Error(ErrorKind::usage, "INTO OUTFILE ... " + std::string(later) +
                                          " is not supported by chconn yet: write INTO OUTFILE 'name' alone (the file "
                                          "must not exist), or redirect the output");
      }
    }
    return file;
  }
  return std::nullopt;
}

namespace {
void escape_into(std::string& out, std::string_view text, char quote) {
  for (unsigned char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f || c == '$') {
          out += "\\x";
          detail::append_hex_byte(out, c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}
}  // namespace

std::string quote_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  escape_into(out, text, '\'');
  out += '\'';
  return out;
}

std::string quote_identifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '`';
  escape_into(out, name, '`');
  out += '`';
  return out;
}

}  // namespace chconn::sql
