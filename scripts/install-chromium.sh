#!/usr/bin/env bash
# Installs Debian's chromium package when no Chromium is on PATH: the
# browser the report's test (tools/report) opens the report in. Needs root,
# or sudo without a password (it never prompts), and apt; prints the
# browser it found or installed as its last line, "chromium: <path>".
set -euo pipefail

find_chromium() {
  local name
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if path=$(find_chromium); then
  echo "chromium: $path"
  exit 0
fi

sudo=
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo -n"
fi
echo "installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
path=$(find_chromium)
echo "chromium: $path"
