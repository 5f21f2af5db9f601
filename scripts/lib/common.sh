# Shared set-up for scripts/test, scripts/demo and the other scripts. Source it; don't run it.
#
# chconn_setup installs whatever Debian packages are missing (a fresh bookworm machine has none of
# them), so that the two README commands work on a new machine with no manual step.

CHCONN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CHCONN_ROOT

# Everything the build, the tests and the demo use, from Debian's archive only.
CHCONN_PACKAGES=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev
  liblz4-dev libzstd-dev libc-ares-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev
  clickhouse-server clickhouse-client
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
