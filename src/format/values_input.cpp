// Values input (see input_parser.h): (v, v, ...) tuples, found and read with the one SQL lexer
// (chconn/core/sql.h); and the evaluation of the fields that are expressions, on the server.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/format/text.h"
#include "core/strings.h"
#include "format/input_parser.h"

namespace chconn::text::detail {
namespace {

// Where a row's field lies in the row's text: from its first significant token to the end of its
// last one, and whether it is a literal.
struct Field {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool literal = true;
};

// Whether tokens[i...] start a literal, as 18.16's Values parser reads one without evaluating
// it: a number with its sign (nan and inf too), a '...' string, NULL, true, false, and [arrays],
// (tuples) and {maps} of those. Advances `i` past it.
bool literal_at(const std::vector<sql::Token>& tokens, std::size_t& i, int depth) {
  if (i >= tokens.size() || depth > k_max_depth) return false;
  const sql::Token& t = tokens[i];
  const auto is_word = [](const sql::Token& w, std::string_view name) {
    return w.kind == TokenKind::bare_word && chconn::detail::iequals(w.text, name);
  };
  switch (t.kind) {
    case TokenKind::number: ++i; return true;
    case TokenKind::string_literal: ++i; return t.text.front() == '\'';  // not x'..', b'..' or a typographic quote
    case TokenKind::bare_word:
      ++i;
      // true and false too: current servers' literals, read by a Bool column (18.16 has neither).
      return is_word(t, "NULL") || is_word(t, "nan") || is_word(t, "inf") || is_word(t, "true") || is_word(t, "false");
    case TokenKind::minus:
    case TokenKind::plus:
      ++i;
      if (i < tokens.size() &&
          (tokens[i].kind == TokenKind::number || is_word(tokens[i], "nan") || is_word(tokens[i], "inf"))) {
        ++i;
        return true;
      }
      return false;
    case TokenKind::open_square:
    case TokenKind::open_round:
    case TokenKind::open_curly: {
      const TokenKind close = t.kind == TokenKind::open_square  ? TokenKind::close_square
                              : t.kind == TokenKind::open_round ? TokenKind::close_round
                                                                : TokenKind::close_curly;
      const bool map = t.kind == TokenKind::open_curly;
      ++i;
      if (i < tokens.size() && tokens[i].kind == close && t.kind != TokenKind::open_round) {
        ++i;
        return true;
      }
      for (;;) {
        if (!literal_at(tokens, i, depth + 1)) return false;
        if (map) {
          if (i >= tokens.size() || tokens[i].kind != TokenKind::colon) return false;
          ++i;
          if (!literal_at(tokens, i, depth + 1)) return false;
        }
        if (i < tokens.size() && tokens[i].kind == TokenKind::comma) {
          ++i;
          continue;
        }
        if (i < tokens.size() && tokens[i].kind == close) {
          ++i;
          return true;
        }
        return false;
      }
    }
    default: ++i; return false;
  }
}

// The fields of a (...) row, or nullopt when the row is not a well-formed tuple (the parser then
// reports it). A field ends at a ',' or the closing ')' outside any bracket.
std::optional<std::vector<Field>> split_row(std::string_view row) {
  sql::Lexer lexer(row);
  std::vector<Field> fields;
  std::vector<sql::Token> tokens;  // the current field's significant tokens
  int depth = 0;
  for (;;) {
    const sql::Token t = lexer.next_significant();
    if (t.kind == TokenKind::end || t.kind == TokenKind::error || t.kind == TokenKind::unterminated) {
      return std::nullopt;
    }
    if (depth == 0) {
      if (t.kind != TokenKind::open_round) return std::nullopt;
      depth = 1;
      continue;
    }
    if (depth == 1 && (t.kind == TokenKind::comma || t.kind == TokenKind::close_round)) {
      if (tokens.empty()) return std::nullopt;
      Field f{tokens.front().offset, tokens.back().end(), false};
      std::size_t i = 0;
      f.literal = literal_at(tokens, i, 0) && i == tokens.size();
      fields.push_back(f);
      tokens.clear();
      if (t.kind == TokenKind::close_round) return fields;
      continue;
    }
    if (t.kind == TokenKind::open_round || t.kind == TokenKind::open_square || t.kind == TokenKind::open_curly) ++depth;
    if (t.kind == TokenKind::close_round || t.kind == TokenKind::close_square || t.kind == TokenKind::close_curly) {
      --depth;
    }
    tokens.push_back(t);
  }
}

// The SQL text of an expression field: its tokens as written, comments replaced by a space, so
// that nothing in it can comment out what follows it in the SELECT. Nullopt for a field holding
// a ';' (the parser refuses it).
std::optional<std::string> expression_text(std::string_view field) {
  sql::Lexer lexer(field);
  std::string out;
  for (;;) {
    const sql::Token t = lexer.next();
    if (t.kind == TokenKind::end) return out;
    if (t.kind == TokenKind::semicolon || t.kind == TokenKind::error || t.kind == TokenKind::unterminated) {
      return std::nullopt;
    }
    if (t.kind == TokenKind::comment) {
      out += ' ';
    } else {
      out += t.text;
    }
  }
}

bool is_string_type(const Type& type) {
  return type.code() == TypeCode::String || type.code() == TypeCode::FixedString;
}

// `type` without Nullable and LowCardinality around it.
const Type& value_type(const Type& type) {
  const Type& t = type.storage_type();
  if (t.code() == TypeCode::Nullable || t.code() == TypeCode::LowCardinality) return value_type(*t.element(0));
  return t;
}

// The name of 18.16's Field kind for a value of `type`, as its "Type mismatch" message says it.
std::string field_kind(const Type& type) {
  switch (type.code()) {
    case TypeCode::Int8:
    case TypeCode::Int16:
    case TypeCode::Int32:
    case TypeCode::Int64: return "Int64";
    case TypeCode::Float32:
    case TypeCode::Float64: return "Float64";
    case TypeCode::Array: return "Array";
    case TypeCode::Tuple: return "Tuple";
    case TypeCode::Decimal32: return "Decimal32";
    case TypeCode::Decimal64: return "Decimal64";
    case TypeCode::Decimal128: return "Decimal128";
    default: return "UInt64";  // unsigned numbers, dates, enums
  }
}

class ValuesParser final : public RowParser {
 public:
  using RowParser::RowParser;

