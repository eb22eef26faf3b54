#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian/Ubuntu machine: system packages, then a virtual environment
# in .venv with fontgen and its training/test extras. Works as root or through sudo.
#   scripts/setup.sh          # font factory + training + tests
#   scripts/setup.sh --test   # also the packages only the test suite needs (Chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# gcc, libc6-dev, python3-dev: the C speed-ups of the font factory (setup.py; optional, numpy without them).
apt_packages=(libpotrace0 fonts-noto-cjk fonts-arphic-gkai00mp fontconfig poppler-utils gcc libc6-dev python3-dev)
if [ "${1:-}" = "--test" ]; then apt_packages+=(chromium); fi

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.fontgen-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] \
   || [ -n "$(find fontgen -name '*.c' -newer "$stamp")" ]; then
  echo "setup: installing fontgen[cpu,train,dev,eval] into .venv (torch comes from this machine's disk)"
  .venv/bin/pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
  .venv/bin/pip install -q -e ".[cpu,train,dev,eval]" 2>&1 | grep -vE "is ignored|^\s*$" || true
  .venv/bin/python -c "import fontgen, onnxruntime, torch"
  touch "$stamp"
fi
if [ "${1:-}" = "--test" ]; then
  # Stroke skeletons (npm hanzi-writer-data) for the synthetic-writer tests; cached, so re-runs are free.
  .venv/bin/fontgen data fetch --only hanzi-writer-data
fi
echo "setup: ready (.venv/bin/fontgen)"
