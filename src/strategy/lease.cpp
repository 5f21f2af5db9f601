#include "chconn/strategy/lease.h"

namespace chconn {

void Lease::throw_empty() {
  throw Error(ErrorKind::usage, "this lease holds no connection (it was moved from or released); acquire a new lease");
}

}  // namespace chconn
