// Fixture for tests/layers/expect-violations: clean includes only.
#pragma once

#include "chconn/resilience/breaker.h"
