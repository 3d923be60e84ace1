#!/usr/bin/env bash
# The translation tests extract the portal's strings with Django's makemessages, which runs GNU gettext's xgettext.
# Install it when missing; CI machines start without it.
set -euo pipefail
if command -v xgettext >/dev/null 2>&1 && command -v msgfmt >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "GNU gettext is missing and this user cannot install it: apt-get install gettext (as root)." >&2
    exit 1
  fi
else
  SUDO=
fi
echo "Installing GNU gettext for the translation tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends gettext >/dev/null
