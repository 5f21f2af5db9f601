// Fixture for tests/layers/expect-violations: clean includes only.
#include "chconn/factory/factory.h"
#include "chconn/resilience/breaker.h"
#include "chconn/connection/connection.h"
#include "chconn/wire/io.h"
#include "strategy/pool.h"
#include "net/tcp.h"
