"""Load-test the public site under gunicorn (the repo's gunicorn.conf.py) on 127.0.0.1.

Measures, in one run and against the same server setup:

- a bare "hello" route of the same app (the reference: framework + middleware only),
- bike pages and part pages, many distinct URLs picked at random, with the page cache warm
  (the normal state) and with it switched off (every request renders from Postgres),
- search, with a mix of part numbers, words, bike names and typos,

at 100 concurrent connections with `wrk` (apt-get install wrk), and prints req/s, p50 / p95
/ p99 latency, the ratio of each to the hello route, and the workers' memory (RSS and PSS).

    .venv/bin/python -m benchmarks.seed_public --fitments 500000 --parts 100000
    .venv/bin/python -m benchmarks.public_pages --duration 15

Budgets (DESIGN.md §5): bike/part p99 <= 50 ms and >= 50 % of hello req/s; search p95 <= 50 ms;
each worker <= 120 MB RSS, master + 2 workers <= 180 MB PSS.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124 Safari/537.36"
LUA = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
math.randomseed(os.time())
wrk.headers["User-Agent"] = os.getenv("BENCH_UA")
wrk.headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d seconds=%.3f errors=%d p50=%.3f p95=%.3f p99=%.3f\n",
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""
SEARCH_WORDS = [
    "brake pads", "oil filter", "sintered", "air filter", "rear sprocket", "chain",
    "windscreen", "sintred pads", "batery", "ebc pads", "k&n air filter", "zx10r",
    "cbr600rr", "kawasaki zx10r", "2015 cbr600rr", "honda", "qwxyz flux",
]  # fmt: skip


def bench_app(cache: bool = True) -> Any:
    """The real app plus a bare /hello route (the reference) and a module probe."""
    from flask import jsonify

    from app import create_app

    app = create_app({} if cache else {"PAGE_CACHE_SECONDS": 0})

    @app.get("/hello")
    def hello() -> str:
        return "hello"

    @app.get("/bench/modules")
    def modules() -> Any:
        loaded = {name: name in sys.modules for name in ("pandas", "alembic")}
        return jsonify(**loaded, modules=len(sys.modules))

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return str(args.database_url)
    from app import embedded_db
    from benchmarks.seed_public import BENCH_PGDATA, DATABASE

    server, _ = embedded_db.start(BENCH_PGDATA, keep_running=True, database="postgres")
    return str(server.get_uri(database=DATABASE))


def _sample_paths(url: str, count: int) -> dict[str, list[str]]:
    """Random bike pages (model-years with verified parts) and part pages with offers."""
    import psycopg

    rng = random.Random(2026)
    with psycopg.connect(url) as conn:
        low, high = conn.execute("SELECT min(id), max(id) FROM vehicles").fetchone()  # type: ignore[misc]
        ids = [rng.randint(low, high) for _ in range(count * 3)]
        bikes = conn.execute(
            "SELECT DISTINCT mk.slug, mo.slug, v.year FROM vehicles v"
            " JOIN models mo ON mo.id = v.model_id JOIN makes mk ON mk.id = mo.make_id"
            " WHERE v.id = ANY(%s) AND EXISTS (SELECT 1 FROM fitments f"
            "   WHERE f.vehicle_id = v.id AND f.status = 'verified')",
            (ids,),
        ).fetchall()
        low, high = conn.execute("SELECT min(id), max(id) FROM parts").fetchone()  # type: ignore[misc]
        ids = [rng.randint(low, high) for _ in range(count * 3)]
        parts = conn.execute(
            "SELECT b.slug, lower(p.mpn_key) FROM parts p JOIN brands b ON b.id = p.brand_id"
            " WHERE p.id = ANY(%s) AND EXISTS (SELECT 1 FROM offers o WHERE o.part_id = p.id)",
            (ids,),
        ).fetchall()
        mpns = [row[0] for row in conn.execute(
            "SELECT mpn FROM parts WHERE id = ANY(%s)", (ids[:200],)
        )]  # fmt: skip
    searches = [quote_plus(w) for w in SEARCH_WORDS]
    searches += [quote_plus(m.lower().replace("-", "")) for m in mpns[:100]]
    searches += [quote_plus(m) for m in mpns[100:200]]
    return {
        "bike": [f"/bikes/{a}/{b}/{y}" for a, b, y in bikes[:count]],
        "part": [f"/parts/{a}/{b}" for a, b in parts[:count]],
        "search": [f"/search?q={q}" for q in searches],
        "hello": ["/hello"],
    }


class Server:
    """gunicorn with gunicorn.conf.py, bound to loopback, for one configuration."""

    def __init__(self, database_url: str, cache: bool, workdir: Path, extra: list[str]) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "benchmark-only",
            "INSTANCE_DIR": str(workdir / "instance"),
            "PAGE_CACHE_DIR": str(workdir / ("pages" if cache else "pages-off")),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        factory = f"benchmarks.public_pages:bench_app(cache={cache})"
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            str(PROJECT_ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{self.port}",
            *extra,
            factory,
        ]
        self.log = (workdir / f"gunicorn-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not start; see {self.log.name}")

    def get(self, path: str) -> bytes:
        request = urllib.request.Request(self.base + path, headers={"User-Agent": BROWSER_UA})
        with urllib.request.urlopen(request, timeout=30) as response:
            return bytes(response.read())

    def memory(self) -> dict[str, float]:
        """RSS and PSS in MB of the master and each worker."""
        import psutil

        master = psutil.Process(self.process.pid)
        result: dict[str, float] = {}
        for n, proc in enumerate([master, *master.children()]):
            info = proc.memory_full_info()
            name = "master" if n == 0 else f"worker{n}"
            result[f"{name}_rss"] = info.rss / 2**20
            result[f"{name}_pss"] = getattr(info, "pss", 0) / 2**20
        return result

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _settle(base: str) -> None:
    """Wait until the server has drained the previous run's queue (at 100 connections a
    run ends with up to 100 requests still waiting, which the next run would otherwise
    measure as its own latency)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        started = time.perf_counter()
        urllib.request.urlopen(base + "/healthz", timeout=30).read()
        if time.perf_counter() - started < 0.005:
            return
        time.sleep(0.2)


