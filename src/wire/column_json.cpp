// JSON columns (docs/protocol.md, "Column encodings"): the object structure prefix, then the typed
// paths, the dynamic paths (Dynamic columns) and the shared data.
#include <algorithm>
#include <string>
#include <utility>

#include "chconn/wire/columns.h"
#include "column_impl.h"

namespace chconn {

namespace {
// The object structure serialization versions (ClickHouse's SerializationObject): V1 lists the
// number of dynamic paths twice (once where it had max_dynamic_paths), V2 once; both then list
// the paths. Native data and the protocol carry V1. STRING (1), FLATTENED (3) and V3 (4, with
// shared data buckets) are other layouts chconn does not read.
constexpr std::uint64_t k_json_version_v1 = 0;
constexpr std::uint64_t k_json_version_v2 = 2;
// The most dynamic paths a JSON type can have (max_dynamic_paths is at most 10000).
constexpr std::uint64_t k_max_dynamic_paths = 10000;

const TypeRef& shared_data_type() {
  static const TypeRef t =
      Type::array(Type::tuple({Type::simple(TypeCode::String), Type::simple(TypeCode::String)}, {"paths", "values"}));
  return t;
}
}  // namespace

ColumnJSON::ColumnJSON(TypeRef type) : Column(checked_type(std::move(type), TypeCode::JSON, class_name())) {
  const Type& t = type_->storage_type();
  std::vector<std::size_t> order(t.element_names().size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return t.element_names()[a] < t.element_names()[b]; });
  for (const std::size_t i : order) {
    typed_paths_.push_back(t.element_names()[i]);
    typed_columns_.push_back(make_column(t.element(i)));
  }
  shared_ = std::make_shared<ColumnArray>(shared_data_type());
}

const ColumnString& ColumnJSON::shared_paths() const noexcept {
  return static_cast<const ColumnString&>(static_cast<const ColumnTuple&>(shared_->nested()).element(0));
}

const ColumnString& ColumnJSON::shared_values() const noexcept {
  return static_cast<const ColumnString&>(static_cast<const ColumnTuple&>(shared_->nested()).element(1));
}

void ColumnJSON::set_dynamic_paths(std::vector<std::string> paths) {
  const TypeRef dynamic = Type::dynamic(type_->storage_type().max_dynamic_types());
  std::vector<std::shared_ptr<ColumnDynamic>> columns;
  columns.reserve(paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) columns.push_back(std::make_shared<ColumnDynamic>(dynamic));
  dynamic_paths_ = std::move(paths);
  dynamic_columns_ = std::move(columns);
}

void ColumnJSON::clear() {
  for (auto& c : typed_columns_) c->clear();
  set_dynamic_paths({});
  shared_->clear();
}

void ColumnJSON::truncate(std::size_t rows) noexcept {
  for (auto& c : typed_columns_) c->truncate(rows);
  for (auto& c : dynamic_columns_) c->truncate(rows);
  shared_->truncate(rows);
}

void ColumnJSON::append_default() {
  for (auto& c : typed_columns_) c->append_default();
  for (auto& c : dynamic_columns_) c->append_default();
  shared_->append_default();
}

void ColumnJSON::append_range(const Column& other, std::size_t begin, std::size_t count) {
  check_same_type(other);
  check_range(other, begin, count);
  const auto& o = column_cast<ColumnJSON>(other);
  if (o.dynamic_paths_ != dynamic_paths_) {
    if (size() != 0) {
      detail::usage_error("append_range: a JSON column whose rows have other dynamic paths cannot take rows of " +
                          std::to_string(o.dynamic_paths_.size()) + " other dynamic paths");
    }
    set_dynamic_paths(o.dynamic_paths_);  // an empty column takes the other's paths
  }
  for (std::size_t i = 0; i < typed_columns_.size(); ++i)
    typed_columns_[i]->append_range(*o.typed_columns_[i], begin, count);
  for (std::size_t i = 0; i < dynamic_columns_.size(); ++i) {
    dynamic_columns_[i]->append_range(*o.dynamic_columns_[i], begin, count);
  }
  shared_->append_range(*o.shared_, begin, count);
}

void ColumnJSON::append_row(const std::vector<std::pair<std::string, std::string>>& shared) {
  const std::size_t rows = size();
  for (const auto& c : typed_columns_) {
    if (c->size() != rows + 1) {
      detail::usage_error("append_row: a typed path of the JSON column has " + std::to_string(c->size()) +
                          " rows; append exactly one value to each first (the column has " + std::to_string(rows) +
                          ")");
    }
  }
  for (std::size_t i = 0; i < shared.size(); ++i) {
    const std::string& path = shared[i].first;
    if ((i > 0 && !(shared[i - 1].first < path)) ||
        std::binary_search(typed_paths_.begin(), typed_paths_.end(), path) ||
        std::binary_search(dynamic_paths_.begin(), dynamic_paths_.end(), path)) {
      detail::usage_error(
          "append_row: the shared data paths must be sorted, unique, and neither typed nor dynamic "
          "paths ('" +
          path.substr(0, 64) + "')");
    }
  }
  auto& tuple = static_cast<ColumnTuple&>(shared_->nested());
  for (const auto& [path, value] : shared) {
    static_cast<ColumnString&>(tuple.element(0)).append(path);
    static_cast<ColumnString&>(tuple.element(1)).append(value);
  }
  shared_->finish_row();
  for (auto& c : dynamic_columns_) c->append_default();
}

