"""The background loops of a process: the event processor and the delivery worker, as daemon threads.

The embedded mode runs them beside the web server; `flask --app app worker` runs only them. Any number
of such processes may run at once: both loops claim work through the database.
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
