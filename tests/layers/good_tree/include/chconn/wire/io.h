// Fixture for tests/layers/expect-violations: clean includes only.
#pragma once

#include <cstdint>
#include "chconn/core/error.h"
