# shellcheck shell=bash
# Sourced by tools/fetch-models.sh and tools/fetch-web.sh: fetch(), which takes one package from
# the npm registry with `npm pack` at a pinned version, checks it against the sha512 integrity
# kept in the calling script and extracts the files it names into $dest/SUBDIR (idempotent: a
# stamp file remembers the package and integrity extracted). The caller sets $dest and installs
# npm when it is missing (need_npm).
# name version integrity(sha512, as `npm view NAME@VERSION dist.integrity` prints it) subdir
# then the files to extract: paths inside the package (under package/), each extracted as
# $dest/SUBDIR/<its base name>, or PATH=REL to extract it as $dest/SUBDIR/REL (REL may hold
# directories, e.g. include/onnxruntime_c_api.h).
# Installs Debian's npm when no npm is on the PATH (sudo only when not root). $1: the caller's
# name for its messages.
need_npm() {
  command -v npm >/dev/null && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "$1: installing npm"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm
}

# Where an argument of fetch() goes, relative to $dest/SUBDIR.
_fetch_target() {
  case "$1" in
    *=*) echo "${1#*=}" ;;
    *) basename "$1" ;;
  esac
}

fetch() {
  local name="$1" version="$2" integrity="$3" subdir="$4"
  shift 4
  local out="$dest/$subdir" stamp="$dest/$subdir/.version"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$name@$version $integrity" ]; then
    local ok=1 f
    for f in "$@"; do [ -s "$out/$(_fetch_target "$f")" ] || ok=0; done
    [ "$ok" = 1 ] && return 0
  fi
  local tmp
  tmp="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
  local tgz
  tgz="$(ls "$tmp"/*.tgz)"
  local got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "${0##*/}: $name@$version: integrity mismatch (got $got, want $integrity)" >&2
    return 1
  fi
  mkdir -p "$out"
  local f
  for f in "$@"; do
    local src="${f%%=*}" target
    target="$out/$(_fetch_target "$f")"
    tar -xzf "$tgz" -C "$tmp" "package/$src"
    install -D -m 0644 "$tmp/package/$src" "$target"
  done
  echo "$name@$version $integrity" >"$stamp"
  echo "${0##*/}: $name@$version -> $out"
}

