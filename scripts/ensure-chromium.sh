#!/bin/sh
# Makes sure Debian's Chromium is installed for the browser tests
# (test/browser, driven by playwright-core; never `playwright install`, which
# downloads a browser). Run by `npm test` before Vitest.
#   - /usr/bin/chromium exists: nothing to do;
#   - else, as root (or with password-less sudo) on Debian/Ubuntu: apt-get installs it;
#   - else: says what to run, and fails.
set -eu

CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    SUDO="none"
  fi
  if [ "$SUDO" != none ]; then
    echo "ensure-chromium: $CHROMIUM is missing; installing Debian's chromium with apt-get (once per machine, a minute or two)..."
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq chromium >/dev/null
    if [ -x "$CHROMIUM" ]; then
      echo "ensure-chromium: installed: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
      exit 0
    fi
  fi
fi

cat >&2 <<MSG
ensure-chromium: the browser tests need Chromium at $CHROMIUM, and it could not be installed here
(installing needs root and apt-get). Install it, then run npm test again:

    sudo apt-get update && sudo apt-get install -y chromium

MSG
exit 1
