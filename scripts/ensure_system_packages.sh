#!/usr/bin/env bash
# Install the Debian packages the tests need, when missing: chromium + chromium-driver (browser
# tests), fonts-noto-cjk (Chinese text in screenshots), postgresql (the data-access tests' server),
# redis-server (what gunicorn workers share: rate limits, login-failure counts, the view cache).
# With arguments, those packages instead (`make run` asks for python3-venv when `python3 -m venv` fails).
set -euo pipefail
if [ $# -gt 0 ]; then
  wanted=("$@")
else
  wanted=(chromium chromium-driver fonts-noto-cjk postgresql redis-server)
fi
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Need root (or sudo) to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
