#include "support/sandbox.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace chconn::test {

std::string sandbox_root() {
  if (const char* env = std::getenv("CHCONN_SANDBOX_ROOT"); env && *env) return env;
  return CHCONN_SANDBOX_ROOT;
}

std::map<std::string, std::string> parse_env_file(std::string_view text) {
  std::map<std::string, std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

SandboxServer sandbox(std::string_view name) {
  const std::string path = sandbox_root() + "/" + std::string(name) + "/ports.env";
  std::ifstream file(path);
  if (!file) {
    throw std::runtime_error("sandbox '" + std::string(name) + "' is not running: " + path +
                             " is missing (start it with scripts/clickhouse-sandbox start " + std::string(name) +
                             ", or run the test through ctest so the fixture starts it)");
  }
  std::stringstream text;
  text << file.rdbuf();
  const auto env = parse_env_file(text.str());
  auto number = [&](const char* key, bool required) -> long {
    auto it = env.find(key);
    if (it == env.end() || it->second.empty()) {
      if (required) throw std::runtime_error(path + " has no " + key);
      return 0;
    }
    return std::stol(it->second);
  };
  SandboxServer s;
  s.name = std::string(name);
  s.dir = env.count("DIR") ? env.at("DIR") : sandbox_root() + "/" + s.name;
  s.native_port = static_cast<std::uint16_t>(number("NATIVE_PORT", true));
  s.http_port = static_cast<std::uint16_t>(number("HTTP_PORT", true));
  s.tls_port = static_cast<std::uint16_t>(number("TLS_PORT", false));
  s.pid = number("PID", false);
  if (auto it = env.find("CERT_FILE"); it != env.end()) s.cert_file = it->second;
  return s;
}

}  // namespace chconn::test
