// chDB loaded with dlopen; see chdb.h. The C declarations below are those of chdb.h in the public
// repository chdb-io/chdb (programs/local/chdb.h, version 26.7.3): opaque handles and
// length-based queries.
#include "support/chdb.h"

#include <dlfcn.h>

#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace chconn::test {

namespace {

// The handle types of chdb.h: `chdb_connection` is a pointer to an opaque struct, chdb_connect()
// returns a pointer to one, and results are opaque.
struct chdb_connection_;
using chdb_connection = chdb_connection_*;
struct chdb_result;

using connect_fn = chdb_connection* (*)(int argc, char** argv);
using query_n_fn = chdb_result* (*)(chdb_connection conn, const char* query, std::size_t query_len, const char* format,
                                    std::size_t format_len);
using result_buffer_fn = char* (*)(chdb_result* result);
using result_length_fn = std::size_t (*)(chdb_result* result);
using result_error_fn = const char* (*)(chdb_result* result);
using destroy_result_fn = void (*)(chdb_result* result);
using version_fn = const char* (*)();

class LoadedChdb final : public ChdbEngine {
 public:
  explicit LoadedChdb(std::string path) : path_(std::move(path)) {
    // RTLD_LOCAL: the engine's symbols (its own copies of common libraries) stay out of the way of
    // the test program's.
    handle_ = ::dlopen(path_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) fail(std::string("dlopen failed: ") + ::dlerror());
    connect_ = symbol<connect_fn>("chdb_connect");
    query_n_ = symbol<query_n_fn>("chdb_query_n");
    buffer_ = symbol<result_buffer_fn>("chdb_result_buffer");
    length_ = symbol<result_length_fn>("chdb_result_length");
    error_ = symbol<result_error_fn>("chdb_result_error");
    destroy_ = symbol<destroy_result_fn>("chdb_destroy_query_result");
    version_ = symbol<version_fn>("chdb_version");
    // argv as clickhouse-local's; no --path: the data lives in memory. The settings apply to every
    // query of this connection (chdb.h); see k_chdb_settings.
    std::vector<std::string> args{"chconn-tests"};
    for (const std::string_view s : k_chdb_settings) args.push_back("--" + std::string(s));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    chdb_connection* conn = connect_(static_cast<int>(args.size()), argv.data());
    if (conn == nullptr || *conn == nullptr) fail("chdb_connect failed");
    conn_ = *conn;
    // The connection is never closed: closing the last one shuts the engine down, and chDB's
    // engine is meant to boot once per process (chdb.h).
  }

  ChdbResult query(std::string_view sql, std::string_view format) override {
    const std::lock_guard lock(mutex_);
    chdb_result* r = query_n_(conn_, sql.data(), sql.size(), format.data(), format.size());
    ChdbResult out;
    if (r == nullptr) {
      out.error = "chdb_query_n returned no result";
      return out;
    }
    if (const char* e = error_(r); e != nullptr) {
      out.error = e;
    } else {
      out.ok = true;
      const char* data = buffer_(r);
      if (data != nullptr) out.data.assign(data, length_(r));
    }
    destroy_(r);
    return out;
  }

  std::string version() const override { return version_(); }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("chDB (" + path_ + "): " + why +
                             ". The modern tests need chDB: run ./scripts/test, or `source scripts/lib/common.sh && "
                             "chconn_fetch_chdb` and configure again (CHCONN_CHDB_LIBRARY)");
  }

  template <class F>
  F symbol(const char* name) const {
    void* s = ::dlsym(handle_, name);
    if (s == nullptr) fail(std::string("symbol ") + name + " not found");
    return reinterpret_cast<F>(s);
  }

  std::string path_;
  void* handle_ = nullptr;
  connect_fn connect_ = nullptr;
  query_n_fn query_n_ = nullptr;
  result_buffer_fn buffer_ = nullptr;
  result_length_fn length_ = nullptr;
  result_error_fn error_ = nullptr;
  destroy_result_fn destroy_ = nullptr;
  version_fn version_ = nullptr;
  chdb_connection conn_ = nullptr;
  std::mutex mutex_;
};

std::string library_path() {
  const char* env = std::getenv("CHCONN_CHDB_LIBRARY");
  if (env == nullptr || *env == '\0') {
    throw std::runtime_error(
        "CHCONN_CHDB_LIBRARY is not set: the modern tests need chDB's libchdb.so. Run ./scripts/test, or "
        "`source scripts/lib/common.sh && chconn_fetch_chdb` and configure again");
  }
  return env;
}

}  // namespace

std::string ChdbEngine::query_ok(std::string_view sql, std::string_view format) {
  ChdbResult r = query(sql, format);
  if (!r.ok) throw std::runtime_error("chDB failed on `" + std::string(sql) + "`: " + r.error);
  return std::move(r.data);
}

ChdbEngine& chdb_engine() {
  // Built once; a failure is not cached, so every test that needs the engine reports it.
  static std::mutex mutex;
  static LoadedChdb* engine = nullptr;  // never destroyed (see LoadedChdb's constructor)
  const std::lock_guard lock(mutex);
  if (engine == nullptr) engine = new LoadedChdb(library_path());
  return *engine;
}

}  // namespace chconn::test
