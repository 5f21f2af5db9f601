// check_external_tables (connection.h): the checks of QueryOptions::external_tables that every
// connection, the mock included, makes before anything is sent.
#include <cstddef>
#include <vector>

#include "chconn/connection/connection.h"
#include "chconn/core/error.h"

namespace chconn {

void check_external_tables(const std::vector<ExternalTable>& tables) {
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const ExternalTable& t = tables[i];
    if (t.name.empty()) throw Error(ErrorKind::usage, "an external table needs a name; nothing was sent");
    if (t.structure.column_count() == 0 || t.source == nullptr) {
      throw Error(ErrorKind::usage,
                  "the external table '" + t.name + "' needs a structure with columns and a source; nothing was sent");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (tables[j].name == t.name) {
        throw Error(ErrorKind::usage, "two external tables are named '" + t.name + "'; nothing was sent");
      }
    }
  }
}

}  // namespace chconn
