// chDB's engine, loaded with dlopen: the library looked for, its functions bound, the process's one
// engine and its sessions, and the engine's errors read as chconn's (embedded_engine.h).
#include "connection/embedded_engine.h"

#include <dlfcn.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "connection/substitution.h"

namespace chconn::detail::embedded {

namespace {

// The chDB release chconn_fetch_chdb puts in its cache: CHCONN_CHDB_VERSION of scripts/lib/common.sh,
// passed in by CMakeLists.txt.
constexpr const char* k_cached_version = CHCONN_CHDB_VERSION;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Where libchdb.so is looked for, in order; see EmbeddedOptions::library.
std::vector<std::string> library_candidates(const EmbeddedOptions& options) {
  if (!options.library.empty()) return {options.library};
  if (std::string path = env("CHCONN_CHDB_LIBRARY"); !path.empty()) return {path};
  // The cache folders of chconn_chdb_cache_dir, in its order.
  std::vector<std::string> folders;
  if (std::string cache = env("CHCONN_CHDB_CACHE"); !cache.empty()) folders.push_back(cache);
  folders.push_back(std::string("/var/cache/chconn/chdb/") + k_cached_version);
  if (std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty()) {
    folders.push_back(xdg + "/chconn/chdb/" + k_cached_version);
  } else if (std::string home = env("HOME"); !home.empty()) {
    folders.push_back(home + "/.cache/chconn/chdb/" + k_cached_version);
  }
  std::vector<std::string> out;
  out.reserve(folders.size() + 1);
  for (const std::string& folder : folders) out.push_back(folder + "/package/libchdb.so");
  out.emplace_back("libchdb.so");  // the dynamic linker's search path
  return out;
}

std::mutex& engine_mutex() {
  static std::mutex mutex;
  return mutex;
}

Engine*& engine_slot() {
  static Engine* engine = nullptr;
  return engine;
}

template <class F>
void bind_symbol(void* handle, const std::string& library, const char* name, F& fn) {
  void* symbol = ::dlsym(handle, name);
  if (symbol == nullptr) {
    throw Error(ErrorKind::config, "the embedded engine: " + library + " has no function " + name +
                                       "; it is not a chDB library chconn can use (chDB 26.7 or later is needed)");
  }
  fn = reinterpret_cast<F>(symbol);
}

void load_engine(const EmbeddedOptions& options, Engine& e) {
  std::string tried;
  for (const std::string& candidate : library_candidates(options)) {
    // RTLD_LOCAL: the engine's own copies of common libraries stay out of the program's way.
    e.handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (e.handle != nullptr) {
      e.library = candidate;
      break;
    }
    const char* why = ::dlerror();
    tried += "\n  " + candidate + ": " + (why != nullptr ? why : "not loadable");
  }
  if (e.handle == nullptr) {
    throw Error(ErrorKind::config,
                "the embedded engine needs chDB's libchdb.so, which could not be loaded. Tried:" + tried +
                    "\nName it with the DSN's chdb_library=PATH, Config::embedded.library or CHCONN_CHDB_LIBRARY, or "
                    "fetch it with `source scripts/lib/common.sh && chconn_fetch_chdb`");
  }
  ChdbApi& a = e.api;
  bind_symbol(e.handle, e.library, "chdb_version", a.version);
  bind_symbol(e.handle, e.library, "chdb_connect", a.connect);
  bind_symbol(e.handle, e.library, "chdb_close_conn", a.close_conn);
  a.shutdown = reinterpret_cast<int (*)()>(::dlsym(e.handle, "chdb_shutdown"));
  bind_symbol(e.handle, e.library, "chdb_query_n", a.query_n);
  bind_symbol(e.handle, e.library, "chdb_stream_query_n", a.stream_query_n);
  bind_symbol(e.handle, e.library, "chdb_query_with_params_n", a.query_params_n);
  bind_symbol(e.handle, e.library, "chdb_stream_query_with_params_n", a.stream_query_params_n);
  bind_symbol(e.handle, e.library, "chdb_stream_fetch_result", a.stream_fetch);
  bind_symbol(e.handle, e.library, "chdb_stream_cancel_query", a.stream_cancel);
  bind_symbol(e.handle, e.library, "chdb_destroy_query_result", a.destroy_result);
  bind_symbol(e.handle, e.library, "chdb_result_buffer", a.buffer);
  bind_symbol(e.handle, e.library, "chdb_result_length", a.length);
  bind_symbol(e.handle, e.library, "chdb_result_error", a.error);
  bind_symbol(e.handle, e.library, "chdb_stream_insert_n", a.stream_insert_n);
  bind_symbol(e.handle, e.library, "chdb_stream_append", a.stream_append);
  bind_symbol(e.handle, e.library, "chdb_stream_done", a.stream_done);
  bind_symbol(e.handle, e.library, "chdb_stream_cancel_insert", a.stream_cancel_insert);
  bind_symbol(e.handle, e.library, "chdb_stream_insert_error", a.stream_insert_error);
  bind_symbol(e.handle, e.library, "chdb_destroy_insert_stream", a.destroy_insert_stream);
  e.version = a.version();
  e.path = options.path;
}

// The arguments of chdb_connect (clickhouse-local's): the data path, and LowCardinality kept in
// Native output as a server sends it over TCP.
std::vector<std::string> connect_args(const std::string& path) {
  std::vector<std::string> args{"chconn"};
  if (!path.empty()) args.push_back("--path=" + path);
  args.emplace_back("--low_cardinality_allow_in_native_format=1");
  return args;
}

chdb_connection* connect_session(const Engine& e) {
  std::vector<std::string> args = connect_args(e.path);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  chdb_connection* conn = e.api.connect(static_cast<int>(args.size()), argv.data());
  if (conn == nullptr || *conn == nullptr) {
    throw Error(ErrorKind::config, "the embedded engine (" + e.library + ") refused a session" +
                                       (e.path.empty() ? std::string(" in memory") : " with the data path " + e.path) +
                                       " (chdb_connect returned no connection)");
  }
  return conn;
}

// At exit, before the library's own static objects are destroyed (this handler is registered after
// the library is loaded and its engine started, and exit handlers run in reverse order): the
// engine's sessions are closed, which ends their streams, and its threads are joined
// (chdb_shutdown). Without it the library's destructors ran while the engine's background threads
// (a MergeTree's merges after an insert) still worked: 6 of 8 `chconn --dsn embedded:///PATH`
// inserts of 10^6 rows into a MergeTree table died with SIGSEGV in the exit handlers, after the
// data was stored.
void stop_engine_at_exit() {
  const std::lock_guard lock(engine_mutex());
  Engine* e = engine_slot();
  if (e == nullptr || e->stopped) return;
  e->stopped = true;
  for (chdb_connection* session : e->sessions) e->api.close_conn(session);
  e->sessions.clear();
  if (e->anchor != nullptr) e->api.close_conn(e->anchor);
  e->anchor = nullptr;
  if (e->api.shutdown != nullptr) (void)e->api.shutdown();
}

}  // namespace

chdb_result* start_query(chdb_connection conn, const detail::BoundStatement& statement, std::string_view format,
                         decltype(ChdbApi::query_n) plain, ChdbApi::WithParams with_params) {
  const std::string& text = statement.text;
  if (statement.parameters.empty()) return plain(conn, text.data(), text.size(), format.data(), format.size());
  const std::size_t n = statement.parameters.size();
  std::vector<const char*> names(n);
  std::vector<const char*> values(n);
  std::vector<std::size_t> name_lengths(n);
  std::vector<std::size_t> value_lengths(n);
  for (std::size_t i = 0; i < n; ++i) {
    const wire::QueryParameter& p = statement.parameters[i];
    names[i] = p.name.data();
    name_lengths[i] = p.name.size();
    values[i] = p.value.data();
    value_lengths[i] = p.value.size();
  }
  return with_params(conn, text.data(), text.size(), format.data(), format.size(), names.data(), name_lengths.data(),
                     values.data(), value_lengths.data(), n);
}

void engine_stopped() {
  throw Error(ErrorKind::usage, "the embedded engine was stopped when the process began to exit");
}

chdb_connection* open_session(Engine& e) {
  const std::lock_guard lock(engine_mutex());
  if (e.stopped) engine_stopped();
  chdb_connection* session = connect_session(e);
  e.sessions.push_back(session);
  return session;
}

void close_session(Engine& e, chdb_connection* session) noexcept {
  const std::lock_guard lock(engine_mutex());
  if (e.stopped) return;  // closed by stop_engine_at_exit()
  std::erase(e.sessions, session);
  e.api.close_conn(session);
}

Engine& engine_for(const EmbeddedOptions& options) {
  const std::lock_guard lock(engine_mutex());
  Engine*& engine = engine_slot();
  if (engine == nullptr) {
    auto e = std::make_unique<Engine>();
    load_engine(options, *e);
    e->anchor = connect_session(*e);
    engine = e.release();  // never destroyed: see Engine
    (void)std::atexit(stop_engine_at_exit);
    return *engine;
  }
  if (options.path != engine->path) {
    const auto where = [](const std::string& p) { return p.empty() ? std::string("in memory") : "under " + p; };
    throw Error(ErrorKind::config,
                "the embedded engine of this process keeps its data " + where(engine->path) +
                    "; a connection asked for " + where(options.path) +
                    ". chDB runs one engine per process: use one data path for all embedded connections");
  }
  if (!options.library.empty() && options.library != engine->library) {
    throw Error(ErrorKind::config, "the embedded engine of this process was loaded from " + engine->library +
                                       "; a connection asked for " + options.library +
                                       ". chDB runs one engine per process: name one library");
  }
  return *engine;
}

Error engine_error(std::string_view text) {
  constexpr std::string_view k_code = "Code: ";
  std::string_view rest = text;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
  if (rest.substr(0, k_code.size()) == k_code) {
    rest.remove_prefix(k_code.size());
    std::int32_t code = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), code);
    std::string_view after(end, static_cast<std::size_t>(rest.data() + rest.size() - end));
    if (ec == std::errc() && after.substr(0, 2) == ". ") {
      after.remove_prefix(2);
      std::string name;
      if (const auto colon = after.find(": ");
          colon != std::string_view::npos && colon < 64 && after.substr(0, colon).find(' ') == std::string_view::npos) {
        name = std::string(after.substr(0, colon));
        after.remove_prefix(colon + 2);
      }
      while (!after.empty() && (after.back() == '\n' || after.back() == ' ')) after.remove_suffix(1);
      return Error::from_server(code, std::move(name), std::string(after));
    }
  }
  return Error(ErrorKind::protocol, "the embedded engine failed: " + std::string(text));
}

}  // namespace chconn::detail::embedded
