"""The background loops of a process: the event processor and the delivery worker, as daemon threads,
and the scheduler (bot/scheduler.py).

The embedded mode runs them beside the web server; `flask --app app worker` runs only the first two.
Any number of such processes may run at once: both loops claim work through the database, and of all
the schedulers only the holder of the "scheduler" lease runs jobs.
"""

from __future__ import annotations

import threading

from bot.services import Services


def start_loops(app_services: Services, stop: threading.Event) -> list[threading.Thread]:
    """Start the event processor and the delivery worker; they run until `stop` is set."""
    worker = app_services.delivery_worker()
    loops = [
        threading.Thread(target=app_services.processor.run_forever, name="event-processor", daemon=True,
                         args=(stop, app_services.processor_wakeup),
                         kwargs={"after_batch": app_services.wake_delivery}),
        threading.Thread(target=worker.run_forever, name="delivery-worker", daemon=True,
                         args=(stop, app_services.delivery_wakeup)),
    ]
    for thread in loops:
        thread.start()
    return loops


def start_scheduler(app_services: Services, stop: threading.Event) -> threading.Thread:
    """Start the scheduler loop (active or hot standby); when `stop` is set it releases its lease and ends."""
    runner = app_services.scheduler_runner()
    thread = threading.Thread(target=runner.run_forever, name="scheduler", daemon=True, args=(stop,))
    thread.start()
    return thread
