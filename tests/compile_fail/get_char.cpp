// char is not a ResultValue (a character, of platform-dependent signedness): get<char> is a compile
// error naming the concept, not a link error.
// expect: ResultValue
// expect: (constraints not satisfied|no matching member function|no matching function)
#include <chconn/connection/result.h>

#include <cstdint>

int read(const chconn::ResultRow& row) {
  int n = row.get<std::int8_t>("x");  // the control
#ifdef CHCONN_COMPILE_FAIL
  n += row.get<char>("x");
#endif
  return n;
}
