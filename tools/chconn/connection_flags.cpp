// Connection flags → Config, argv handling and error reporting for the chconn CLI.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>

#include "chconn/core/settings.h"
#include "cli.h"

namespace chconn::cli {

void ConnectionFlags::add_to(CLI::App& app) {
  app.add_option("--dsn", dsn, "connection DSN: clickhouse://user:password@host:port/db?param=value...");
  host_option = app.add_option(
      "-h,--host", host,
      "server host: host, host:port, [v6], [v6]:port or an IPv6 address such as ::1 (default: localhost, or the "
      "DSN's / CLICKHOUSE_HOST)");
  port_option = app.add_option(
      "--port", port, "native port, 1-65535 (default 9000, or 9440 with --secure); must agree with a port in --host");
  app.add_option("-u,--user", user, "user name (default: default)");
  password_option =
      app.add_option("--password", password,
                     "password; prefer CLICKHOUSE_PASSWORD or --ask-password, since command lines are visible to "
                     "other users until chconn has started");
  app.add_flag("--ask-password", ask_password, "read the password from the terminal, without echo");
  app.add_option("-d,--database", database, "default database");
  app.add_flag("-s,--secure", secure, "connect over TLS");
  app.add_flag("--accept-invalid-certificate", accept_invalid_certificate,
               "with --secure (an error without it): do not verify the server's certificate; for tests only, "
               "warned about on stderr");
  app.add_option("--ca-file", ca_file, "with --secure (an error without it): PEM file of trusted CA certificates");
  app.add_option("--compression", compression, "none, lz4 (default) or zstd")
      ->check(CLI::IsMember({"none", "lz4", "zstd"}));
  app.add_option("--setting", settings, "a ClickHouse setting for every query, NAME=VALUE (repeatable)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--connect-timeout", connect_timeout,
                 "connect timeout, resolving the host name included, e.g. 10s, 500ms (default 10s)");
  app.add_option(
      "--query-timeout", query_timeout,
      "a query's run time, e.g. 600s, 1h (default 600s); when it expires the query is cancelled and drained for up "
      "to cancel_drain_timeout (DSN, default 5s) more");
}

Config ConnectionFlags::to_config() const {
  Config config = dsn.empty() ? Config::from_env() : Config::from_dsn(dsn);
  const bool host_given = host_option && host_option->count() > 0;
  const bool port_given = port_option && port_option->count() > 0;
  if (host_given) {
    config.hosts = {parse_host_port(host, "--host")};
    // CLICKHOUSE_PORT is the port of a --host without one (as with CLICKHOUSE_HOST), unless --port
    // says otherwise; a DSN replaces the environment altogether.
    const char* env_port = std::getenv("CLICKHOUSE_PORT");
    if (dsn.empty() && !port_given && env_port != nullptr && *env_port != '\0') {
      apply_port(config.hosts, parse_port(env_port, "CLICKHOUSE_PORT"), "CLICKHOUSE_PORT", "--host");
    }
  }
  if (port_given) {
    const std::string_view hosts_from = host_given     ? "--host"
                                        : !dsn.empty() ? "--dsn"
                                                       : "the environment (CLICKHOUSE_HOST or CLICKHOUSE_DSN)";
    apply_port(config.hosts, parse_port(port, "--port"), "--port", hosts_from);
  }
  if (!user.empty()) config.user = user;
  if (ask_password)
    config.password = read_password_from_terminal("Password for " + config.user + ": ");
  else if (password_option && password_option->count() > 0)
    config.password = password;
  if (!database.empty()) config.database = database;
  if (secure) config.secure = true;
  if (accept_invalid_certificate) config.tls.verify = false;
  if (!ca_file.empty()) config.tls.ca_file = ca_file;
  if (compression == "none")
    config.compression = Compression::none;
  else if (compression == "lz4")
    config.compression = Compression::lz4;
  else if (compression == "zstd")
    config.compression = Compression::zstd;
  for (const std::string& s : settings) {
    auto [name, value] = split_assignment(s, "--setting");
    if (!is_valid_setting_name(name)) throw Error(ErrorKind::usage, "--setting: '" + name + "' is not a setting name");
    config.settings.set(std::move(name), std::move(value));
  }
  if (!connect_timeout.empty()) config.timeouts.connect = parse_duration(connect_timeout, "--connect-timeout");
  if (!query_timeout.empty()) config.timeouts.query = parse_duration(query_timeout, "--query-timeout");
  config.client_name = "chconn";
  config.validate();  // refuses TLS options without --secure, before anything connects
  if (!config.tls.verify && !warned_unverified_tls_) {
    warned_unverified_tls_ = true;
    std::cerr << "chconn: warning: TLS certificate verification is off (--accept-invalid-certificate, or "
                 "tls_verify=false / skip_verify=true in the DSN): the server's identity is not checked, so anyone "
                 "on the network path can pose as the server and read the password and the data\n";
  }
  return config;
}

std::string unverified_tls_mark(const Config& config) {
  if (config.tls.verify) return {};
  return "WARNING: TLS CERTIFICATE NOT VERIFIED (tls_verify=false): the server's identity is not checked\n";
}

std::pair<std::string, std::string> split_assignment(const std::string& text, std::string_view flag) {
  const std::size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error(ErrorKind::usage, std::string(flag) + " needs NAME=VALUE, got '" + text + "'");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

void extract_params(std::vector<std::string>& args, Params& params) {
  static constexpr std::string_view k_prefix = "--param_";
  std::vector<std::string> kept;
  kept.reserve(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {  // everything after is positional
      kept.insert(kept.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a.compare(0, k_prefix.size(), k_prefix) != 0) {
      kept.push_back(a);
      continue;
    }
    const std::string rest = a.substr(k_prefix.size());
    const std::size_t eq = rest.find('=');
    if (eq != std::string::npos) {
      if (eq == 0) throw Error(ErrorKind::usage, "'" + a + "' names no parameter");
      params.set(rest.substr(0, eq), std::string_view(rest).substr(eq + 1));
    } else {
      if (rest.empty()) throw Error(ErrorKind::usage, "'--param_' names no parameter");
      if (i + 1 >= args.size()) throw Error(ErrorKind::usage, a + " needs a value");
      params.set(rest, std::string_view(args[++i]));
    }
  }
  args = std::move(kept);
}

void extract_external_tables(std::vector<std::string>& args, std::vector<ExternalTableFlags>& tables) {
  static constexpr std::string_view k_fields[] = {"file", "name", "format", "structure", "types"};
  const auto field_of = [](ExternalTableFlags& t, std::string_view field) -> std::string& {
    if (field == "file") return t.file;
    if (field == "name") return t.name;
    if (field == "format") return t.format;
    if (field == "structure") return t.structure;
    return t.types;
  };
  std::vector<std::string> kept;
  kept.reserve(args.size());
  bool in_group = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {  // everything after is positional
      kept.insert(kept.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a == "--external") {
      in_group = true;
      tables.emplace_back();
      continue;
    }
    bool taken = false;
    for (const std::string_view field : k_fields) {
      if (!in_group || a.size() < field.size() + 2 || a.compare(0, 2, "--") != 0 ||
          a.compare(2, field.size(), field) != 0) {
        continue;
      }
      const std::string_view rest = std::string_view(a).substr(field.size() + 2);
      if (rest.empty()) {
        if (i + 1 >= args.size()) throw Error(ErrorKind::config, a + " of --external needs a value");
        field_of(tables.back(), field) = args[++i];
        taken = true;
      } else if (rest.front() == '=') {
        field_of(tables.back(), field) = std::string(rest.substr(1));
        taken = true;
      }
      if (taken) break;
    }
    if (taken) continue;
    in_group = false;
    kept.push_back(a);
  }
  args = std::move(kept);
}

namespace {

// Whether `--name` is an option of `app` or of any of its subcommands (bench, health, ...).
bool is_option(const CLI::App& app, const std::string& flag) {
  if (app.get_option_no_throw(flag) != nullptr) return true;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (is_option(*sub, flag)) return true;
  }
  return false;
}

}  // namespace

void extract_settings(std::vector<std::string>& args, const CLI::App& app, std::vector<std::string>& settings) {
  std::vector<std::string> kept;
  kept.reserve(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {  // everything after is positional
      kept.insert(kept.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    const std::size_t eq = a.find('=');
    const std::string name =
        a.size() > 2 && a.compare(0, 2, "--") == 0 ? a.substr(2, eq == std::string::npos ? eq : eq - 2) : std::string();
    // Not a setting: not a long option, an option chconn has, or not a setting name at all (CLI11
    // then reports it as unknown).
    if (name.empty() || is_option(app, "--" + name) || !is_valid_setting_name(name)) {
      kept.push_back(a);
      continue;
    }
    if (eq != std::string::npos) {
      settings.push_back(name + "=" + a.substr(eq + 1));
    } else {
      if (i + 1 >= args.size()) {
        std::string why = a;
        why.append(" needs a value (--").append(name).append("=VALUE)");
        throw Error(ErrorKind::usage, why);
      }
      settings.push_back(name + "=" + args[++i]);
    }
  }
  args = std::move(kept);
}

namespace {

void blank(char* s) { std::memset(s, 'x', std::strlen(s)); }

// Blanks the password of a DSN in place: the part between "user:" and '@'.
void blank_dsn_password(char* dsn) {
  char* scheme_end = std::strstr(dsn, "://");
  if (!scheme_end) return;
  char* authority = scheme_end + 3;
  char* at = std::strrchr(authority, '@');
  if (!at) return;
  char* colon = static_cast<char*>(std::memchr(authority, ':', static_cast<std::size_t>(at - authority)));
  if (!colon) return;
  std::memset(colon + 1, 'x', static_cast<std::size_t>(at - colon - 1));
}

}  // namespace

void scrub_secrets(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* a = argv[i];
    if (std::strcmp(a, "--") == 0) break;
    if (std::strcmp(a, "--password") == 0 && i + 1 < argc) {
      blank(argv[++i]);
    } else if (std::strncmp(a, "--password=", 11) == 0) {
      blank(a + 11);
    } else if (std::strcmp(a, "--dsn") == 0 && i + 1 < argc) {
      blank_dsn_password(argv[++i]);
    } else if (std::strncmp(a, "--dsn=", 6) == 0) {
      blank_dsn_password(a + 6);
    }
  }
}

std::string read_password_from_terminal(std::string_view prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) throw Error(ErrorKind::usage, "--ask-password needs a terminal; set CLICKHOUSE_PASSWORD instead");
  termios saved{};
  const bool have_termios = ::tcgetattr(fd, &saved) == 0;
  if (have_termios) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt.data(), prompt.size());
  std::string password;
  char c = 0;
  while (::read(fd, &c, 1) == 1 && c != '\n' && password.size() < 4096) password += c;
  if (have_termios) ::tcsetattr(fd, TCSAFLUSH, &saved);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

std::string server_message(const Error& error) {
  // 18.16 starts the message with the exception's name ("DB::Exception: Unknown function f").
  const std::string name = error.server_name().empty() ? "DB::Exception" : error.server_name();
  const std::string& message = error.message();
  const bool named = message.compare(0, name.size() + 2, name + ": ") == 0;
  return named ? message.substr(name.size() + 2) : message;
}

int exit_status_for_code(std::int32_t code) {
  const int status = code & 0xFF;
  return status == 0 ? 1 : status;
}

namespace {

// The clickhouse-client exception code for an error raised on the client side: what 18.16's
// client reports for the same failure (measured: a refused or reset connection 210, a connect or
// read timeout 209, an unknown packet 100; a cancel is 394, QUERY_WAS_CANCELLED). Ends of stream,
// checksums and limits are not told apart by kind: they are 210 or 100 where 18.16 says 32, 33 or
// 40 (a known difference, in the guide's table).
struct ClientCode {
  std::int32_t code;
  const char* name;
};

ClientCode client_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::timeout: return {server_codes::socket_timeout, "DB::NetException"};
    case ErrorKind::protocol: return {100, "DB::Exception"};  // UNKNOWN_PACKET_FROM_SERVER
    case ErrorKind::cancelled: return {server_codes::query_was_cancelled, "DB::Exception"};
    default: return {server_codes::network_error, "DB::NetException"};  // network, pool, breaker
  }
}

}  // namespace

