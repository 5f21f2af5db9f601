// A loop over the rows of a temporary Result: the Result is destroyed before the first iteration
// (a range-for keeps only the range, rows(), alive), so rows() is deleted on an rvalue.
// expect: (use of deleted function|call to deleted member function).*rows
#include <chconn/connection/result.h>

chconn::Result make_result();

int sum() {
  int n = 0;
  const chconn::Result result = make_result();
  for (const auto& row : result.rows()) n += row.get<int>("x");  // the control: a named Result
#ifdef CHCONN_COMPILE_FAIL
  for (const auto& row : make_result().rows()) n += row.get<int>("x");
#endif
  return n;
}
