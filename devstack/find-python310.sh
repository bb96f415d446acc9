#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 needs 3.8-3.10) or explains how to get one.
set -euo pipefail
is310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }
for candidate in "${PYTHON310:-}" python3.10; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null && is310 "$candidate"; then
    command -v "$candidate"; exit 0
  fi
done
if command -v pyenv >/dev/null; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10\.' | sort -V -r); do
    p="$(pyenv root)/versions/$v/bin/python3.10"
    if is310 "$p"; then echo "$p"; exit 0; fi
  done
fi
for p in $(ls -d /root/.pyenv/versions/3.10.*/bin/python3.10 "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r); do
  if is310 "$p"; then echo "$p"; exit 0; fi
done
cat >&2 <<'MSG'
error: Python 3.10 not found. Rasa Open Source 3.6 runs on Python 3.8-3.10 only.
Install one, then run make again:
  pyenv install 3.10.13            (https://github.com/pyenv/pyenv)
  or: apt-get install python3.10 python3.10-venv
  or: point PYTHON310=/path/to/python3.10 at an existing interpreter.
MSG
exit 1
