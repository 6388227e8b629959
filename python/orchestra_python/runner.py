"""
Runs one Celery task as a Celery worker would, inside one Temporal activity attempt, and
says what its outcome means for Temporal's retries (README, "Bring your Celery tasks"):

- The task gets a request whose `id` is stable across attempts and whose `retries` is the
  attempt number minus one; `self.retry()` and `autoretry_for` raise Celery's Retry
  (the request is eager, so nothing is sent to a broker), which becomes a retryable
  failure whose next attempt waits the countdown Celery computed.
- With Celery's retries (the canvas gave no `retry`): any other exception fails the step
  at once (Celery does not retry it either), and past `max_retries` Celery raises the
  original exception or MaxRetriesExceededError, which fails it too.
- With the canvas's own `retry`: every exception is retryable, and the canvas's policy
  (attempts, backoff, nonRetryable types) decides.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, List, Optional

from celery import Task
from celery.exceptions import Ignore, Reject, Retry
from temporalio.exceptions import ApplicationError

ProgressListener = Callable[[Optional[str], Any], None]


@dataclass
class Call:
    task_id: str
    attempt: int
    args: List[Any]
    kwargs: Dict[str, Any] = field(default_factory=dict)
    # "celery": the task's own retry settings decide; "canvas": the canvas's retry option does.
    retries: str = "celery"
    hostname: str = ""


class ProgressBackend:
    """Stands in for the app's result backend: update_state(state, meta) reports progress to the activity."""

    def __init__(self) -> None:
        self.listeners: Dict[str, ProgressListener] = {}

    def store_result(self, task_id: str, result: Any, state: Optional[str] = None, **_: Any) -> Any:
        listener = self.listeners.get(task_id)
        if listener:
            listener(state, result)
        return result

    # A few tasks read their own state back; there is none stored here.
    def get_task_meta(self, task_id: str, *_: Any, **__: Any) -> Dict[str, Any]:
        return {"status": "STARTED", "result": None, "task_id": task_id}


PROGRESS = ProgressBackend()


def call_task(task: Task, call: Call, on_progress: ProgressListener) -> Any:
    """Calls the task through its own __call__ (custom Task classes keep their hooks)."""
    task.backend = PROGRESS
    PROGRESS.listeners[call.task_id] = on_progress
    task.push_request(
        id=call.task_id,
        root_id=call.task_id,
        task=task.name,
        args=call.args,
        kwargs=call.kwargs,
        retries=call.attempt - 1,
        called_directly=False,
        is_eager=True,
        hostname=call.hostname,
        delivery_info={"routing_key": "orchestra-python", "priority": None},
    )
    try:
        return task(*call.args, **call.kwargs)
    finally:
        task.pop_request()
        PROGRESS.listeners.pop(call.task_id, None)


def json_result(name: str, value: Any) -> Any:
    """Results travel as JSON between steps: anything else fails the step, clearly."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ApplicationError(
            f"{name} returned a {type(value).__name__}, which is not JSON: {error}",
            type="ResultNotJSONSerializable",
            non_retryable=True,
        ) from None


def failure_for(error: BaseException, call: Call) -> ApplicationError:
    """The Temporal failure for an exception the task raised, with its Python type name."""
    canvas_retries = call.retries == "canvas"
    if isinstance(error, Retry):
        cause = error.exc if isinstance(error.exc, BaseException) else None
        message = str(cause) if cause is not None else (error.message or "retry requested")
        return ApplicationError(
            message,
            type=type(cause).__name__ if cause is not None else "Retry",
            non_retryable=False,
            next_retry_delay=None if canvas_retries else _delay(error.when),
        )
    if isinstance(error, Reject):
        return ApplicationError(str(error.reason or "rejected"), type="Reject", non_retryable=not error.requeue)
    if isinstance(error, Ignore):
        return ApplicationError("the task raised Ignore", type="Ignore", non_retryable=True)
    return ApplicationError(str(error) or type(error).__name__, type=type(error).__name__, non_retryable=not canvas_retries)


def _delay(when: Any) -> Optional[timedelta]:
    if isinstance(when, datetime):
        moment = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        return max(timedelta(milliseconds=1), moment - datetime.now(timezone.utc))
    if isinstance(when, (int, float)) and not isinstance(when, bool) and math.isfinite(when):
        # Temporal retries after at least a millisecond; a countdown of 0 means "at once".
        return timedelta(seconds=max(0.001, float(when)))
    return None
