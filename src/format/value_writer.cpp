// ValueWriter (see chconn/format/text.h): the choice of a column's writer, and the writers of
// types that hold others (Nullable, LowCardinality, Variant, Dynamic, JSON, Array, Tuple, Map);
// scalar types are written by scalar_writers.cpp.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/format/text.h"
#include "chconn/wire/columns.h"
#include "format/value_writer.h"

namespace chconn::text {
namespace detail {
namespace {

// Escaping of the elements of an array or map, and of tuple elements.
Escaping element_escaping(Escaping e) noexcept {
  return e == Escaping::json || e == Escaping::xml ? e : Escaping::quoted;
}
Escaping tuple_element_escaping(Escaping e) noexcept {
  return e == Escaping::json || e == Escaping::csv || e == Escaping::xml ? e : Escaping::quoted;
}

class NullableWriter final : public Impl {
 public:
  NullableWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<ColumnNullable>(column)), nested_(make_impl(col_.nested(), esc, options)) {}
  void append(std::string& out, std::size_t row) const override {
    if (col_.is_null(row))
      append_null(out);
    else
      nested_->append(out, row);
  }

 private:
  const ColumnNullable& col_;
  ImplPtr nested_;
};

// A Variant's value is written as its type writes it, in the same escaping; NULL as NULL is.
class VariantWriter final : public Impl {
 public:
  VariantWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<ColumnVariant>(column)) {
    for (std::size_t k = 0; k < col_.variant_count(); ++k)
      variants_.push_back(make_impl(col_.variant(k), esc, options));
  }
  void append(std::string& out, std::size_t row) const override {
    if (col_.is_null(row)) {
      append_null(out);
    } else {
      variants_[col_.discriminator(row)]->append(out, col_.variant_row(row));
    }
  }

 private:
  const ColumnVariant& col_;
  std::vector<ImplPtr> variants_;
};

// A value in binary form (Dynamic's SharedVariant, JSON's shared data), decoded and written as
// its type writes it.
void append_binary_value(std::string& out, std::string_view bytes, Escaping esc, const FormatOptions& options) {
  const ColumnRef value = decode_binary_value(bytes);
  make_impl(*value, esc, options)->append(out, 0);
}

// A Dynamic's value as its type writes it (the Variant of its types, or the binary form of a
// value held in SharedVariant).
class DynamicWriter final : public Impl {
 public:
  DynamicWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnDynamic>(column)),
        variant_(col_.variant(), esc, options),
        options_(options) {}
  void append(std::string& out, std::size_t row) const override {
    if (col_.is_shared(row)) {
      append_binary_value(out, col_.shared_bytes(row), esc_, options_);
      return;
    }
    variant_.append(out, row);
  }

 private:
  const ColumnDynamic& col_;
  VariantWriter variant_;
  FormatOptions options_;
};

