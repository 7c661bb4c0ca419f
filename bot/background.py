"""The background loops of a process: the event processor, the delivery worker and the photo fetcher, as
daemon threads, and the scheduler (bot/scheduler.py).

The embedded mode runs them all beside the web server; `flask --app app worker` runs all but the scheduler.
Any number of such processes may run at once: the loops claim work through the database, and of all
the schedulers only the holder of the "scheduler" lease runs jobs.
"""

from __future__ import annotations

import threading

from bot.services import Services


def start_loops(app_services: Services, stop: threading.Event) -> list[threading.Thread]:
    """Start the event processor(s), the delivery worker and the photo fetcher; they run until `stop` is set.

    On PostgreSQL, PROCESSOR_THREADS processors take events at once while a queue lasts (each event in its own
    transaction, `FOR UPDATE SKIP LOCKED`, one user's events still in order), so a handler's round trips to the
    database no longer cap the events per second of a process; the extra ones are called in by a busy one
    (EventProcessor.run_forever). SQLite runs one writer at a time: one processor."""
    worker = app_services.delivery_worker()
    fetcher = app_services.photo_fetcher()
    loops = [
        threading.Thread(target=app_services.processor.run_forever, name=f"event-processor-{number}", daemon=True,
                         args=(stop, app_services.processor_wakeup),
                         kwargs={"after_batch": app_services.after_events, "helper": number > 0})
        for number in range(processor_threads(app_services))
    ] + [
        threading.Thread(target=worker.run_forever, name="delivery-worker", daemon=True,
                         args=(stop, app_services.delivery_wakeup)),
        threading.Thread(target=fetcher.run_forever, name="photo-fetcher", daemon=True,
                         args=(stop, app_services.photo_wakeup)),
    ]
    for thread in loops:
        thread.start()
    return loops


def processor_threads(app_services: Services) -> int:
    """How many event processor threads this process runs: PROCESSOR_THREADS, but one on SQLite."""
    return 1 if app_services.db.dialect == "sqlite" else app_services.settings.processor_threads


def start_scheduler(app_services: Services, stop: threading.Event) -> threading.Thread:
    """Start the scheduler loop (active or hot standby); when `stop` is set it releases its lease and ends."""
    runner = app_services.scheduler_runner()
    thread = threading.Thread(target=runner.run_forever, name="scheduler", daemon=True, args=(stop,))
    thread.start()
    return thread
