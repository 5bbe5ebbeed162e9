"""Run every benchmark on SQLite, and on PostgreSQL when KEEPWARM_BENCH_PG_URL is set.

    make bench                                   # = .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --scale 0.01   # a quick run (a few minutes)
    KEEPWARM_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/kw_e .venv/bin/python bench/run.py

Per engine: generate the agency at --scale (default 1 = DESIGN.md size), then the due-work
query, the pages, and the tick's memory (last: on PostgreSQL it wipes the database to
prepare its own small ones). Each step runs in its own process. Every figure is printed as
"name: value vs ceiling = ratio (goal ...)" and collected in a summary at the end, with
how long each step took. Benchmarks never fail the build because the machine was slow; the
exit status is 1 only when a step crashed or the due-work counts disagreed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def step(name: str, args: list[str], env: dict[str, str], log: list[str]) -> tuple[bool, float]:
    print(f"\n=== {name}: {' '.join(['python', *args])}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        if " vs ceiling " in line:
            log.append(line.strip())
    code = proc.wait()
    seconds = time.perf_counter() - started
    print(f"--- {name}: {'ok' if code == 0 else f'exit {code}'} in {seconds:.0f} s", flush=True)
    return code == 0, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = the DESIGN.md agency")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the databases")
    parser.add_argument("--only", default="tick,pages,memory")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args(argv)

    engines: list[tuple[str, str]] = []
    if "sqlite" in args.engines:
        engines.append(("sqlite", ""))
    pg_url = os.environ.get("KEEPWARM_BENCH_PG_URL", "")
    if "postgresql" in args.engines:
        if pg_url:
            engines.append(("postgresql", pg_url))
        else:
            print(
                "PostgreSQL: skipped (set KEEPWARM_BENCH_PG_URL, e.g. "
                "postgres://postgres@127.0.0.1:5432/kw_e; that database is wiped)"
            )
    only = set(args.only.split(","))
    scale = ["--scale", f"{args.scale:g}"]
    figures: list[str] = []
    timings: list[str] = []
    failed: list[str] = []
    for engine, url in engines:
        env = {k: v for k, v in os.environ.items() if k != "KEEPWARM_DATABASE_URL"}
        if url:
            env["KEEPWARM_DATABASE_URL"] = url
        plan: list[tuple[str, list[str]]] = []
        if not args.skip_generate:
            plan.append(("generate", [str(BENCH / "generate.py"), *scale]))
        if "tick" in only:
            plan.append(("tick", [str(BENCH / "bench_tick.py"), *scale]))
        if "pages" in only:
            plan.append(
                ("pages", [str(BENCH / "bench_pages.py"), *scale, "--requests", str(args.requests)])
            )
        if "memory" in only:
            # 1k vs 10k messages at full size; a quick run sends fewer (same 10x ratio).
            small = 1000 if args.scale >= 1 else max(500, round(1000 * args.scale))
            sizes = ["--small", str(small), "--large", str(10 * small)]
            plan.append(("memory", [str(BENCH / "bench_memory.py"), *sizes]))
        for name, cmd in plan:
            ok, seconds = step(f"{engine} {name}", cmd, env, figures)
            timings.append(f"{engine} {name}: {seconds:.0f} s")
            if not ok:
                failed.append(f"{engine} {name}")
                if name == "generate":
                    break

    print(f"\n=== Summary (scale {args.scale:g})")
    for line in figures:
        print(line)
    print("Time taken: " + "; ".join(timings))
    if failed:
        print("Failed steps: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
