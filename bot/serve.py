"""`python -m bot.serve [rasa run options]`: `rasa run` with the HTTP API's token taken from the
environment (`KELIAN_RASA_TOKEN`) instead of the command line, where every user of the machine can
read it in `ps`, and with a server-wide limit on request bodies (`SANIC_REQUEST_MAX_SIZE`, 1 MB unless
set; the channels apply their own, smaller limits), and without the per-turn costs of Rasa's that buy
nothing (bot/speedups.py)."""

from __future__ import annotations

import os
import sys

DEFAULT_REQUEST_MAX_SIZE = str(1024 * 1024)


def main() -> None:
    token = os.environ.get("KELIAN_RASA_TOKEN", "").strip()
    if not token:
        sys.exit("bot.serve: KELIAN_RASA_TOKEN is not set; the HTTP API would be open to anyone")
    if "--auth-token" in sys.argv:
        sys.exit("bot.serve: give the token in KELIAN_RASA_TOKEN, not on the command line")
    os.environ.setdefault("SANIC_REQUEST_MAX_SIZE", DEFAULT_REQUEST_MAX_SIZE)
    # One BLAS/OpenMP thread, set before numpy loads: on a busy 2-core machine OpenBLAS's second
    # thread spins waiting for a core, and an NLU parse went from 18 ms to over a second at p95.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # Rasa parses sys.argv; the process's own command line (/proc/<pid>/cmdline) keeps no token.
    sys.argv = ["rasa", "run", *sys.argv[1:], "--auth-token", token]
    from rasa.__main__ import main as rasa_main

    from bot import speedups

    speedups.apply()  # per-turn costs of Rasa's that buy nothing (bot/speedups.py)
    rasa_main()


if __name__ == "__main__":
    main()
