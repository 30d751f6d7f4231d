#!/usr/bin/env bash
# Debian packages the test suite uses: PostgreSQL (throwaway test clusters), Chromium (browser
# tests) and a Japanese font (without one, screenshots show Japanese as empty boxes). Installed
# only when missing and only when we can (root with apt-get); otherwise the tests that need them
# are skipped locally (and fail in CI, which requires them).
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -n "$(fc-list :lang=ja 2>/dev/null)" ] || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: not installing ${missing[*]} (needs root and apt-get); related tests will skip" >&2
  exit 0
fi
echo "installing ${missing[*]} …" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
