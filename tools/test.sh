#!/usr/bin/env bash
# The project's test command (README "Run the tests"): sets up and builds, then runs every
# test with CTest. Extra arguments go to ctest (e.g. -R harness).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$here/tools/setup.sh"
cd "${EMO_BUILD_DIR:-$here/build}"
ctest --output-on-failure -j 2 "$@"
