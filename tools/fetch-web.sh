#!/usr/bin/env bash
# Fetches the browser library of emo-analyze --http's page from the npm registry, at a pinned
# version checked against the integrity kept here, into web/vendor/ (git-ignored; installed
# with the page, served by emo-analyze itself: no CDN, the page works offline). Runs at set-up
# (tools/setup.sh), never at run time. Idempotent.
#
#   tools/fetch-web.sh [WEB_DIR]     default: <repo>/web
#
# | package      | files (into vendor/)                                | licence |
# | ------------ | --------------------------------------------------- | ------- |
# | uplot 1.6.32 | dist/uPlot.iife.min.js, dist/uPlot.min.css, LICENSE | MIT     |
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$here/web}"
if ! command -v npm >/dev/null; then
  echo "fetch-web: npm is missing (tools/setup.sh installs it)" >&2
  exit 1
fi
# shellcheck source=tools/npm-fetch.sh
source "$here/tools/npm-fetch.sh"

fetch uplot 1.6.32 \
  'sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==' \
  vendor \
  dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE
