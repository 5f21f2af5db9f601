// The modern suite's query set: every type family chconn supports, with edge values. Each query
// is deterministic (the engine runs it once per format), and names its columns where the default
// name would be long.
#pragma once

#include <string_view>
#include <vector>

namespace chconn::test {

struct ModernQuery {
  std::string_view name;  // unique, for reports and the known-failure list
  std::string_view sql;
};

const std::vector<ModernQuery>& decode_queries();

}  // namespace chconn::test
