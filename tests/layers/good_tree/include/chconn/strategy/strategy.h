// Fixture for tests/layers/expect-violations: clean includes only.
#pragma once

#include "chconn/connection/connection.h"
#include "chconn/resilience/breaker.h"
