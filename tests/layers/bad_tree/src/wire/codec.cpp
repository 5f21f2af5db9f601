// Fixture: wire reaches sideways into net. Vectors: tests/unit/wire/*.bin (a /* in a // comment
// must not open a block comment that would hide the include below).
#include "wire/codec.h"
#include "chconn/net/stream.h"
#include "chconn/core/error.h"
