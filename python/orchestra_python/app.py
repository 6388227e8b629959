"""Finds the Celery app named by ORCHESTRA_PYTHON_APP and the tasks it serves."""
from __future__ import annotations

import importlib
import os
import sys
from typing import Dict

from celery import Celery, Task


def load_app(spec: str) -> Celery:
    """`module:attr` (or `module`, whose `app` or `celery` attribute is the app), as Celery's -A does."""
    module_name, _, attr = spec.partition(":")
    if not module_name:
        raise SystemExit(f"ORCHESTRA_PYTHON_APP={spec!r}: expected module:attribute, e.g. tasks:app")
    # The working directory comes first, as for `celery -A` run there.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    names = [attr] if attr else ["app", "celery"]
    for name in names:
        app = getattr(module, name, None)
        if isinstance(app, Celery):
            # Modules named in `include=` and the config's imports, as a Celery worker loads them.
            app.loader.import_default_modules()
            return app
    raise SystemExit(f"ORCHESTRA_PYTHON_APP={spec!r}: {module_name} has no Celery app at {' or '.join(names)}")


def served_tasks(app: Celery) -> Dict[str, Task]:
    """Every task of the app under its Celery name, without Celery's own (celery.*)."""
    return {name: task for name, task in sorted(app.tasks.items()) if not name.startswith("celery.")}
