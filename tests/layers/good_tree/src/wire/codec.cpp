// Fixture for tests/layers/expect-violations: clean includes only.
#include "codec.h"
#include "./codec.h"
#include "wire/codec.h"
#include "chconn/core/config.h"
#include "core/parse.h"
#include <lz4.h>
