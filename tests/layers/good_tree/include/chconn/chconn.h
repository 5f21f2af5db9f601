// Fixture for tests/layers/expect-violations: clean includes only.
#pragma once

#include "chconn/client/client.h"
#include "chconn/manager/manager.h"
#include "chconn/factory/factory.h"
#include "chconn/strategy/strategy.h"
#include "chconn/connection/connection.h"
#include "chconn/resilience/breaker.h"
#include "chconn/wire/io.h"
#include "chconn/net/stream.h"
#include "chconn/core/config.h"
