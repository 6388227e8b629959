"""
The pool's Temporal activities: one dynamic activity whose type is the Celery task's name,
and `canvas.batch` for chunks and batched maps. Each call runs in a thread of its own while
the activity heartbeats: the heartbeat carries update_state's progress, tells Temporal the
pool is alive (kill -9 of the pool times the attempt out and another pool retries it), and
is how a cancellation arrives, which then raises inside the task's thread.
"""
from __future__ import annotations

import asyncio
import ctypes
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Sequence
from typing import Any, Dict, List, Optional

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from temporalio import activity
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from .runner import Call, call_task, failure_for, json_result

log = logging.getLogger("orchestra.python")

BATCH_ACTIVITY = "canvas.batch"
HEARTBEAT_SECONDS = 1.0


class TaskRevoked(Exception):
    """Raised inside a task's thread when its step is cancelled (Celery's revoke with terminate)."""


class Progress:
    """The latest update_state of one call, handed from the task's thread to the heartbeat loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.changed = asyncio.Event()
        self.details: Dict[str, Any] = {"progress": None, "message": None}

    def update(self, state: Optional[str], meta: Any) -> None:
        details: Dict[str, Any] = {"progress": _percent(meta), "message": state, "state": state}
        try:
            details["meta"] = json_result("update_state", meta)
        except ApplicationError:
            details["meta"] = repr(meta)[:1000]
        self.details = details
        self.loop.call_soon_threadsafe(self.changed.set)


def _percent(meta: Any) -> Optional[float]:
    """Celery's progress convention: meta {current, total} (or {progress} 0..100)."""
    if not isinstance(meta, dict):
        return None
    if isinstance(meta.get("progress"), (int, float)):
        return max(0.0, min(100.0, float(meta["progress"])))
    current, total = meta.get("current"), meta.get("total")
    if isinstance(current, (int, float)) and isinstance(total, (int, float)) and total > 0:
        return max(0.0, min(100.0, 100.0 * current / total))
    return None


