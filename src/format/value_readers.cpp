// The value readers of text input (see input_parser.h): the reader of a column's type, the
// defaults every reader shares, and the readers of types that hold others (Nullable, Array, Tuple,
// Map, LowCardinality), with ClickHouse 18.16's rules. Scalars are read by scalar_readers.cpp and
// time_readers.cpp.
#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/error.h"
#include "format/input_parser.h"

namespace chconn::text::detail {

void ValueReader::quoted(Tokens& tokens, int depth) {
  (void)depth;
  const sql::Token t = tokens.take();
  switch (t.kind) {
    case TokenKind::string_literal: text(string_token_value(t)); return;
    case TokenKind::number: text(t.text); return;
    case TokenKind::bare_word:
      // NULL where the type is not Nullable (Nullable's reader takes it first): an error, as 18.16
      // says "Type mismatch of array elements in IN or VALUES section" for ['a', NULL] into
      // Array(String), never the text "NULL".
      if (sql::is_keyword(t, "NULL")) throw BadValue{"is NULL, which a value of this type cannot be", 53};
      text(t.text);
      return;
    case TokenKind::minus: {
      const sql::Token n = tokens.take();
      if (n.kind != TokenKind::number && n.kind != TokenKind::bare_word) throw BadValue{"has a '-' before no number"};
      text("-" + std::string(n.text));
      return;
    }
    default: throw BadValue{"has " + excerpt(t.text) + " where a value was expected"};
  }
}

void ValueReader::json(Json& j, int depth) {
  (void)depth;
  if (j.at('"')) {
    text(j.string());
    return;
  }
  const std::string_view v = j.bare();
  if (v == "null") {
    null();
    return;
  }
  text(v);
}

namespace {

class NullableReader final : public ValueReader {
 public:
  NullableReader(Column& column, const ReadContext& context)
      : ValueReader(column), nested_(make_reader(static_cast<ColumnNullable&>(column).nested(), context)) {}
  void text(std::string_view s) override {
    nested_->text(s);
    static_cast<ColumnNullable&>(column_).append_not_null();
  }
  void quoted(Tokens& tokens, int depth) override {
    if (tokens.peek().kind == TokenKind::bare_word && sql::is_keyword(tokens.peek(), "NULL")) {
      tokens.take();
      null();
      return;
    }
    nested_->quoted(tokens, depth);
    static_cast<ColumnNullable&>(column_).append_not_null();
  }
  void json(Json& j, int depth) override {
    if (!j.at('"') && !j.at('[') && !j.at('{')) {
      Json probe = j;
      if (probe.bare() == "null") {
        j.bare();
        null();
        return;
      }
    }
    nested_->json(j, depth);
    static_cast<ColumnNullable&>(column_).append_not_null();
  }
  void null() override { static_cast<ColumnNullable&>(column_).append_null(); }
  bool raw_in_tsv() const noexcept override { return nested_->raw_in_tsv(); }

 private:
  ReaderPtr nested_;
};

// A compound value (array, tuple, map) given as a whole field: read with the lexer.
class CompoundReader : public ValueReader {
 public:
  using ValueReader::ValueReader;
  bool raw_in_tsv() const noexcept override { return true; }
  void text(std::string_view s) override {
    Tokens tokens(s);
    quoted(tokens, 0);
    if (!tokens.at_end()) throw BadValue{"has " + excerpt(tokens.peek().text) + " after the value"};
  }
};

class ArrayReader final : public CompoundReader {
 public:
  ArrayReader(Column& column, const ReadContext& context)
      : CompoundReader(column),
        nested_(make_reader(static_cast<ColumnArray&>(column).nested(), context)),
        scalar_elements_(is_scalar(static_cast<ColumnArray&>(column).nested().type()->storage_type().code())) {}

  // A whole field (TSV, CSV): the common plain form read directly, anything else with the lexer.
  void text(std::string_view s) override {
    if (scalar_elements_ && plain_elements(s)) {
      for (const std::string_view e : elements_) nested_->text(e);
      static_cast<ColumnArray&>(column_).finish_row();
      return;
    }
    CompoundReader::text(s);
  }

