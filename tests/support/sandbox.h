// Access to the private ClickHouse servers that scripts/clickhouse-sandbox starts for the tests.
//
// `clickhouse-sandbox start NAME` writes $CHCONN_SANDBOX_ROOT/NAME/ports.env with lines KEY=VALUE
// (NATIVE_PORT, HTTP_PORT, TLS_PORT, CERT_FILE, PID, DIR). Tests look servers up by name; a server
// that is not running is a test failure, never a silent skip.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace chconn::test {

struct SandboxServer {
  std::string name;
  std::string dir;
  std::uint16_t native_port = 0;
  std::uint16_t http_port = 0;
  std::uint16_t tls_port = 0;  // 0 unless started with --tls
  std::string cert_file;       // the self-signed certificate of a --tls server
  long pid = 0;
};

// Users every sandbox has (see scripts/clickhouse-sandbox): "default" without a password, a user
// with a password, and a read-only user.
inline constexpr std::string_view k_password_user = "chconn_pw";
inline constexpr std::string_view k_password = "s3cr3t-Pa55";
inline constexpr std::string_view k_readonly_user = "chconn_ro";
inline constexpr std::string_view k_readonly_password = "ro-pass";

// The root folder of the sandboxes ($CHCONN_SANDBOX_ROOT, or the build tree's default).
std::string sandbox_root();

// Reads the ports file of sandbox NAME. Throws std::runtime_error naming the file if it is missing
// or incomplete (the fixture did not start it).
SandboxServer sandbox(std::string_view name);

// Parses "KEY=VALUE" lines; blank lines and lines starting with '#' are ignored.
std::map<std::string, std::string> parse_env_file(std::string_view text);

}  // namespace chconn::test
