// The column writers behind text::ValueWriter, internal to the format layer, in three files:
//   text.cpp             the escapers and floats' text, FormatOptions by server version
//   scalar_writers.cpp   a writer per scalar type (numbers, strings, dates and times, UUID,
//                        addresses, decimals, enums), and the date and time text they share with
//                        append_date and append_date_time (kept in the writers' file so that it
//                        stays inlined in their loops)
//   value_writer.cpp     ValueWriter, the choice of writer by type, and the writers of types that
//                        hold others (Nullable, Array, Tuple, Map, LowCardinality, Variant,
//                        Dynamic, JSON)
// A writer is built once per column and used by one thread at a time.
#pragma once

#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "chconn/format/text.h"
#include "chconn/wire/column.h"
#include "format/timezone.h"

namespace chconn::text {

class ValueWriter::Impl {
 public:
  explicit Impl(Escaping escaping) : esc_(escaping) {}
  virtual ~Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  virtual void append(std::string& out, std::size_t row) const = 0;

  // FormatOptions::json_escape_forward_slashes, set once by make_impl() on every writer it makes.
  void set_json_escape_forward_slashes(bool on) noexcept { json_slashes_ = on; }

 protected:
  // A JSON string (a value, or a key of an object) as the options want it.
  void append_json(std::string& out, std::string_view s) const { append_json_string(out, s, json_slashes_); }
  // A value whose text needs no escaping (dates, UUIDs, addresses), quoted as the escaping wants.
  void open_plain(std::string& out) const {
    if (esc_ == Escaping::quoted)
      out += '\'';
    else if (esc_ == Escaping::csv || esc_ == Escaping::json)
      out += '"';
  }
  void close_plain(std::string& out) const { open_plain(out); }
  // Arbitrary bytes (strings, enum names).
  void append_string(std::string& out, std::string_view s) const {
    switch (esc_) {
      case Escaping::tsv: append_escaped(out, s); break;
      case Escaping::pretty: out += s; break;
      case Escaping::xml: append_xml_escaped(out, s); break;
      case Escaping::quoted: append_quoted(out, s); break;
      case Escaping::csv: append_csv_string(out, s); break;
      case Escaping::json: append_json(out, s); break;
    }
  }
  void append_null(std::string& out) const {
    switch (esc_) {
      case Escaping::tsv:
      case Escaping::csv:
      case Escaping::xml: out += "\\N"; break;
      case Escaping::quoted: out += "NULL"; break;
      case Escaping::json: out += "null"; break;
      case Escaping::pretty: out += "ᴺᵁᴸᴸ"; break;
    }
  }

  Escaping esc_;
  bool json_slashes_ = true;
};

namespace detail {

using Impl = ValueWriter::Impl;
using ImplPtr = std::unique_ptr<Impl>;

// The writer of `column`'s type (value_writer.cpp); Error(usage) for a type it cannot write.
ImplPtr make_impl(const Column& column, Escaping escaping, const FormatOptions& options);
// The writer of a scalar type (scalar_writers.cpp); null for a type that holds others.
ImplPtr make_scalar_writer(const Column& column, Escaping escaping, const FormatOptions& options);

// An integer's decimal text.

template <class T>
void append_integer(std::string& out, T v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

}  // namespace detail
}  // namespace chconn::text