def _wrk(
    base: str,
    paths: list[str],
    args: argparse.Namespace,
    workdir: Path,
    connections: int | None = None,
) -> dict[str, float]:
    _settle(base)
    path_file = workdir / f"paths-{random.random():.8f}.txt"
    path_file.write_text("\n".join(paths) + "\n")
    script = workdir / "bench.lua"
    script.write_text(LUA)
    env = {**os.environ, "BENCH_PATHS": str(path_file), "BENCH_UA": BROWSER_UA}
    output = subprocess.run(
        [
            args.wrk,
            f"-t{args.wrk_threads}",
            f"-c{connections or args.connections}",
            f"-d{args.duration}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (.*)", output)
    if not match:
        raise RuntimeError(output)
    values = dict(item.split("=") for item in match.group(1).split())
    stats = {key: float(value) for key, value in values.items()}
    stats["rps"] = stats["requests"] / stats["seconds"]
    return stats


def _warm(server: Server, paths: list[str]) -> float:
    started = time.perf_counter()
    for path in paths:
        server.get(path)
    return time.perf_counter() - started


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="default: the seeded embedded DB")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--urls", type=int, default=500, help="distinct bike and part URLs")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    parser.add_argument(
        "--search-connections",
        type=int,
        default=2,
        help="a second search run at low concurrency: latency rather than queueing",
    )
    parser.add_argument(
        "--skip-uncached",
        action="store_true",
        help="only the runs with the page cache warm (quicker, for tuning)",
    )
    parser.add_argument(
        "--gunicorn-arg",
        action="append",
        default=[],
        help="extra gunicorn argument after gunicorn.conf.py (e.g. --max-requests=0)",
    )
    args = parser.parse_args()
    if not shutil.which(args.wrk):
        sys.exit("wrk not found: apt-get install -y wrk")
    return args


