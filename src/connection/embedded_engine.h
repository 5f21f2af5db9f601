// chDB's engine as EmbeddedConnection uses it: the C API of libchdb.so, loaded with dlopen, and the
// one engine of the process with its sessions. The C declarations follow chdb.h of the public
// repository chdb-io/chdb (programs/local/chdb.h, 26.7.3): opaque handles, length-based
// (binary-safe) queries, streaming queries and inserts. Private to the connection layer.
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "connection/substitution.h"

namespace chconn::detail::embedded {

// The handle types of chdb.h: a connection is a pointer to an opaque struct, chdb_connect() returns
// a pointer to one; results and insert streams are opaque.
struct chdb_connection_;
using chdb_connection = chdb_connection_*;
struct chdb_result;
struct chdb_insert_stream_;
using chdb_insert_stream = chdb_insert_stream_*;
constexpr int k_chdb_success = 0;  // chdb_state's CHDBSuccess

struct ChdbApi {
  const char* (*version)() = nullptr;
  chdb_connection* (*connect)(int argc, char** argv) = nullptr;
  void (*close_conn)(chdb_connection* conn) = nullptr;
  int (*shutdown)() = nullptr;  // optional (chDB 26.7.1 and later): joins the engine's threads
  chdb_result* (*query_n)(chdb_connection, const char*, std::size_t, const char*, std::size_t) = nullptr;
  chdb_result* (*stream_query_n)(chdb_connection, const char*, std::size_t, const char*, std::size_t) = nullptr;
  // The _with_params_n forms: names and values as (pointer, length) arrays of `count` entries.
  using WithParams = chdb_result* (*)(chdb_connection, const char*, std::size_t, const char*, std::size_t,
                                      const char* const*, const std::size_t*, const char* const*, const std::size_t*,
                                      std::size_t);
  WithParams query_params_n = nullptr;
  WithParams stream_query_params_n = nullptr;
  chdb_result* (*stream_fetch)(chdb_connection, chdb_result*) = nullptr;
  void (*stream_cancel)(chdb_connection, chdb_result*) = nullptr;
  void (*destroy_result)(chdb_result*) = nullptr;
  char* (*buffer)(chdb_result*) = nullptr;
  std::size_t (*length)(chdb_result*) = nullptr;
  const char* (*error)(chdb_result*) = nullptr;
  chdb_insert_stream (*stream_insert_n)(chdb_connection, const char*, std::size_t, const char*, std::size_t) = nullptr;
  int (*stream_append)(chdb_insert_stream, const void*, std::size_t) = nullptr;
  chdb_result* (*stream_done)(chdb_insert_stream) = nullptr;
  void (*stream_cancel_insert)(chdb_insert_stream) = nullptr;
  const char* (*stream_insert_error)(chdb_insert_stream) = nullptr;
  void (*destroy_insert_stream)(chdb_insert_stream) = nullptr;
};

inline constexpr std::string_view k_native = "Native";

// Starts `statement` in `format` through the plain or the _with_params_n call of `plain` and
// `with_params` (the whole or the streamed forms).
chdb_result* start_query(chdb_connection conn, const BoundStatement& statement, std::string_view format,
                         decltype(ChdbApi::query_n) plain, ChdbApi::WithParams with_params);

// The process's engine: the library, its functions, and one session kept open for the life of the
// process (chdb.h: closing the last connection shuts the engine down, and it is not meant to start
// twice). chDB allows one engine, with one data path, per process, so this is process state by
// nature; it is created on the first open() and never destroyed. It is stopped when the process
// exits (stop_engine_at_exit).
struct Engine {
  ChdbApi api;
  void* handle = nullptr;
  std::string library;
  std::string path;
  std::string version;
  chdb_connection* anchor = nullptr;
  // The sessions of open EmbeddedConnections (engine_mutex() guards the list).
  std::vector<chdb_connection*> sessions;
  // Set once, at exit: every session is closed and the engine's threads joined; a call after it is
  // Error(usage), and a connection or cursor destroyed after it calls nothing of the library.
  std::atomic<bool> stopped{false};
};

// Error(usage): the engine was stopped at exit (Engine::stopped).
[[noreturn]] void engine_stopped();

// A new session of the engine, listed in Engine::sessions until close_session().
chdb_connection* open_session(Engine& e);

void close_session(Engine& e, chdb_connection* session) noexcept;

// The engine, started on first use with `options`; later callers must ask for the same one.
Engine& engine_for(const EmbeddedOptions& options);

// A chdb_result owned until the end of the scope.
class Owned {
 public:
  Owned(const ChdbApi& api, chdb_result* r) noexcept : api_(&api), r_(r) {}
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() {
    if (r_ != nullptr) api_->destroy_result(r_);
  }
  chdb_result* get() const noexcept { return r_; }
  // The engine's error text, or nullopt for a result without error.
  std::optional<std::string> error() const {
    if (r_ == nullptr) return std::string("the engine returned no result");
    const char* e = api_->error(r_);
    if (e == nullptr) return std::nullopt;
    return std::string(e);
  }
  std::string_view data() const noexcept {
    const char* d = api_->buffer(r_);
    return d == nullptr ? std::string_view() : std::string_view(d, api_->length(r_));
  }

 private:
  const ChdbApi* api_;
  chdb_result* r_;
};

// Reads chDB's error text: "Code: 60. DB::Exception: <message>" (the message ends with the
// code's name in parentheses, as a server's does). Text of another shape (chDB's own errors, e.g.
// "Invalid or closed connection") is Error(protocol): it is not a ClickHouse exception.
Error engine_error(std::string_view text);

}  // namespace chconn::detail::embedded
