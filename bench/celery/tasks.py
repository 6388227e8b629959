"""The Celery side of scenario (h): the same tiny tasks as Orchestra's registry.

Broker and result backend are the bench's own Redis (BENCH_REDIS_URL). acks_late as the
issue asks (a task is acknowledged after it ran, the closest Celery gets to Orchestra's
durability); everything else is Celery's default, including a prefetch multiplier of 4.
"""
import os

from celery import Celery

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

app = Celery("bench", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    task_acks_late=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
)


@app.task(name="add")
def add(x, y):
    return x + y


@app.task(name="mul")
def mul(x, y):
    return x * y


@app.task(name="noop")
def noop(value=None):
    return value


# The same code on both sides of the Python row: Celery's worker runs it, and Orchestra's
# Python pool serves this module unchanged (ORCHESTRA_PYTHON_APP=tasks:app).
@app.task(name="py.noop")
def py_noop(value=None):
    return value
