"""
`python -m orchestra_python`: the Python pool (npm run worker -- --pool python starts it).
Reads ORCHESTRA_PYTHON_APP (module:attr of a Celery app), TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, MONGODB_URI, ORCHESTRA_PYTHON_QUEUE and POOL_PYTHON_CONCURRENCY.
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from .activities import Pool
from .app import load_app, served_tasks
from .catalog import describe, identity, publish

log = logging.getLogger("orchestra.python")


async def main() -> None:
    logging.basicConfig(level=os.environ.get("PYTHON_POOL_LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stdout)
    if os.environ.get("ORCHESTRA_ENCRYPTION_KEYS"):
        # Payloads would arrive encrypted with a codec this pool does not have.
        raise SystemExit("the Python pool does not support payload encryption (ORCHESTRA_ENCRYPTION_KEYS) yet")
    spec = os.environ.get("ORCHESTRA_PYTHON_APP", "")
    if not spec:
        raise SystemExit("ORCHESTRA_PYTHON_APP is not set: name the Celery app to serve, e.g. tasks:app")
    app = load_app(spec)
    tasks = served_tasks(app)
    entries = [describe(name, task) for name, task in tasks.items()]
    me = identity()
    queue = os.environ.get("ORCHESTRA_PYTHON_QUEUE", "orchestra-python")
    concurrency = int(os.environ.get("POOL_PYTHON_CONCURRENCY", "8"))
    address = os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233")
    client = await Client.connect(address, namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"), identity=me)
    # The catalog goes out before polling starts: a step the API accepts finds its task here.
    publish(os.environ.get("MONGODB_URI", "mongodb://127.0.0.1:27017/orchestra"), spec, entries, me)
    log.info("serving %d Celery tasks of %s: %s", len(tasks), spec, ", ".join(tasks))
    pool = Pool(tasks, concurrency)
    worker = Worker(
        client,
        task_queue=queue,
        activities=pool.activities(),
        max_concurrent_activities=concurrency,
        identity=me,
        # Progress (update_state) shows within a second; Temporal would hold beats back up to 0.8 x the heartbeat timeout.
        max_heartbeat_throttle_interval=timedelta(seconds=1),
        default_heartbeat_throttle_interval=timedelta(seconds=1),
        graceful_shutdown_timeout=timedelta(seconds=float(os.environ.get("PYTHON_POOL_SHUTDOWN_GRACE_SECONDS", "30"))),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    log.info("worker pool python polling %s at %s", queue, address)
    async with worker:
        await stop.wait()
    log.info("worker pool python stopped")


if __name__ == "__main__":
    asyncio.run(main())
