// Fixture for tests/layers/expect-violations: clean includes only.
#include "chconn/resilience/breaker.h"
#include "chconn/core/config.h"
#include "core/parse.h"
