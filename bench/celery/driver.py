"""Runs one workload of scenario (h) against the Celery worker and prints one JSON line.

    python driver.py ping
    python driver.py chain-serial --warmup 20 --count 200 --cap-seconds 10
    python driver.py chains --concurrency 32 --count 300
    python driver.py group --size 5000
    python driver.py chunks --items 5000 --size 100

Times are taken here, around the client calls, as the TypeScript side times Orchestra's
API calls: from the request until the result is in hand.
"""
import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from celery import chain, group

from tasks import add, app, mul, noop, py_noop

CHAIN_RESULT = 105  # chain(add(4, 5), add(6), mul(7))


def run_chain(timeout=60):
    result = chain(add.s(4, 5), add.s(6), mul.s(7)).apply_async().get(timeout=timeout)
    if result != CHAIN_RESULT:
        raise RuntimeError(f"chain returned {result!r}, not {CHAIN_RESULT}")


def run_noop_chain(timeout=60):
    result = chain(py_noop.s(1), py_noop.s(), py_noop.s()).apply_async().get(timeout=timeout)
    if result != 1:
        raise RuntimeError(f"chain of py.noop returned {result!r}, not 1")


def noop_chain_serial(args):
    for _ in range(args.warmup):
        run_noop_chain()
    latencies = []
    for _ in range(args.count):
        t0 = time.perf_counter()
        run_noop_chain()
        latencies.append((time.perf_counter() - t0) * 1000)
    return {"latenciesMs": latencies}


def ping(args):
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        answers = app.control.ping(timeout=1.0)
        if answers:
            return {"workers": len(answers)}
    raise RuntimeError(f"no Celery worker answered within {args.timeout} s")


def chain_serial(args):
    for _ in range(args.warmup):
        run_chain()
    latencies = []
    started = time.perf_counter()
    while len(latencies) < args.count and (not latencies or time.perf_counter() - started < args.cap_seconds):
        t0 = time.perf_counter()
        run_chain()
        latencies.append((time.perf_counter() - t0) * 1000)
    return {"latenciesMs": latencies}


def chains(args):
    """Closed loop: `concurrency` threads, each starting its next chain when the last one ended."""
    lock = threading.Lock()
    state = {"started": 0}
    latencies = []

    def lane():
        while True:
            with lock:
                if state["started"] >= args.count:
                    return
                state["started"] += 1
            t0 = time.perf_counter()
            run_chain()
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        for future in [pool.submit(lane) for _ in range(args.concurrency)]:
            future.result()
    elapsed = time.perf_counter() - t0
    return {"completed": len(latencies), "elapsedMs": elapsed * 1000, "perSecond": len(latencies) / elapsed, "latenciesMs": latencies}


def group_of_noops(args):
    t0 = time.perf_counter()
    results = group(noop.s(i) for i in range(args.size)).apply_async().get(timeout=600)
    elapsed = time.perf_counter() - t0
    if results != list(range(args.size)):
        raise RuntimeError("the group's results are not 0..size-1 in order")
    return {"items": args.size, "elapsedMs": elapsed * 1000, "itemsPerSecond": args.size / elapsed}


def chunks_of_noops(args):
    t0 = time.perf_counter()
    results = noop.chunks(((i,) for i in range(args.items)), args.size).apply_async().get(timeout=600)
    elapsed = time.perf_counter() - t0
    flat = [x for chunk in results for x in chunk]
    if flat != list(range(args.items)) or len(results) != -(-args.items // args.size):
        raise RuntimeError("chunks did not return one list per chunk of the items in order")
    return {"items": args.items, "chunks": len(results), "elapsedMs": elapsed * 1000, "itemsPerSecond": args.items / elapsed}


def main(argv):
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="workload", required=True)
    p = sub.add_parser("ping")
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(run=ping)
    p = sub.add_parser("chain-serial")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--cap-seconds", type=float, default=float("inf"))
    p.set_defaults(run=chain_serial)
    p = sub.add_parser("noop-chain-serial")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--count", type=int, default=50)
    p.set_defaults(run=noop_chain_serial)
    p = sub.add_parser("chains")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--count", type=int, default=300)
    p.set_defaults(run=chains)
    p = sub.add_parser("group")
    p.add_argument("--size", type=int, default=5000)
    p.set_defaults(run=group_of_noops)
    p = sub.add_parser("chunks")
    p.add_argument("--items", type=int, default=5000)
    p.add_argument("--size", type=int, default=100)
    p.set_defaults(run=chunks_of_noops)
    args = parser.parse_args(argv)
    print(json.dumps(args.run(args)))


if __name__ == "__main__":
    main(sys.argv[1:])
