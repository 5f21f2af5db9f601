// Values input (see input_parser.h): (v, v, ...) tuples of SQL literals, found and read with the
// one SQL lexer (chconn/core/sql.h).
#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "format/input_parser.h"

namespace chconn::text::detail {
namespace {

class ValuesParser final : public RowParser {
 public:
  using RowParser::RowParser;

 private:
  // One (...) tuple, found with the SQL lexer; blanks and commas between tuples are skipped, and
  // a ';' ends the data.
  std::optional<std::string_view> scan() override {
    if (!skip_record_separators()) return std::nullopt;
    line_ = next_line_;
    if (input_.rest().front() == ';') {
      const std::string_view r = input_.rest().substr(1);
      for (char c : r) {
        if (!is_blank(c)) throw BadValue{"follows the ';' that ends the data: " + excerpt(r.substr(0, 16))};
      }
      input_.consume(input_.rest().size());
      while (input_.more()) {
        for (char c : input_.rest()) {
          if (!is_blank(c)) throw BadValue{"follows the ';' that ends the data"};
        }
        input_.consume(input_.rest().size());
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
    std::size_t c = 0;
    std::size_t value_begin = 0;  // where column c's value starts in the row, for the message
    std::optional<Tokens> tokens;
    try {
      tokens.emplace(row);
      tokens->expect(TokenKind::open_round, "'('");
      for (; c < readers_.size(); ++c) {
        if (c > 0) tokens->expect(TokenKind::comma, "','");
        value_begin = tokens->peek().offset;
        readers_[c]->quoted(*tokens, 0);
      }
      c = readers_.size();
      tokens->expect(TokenKind::close_round, "')' after " + std::to_string(readers_.size()) + " values");
    } catch (const BadValue& e) {
      if (c < readers_.size()) {
        // The value: from its first token to the token the reader stopped at (at least one byte).
        std::size_t value_end = tokens ? tokens->peek().offset : row.size();
        if (value_end <= value_begin) value_end = std::min(row.size(), value_begin + k_excerpt_bytes);
        fail_value(c, row.substr(value_begin, value_end - value_begin),
                   e.why + " (chconn reads literals only; an expression such as now() is not evaluated)");
      }
      fail_row("the row " + excerpt(row) + " " + e.why);
    }
  }
};

}  // namespace

RowParserPtr make_values_parser(ByteSource& in, InputOptions options) {
  return std::make_unique<ValuesParser>(InputFormat::values, in, std::move(options));
}

}  // namespace chconn::text::detail