  void quoted(Tokens& tokens, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    tokens.expect(TokenKind::open_square, "'['");
    if (tokens.peek().kind != TokenKind::close_square) {
      for (;;) {
        nested_->quoted(tokens, depth + 1);
        if (tokens.peek().kind != TokenKind::comma) break;
        tokens.take();
      }
    }
    tokens.expect(TokenKind::close_square, "',' or ']'");
    static_cast<ColumnArray&>(column_).finish_row();
  }
  void json(Json& j, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    if (j.at('"')) {  // an array written as a string: its text form
      text(j.string());
      return;
    }
    j.expect('[');
    if (!j.eat(']')) {
      do nested_->json(j, depth + 1);
      while (j.eat(','));
      j.expect(']');
    }
    static_cast<ColumnArray&>(column_).finish_row();
  }

 private:
  // Whether an element of this type is read by ValueReader::quoted() (a string literal's value or
  // a number's text given to text()), so that plain_elements() may read it the same way.
  static bool is_scalar(TypeCode code) noexcept {
    return code != TypeCode::Nullable && code != TypeCode::Array && code != TypeCode::Tuple && code != TypeCode::Map &&
           code != TypeCode::LowCardinality;
  }

  // Splits `s` into elements_ when it is an array in the plain form 18.16 and the current server
  // write, the only form the fast path reads: '[', then elements separated by ',', then ']' and the
  // end, with spaces allowed between them; an element is a '...' string without a backslash or a
  // doubled quote (elements_ gets its body), or digits with a '-' or not directly followed by ','
  // or ']' or a space (elements_ gets its text). The lexer reads such text into exactly these
  // values, as ValueReader::quoted() gives them to text(). False for anything else (comments,
  // escapes, other numbers, words, errors): the caller reads it with the lexer, which states
  // errors. Nothing is appended here.
  bool plain_elements(std::string_view s) {
    elements_.clear();
    std::size_t i = 0;
    const auto skip_spaces = [&] {
      while (i < s.size() && s[i] == ' ') ++i;
    };
    skip_spaces();
    if (i >= s.size() || s[i] != '[') return false;
    ++i;
    skip_spaces();
    if (i < s.size() && s[i] == ']') {
      ++i;
    } else {
      for (;;) {
        if (i >= s.size()) return false;
        if (s[i] == '\'') {
          const std::size_t begin = i + 1;
          const void* q = std::memchr(s.data() + begin, '\'', s.size() - begin);
          if (q == nullptr) return false;
          const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(q) - s.data());
          const std::string_view body = s.substr(begin, end - begin);
          if (body.find('\\') != std::string_view::npos) return false;
          if (end + 1 < s.size() && s[end + 1] == '\'') return false;  // a doubled quote
          elements_.push_back(body);
          i = end + 1;
        } else {
          const std::size_t begin = i;
          if (s[i] == '-') ++i;
          const std::size_t digits = i;
          while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
          if (i == digits) return false;
          if (i < s.size() && s[i] != ',' && s[i] != ']' && s[i] != ' ') return false;
          elements_.push_back(s.substr(begin, i - begin));
        }
        skip_spaces();
        if (i >= s.size()) return false;
        if (s[i] == ']') {
          ++i;
          break;
        }
        if (s[i] != ',') return false;
        ++i;
        skip_spaces();
      }
    }
    skip_spaces();
    return i == s.size();
  }

  ReaderPtr nested_;
  bool scalar_elements_;
  std::vector<std::string_view> elements_;  // plain_elements()' result, kept for its capacity
};

class TupleReader final : public CompoundReader {
 public:
  TupleReader(Column& column, const ReadContext& context) : CompoundReader(column) {
    auto& tuple = static_cast<ColumnTuple&>(column);
    for (std::size_t i = 0; i < tuple.element_count(); ++i) elements_.push_back(make_reader(tuple.element(i), context));
  }
  void quoted(Tokens& tokens, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    tokens.expect(TokenKind::open_round, "'('");
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      if (i > 0) tokens.expect(TokenKind::comma, "','");
      elements_[i]->quoted(tokens, depth + 1);
    }
    tokens.expect(TokenKind::close_round, "')'");
  }
  void json(Json& j, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    if (j.at('"')) {
      text(j.string());
      return;
    }
    j.expect('[');
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      if (i > 0) j.expect(',');
      elements_[i]->json(j, depth + 1);
    }
    j.expect(']');
  }

 private:
  std::vector<ReaderPtr> elements_;
};

