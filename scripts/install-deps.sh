#!/usr/bin/env bash
# Installs what the project needs on Debian 12, only what is missing, so it
# is cheap to run before every `make test`. Debian packages come from apt
# (one `apt-get update`, only when something is missing); npm packages go
# into the repo's node_modules/ with --ignore-scripts. Nothing else is
# downloaded from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libcmocka-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi qemu-system-arm
  libprotobuf-c-dev protobuf-c-compiler
  libcoap3-dev libcoap3-bin
  libssl-dev
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev
  python3 python3-numpy python3-onnx python3-torch python3-sklearn libonnx-testdata
  valgrind curl
  chromium  # the browser tests (tests/web), driven headless by playwright-core
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm: any installed copy will do (the machine may ship a newer
# one than Debian's); Debian's otherwise.
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install Debian packages" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages pinned in package.json, installed into ./node_modules.
if [ -f package.json ]; then
  if [ ! -f node_modules/.tml-installed ] || [ package.json -nt node_modules/.tml-installed ]; then
    echo "install-deps: npm install (--ignore-scripts)"
    npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
    touch node_modules/.tml-installed
  fi
fi
