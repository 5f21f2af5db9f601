// The statement facts built on the SQL lexer (sql_lexer.cpp); see chconn/core/sql.h: splitting a
// script into statements, the first keyword and what a statement does (read-only, session
// changes, INSERT shape, FORMAT and INTO OUTFILE clauses), and quoting for the client's own SQL.
#include "chconn/core/sql.h"

#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "core/strings.h"

namespace chconn::sql {

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
      const std::size_t from = after.kind == TokenKind::end ? t.end() : after.end();
      std::size_t until = line_end(rest, from);
      if (!values && until < rest.size()) until = line_end(rest, until + 1);
      const InsertShape shape = insert_shape(rest.substr(first.offset, until - first.offset));
      if (!shape.inline_data) continue;  // no data here: it comes from stdin
      // The data runs to the end of its line, a ';' and what follows it included: VALUES data ends
      // at its top-level ';' (the Values reader stops there) and 18.16's client ignores the rest of
      // the line (`INSERT INTO t VALUES (1); SELECT 2` runs no SELECT; neither does `VALUES; SELECT 2`,
      // which inserts no rows).
      const std::size_t begin = first.offset + *shape.inline_data;
      const std::size_t end = data_to_end && out.empty() ? rest.size() : line_end(rest, begin);
      next = end < rest.size() ? end + 1 : end;
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
    for (char& ch : word) ch = detail::ascii_upper(ch);
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

bool settings_clause_assigns(std::string_view statement, std::string_view setting) {
  std::vector<Token> tokens;
  Lexer lexer(statement);
  for (Token t = lexer.next_significant(); t.kind != TokenKind::end; t = lexer.next_significant()) tokens.push_back(t);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (!is_keyword(tokens[i], "SETTINGS")) continue;
    // name = value [, name = value]...: the value runs to the next ',' outside brackets.
    std::size_t j = i + 1;
    while (j + 1 < tokens.size() &&
           (tokens[j].kind == TokenKind::bare_word || tokens[j].kind == TokenKind::quoted_identifier) &&
           tokens[j + 1].kind == TokenKind::equals) {
      if (unquoted_name(tokens[j]) == setting) return true;
      int depth = 0;
      for (j += 2; j < tokens.size(); ++j) {
        const TokenKind k = tokens[j].kind;
        if (k == TokenKind::open_round || k == TokenKind::open_square) ++depth;
        if (k == TokenKind::close_round || k == TokenKind::close_square) --depth;
        if (depth < 0 || (depth == 0 && k == TokenKind::comma)) break;
      }
      if (j >= tokens.size() || tokens[j].kind != TokenKind::comma) break;
      ++j;
    }
  }
  return false;
}

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
      for (std::size_t i = data; i < statement.size(); ++i) blank = blank && detail::is_space(statement[i]);
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
