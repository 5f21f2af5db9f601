// Helpers for integration tests that talk to a sandboxed server.
#pragma once

#include <memory>
#include <string>

#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "support/sandbox.h"

namespace chconn::test {

// A Config for the sandbox `name` (plain TCP unless `tls`), with short timeouts for tests.
Config sandbox_config(std::string_view name = "main", bool tls = false);

// Connects to the sandbox with `config` (or the default sandbox config).
std::unique_ptr<NativeConnection> connect(const Config& config);
std::unique_ptr<NativeConnection> connect_sandbox(std::string_view name = "main");

}  // namespace chconn::test