ColumnRef ColumnJSON::clone_empty() const {
  auto c = std::make_shared<ColumnJSON>(type_);
  c->set_dynamic_paths(dynamic_paths_);
  return c;
}

void ColumnJSON::load_prefix(wire::Reader& in) {
  detail::refuse_unconfirmed_string_layout(in.string_size_stream(), "JSON");
  const auto version = in.fixed<std::uint64_t>();
  if (version != k_json_version_v1 && version != k_json_version_v2) {
    detail::protocol_error("JSON object serialization version " + std::to_string(version) +
                           " is not supported (chconn reads versions 0 and 2; servers send 0 in Native data)");
  }
  if (version == k_json_version_v1) in.count(k_max_dynamic_paths, "JSON max_dynamic_paths");
  const std::uint64_t n =
      in.count(std::min(k_max_dynamic_paths, in.limits().max_block_columns), "JSON dynamic path count");
  std::vector<std::string> paths;
  paths.reserve(static_cast<std::size_t>(n));
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t length = in.count(in.limits().max_string_bytes, "JSON dynamic path length");
    // The path's bytes and its Dynamic column (a Variant of SharedVariant), charged before they
    // are allocated.
    in.charge(length + 512, "a JSON dynamic path");
    std::string path;
    in.append(path, static_cast<std::size_t>(length));
    // The server lists the paths sorted and once each; a typed path is never also dynamic.
    if (!paths.empty() && !(paths.back() < path)) {
      detail::protocol_error("JSON dynamic paths are not sorted and unique ('" + path.substr(0, 64) + "' after '" +
                             paths.back().substr(0, 64) + "'); the stream is corrupt");
    }
    if (std::binary_search(typed_paths_.begin(), typed_paths_.end(), path)) {
      detail::protocol_error("JSON lists the typed path '" + path.substr(0, 64) + "' as a dynamic path");
    }
    paths.push_back(std::move(path));
  }
  if (paths != dynamic_paths_) {
    // Rows decoded before belong to other paths; a block's column starts empty (read_block).
    if (size() != 0) {
      detail::protocol_error("JSON: the dynamic paths of the next rows differ from those of the rows already decoded");
    }
    set_dynamic_paths(std::move(paths));
  }
  for (auto& c : typed_columns_) c->load_prefix(in);
  for (auto& c : dynamic_columns_) c->load_prefix(in);
  shared_->load_prefix(in);
}

void ColumnJSON::save_prefix(wire::Writer& out) const {
  detail::refuse_unconfirmed_string_layout(out.string_size_stream(), "JSON");
  out.fixed<std::uint64_t>(k_json_version_v1);
  out.uvarint(dynamic_paths_.size());  // max_dynamic_paths, as the server writes it: the paths listed
  out.uvarint(dynamic_paths_.size());
  for (const auto& p : dynamic_paths_) out.string(p);
  for (const auto& c : typed_columns_) c->save_prefix(out);
  for (const auto& c : dynamic_columns_) c->save_prefix(out);
  shared_->save_prefix(out);
}

void ColumnJSON::save_body(wire::Writer& out) const {
  const std::size_t rows = size();
  for (const auto& c : typed_columns_) {
    if (c->size() != rows)
      detail::usage_error("a JSON column's typed path has " + std::to_string(c->size()) + " rows, not " +
                          std::to_string(rows));
  }
  for (const auto& c : dynamic_columns_) {
    if (c->size() != rows)
      detail::usage_error("a JSON column's dynamic path has " + std::to_string(c->size()) + " rows, not " +
                          std::to_string(rows));
  }
  for (const auto& c : typed_columns_) c->save_body(out);
  for (const auto& c : dynamic_columns_) c->save_body(out);
  shared_->save_body(out);
}

void ColumnJSON::load_rows(wire::Reader& in, std::size_t rows) {
  // Each part rolls itself back on error; Column::load_body truncates the others to the old size.
  for (auto& c : typed_columns_) c->load_body(in, rows);
  for (auto& c : dynamic_columns_) c->load_body(in, rows);
  shared_->load_body(in, rows);
  // Shared data paths are sorted and unique within a row, and never a typed or dynamic path.
  const ColumnString& paths = shared_paths();
  for (std::size_t r = shared_->size() - rows; r < shared_->size(); ++r) {
    const auto range = shared_->range(r);
    for (std::size_t i = range.begin; i < range.end; ++i) {
      const std::string_view path = paths[i];
      if (i > range.begin && !(paths[i - 1] < path)) {
        detail::protocol_error("JSON shared data paths of a row are not sorted and unique ('" +
                               std::string(path.substr(0, 64)) + "'); the stream is corrupt");
      }
      if (std::binary_search(typed_paths_.begin(), typed_paths_.end(), path) ||
          std::binary_search(dynamic_paths_.begin(), dynamic_paths_.end(), path)) {
        detail::protocol_error("JSON shared data holds the path '" + std::string(path.substr(0, 64)) +
                               "', which the column has as a typed or dynamic path; the stream is corrupt");
      }
    }
  }
}

}  // namespace chconn
