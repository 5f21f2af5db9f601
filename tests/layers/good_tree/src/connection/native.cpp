// Fixture for tests/layers/expect-violations: clean includes only.
#include "chconn/connection/connection.h"
#include "net/tcp.h"
#include "wire/codec.h"
#include "../wire/codec.h"
#include "core/parse.h"
