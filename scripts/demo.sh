#!/usr/bin/env bash
# make demo: the project's main job on its embedded defaults. Grows with the
# project; today it shows the tml CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
"$BUILD/tools/tml/tml" version
