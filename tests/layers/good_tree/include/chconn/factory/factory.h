// Fixture for tests/layers/expect-violations: clean includes only.
#pragma once

#include "chconn/strategy/strategy.h"
#include "chconn/core/config.h"
