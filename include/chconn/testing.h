// chconn for tests: the mock strategy and connection, the test double for code that uses
// ClickHouse (scripted results and errors, recorded queries, injected latency). Include it in unit
// tests next to <chconn/chconn.h>; application code does not need it.
//
// Example:
//   #include <chconn/chconn.h>
//   #include <chconn/testing.h>
//   auto mock = std::make_shared<chconn::MockStrategy>();
//   mock->server().on(std::regex("^INSERT INTO `audit`"),
//                     {.error = chconn::Error(chconn::ErrorKind::network, "connection reset by peer")});
//   chconn::Lease lease = mock->acquire();
//
// Thread safety and lifetimes: see chconn/strategy/mock.h.
#pragma once

#include "chconn/strategy/mock.h"