def _raise_in_thread(thread_id: int, error: type) -> None:
    """Raises `error` in another thread at its next Python instruction (C calls finish first)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(error))


class Pool:
    def __init__(self, tasks: Dict[str, Task], concurrency: int) -> None:
        self.tasks = tasks
        self.executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="celery-task")
        self.hostname = socket.gethostname()

    def activities(self) -> List[Any]:
        """The pool's activities, as functions (the SDK checks a dynamic activity's signature without `self`)."""

        @activity.defn(dynamic=True)
        async def run_task(raw: Sequence[RawValue]) -> Any:
            return await self.run_task(raw)

        @activity.defn(name=BATCH_ACTIVITY)
        async def run_batch(batch: Dict[str, Any]) -> List[Any]:
            return await self.run_batch(batch)

        return [run_task, run_batch]

    def _task(self, name: str) -> Task:
        task = self.tasks.get(name)
        if task is None:
            raise ApplicationError(
                f"the Python pool's Celery app has no task {name}; it serves {', '.join(self.tasks) or 'none'}",
                type="UnknownTask",
                non_retryable=True,
            )
        return task

    async def run_task(self, raw: Sequence[RawValue]) -> Any:
        info = activity.info()
        envelope = _envelope(raw)
        task = self._task(info.activity_type)
        call = Call(
            task_id=f"{info.workflow_id}/{info.activity_id}",
            attempt=info.attempt,
            args=list(envelope.get("args") or []),
            kwargs=dict(envelope.get("kwargs") or {}),
            retries=envelope.get("retries", "celery"),
            hostname=self.hostname,
        )
        result = await self._in_thread(task, lambda progress: call_task(task, call, progress.update), call)
        return json_result(task.name, result)

    async def run_batch(self, batch: Dict[str, Any]) -> List[Any]:
        """Celery's chunks: the task for each item of the slice, in order (src/activities/batch.ts is the TypeScript twin)."""
        info = activity.info()
        task = self._task(batch["task"])
        items: List[Any] = batch["items"]
        own_args = list(batch.get("args") or [])
        kwargs = dict(batch.get("kwargs") or {})
        offset = int(batch.get("offset", 0))
        retries = batch.get("retries", "celery")

        def run_all(progress: Progress) -> List[Any]:
            results = []
            for i, item in enumerate(items):
                args = (list(item) if batch.get("spread") else [item]) + own_args
                call = Call(f"{info.workflow_id}/{info.activity_id}/{offset + i}", info.attempt, args, kwargs, retries, self.hostname)
                try:
                    results.append(json_result(task.name, call_task(task, call, lambda *_: None)))
                except ApplicationError as error:
                    raise ApplicationError(f"item {offset + i}: {error.message}", {"item": offset + i}, type=error.type, non_retryable=True) from None
                except Exception as error:  # noqa: BLE001 - the task's own failure, named by its index
                    failure = failure_for(error, call)
                    raise ApplicationError(
                        f"item {offset + i}: {failure.message}",
                        {"item": offset + i},
                        type=failure.type,
                        non_retryable=failure.non_retryable,
                        next_retry_delay=failure.next_retry_delay,
                    ) from None
                progress.update(f"{i + 1} of {len(items)} items", {"current": i + 1, "total": len(items)})
            return results

        return await self._in_thread(task, run_all, None)

    async def _in_thread(self, task: Task, body: Any, call: Optional[Call]) -> Any:
        """Runs body(progress) in a pool thread, heartbeating, with Celery's time limits and cancellation."""
        loop = asyncio.get_running_loop()
        progress = Progress(loop)
        thread: Dict[str, int] = {}

        def in_thread() -> Any:
            thread["id"] = threading.get_ident()
            return body(progress)

        future = loop.run_in_executor(self.executor, in_thread)
        started = time.monotonic()
        soft = task.soft_time_limit if isinstance(task.soft_time_limit, (int, float)) else None
        hard = task.time_limit if isinstance(task.time_limit, (int, float)) else None
        soft_raised = hard_raised = False
        try:
            while True:
                done, _ = await asyncio.wait({future, asyncio.ensure_future(progress.changed.wait())}, timeout=HEARTBEAT_SECONDS, return_when=asyncio.FIRST_COMPLETED)
                progress.changed.clear()
                # A task that ended needs no beat: its completion says it all (one server call fewer).
                if future.done():
                    break
                activity.heartbeat(progress.details)
                elapsed = time.monotonic() - started
                if soft is not None and not soft_raised and elapsed >= soft and "id" in thread:
                    soft_raised = True
                    _raise_in_thread(thread["id"], SoftTimeLimitExceeded)
                if hard is not None and not hard_raised and elapsed >= hard and "id" in thread:
                    hard_raised = True
                    _raise_in_thread(thread["id"], TimeLimitExceeded)
            try:
                return future.result()
            except ApplicationError:
                raise
            except TimeLimitExceeded:
                raise ApplicationError(f"{task.name} ran over its time_limit of {hard} s", type="TimeLimitExceeded", non_retryable=True) from None
            except Exception as error:  # noqa: BLE001 - the task's own failure, typed by its class
                raise failure_for(error, call or Call("", 1, [])) from None
        except asyncio.CancelledError:
            # The step was cancelled (or the pool is shutting down): stop the task where it stands.
            if "id" in thread and not future.done():
                _raise_in_thread(thread["id"], TaskRevoked)
                await asyncio.wait({future}, timeout=5)
            info = activity.info()
            log.info("step %s/%s (%s) cancelled: %s", info.workflow_id, info.activity_id, task.name, "stopped" if future.done() else "still running after 5 s")
            raise


def _envelope(raw: Sequence[RawValue]) -> Dict[str, Any]:
    if len(raw) != 1:
        raise ApplicationError("a Python step takes one argument: {args, kwargs, retries}", type="InvalidArguments", non_retryable=True)
    value = activity.payload_converter().from_payload(raw[0].payload, dict)
    if not isinstance(value, dict):
        raise ApplicationError("a Python step takes one object: {args, kwargs, retries}", type="InvalidArguments", non_retryable=True)
    return value
