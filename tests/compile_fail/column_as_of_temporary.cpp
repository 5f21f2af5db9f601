// A column cannot be copied, so column_as<C>() of a temporary Block could only give a reference
// into a column the temporary may own alone: deleted on an rvalue.
// expect: (use of deleted function|call to deleted member function).*column_as
#include <chconn/wire/block.h>
#include <chconn/wire/columns.h>

chconn::Block make_block();

std::size_t rows() {
  const chconn::Block block = make_block();
  std::size_t n = block.column_as<chconn::ColumnUInt64>(0).size();  // the control
#ifdef CHCONN_COMPILE_FAIL
  const auto& ids = make_block().column_as<chconn::ColumnUInt64>(0);
  n += ids.size();
#endif
  return n;
}
