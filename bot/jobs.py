"""Every periodic job, registered by importing the module that owns it (create_app imports this module,
so each scheduler process knows them all)."""

from bot import activity_reminders, activity_repeat, campaign_dispatch, escalation, quiet, report_purge, retention

JOB_MODULES = (activity_reminders, activity_repeat, campaign_dispatch, escalation, quiet, report_purge, retention)
