// A row of a temporary Result outlives it: row(i) is deleted on an rvalue. (value<T>() reads one
// value of a temporary.)
// expect: (use of deleted function|call to deleted member function).*row
#include <chconn/connection/result.h>

chconn::Result make_result();

int first() {
  int n = make_result().value<int>("x");  // the control
#ifdef CHCONN_COMPILE_FAIL
  const chconn::ResultRow row = make_result().row(0);
  n += row.get<int>("x");
#endif
  return n;
}
