// The SQL lexer: ClickHouse's lexical rules, in one place for every reader of query text in
// chconn (query parameters, statement splitting, inline INSERT data, read-only detection).
//
// The rules are those of the current ClickHouse lexer (src/Parsers/Lexer.cpp), which accepts
// everything older servers do and more: `--`, `//`, `# ` and `#!` line comments, nested `/* */`
// comments, '...' strings, "..." and `...` quoted identifiers (a backslash escapes the next byte,
// a doubled quote stands for itself), x'..' and b'..' strings, $tag$...$tag$ heredocs, the
// Unicode quotes ‘...’ and “...”, numbers (hex, binary, exponents, `_` separators) and the
// operators. Where the current lexer sees a string or a comment that an older server would not,
// chconn is on the safe side: it never substitutes a parameter there, and the older server gets
// the text unchanged and reports its own syntax error.
//
// Thread safety: the lexer is a value over a string_view that it does not own; the text must
// outlive it and every Token it returns. The free functions are pure.
//
// Example:
//   chconn::sql::Lexer lexer("SELECT 1 /* a /* nested */ comment */; SELECT 2");
//   for (auto t = lexer.next(); t.kind != chconn::sql::TokenKind::end; t = lexer.next()) ...
//   chconn::sql::split_statements("SELECT 1; SELECT 2")  // {"SELECT 1", "SELECT 2"}
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chconn::sql {

enum class TokenKind : std::uint8_t {
  whitespace,
  comment,
  bare_word,          // a keyword or identifier: SELECT, t, 1e5abc, $a
  number,             // 1, 1.5, .5, 1e-3, 0x1F, 0b101, 1_000
  string_literal,     // 'a', x'41', b'01', ‘a’
  quoted_identifier,  // "a", `a`, “a”
  heredoc,            // $tag$ ... $tag$ (a string)
  open_round,
  close_round,
  open_square,
  close_square,
  open_curly,
  close_curly,
  comma,
  semicolon,
  dot,
  plus,
  minus,  // '-' or the Unicode minus sign U+2212
  arrow,  // ->
  asterisk,
  slash,
  percent,
  caret,
  equals,      // = or ==
  not_equals,  // != or <>
  less,
  less_or_equals,
  greater,
  greater_or_equals,
  spaceship,  // <=>
  question_mark,
  colon,
  double_colon,
  concatenation,  // ||
  pipe,
  at,
  double_at,
  dollar,
  vertical_delimiter,  // \G
  error,               // bytes the lexer rejects: '!' alone, '#' not starting a comment, a bad number
  unterminated,        // a quote, comment or heredoc that runs to the end of the text
  end,
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::string_view text;   // the token's bytes in the lexed text
  std::size_t offset = 0;  // of text's first byte in the lexed text

  // Whitespace and comments are not significant: they separate tokens and nothing else.
  bool significant() const noexcept { return kind != TokenKind::whitespace && kind != TokenKind::comment; }
  std::size_t end() const noexcept { return offset + text.size(); }
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) noexcept : text_(text) {}

  // The next token, whitespace and comments included; TokenKind::end (empty, at the end) once the
  // text is used up, and again on every later call.
  Token next() noexcept;
  // The next significant token (whitespace and comments skipped).
  Token next_significant() noexcept;
  std::size_t position() const noexcept { return pos_; }

 private:
  Token make(TokenKind kind, std::size_t begin) noexcept;
  Token number(std::size_t begin) noexcept;
  Token quoted(std::size_t begin, char quote, TokenKind kind) noexcept;

  std::string_view text_;
  std::size_t pos_ = 0;
  TokenKind prev_significant_ = TokenKind::end;  // the dot-versus-number rule looks back one token
};

// Every token of `text` up to TokenKind::end (not included).
std::vector<Token> tokenize(std::string_view text);

// Whether a bare word is `keyword` (given in upper case), ignoring ASCII case.
bool is_keyword(const Token& token, std::string_view keyword) noexcept;

// One statement of a script (split_script). For an INSERT with data written after it (VALUES
// (...), or FORMAT F and rows), `sql` is the statement up to its data and `data` the data.
struct ScriptStatement {
  std::string_view sql;
  std::optional<std::string_view> data;
  // The statement as written: from its first token to its ';' (or its data's end), as
  // clickhouse-client quotes it in "Error on processing query: ...".
  std::string_view text;
};

