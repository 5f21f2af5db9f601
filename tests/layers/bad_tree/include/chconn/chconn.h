// Fixture for tests/layers/expect-violations: the umbrella header (client layer).
#pragma once

#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
