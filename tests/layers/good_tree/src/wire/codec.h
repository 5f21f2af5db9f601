// Fixture for tests/layers/expect-violations: clean includes only.
#pragma once

#include "chconn/wire/io.h"