// A JSON object as the server writes it (SerializationJSON::serializeTextImpl): the row's paths
// sorted (typed paths always, dynamic paths where not NULL, shared data), "a.b" and "a.c" nested
// as {"a":{"b":...,"c":...}}, each value in its type's JSON form. As a JSONEachRow value the
// object is written as it is; in the other formats as a string of that text (TabSeparated-escaped,
// quoted, CSV-quoted), and in Pretty as it is.
class JsonObjectWriter final : public Impl {
 public:
  JsonObjectWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<ColumnJSON>(column)), options_(options) {
    for (std::size_t i = 0; i < col_.typed_path_count(); ++i) {
      typed_.push_back(make_impl(col_.typed_column(i), Escaping::json, options));
    }
    for (std::size_t i = 0; i < col_.dynamic_paths().size(); ++i) {
      dynamic_.push_back(make_impl(col_.dynamic_column(i), Escaping::json, options));
    }
  }

  void append(std::string& out, std::size_t row) const override {
    if (esc_ == Escaping::json || esc_ == Escaping::pretty) {
      append_object(out, row);
      return;
    }
    scratch_.clear();
    append_object(scratch_, row);
    append_string(out, scratch_);
  }

 private:
  enum class Kind : std::uint8_t { typed, dynamic, shared };
  struct Entry {
    std::string_view path;
    Kind kind;
    std::size_t index;  // typed or dynamic path, or row of the shared data
  };

  void append_object(std::string& out, std::size_t row) const {
    entries_.clear();
    for (std::size_t i = 0; i < col_.typed_path_count(); ++i) entries_.push_back({col_.typed_path(i), Kind::typed, i});
    for (std::size_t i = 0; i < col_.dynamic_paths().size(); ++i) {
      if (!col_.dynamic_column(i).is_null(row)) entries_.push_back({col_.dynamic_paths()[i], Kind::dynamic, i});
    }
    const auto shared = col_.shared_data().range(row);
    for (std::size_t k = shared.begin; k < shared.end; ++k)
      entries_.push_back({col_.shared_paths()[k], Kind::shared, k});
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.path < b.path; });

    // The objects open around the current key: prefix_[i] is the name of the i-th, and whether a
    // key was written in it (for the commas) is first_[i + 1]; first_[0] is the root's.
    prefix_.clear();
    first_.assign(1, true);
    out += '{';
    for (const Entry& e : entries_) {
      split(e.path);
      // Close the objects the path leaves: keep the common prefix, but not the path's last element.
      std::size_t common = 0;
      while (common < prefix_.size() && common + 1 < elements_.size() && prefix_[common] == elements_[common]) ++common;
      for (std::size_t i = common; i < prefix_.size(); ++i) out += '}';
      prefix_.resize(common);
      first_.resize(common + 1);
      // Open the objects of the path's other elements.
      for (std::size_t i = common; i + 1 < elements_.size(); ++i) {
        comma(out);
        append_json(out, elements_[i]);
        out += ":{";
        prefix_.push_back(elements_[i]);
        first_.push_back(true);
      }
      comma(out);
      append_json(out, elements_.back());
      out += ':';
      switch (e.kind) {
        case Kind::typed: typed_[e.index]->append(out, row); break;
        case Kind::dynamic: dynamic_[e.index]->append(out, row); break;
        case Kind::shared: append_binary_value(out, col_.shared_values()[e.index], Escaping::json, options_); break;
      }
    }
    for (std::size_t i = 0; i < prefix_.size(); ++i) out += '}';
    out += '}';
  }

  void comma(std::string& out) const {
    if (!first_.back()) out += ',';
    first_.back() = false;
  }

  // The path's elements, split at every '.' ("a..b" has an empty middle one, as the server's).
  void split(std::string_view path) const {
    elements_.clear();
    for (;;) {
      const std::size_t dot = path.find('.');
      elements_.push_back(path.substr(0, dot));
      if (dot == std::string_view::npos) return;
      path.remove_prefix(dot + 1);
    }
  }

  const ColumnJSON& col_;
  FormatOptions options_;
  std::vector<ImplPtr> typed_;
  std::vector<ImplPtr> dynamic_;
  // Reused between rows; a writer is used by one thread.
  mutable std::string scratch_;
  mutable std::vector<Entry> entries_;
  mutable std::vector<std::string_view> prefix_;
  mutable std::vector<bool> first_;
  mutable std::vector<std::string_view> elements_;
};

class LowCardinalityWriter final : public Impl {
 public:
  LowCardinalityWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnLowCardinality>(column)),
        dictionary_(make_impl(col_.dictionary(), esc, options)) {}
  void append(std::string& out, std::size_t row) const override {
    if (col_.is_null(row))
      append_null(out);
    else
      dictionary_->append(out, col_.index(row));
  }

 private:
  const ColumnLowCardinality& col_;
  ImplPtr dictionary_;
};

// CSV prints an array or map as one field: its text form, CSV-quoted.
class CsvFieldWriter final : public Impl {
 public:
  explicit CsvFieldWriter(ImplPtr text) : Impl(Escaping::csv), text_(std::move(text)) {}
  void append(std::string& out, std::size_t row) const override {
    scratch_.clear();
    text_->append(scratch_, row);
    append_csv_string(out, scratch_);
  }

 private:
  ImplPtr text_;
  mutable std::string scratch_;  // reused between rows; a writer is used by one thread
};

