// A steady_clock time point has no fixed epoch, so no column holds one: not a ResultValue.
// expect: ResultValue
// expect: (constraints not satisfied|no matching member function|no matching function)
#include <chconn/connection/result.h>

#include <chrono>

long long read(const chconn::ResultRow& row) {
  long long n = row.get<std::chrono::sys_seconds>("t").time_since_epoch().count();  // the control
#ifdef CHCONN_COMPILE_FAIL
  n += row.get<std::chrono::steady_clock::time_point>("t").time_since_epoch().count();
#endif
  return n;
}
