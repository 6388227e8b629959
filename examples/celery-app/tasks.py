"""
A small Celery app, written for Celery and nothing else: Orchestra's Python pool serves it
unchanged (README.md here walks through it). A Celery worker would run it the same way:

    celery -A tasks worker
"""
import math
import os
import time

from celery import Celery

app = Celery("shop", broker=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))


@app.task
def word_count(text):
    """Counts the words of a text."""
    return len(text.split())


@app.task(name="ml.predict")
def predict(features, weights=None, bias=0.0):
    """Scores a feature vector with a logistic model; returns {label, probability}."""
    weights = weights or [1.0] * len(features)
    if len(weights) != len(features):
        raise ValueError(f"{len(features)} features but {len(weights)} weights")
    z = bias + sum(w * x for w, x in zip(weights, features))
    probability = 1.0 / (1.0 + math.exp(-z))
    return {"label": "positive" if probability >= 0.5 else "negative", "probability": round(probability, 6)}


class RatesUnavailable(Exception):
    """The exchange-rate service did not answer."""


@app.task(bind=True, autoretry_for=(RatesUnavailable,), max_retries=5, default_retry_delay=1)
def convert(self, amount, currency, fail_times=0):
    """Converts an amount to EUR; the rate service fails the first fail_times calls (autoretry_for)."""
    if self.request.retries < fail_times:
        raise RatesUnavailable(f"rates service unavailable (attempt {self.request.retries + 1})")
    rates = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17}
    if currency not in rates:
        raise KeyError(f"no rate for {currency}")
    return {"eur": round(amount * rates[currency], 2), "attempts": self.request.retries + 1}


@app.task(bind=True)
def crunch(self, n, step_ms=100):
    """Works through n items, reporting progress with update_state; returns n."""
    for i in range(n):
        time.sleep(step_ms / 1000)
        self.update_state(state="PROGRESS", meta={"current": i + 1, "total": n})
    return n