int report_error(const Error& error, ExitStatuses statuses, const std::string& server_version,
                 const std::string& peer) {
  if (error.kind() == ErrorKind::server) {
    // As clickhouse-client prints it: "Code: 60. DB::Exception: Received from host:port.
    // DB::Exception: Table default.x doesn't exist.. "
    if (!server_version.empty()) std::cerr << "Received exception from server (version " << server_version << "):\n";
    const std::string name = error.server_name().empty() ? "DB::Exception" : error.server_name();
    std::cerr << "Code: " << error.server_code() << ". " << name << ": ";
    if (!peer.empty()) std::cerr << "Received from " << peer << ". " << name << ": ";
    std::cerr << server_message(error) << ". \n";
    return exit_status_for_code(error.server_code());
  }
  const bool bad_input = error.kind() == ErrorKind::usage || error.kind() == ErrorKind::config;
  if (statuses == ExitStatuses::chconn) {
    std::cerr << "chconn: " << to_string(error.kind()) << " error: " << error.message() << '\n';
    return bad_input ? 2 : 1;
  }
  if (error.kind() == ErrorKind::config) {
    // Flags, the DSN or the environment: clickhouse-client's "Bad arguments: ..." and status 1.
    std::cerr << "Bad arguments: " << error.message() << '\n';
    return 1;
  }
  if (error.kind() == ErrorKind::usage) {
    std::cerr << "chconn: usage error: " << error.message() << '\n';
    return 1;
  }
  const ClientCode c = client_code(error.kind());
  std::cerr << "Code: " << c.code << ". " << c.name << ": " << error.message() << '\n';
  return exit_status_for_code(c.code);
}

}  // namespace chconn::cli