 private:
  // One (...) tuple, found with the SQL lexer; blanks and commas between tuples are skipped, and
  // a ';' ends the data. What follows it must be blank, unless InputOptions::
  // values_ignore_after_end says it is not read (18.16's client ignores it: `VALUES (1); SELECT 2`
  // written on one line inserts one row and runs no SELECT, and so does "(1); (2)" on stdin).
  std::optional<std::string_view> scan() override {
    if (ended_ || !skip_record_separators()) return std::nullopt;
    line_ = next_line_;
    if (input_.rest().front() == ';') {
      ended_ = true;
      if (!options_.values_ignore_after_end) {
        input_.consume(1);
        for (;;) {
          const std::string_view r = input_.rest();
          for (char c : r) {
            if (!chconn::detail::is_space(c))
              throw BadValue{"follows the ';' that ends the data: " + excerpt(r.substr(0, 16))};
          }
          input_.consume(r.size());
          if (!input_.more()) break;
        }
      }
      return std::nullopt;
    }
    if (input_.rest().front() != '(')
      throw BadValue{"does not start with '(': " + excerpt(input_.rest().substr(0, 16))};
    for (;;) {
      const std::string_view r = input_.rest();
      sql::Lexer lexer(r);
      int depth = 0;
      for (;;) {
        const sql::Token t = lexer.next();
        if (t.kind == TokenKind::end || t.kind == TokenKind::unterminated) break;
        // A token that touches the end of the buffer may continue in the next read.
        if (t.end() == r.size() && !input_.eof()) break;
        if (t.kind == TokenKind::open_round) ++depth;
        if (t.kind == TokenKind::close_round && --depth == 0) {
          input_.consume(t.end());
          const std::string_view row = r.substr(0, t.end());
          count_lines(row, 0);
          return row;
        }
      }
      // At the end of the input a token touching the end is whole: scan once more, then give up.
      if (input_.eof()) throw BadValue{"ends before its closing ')'"};
      input_.more();
    }
  }