def _measure(
    url: str, paths: dict[str, list[str]], args: argparse.Namespace
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    lighter = f"search ({args.search_connections} conn)"
    with tempfile.TemporaryDirectory(prefix="mpp-bench-") as tmp:
        workdir = Path(tmp)
        server = Server(url, cache=True, workdir=workdir, extra=args.gunicorn_arg)
        try:
            print(f"worker modules: {server.get('/bench/modules').decode()}")
            warm = _warm(server, paths["bike"] + paths["part"])
            rendered = len(paths["bike"]) + len(paths["part"])
            print(f"warm-up: rendered {rendered} pages in {warm:.1f} s")
            warmed = server.memory()
            print(f"memory after the warm-up: {_memory_line(warmed)}")
            results["hello"] = _wrk(server.base, paths["hello"], args, workdir)
            results["bike (cached)"] = _wrk(server.base, paths["bike"], args, workdir)
            results["part (cached)"] = _wrk(server.base, paths["part"], args, workdir)
            results["search"] = _wrk(server.base, paths["search"], args, workdir)
            results[lighter] = _wrk(
                server.base, paths["search"], args, workdir, connections=args.search_connections
            )
            memory = server.memory()
        finally:
            server.stop()
        if args.skip_uncached:
            return results, memory
        cold = Server(url, cache=False, workdir=workdir, extra=args.gunicorn_arg)
        try:
            results["bike (no cache)"] = _wrk(cold.base, paths["bike"], args, workdir)
            results["part (no cache)"] = _wrk(cold.base, paths["part"], args, workdir)
        finally:
            cold.stop()
    return results, memory


def _memory_line(memory: dict[str, float]) -> str:
    rss = ", ".join(f"{k.removesuffix('_rss')} {v:.0f} MB" for k, v in memory.items() if "rss" in k)
    pss = sum(v for k, v in memory.items() if k.endswith("_pss"))
    return f"RSS {rss}; master + workers PSS {pss:.0f} MB"


def _report(
    results: dict[str, dict[str, float]], memory: dict[str, float], args: argparse.Namespace
) -> None:
    hello = results["hello"]["rps"]
    header = ("route", "req/s", "vs hello", "p50 ms", "p95 ms", "p99 ms", "errors")
    print(f"{header[0]:<18}" + "".join(f"{h:>9}" for h in header[1:]))
    for name, stats in results.items():
        print(
            f"{name:<18}{stats['rps']:>9.0f}{stats['rps'] / hello:>9.0%}"
            f"{stats['p50']:>9.1f}{stats['p95']:>9.1f}{stats['p99']:>9.1f}{stats['errors']:>8.0f}"
        )
    print()
    workers = [k for k in memory if k.startswith("worker") and k.endswith("_rss")]
    pss = sum(v for k, v in memory.items() if k.endswith("_pss"))
    print(f"memory after the cached runs: {_memory_line(memory)}")
    lighter = results[f"search ({args.search_connections} conn)"]
    verdicts = {
        "bike p99 <= 50 ms": results["bike (cached)"]["p99"] <= 50,
        "part p99 <= 50 ms": results["part (cached)"]["p99"] <= 50,
        "bike >= 50% hello": results["bike (cached)"]["rps"] >= 0.5 * hello,
        "part >= 50% hello": results["part (cached)"]["rps"] >= 0.5 * hello,
        f"search p95 <= 50 ms at {args.search_connections} conn": lighter["p95"] <= 50,
        "worker RSS <= 120 MB": all(memory[k] <= 120 for k in workers),
        "master + workers PSS <= 180 MB": pss <= 180,
    }
    print("budgets: " + ", ".join(f"{k}: {'yes' if ok else 'NO'}" for k, ok in verdicts.items()))


def main() -> None:
    args = _arguments()
    url = _database_url(args)
    paths = _sample_paths(url, args.urls)
    print(
        f"{len(paths['bike'])} bike URLs, {len(paths['part'])} part URLs, "
        f"{len(paths['search'])} searches; {args.connections} connections, {args.duration} s each"
        + (f"; gunicorn extra: {' '.join(args.gunicorn_arg)}" if args.gunicorn_arg else "")
    )
    load_before = os.getloadavg()[0]
    results, memory = _measure(url, paths, args)
    print(
        f"\nhost: {os.cpu_count()} CPUs; 1-min load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after (other processes on the host skew every figure)"
    )
    _report(results, memory, args)


if __name__ == "__main__":
    main()