class ArrayWriter final : public Impl {
 public:
  ArrayWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnArray>(column)),
        element_(make_impl(col_.nested(), element_escaping(esc), options)) {}
  void append(std::string& out, std::size_t row) const override {
    const auto range = col_.range(row);
    if (esc_ == Escaping::xml) {
      // 18.16's XML: <array><elem>1</elem><elem>2</elem></array>.
      out += "<array>";
      for (std::size_t i = range.begin; i < range.end; ++i) {
        out += "<elem>";
        element_->append(out, i);
        out += "</elem>";
      }
      out += "</array>";
      return;
    }
    out += '[';
    for (std::size_t i = range.begin; i < range.end; ++i) {
      if (i != range.begin) out += ',';
      element_->append(out, i);
    }
    out += ']';
  }

 private:
  const ColumnArray& col_;
  ImplPtr element_;
};

class TupleWriter final : public Impl {
 public:
  TupleWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<ColumnTuple>(column)) {
    for (std::size_t i = 0; i < col_.element_count(); ++i) {
      elements_.push_back(make_impl(col_.element(i), tuple_element_escaping(esc), options));
    }
    // A named tuple is a JSON object where the server's option says so (names as JSON keys).
    if (esc == Escaping::json && options.json_named_tuples_as_objects) {
      const auto names = col_.type()->storage_type().element_names();
      for (const auto& name : names) {
        std::string key;
        append_json_string(key, name, options.json_escape_forward_slashes);
        keys_.push_back(std::move(key) + ':');
      }
    }
  }
  void append(std::string& out, std::size_t row) const override {
    // CSV spreads a tuple over several fields; JSON writes an array (as 18.16), or an object for
    // a named tuple (keys_ not empty).
    if (esc_ == Escaping::xml) {
      out += "<tuple>";
      for (const auto& element : elements_) {
        out += "<elem>";
        element->append(out, row);
        out += "</elem>";
      }
      out += "</tuple>";
      return;
    }
    const bool csv = esc_ == Escaping::csv;
    const bool object = !keys_.empty();
    if (!csv) out += esc_ == Escaping::json ? (object ? '{' : '[') : '(';
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      if (i) out += ',';
      if (object) out += keys_[i];
      elements_[i]->append(out, row);
    }
    if (!csv) out += esc_ == Escaping::json ? (object ? '}' : ']') : ')';
  }

 private:
  const ColumnTuple& col_;
  std::vector<ImplPtr> elements_;
  std::vector<std::string> keys_;  // "name": of each element, for a JSON object
};

class MapWriter final : public Impl {
 public:
  MapWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnMap>(column)),
        key_(make_impl(col_.keys(), element_escaping(esc), options)),
        value_(make_impl(col_.values(), element_escaping(esc), options)) {
    if (esc == Escaping::json) {
      // JSON object keys must be strings: a String key is one already, others are wrapped.
      const TypeCode code = col_.keys().type()->storage_type().code();
      const bool string_key =
          code == TypeCode::String || code == TypeCode::FixedString || (code == TypeCode::LowCardinality);
      if (!string_key) key_text_ = make_impl(col_.keys(), Escaping::tsv, options);
    }
  }
  void append(std::string& out, std::size_t row) const override {
    const auto range = col_.range(row);
    out += '{';
    for (std::size_t i = range.begin; i < range.end; ++i) {
      if (i != range.begin) out += ',';
      if (key_text_) {
        scratch_.clear();
        key_text_->append(scratch_, i);
        append_json(out, scratch_);
      } else {
        key_->append(out, i);
      }
      out += ':';
      value_->append(out, i);
    }
    out += '}';
  }

 private:
  const ColumnMap& col_;
  ImplPtr key_;
  ImplPtr value_;
  ImplPtr key_text_;  // JSON with a non-string key
  mutable std::string scratch_;
};

}  // namespace

