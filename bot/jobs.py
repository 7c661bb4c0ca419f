"""Every periodic job, registered by importing the module that owns it (create_app imports this module,
so each scheduler process knows them all)."""

from bot import campaign_dispatch, escalation, quiet, report_purge, retention

JOB_MODULES = (campaign_dispatch, escalation, quiet, report_purge, retention)
