"""The stack's CPU time (devstack/stack.py `Stack.cpu_seconds`), which the turn benchmark divides by the
turns it sends: the processes of each server's process group count, the benchmark's own process does not."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from devstack.config import StackConfig
from devstack.stack import Stack

# a server that spends about 0.4 s of CPU in a child of its own (the way Rasa's server runs its work), then waits
BUSY = (
    "import subprocess, sys, time\n"
    "subprocess.run([sys.executable, '-c', 'import time\\nend = time.process_time() + 0.4\\n"
    "while time.process_time() < end: pass'])\n"
    "time.sleep(60)\n"
)


def test_the_cpu_of_a_servers_process_group_is_counted_and_the_callers_is_not(tmp_path: Path):
    stack = Stack(StackConfig(var_dir=tmp_path))
    assert stack.cpu_seconds() == 0.0
    server = subprocess.Popen([sys.executable, "-c", BUSY], start_new_session=True)
    stack._processes["busy"] = server
    try:
        before = stack.cpu_seconds()
        end = time.process_time() + 0.3  # the caller's own CPU is not the stack's
        while time.process_time() < end:
            pass
        deadline = time.monotonic() + 30
        while stack.cpu_seconds() - before < 0.35 and time.monotonic() < deadline:
            time.sleep(0.05)
        used = stack.cpu_seconds() - before
        assert 0.35 <= used < 0.4 + 0.3
    finally:
        server.kill()
        server.wait()
