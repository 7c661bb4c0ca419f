"""Every periodic job, registered by importing the module that owns it (create_app imports this module,
so each scheduler process knows them all)."""

from bot import quiet, report_purge, reports, retention

JOB_MODULES = (quiet, report_purge, reports, retention)
