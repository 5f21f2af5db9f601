// Fixture for tests/layers/expect-violations: clean includes only.
#pragma once

#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