namespace {

ImplPtr make_impl_of_type(const Column& column, Escaping esc, const FormatOptions& options) {
  if (esc == Escaping::csv) {
    // An array or map is one CSV field holding its TabSeparated text form.
    const TypeCode code = column.type()->storage_type().code();
    if (code == TypeCode::Array || code == TypeCode::Map || code == TypeCode::Nested) {
      return std::make_unique<CsvFieldWriter>(make_impl(column, Escaping::tsv, options));
    }
  }
  if (ImplPtr scalar = make_scalar_writer(column, esc, options)) return scalar;
  switch (column.type()->storage_type().code()) {
    case TypeCode::Nullable: return std::make_unique<NullableWriter>(column, esc, options);
    case TypeCode::Array:
    case TypeCode::Nested: return std::make_unique<ArrayWriter>(column, esc, options);
    case TypeCode::Tuple: return std::make_unique<TupleWriter>(column, esc, options);
    case TypeCode::Map: return std::make_unique<MapWriter>(column, esc, options);
    case TypeCode::LowCardinality: return std::make_unique<LowCardinalityWriter>(column, esc, options);
    case TypeCode::Variant: return std::make_unique<VariantWriter>(column, esc, options);
    case TypeCode::Dynamic: return std::make_unique<DynamicWriter>(column, esc, options);
    case TypeCode::JSON: return std::make_unique<JsonObjectWriter>(column, esc, options);
    default: break;  // scalar types, and SimpleAggregateFunction, which storage_type() never is
  }
  throw Error(ErrorKind::usage, "cannot format a column of type " + column.type()->name() + " as text");
}

}  // namespace

ImplPtr make_impl(const Column& column, Escaping esc, const FormatOptions& options) {
  ImplPtr impl = make_impl_of_type(column, esc, options);
  impl->set_json_escape_forward_slashes(options.json_escape_forward_slashes);
  return impl;
}

namespace {

// Whether Pretty aligns the column to the right: numbers, dates and times (both 18.16 and current
// servers), and UUIDs on 18.16 (FormatOptions::pretty_align_uuid_right).
bool aligns_right(const Type& type, const FormatOptions& options) noexcept {
  switch (type.storage_type().code()) {
    case TypeCode::Date:
    case TypeCode::Date32:
    case TypeCode::DateTime:
    case TypeCode::DateTime64:
    case TypeCode::UInt8:
    case TypeCode::UInt16:
    case TypeCode::UInt32:
    case TypeCode::UInt64:
    case TypeCode::UInt128:
    case TypeCode::UInt256:
    case TypeCode::Int8:
    case TypeCode::Int16:
    case TypeCode::Int32:
    case TypeCode::Int64:
    case TypeCode::Int128:
    case TypeCode::Int256:
    case TypeCode::Float32:
    case TypeCode::Float64:
    case TypeCode::BFloat16:
    case TypeCode::Time:
    case TypeCode::Time64:
    case TypeCode::Decimal32:
    case TypeCode::Decimal64:
    case TypeCode::Decimal128:
    case TypeCode::Decimal256: return true;
    case TypeCode::UUID: return options.pretty_align_uuid_right;
    case TypeCode::Nullable:
    case TypeCode::LowCardinality: return aligns_right(*type.storage_type().element(0), options);
    default: return false;
  }
}

}  // namespace

}  // namespace detail

using detail::aligns_right;
using detail::make_impl;

ValueWriter::ValueWriter(const Column& column, Escaping escaping, const FormatOptions& options)
    : impl_(make_impl(column, escaping, options)), align_right_(aligns_right(*column.type(), options)) {}
ValueWriter::~ValueWriter() = default;
ValueWriter::ValueWriter(ValueWriter&&) noexcept = default;
ValueWriter& ValueWriter::operator=(ValueWriter&&) noexcept = default;

void ValueWriter::append(std::string& out, std::size_t row) const { impl_->append(out, row); }

void append_value(std::string& out, const Column& column, std::size_t row, Escaping escaping,
                  const FormatOptions& options) {
  if (row >= column.size()) {
    throw Error(ErrorKind::usage, "row " + std::to_string(row) + " is out of range for a column of " +
                                      std::to_string(column.size()) + " rows");
  }
  ValueWriter(column, escaping, options).append(out, row);
}

std::string format_value(const Column& column, std::size_t row, Escaping escaping, const FormatOptions& options) {
  std::string out;
  append_value(out, column, row, escaping, options);
  return out;
}

}  // namespace chconn::text