  void read(std::string_view row) override {
    // Fields that are expressions take their values from options_.evaluated; the row is split first
    // to know which (a row that does not split is read as literals: the reader reports it).
    const std::optional<std::vector<Field>> fields = split_row(row);
    std::size_t c = 0;
    std::size_t value_begin = 0;  // where column c's value starts in the row, for the message
    std::optional<Tokens> tokens;
    try {
      tokens.emplace(row);
      tokens->expect(TokenKind::open_round, "'('");
      for (; c < readers_.size(); ++c) {
        if (c > 0) tokens->expect(TokenKind::comma, "','");
        value_begin = tokens->peek().offset;
        if (fields && c < fields->size() && !(*fields)[c].literal) {
          const Field& f = (*fields)[c];
          while (!tokens->at_end() && tokens->peek().offset < f.end) tokens->take();
          read_evaluated(c);
          continue;
        }
        readers_[c]->quoted(*tokens, 0);
      }
      c = readers_.size();
      tokens->expect(TokenKind::close_round, "')' after " + std::to_string(readers_.size()) + " values");
    } catch (const BadValue& e) {
      if (c < readers_.size()) {
        // The value: from its first token to the token the reader stopped at (at least one byte).
        std::size_t value_end = tokens ? tokens->peek().offset : row.size();
        if (value_end <= value_begin) value_end = std::min(row.size(), value_begin + k_excerpt_bytes);
        fail_value(c, row.substr(value_begin, value_end - value_begin), e.why, e.code);
      }
      fail_row("the row " + excerpt(row) + " " + e.why, e.code);
    }
  }

  // Column c's field is an expression: its value, converted to the column's type as 18.16
  // converts an evaluated field (convertFieldToType): a String column takes only a string, Date
  // takes a DateTime's day and DateTime a Date's midnight, NULL only a Nullable column.
  void read_evaluated(std::size_t c) {
    const std::size_t row = rows_read() + 1;
    if (!options_.evaluated) {
      throw BadValue{
          "is an expression; chconn evaluates expressions (on the server, before the insert) only in "
          "data in memory, such as the data after INSERT ... VALUES in a query, not in data read as "
          "a stream (stdin)"};
    }
    const std::vector<EvaluatedValue>& values = *options_.evaluated;
    if (next_evaluated_ >= values.size() || values[next_evaluated_].row != row || values[next_evaluated_].column != c) {
      throw BadValue{"is an expression without a value: the evaluated values are not of this data"};
    }
    const EvaluatedValue& v = values[next_evaluated_++];
    const Type& target = value_type(*sample_.column(c)->type());
    const Type& source = value_type(*v.type);
    std::string literal = v.literal;
    const auto why = [&](const std::string& what) {
      return "(an expression of type " + v.type->name() + ", value " + excerpt(v.literal) + ") " + what;
    };
    if (literal == "NULL") {
      if (!sample_.column(c)->type()->storage_type().is_nullable() &&
          !(sample_.column(c)->type()->storage_type().code() == TypeCode::LowCardinality &&
            sample_.column(c)->type()->storage_type().element(0)->is_nullable())) {
        throw BadValue{why("is NULL, which is out of range of type " + sample_.column(c)->type()->name()), 321};
      }
    } else if (is_string_type(target) && !is_string_type(source)) {
      throw BadValue{why("does not match the column: Type mismatch in IN or VALUES section. Expected: String. Got: " +
                         field_kind(source)),
                     53};
    } else if (target.code() == TypeCode::Date && source.code() == TypeCode::DateTime && literal.size() == 21) {
      literal = literal.substr(0, 11) + "'";  // '2000-01-02 03:04:05' -> '2000-01-02'
    } else if (target.code() == TypeCode::DateTime && source.code() == TypeCode::Date && literal.size() == 12) {
      literal.insert(11, " 00:00:00");  // '2000-01-02' -> '2000-01-02 00:00:00', midnight in the zone
    }
    try {
      Tokens tokens(literal);
      readers_[c]->quoted(tokens, 0);
      if (!tokens.at_end()) throw BadValue{"has " + excerpt(tokens.peek().text) + " after the value"};
    } catch (const BadValue& e) {
      throw BadValue{why(e.why), e.code};
    }
  }

 public:
  // The next row's text for evaluate_values_expressions(), and the line it starts on; nullopt at
  // the end of the data or at a row that cannot be found (the parser reports it).
  std::optional<std::string_view> raw_row(std::size_t& line) {
    try {
      line_ = next_line_;
      const std::optional<std::string_view> row = scan();
      line = line_;
      return row;
    } catch (const BadValue&) {
      return std::nullopt;
    }
  }