// A script split into statements as clickhouse-client does, the one splitting rule of chconn
// (the CLI's scripts, and split_statements without the inline-data rule). Statements end at semicolons outside strings,
// identifiers, comments, heredocs and parentheses; statements made only of comments and
// whitespace are dropped. An INSERT's data written in the script starts where insert_shape()
// says and ends, as clickhouse-client 18.16 decides it in a multi-statement script, at the end of
// that line, a ';' and what follows it included (`INSERT INTO t VALUES (1); SELECT 2` is one
// statement: the Values reader stops at the ';' and 18.16 ignores the rest of the line); the next
// statement starts on the next line. With `data_to_end` (one query, no --multiquery, as 18.16 reads it) the first
// INSERT's data runs to the end of the text instead. The views point into `script`, in order and
// without overlap.
std::vector<ScriptStatement> split_script(std::string_view script, bool data_to_end = false);

// The statements of a script by split_script()'s rule with SQL rules throughout: an INSERT's
// inline data is not told apart, so `INSERT ... VALUES (1),\n(2); SELECT 1` is two statements
// whatever the lines, and a ';' in FORMAT data ends the statement (split_script reads such data as
// the client does). Each statement is trimmed of whitespace and without its ';'; statements made
// only of comments are dropped. The views point into `script`.
std::vector<std::string_view> split_statements(std::string_view script);

// The statement's first keyword in upper case, after whitespace, comments and opening
// parentheses ("(SELECT 1)" is a SELECT); empty when it does not start with a bare word.
std::string first_keyword(std::string_view statement);

// Whether the statement only reads: SELECT, WITH, SHOW, DESCRIBE/DESC, EXISTS, EXPLAIN.
bool is_read_only(std::string_view statement) noexcept;

// Whether a block comment of `text` holds another `/*` before its first `*/`: there the lexers of
// ClickHouse disagree. Since 2020 (20.10) a comment nests and ends at its matching `*/`, as here;
// older servers end it at the first `*/`, so what follows is SQL to them and comment to chconn
// (`/* /* */ ' */ ...` hides a string's quote from one of the two). A connection refuses such a
// statement on a server that does not nest comments.
bool has_nested_comment(std::string_view text) noexcept;

// Whether the statement changes the state of the session it runs in, which outlives the statement
// on that connection: SET (settings, roles, parameters), USE, CREATE [OR REPLACE] TEMPORARY and
// DROP TEMPORARY, and the transaction statements (BEGIN, START TRANSACTION, COMMIT, ROLLBACK). A
// pool does not lend such a connection to the next caller (PoolOptions::keep_session_state).
bool changes_session(std::string_view statement) noexcept;

// Whether a SETTINGS clause of the statement assigns `setting` (`SETTINGS a = 1, `b` = 2`), at any
// depth; a name elsewhere (a column, a string, a comment) does not count.
bool settings_clause_assigns(std::string_view statement, std::string_view setting);

// Whether interactive input typed so far ends a statement: its last significant token is a ';' or
// a `\G`. A ';' inside a string, a quoted identifier, a comment or a heredoc does not count, and an
// unterminated quote or comment keeps the input open (the CLI's prompt asks for another line).
bool ends_statement(std::string_view text) noexcept;

// A statement ending in `\G` (clickhouse-client's "print this result in the Vertical format"):
// the statement before it, trailing whitespace and comments dropped; nullopt when it does not end
// so. The view points into `statement`.
std::optional<std::string_view> without_vertical_suffix(std::string_view statement) noexcept;

// What an INSERT statement says about where its rows come from.
struct InsertShape {
  bool is_insert = false;
  bool from_select = false;           // INSERT ... SELECT / WITH ...: the server makes the rows
  std::optional<std::string> format;  // the FORMAT name (unquoted), when there is one
  // Where the data written in the statement's text starts (at the first token after VALUES, or
  // after the FORMAT name, the spaces and tabs after it and one line end), when there is any;
  // nullopt when the rows must come from the client.
  std::optional<std::size_t> inline_data;
};
InsertShape insert_shape(std::string_view statement);

// `text` as a single-quoted ClickHouse string literal. Backslash, the quote, control bytes and
// '$' are escaped ('$' as \x24, so that no value can open or close a $heredoc$ around it); every
// ClickHouse version reads the result back as exactly `text`.
std::string quote_string(std::string_view text);
// `name` as a back-quoted identifier, escaped the same way.
std::string quote_identifier(std::string_view name);

// The name after a trailing `FORMAT name` of a statement that is not an INSERT (there FORMAT
// names the input), unquoted; nullopt when there is none.
std::optional<std::string> trailing_format(std::string_view statement);

// The file of a top-level `INTO OUTFILE 'name'` clause of a statement that is not an INSERT,
// unescaped; nullopt when there is none. The clause is the client's business (the server ignores
// it over the native protocol): the client writes the result to that file. Throws Error(usage)
// when the name is not a plain single-quoted string, or for the clause's later forms that are
// not supported (AND STDOUT, APPEND, TRUNCATE, COMPRESSION), naming them.
std::optional<std::string> into_outfile(std::string_view statement);

}  // namespace chconn::sql
