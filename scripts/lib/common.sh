# Shared set-up for scripts/test, scripts/demo and the other scripts. Source it; don't run it.
#
# chconn_setup installs whatever Debian packages are missing (a fresh bookworm machine has none of
# them), so that the two README commands work on a new machine with no manual step.

CHCONN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CHCONN_ROOT

# Everything the build, the tests and the demo use, from Debian's archive only.
CHCONN_PACKAGES=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev clang-format-14 clang-tidy-14
  liblz4-dev libzstd-dev libc-ares-dev libssl-dev openssl libboost1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libedit-dev
  clickhouse-server clickhouse-client zookeeper
  curl procps iproute2 util-linux nftables ca-certificates tzdata
)

chconn_log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

chconn_missing_packages() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  printf '%s\n' "${missing[@]}"
}

# chconn_install_packages PKG...: installs the ones that are missing (apt-get update once first).
chconn_install_packages() {
  local missing
  mapfile -t missing < <(chconn_missing_packages "$@" | sed '/^$/d')
  [ "${#missing[@]}" -eq 0 ] && return 0
  chconn_log "installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The package lists of a fresh machine are empty: update once before installing.
  "${sudo[@]}" apt-get update -qq
  # policy-rc.d may forbid starting the system clickhouse-server; we never use it anyway.
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

chconn_setup() {
  chconn_install_packages "${CHCONN_PACKAGES[@]}"
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
  export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
  # Hits across build directories and clones: paths under the source tree are hashed relative to
  # it, and the build directory (in the debug info) is not hashed.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$CHCONN_ROOT}"
  export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
  # The Debian package may start a system-wide server; tests never use it, and it would hold
  # ports and CPU. Leave it alone if it runs, but make sure nothing depends on it.
  true
}

# chconn_build PRESET [BUILD_ARGS...]: configure (warnings are errors) and build one CMake preset;
# BUILD_ARGS go to `cmake --build` (e.g. --target NAME).
chconn_build() {
  local preset=$1; shift
  chconn_log "configuring and building preset '$preset'"
  cmake --preset "$preset" -DCHCONN_WERROR=ON >/dev/null || return 1
  cmake --build --preset "$preset" -j "$(nproc)" "$@"
}

# chDB: the current ClickHouse engine (26.7) as a shared library, for the `modern` conformance tests
# (tests/modern). The tests dlopen it; the library never links it. Taken from the npm registry with
# `npm pack` (node is not needed to use it) and kept in a cache folder outside the repository, so
# that later runs reuse it. The expected checksum is the registry's dist.integrity of this version
# (`npm view @chdb/lib-linux-x64-gnu@26.7.3-stable.1 dist.integrity`), checked on every run.
CHCONN_CHDB_PACKAGE=@chdb/lib-linux-x64-gnu
CHCONN_CHDB_VERSION=26.7.3-stable.1
CHCONN_CHDB_SHA512=XP97mMqnc5tZpKQywR8N7cLTsHNiTmHr30pC5mzo3jWmukjKn2IBa60c2B/gWUNcuFjOMjWoorQICCqBVj5wpw==

# The cache folder: CHCONN_CHDB_CACHE if set, else /var/cache/chconn/chdb/VERSION when it can be
# written (root), else ~/.cache/chconn/chdb/VERSION.
chconn_chdb_cache_dir() {
  if [ -n "${CHCONN_CHDB_CACHE:-}" ]; then
    printf '%s\n' "$CHCONN_CHDB_CACHE"
  elif mkdir -p /var/cache/chconn/chdb 2>/dev/null && [ -w /var/cache/chconn/chdb ]; then
    printf '%s\n' "/var/cache/chconn/chdb/$CHCONN_CHDB_VERSION"
  else
    printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/chconn/chdb/$CHCONN_CHDB_VERSION"
  fi
}

# chconn_fetch_chdb: makes libchdb.so available (downloading it once) and exports its path as
# CHCONN_CHDB_LIBRARY, which CMake records for the `modern` tests. Returns non-zero, saying why,
# when it cannot be had; the modern tests then fail (they never skip).
chconn_fetch_chdb() {
  local dir tgz sum
  dir=$(chconn_chdb_cache_dir)
  tgz="$dir/chdb-lib-linux-x64-gnu-$CHCONN_CHDB_VERSION.tgz"
  mkdir -p "$dir" || { echo "chDB: cannot create the cache folder $dir" >&2; return 1; }
  # npm only for the download; a machine may have it from a nodejs package (which conflicts with
  # Debian's npm package), so look for the command rather than the package.
  command -v npm >/dev/null || chconn_install_packages npm || return 1
  chconn_install_packages openssl tar || return 1
  if [ -s "$tgz" ] && [ -s "$dir/package/libchdb.so" ] && [ "$(cat "$dir/.extracted" 2>/dev/null)" = "$CHCONN_CHDB_SHA512" ]; then
    sum=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
    if [ "$sum" = "$CHCONN_CHDB_SHA512" ]; then
      export CHCONN_CHDB_LIBRARY="$dir/package/libchdb.so"
      return 0
    fi
    echo "chDB: the cached $tgz does not match its checksum; downloading it again" >&2
  fi
  rm -rf "$dir/package" "$dir/.extracted" "$dir/npm-cache" "$tgz"
  chconn_log "fetching chDB $CHCONN_CHDB_VERSION (npm pack $CHCONN_CHDB_PACKAGE, about 178 MB) into $dir"
  # A private npm cache, removed afterwards, so the package is not kept twice.
  local packed
  packed=$(cd "$dir" && npm pack --silent --cache "$dir/npm-cache" \
    "$CHCONN_CHDB_PACKAGE@$CHCONN_CHDB_VERSION" </dev/null | tail -n 1)
  local rc=$?
  rm -rf "$dir/npm-cache"
  if [ $rc -ne 0 ] || [ -z "$packed" ] || [ ! -s "$dir/$packed" ]; then
    echo "chDB: npm pack $CHCONN_CHDB_PACKAGE@$CHCONN_CHDB_VERSION failed (network or registry down?)" >&2
    return 1
  fi
  [ "$dir/$packed" = "$tgz" ] || mv "$dir/$packed" "$tgz"
  sum=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
  if [ "$sum" != "$CHCONN_CHDB_SHA512" ]; then
    echo "chDB: checksum mismatch for $tgz: sha512-$sum, expected sha512-$CHCONN_CHDB_SHA512" >&2
    rm -f "$tgz"
    return 1
  fi
  tar -xzf "$tgz" -C "$dir" package/libchdb.so || { echo "chDB: cannot unpack $tgz" >&2; return 1; }
  printf '%s' "$CHCONN_CHDB_SHA512" >"$dir/.extracted"
  export CHCONN_CHDB_LIBRARY="$dir/package/libchdb.so"
}
