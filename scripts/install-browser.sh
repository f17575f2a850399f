#!/usr/bin/env bash
# Installs Debian's Chromium (driven by playwright-core in the browser tests) and a CJK font
# (so screenshots and label PDFs show Chinese) and poppler-utils (pdftoppm turns label PDFs into
# pictures for the tests and docs/). Needs root or sudo; does nothing when all are present.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-zenhei)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing ${need[*]} (Debian packages) for the browser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
