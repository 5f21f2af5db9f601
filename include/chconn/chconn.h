// chconn — everything an application uses, in one include.
//
// For the layers and what each header is for, see DESIGN.md; each header below documents its own
// thread safety, lifetimes and an example. Including a narrower header is always fine.
//
// Example:
//   #include <chconn/chconn.h>
//   int main() {
//     chconn::initialize(chconn::Config::from_env());
//     chconn::Result r = chconn::client().execute("SELECT version() AS v");
//     std::cout << r.row(0).get<std::string>("v") << '\n';
//   }
//
// The mock strategy, the test double for code that uses ClickHouse, is not included here (it
// brings <regex> and test-only types into every file): include <chconn/testing.h> in tests.
//
// Thread safety and lifetimes: see the individual headers.
#pragma once

#include "chconn/core/clock.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/core/log.h"
#include "chconn/core/settings.h"

#include "chconn/wire/block.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/types.h"

#include "chconn/connection/connection.h"
#include "chconn/connection/connector.h"
#include "chconn/connection/insert_target.h"
#include "chconn/connection/native_connection.h"
#include "chconn/connection/params.h"
#include "chconn/connection/result.h"

#include "chconn/resilience/circuit_breaker.h"
#include "chconn/resilience/error_decay.h"
#include "chconn/resilience/retry.h"

#include "chconn/strategy/direct.h"
#include "chconn/strategy/failover.h"
#include "chconn/strategy/lease.h"
#include "chconn/strategy/observed.h"
#include "chconn/strategy/pooled.h"
#include "chconn/strategy/strategy.h"

#include "chconn/factory/factory.h"

#include "chconn/manager/manager.h"

#include "chconn/client/client.h"
