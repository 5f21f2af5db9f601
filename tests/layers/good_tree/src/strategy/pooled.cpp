// Fixture for tests/layers/expect-violations: clean includes only.
#include "chconn/strategy/strategy.h"
#include "pool.h"
#include "../strategy/pool.h"
#include "chconn/wire/io.h"
#include "chconn/net/stream.h"
#include "chconn/core/clock.h"
#include "connection/native.h"
#include "resilience/backoff.h"
