// value<std::string_view>() of a temporary Result would point into the destroyed Result.
// expect: (use of deleted function|call to deleted member function).*value
#include <chconn/connection/result.h>

#include <string>
#include <string_view>

chconn::Result make_result();

std::size_t length() {
  std::size_t n = make_result().value<std::string>("s").size();  // the control: an owning string
#ifdef CHCONN_COMPILE_FAIL
  const std::string_view s = make_result().value<std::string_view>("s");
  n += s.size();
#endif
  return n;
}
