// Fixture for tests/layers/expect-violations: clean includes only.
#include "chconn/manager/manager.h"
#include "chconn/strategy/strategy.h"
#include "chconn/connection/connection.h"
#include "chconn/net/stream.h"
#include "chconn/core/clock.h"
#include "factory/registry.h"
#include "wire/codec.h"
