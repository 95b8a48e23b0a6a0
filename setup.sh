#!/usr/bin/env bash
# README's first command: installs the Debian packages dom0sim needs (only
# those missing), configures and builds it, and runs the main scenario.
#   ./setup.sh              install, build, run scenarios/migration.json
#   ./setup.sh --deps-only  install what is missing and stop (used by .ci/run)
set -euo pipefail
cd "$(dirname "$0")"

# Build tools, the design card's libraries (GLib, GSL, libcsv, cJSON, Check),
# zlib to write gzip traces and ISA-L to read them fast, gnuplot for figures,
# GNU parallel for sweeps, clang and its runtimes (libFuzzer and the
# sanitizers: libclang-rt-dev, only recommended by clang, so named here) for
# the fuzz targets.
packages=(gcc make cmake pkg-config libglib2.0-dev libgsl-dev libcsv-dev libcjson-dev check
          zlib1g-dev libisal-dev gnuplot-nox parallel valgrind clang libclang-rt-dev)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "setup.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
[ "${1:-}" = "--deps-only" ] && exit 0

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
./dom0sim scenarios/migration.json
