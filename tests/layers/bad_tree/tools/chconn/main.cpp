// Fixture: the CLI may include everything.
#include "chconn/chconn.h"
#include "chconn/net/stream.h"

int main() { return 0; }
