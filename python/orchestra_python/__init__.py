"""Orchestra's Python pool: serves the tasks of an existing Celery app as Temporal activities."""
