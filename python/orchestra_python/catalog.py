"""
Describes each Celery task for Orchestra's catalog (parameters from the function's
signature, the Celery options that map to Orchestra's) and publishes the list to the
database, where the API reads it (src/tasks/python-catalog.ts).
"""
from __future__ import annotations

import inspect
import os
import socket
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from celery import Task

CATALOG_COLLECTION = "task_catalogs"
CATALOG_ID = "python"

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positionalOnly",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
    inspect.Parameter.KEYWORD_ONLY: "keywordOnly",
}


def _seconds(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def describe(name: str, task: Task) -> Dict[str, Any]:
    """One catalog entry. `task.run` is what the worker calls: a bound task's `self` is not a parameter."""
    signature = inspect.signature(task.run)
    params: List[Dict[str, Any]] = []
    var_args = var_kwargs = False
    for param in signature.parameters.values():
        if param.kind == inspect.Parameter.VAR_POSITIONAL:
            var_args = True
        elif param.kind == inspect.Parameter.VAR_KEYWORD:
            var_kwargs = True
        else:
            params.append({"name": param.name, "kind": _KINDS[param.kind], "optional": param.default is not inspect.Parameter.empty})
    doc = inspect.getdoc(task.run) or inspect.getdoc(task) or ""
    autoretry = tuple(getattr(task, "autoretry_for", ()) or ())
    return {
        "name": name,
        "description": doc.strip().split("\n\n")[0].replace("\n", " ")[:500] or f"Celery task {name}",
        "params": params,
        "varArgs": var_args,
        "varKwargs": var_kwargs,
        "bind": _is_bound(task),
        "maxRetries": task.max_retries if isinstance(task.max_retries, int) else None,
        "defaultRetryDelay": _seconds(task.default_retry_delay),
        "autoretryFor": [cls.__name__ for cls in autoretry if isinstance(cls, type)],
        "retryBackoff": bool(getattr(task, "retry_backoff", False)),
        "timeLimit": _seconds(task.time_limit),
        "softTimeLimit": _seconds(task.soft_time_limit),
    }


def _is_bound(task: Task) -> bool:
    # @app.task(bind=True) stores the function as a method; without bind, a staticmethod.
    # Task subclasses with their own run method are bound too.
    return not isinstance(type(task).__dict__.get("run"), staticmethod)


def publish(mongodb_uri: str, app_spec: str, entries: List[Dict[str, Any]], identity: str) -> None:
    """One document for the pool, replaced at every start: the API's last known list."""
    from pymongo import MongoClient

    client: MongoClient = MongoClient(mongodb_uri, serverSelectionTimeoutMS=10_000)
    try:
        database = client.get_default_database(default="orchestra")
        database[CATALOG_COLLECTION].replace_one(
            {"_id": CATALOG_ID},
            {"_id": CATALOG_ID, "app": app_spec, "tasks": entries, "publishedAt": datetime.now(timezone.utc), "publishedBy": identity},
            upsert=True,
        )
    finally:
        client.close()


def identity() -> str:
    return f"python@{socket.gethostname()}:{os.getpid()}"
