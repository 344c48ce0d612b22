#!/usr/bin/env bash
# System packages the test suite needs: Chromium (browser test) and a Korean TTF font (PDF rendering test).
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/share/fonts/truetype/nanum/NanumGothic.ttf >/dev/null 2>&1 || need+=(fonts-nanum)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${need[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
else
  echo "missing system packages: ${need[*]} — install them (e.g. sudo apt-get install ${need[*]}) / 시스템 패키지가 필요합니다" >&2
  exit 1
fi