 private:
  std::size_t next_evaluated_ = 0;  // the next of options_.evaluated to use
  bool ended_ = false;              // a ';' ended the data
};

}  // namespace

InputParserPtr make_values_parser(ByteSource& in, InputOptions options) {
  return std::make_unique<ValuesParser>(InputFormat::values, in, std::move(options));
}

}  // namespace chconn::text::detail

namespace chconn::text {

namespace {

// One SELECT of a batch of expressions; appends their values to `out`.
void evaluate_batch(Connection& conn, const std::string& select, std::vector<EvaluatedValue>& pending,
                    const FormatOptions& format, const QueryOptions& query, std::size_t& result_bytes,
                    std::size_t max_result_bytes, std::vector<EvaluatedValue>& out) {
  std::vector<Block> blocks;
  std::size_t rows = 0;
  conn.select(
      select,
      [&](const Block& block) {
        rows += block.rows();
        if (block.rows() > 0 && rows == block.rows()) blocks.push_back(block);
      },
      query);
  if (rows != 1 || blocks.empty() || blocks.front().column_count() != pending.size()) {
    throw Error(ErrorKind::usage, "an expression in VALUES (row " + std::to_string(pending.front().row) +
                                      ") is not a constant: evaluating it gave " + std::to_string(rows) +
                                      " rows, not one (such as arrayJoin)");
  }
  const Block& block = blocks.front();
  BlockFormatter values(OutputFormat::values, format);
  std::string text;
  values.write_block(text, block);
  result_bytes += text.size();
  if (result_bytes > max_result_bytes) {
    throw Error(ErrorKind::usage, "the values of the expressions in VALUES are longer than " +
                                      std::to_string(max_result_bytes) + " bytes (EvaluateOptions::max_result_bytes)");
  }
  const std::optional<std::vector<detail::Field>> fields = detail::split_row(text);
  if (!fields || fields->size() != pending.size()) {
    throw Error(ErrorKind::protocol, "the values of the expressions in VALUES could not be read back");
  }
  for (std::size_t i = 0; i < pending.size(); ++i) {
    EvaluatedValue v = std::move(pending[i]);
    v.literal = text.substr((*fields)[i].begin, (*fields)[i].end - (*fields)[i].begin);
    v.type = block.column(i)->type();
    out.push_back(std::move(v));
  }
  pending.clear();
}

}  // namespace

std::vector<EvaluatedValue> evaluate_values_expressions(Connection& conn, std::string_view data,
                                                        const QueryOptions& query, EvaluateOptions options) {
  MemoryByteSource bytes(data);
  InputOptions input;
  input.max_row_bytes = options.max_row_bytes;
  detail::ValuesParser rows(InputFormat::values, bytes, input);
  const ServerInfo& info = conn.server_info();
  const FormatOptions format = options_for_server(info.version_major, info.version_minor, info.timezone);

  std::vector<EvaluatedValue> out;
  std::vector<EvaluatedValue> pending;  // the batch's expressions (literal and type still empty)
  std::string select;
  std::size_t result_bytes = 0;
  std::size_t line = 0;
  const auto flush = [&] {
    if (pending.empty()) return;
    evaluate_batch(conn, select, pending, format, query, result_bytes, options.max_result_bytes, out);
    select.clear();
  };
  for (std::size_t row_number = 1;; ++row_number) {
    const std::optional<std::string_view> row = rows.raw_row(line);
    if (!row) break;
    const std::optional<std::vector<detail::Field>> fields = detail::split_row(*row);
    if (!fields) break;  // the parser reports the row
    for (std::size_t c = 0; c < fields->size(); ++c) {
      const detail::Field& f = (*fields)[c];
      if (f.literal) continue;
      const std::optional<std::string> expression = detail::expression_text(row->substr(f.begin, f.end - f.begin));
      if (!expression) return out;  // a ';' in a field: the parser refuses the row
      if (!pending.empty() && select.size() + expression->size() + 2 > options.max_query_bytes) flush();
      select += select.empty() ? "SELECT " : ", ";
      select += *expression;
      pending.push_back(EvaluatedValue{row_number, c, {}, nullptr});
    }
  }
  flush();
  return out;
}

}  // namespace chconn::text
