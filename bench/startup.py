"""The CPU a process start costs with and without compiled bytecode (the Docker image's case).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/redress_bench_filing \
        uv run --no-sync python bench/startup.py --runs 5

The image's processes (gunicorn, Celery worker and beat, commands) run as a user that
cannot write the venv. Installed without compiled bytecode, every start compiles each
module it imports from source and cannot keep the result. Simulated here on this venv,
without touching it: Python reads and writes bytecode under PYTHONPYCACHEPREFIX, so

- "no bytecode": a prefix with only the standard library compiled (the slim image ships
  it so), and PYTHONDONTWRITEBYTECODE=1 (the user cannot write): every start compiles
  the site-packages and the project;
- "compiled at build": a prefix where `python -m compileall` compiled the standard
  library, the site-packages and the project (UV_COMPILE_BYTECODE=1 and compileall in the
  Dockerfile), read-only as well.

Each runs `manage.py sla_sweep` (a no-op sweep on an up-to-date database) `--runs` times
and prints the median CPU time (user + system) and wall time of the process.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def compile_into(prefix: Path, paths: list[str]) -> None:
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(prefix)}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *paths],
        env=env,
        check=False,  # a few test files of third-party packages do not compile; they are never imported
        stdout=subprocess.DEVNULL,
    )


def run(prefix: Path, command: list[str]) -> tuple[float, float]:
    env = {
        **os.environ,
        "PYTHONPYCACHEPREFIX": str(prefix),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Set DATABASE_URL (a migrated PostgreSQL database).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-startup-secret-key-not-for-production-01")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
    stdlib = sysconfig.get_paths()["stdlib"]
    site = sysconfig.get_paths()["purelib"]
    project = [str(p) for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()]
    command = [sys.executable, "manage.py", "sla_sweep"]
    with tempfile.TemporaryDirectory() as bare, tempfile.TemporaryDirectory() as built:
        print("compiling ...", flush=True)
        compile_into(Path(bare), [stdlib])
        compile_into(Path(built), [stdlib, site, *project, str(ROOT / "manage.py")])
        results = {}
        for name, prefix in (("no bytecode", bare), ("compiled at build", built)):
            run(Path(prefix), command)  # the file system's cache warm for both
            runs = [run(Path(prefix), command) for _ in range(args.runs)]
            results[name] = runs
        load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    print(f"`manage.py sla_sweep`, {args.runs} runs each, median; {load}")
    for name, runs in results.items():
        cpu = statistics.median(r[0] for r in runs)
        wall = statistics.median(r[1] for r in runs)
        print(f"  {name:18}  CPU {cpu:5.2f} s   wall {wall:5.2f} s")


if __name__ == "__main__":
    main()
