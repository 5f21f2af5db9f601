// Fixture for tests/layers/expect-violations: clean includes only.
#pragma once

#include "chconn/core/clock.h"
#include <chconn/core/error.h>