class MapReader final : public CompoundReader {
 public:
  MapReader(Column& column, const ReadContext& context)
      : CompoundReader(column),
        keys_(make_reader(static_cast<ColumnMap&>(column).keys(), context)),
        values_(make_reader(static_cast<ColumnMap&>(column).values(), context)) {}
  void quoted(Tokens& tokens, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    tokens.expect(TokenKind::open_curly, "'{'");
    if (tokens.peek().kind != TokenKind::close_curly) {
      for (;;) {
        keys_->quoted(tokens, depth + 1);
        tokens.expect(TokenKind::colon, "':'");
        values_->quoted(tokens, depth + 1);
        if (tokens.peek().kind != TokenKind::comma) break;
        tokens.take();
      }
    }
    tokens.expect(TokenKind::close_curly, "',' or '}'");
    static_cast<ColumnMap&>(column_).finish_row();
  }
  void json(Json& j, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    j.expect('{');
    if (!j.eat('}')) {
      do {
        keys_->text(j.string());
        j.expect(':');
        values_->json(j, depth + 1);
      } while (j.eat(','));
      j.expect('}');
    }
    static_cast<ColumnMap&>(column_).finish_row();
  }

 private:
  ReaderPtr keys_;
  ReaderPtr values_;
};

template <std::size_t N>
void append_fixed_as(ColumnLowCardinality& lc, std::string_view bytes) {
  std::array<std::uint8_t, N> v{};
  std::memcpy(v.data(), bytes.data(), N);
  lc.append_value(v);
}

// LowCardinality(T): each value is read into a one-row column of T (or Nullable(T)) and added to
// the dictionary.
class LowCardinalityReader final : public ValueReader {
 public:
  LowCardinalityReader(Column& column, const ReadContext& context) : ValueReader(column) {
    const Type& type = column.type()->storage_type();
    scratch_ = make_column(type.element(0));
    inner_ = make_reader(*scratch_, context);
  }
  void text(std::string_view s) override {
    scratch_->clear();
    inner_->text(s);
    add();
  }
  void quoted(Tokens& tokens, int depth) override {
    scratch_->clear();
    inner_->quoted(tokens, depth);
    add();
  }
  void json(Json& j, int depth) override {
    scratch_->clear();
    inner_->json(j, depth);
    add();
  }
  void null() override {
    scratch_->clear();
    inner_->null();
    add();
  }

 private:
  void add() { append_low_cardinality(static_cast<ColumnLowCardinality&>(column_), *scratch_); }

  ColumnRef scratch_;
  ReaderPtr inner_;
};

}  // namespace

void append_low_cardinality(ColumnLowCardinality& lc, const Column& one) {
  const Column* value = &one;
  if (const auto* n = dynamic_cast<const ColumnNullable*>(value)) {
    if (n->is_null(0)) {
      lc.append_null();
      return;
    }
    value = &n->nested();
  }
  if (const auto* s = dynamic_cast<const ColumnString*>(value)) {
    lc.append((*s)[0]);
    return;
  }
  const auto* fixed = dynamic_cast<const FixedWidthColumn*>(value);
  if (fixed == nullptr) throw BadValue{"has a type LowCardinality cannot hold here"};
  const std::string_view bytes(reinterpret_cast<const char*>(fixed->raw_bytes().data()), fixed->value_size());
  if (dynamic_cast<const ColumnFixedString*>(value) != nullptr) {
    lc.append(bytes);
    return;
  }
  switch (bytes.size()) {
    case 1: append_fixed_as<1>(lc, bytes); break;
    case 2: append_fixed_as<2>(lc, bytes); break;
    case 4: append_fixed_as<4>(lc, bytes); break;
    case 8: append_fixed_as<8>(lc, bytes); break;
    case 16: append_fixed_as<16>(lc, bytes); break;
    default: throw BadValue{"has a type LowCardinality cannot hold here"};
  }
}

ReaderPtr make_reader(Column& column, const ReadContext& context) {
  const Type& type = column.type()->storage_type();
  if (ReaderPtr scalar = make_scalar_reader(column)) return scalar;
  if (ReaderPtr time = make_time_reader(column, context)) return time;
  switch (type.code()) {
    case TypeCode::Nullable: return std::make_unique<NullableReader>(column, context);
    case TypeCode::Array: return std::make_unique<ArrayReader>(column, context);
    case TypeCode::Tuple: return std::make_unique<TupleReader>(column, context);
    case TypeCode::Map: return std::make_unique<MapReader>(column, context);
    case TypeCode::LowCardinality: return std::make_unique<LowCardinalityReader>(column, context);
    default: break;
  }
  throw Error(ErrorKind::usage, "chconn cannot read text into a column of type " + column.type()->name() +
                                    " yet; insert such columns as blocks with Connection::insert()");
}

}  // namespace chconn::text::detail
