#!/usr/bin/env bash
# Debian packages the test suite needs: installed when root, else the exact command is printed.
set -euo pipefail
PACKAGES=(dovecot-imapd postgresql tmux openssl)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
    # Debian starts packaged services; the suite runs private instances of its own.
    service dovecot stop >/dev/null 2>&1 || true
else
    echo "The test suite needs these Debian packages. Install them with:"
    echo "    sudo apt-get install -y ${missing[*]}"
    exit 1
fi
