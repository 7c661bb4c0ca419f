"""Capabilities, one module each; `build_router` wires them into the dispatcher's router."""

from bot.router import Router, normalise_command
from handlers import (
    activity,
    activity_manage,
    activity_youth,
    campaign,
    campaign_youth,
    casework,
    codes,
    common,
    consent,
    console_link,
    coordinator,
    lifecycle,
    mentor,
    onboarding,
    privacy,
    profile,
    report,
)

FLOWS = (onboarding.FLOW_DEFINITION, profile.FLOW_DEFINITION, privacy.FLOW_DEFINITION,
         consent.GUARDIAN_FLOW_DEFINITION, mentor.FLOW_DEFINITION, coordinator.ASSIGN_FLOW_DEFINITION,
         coordinator.INVITE_FLOW_DEFINITION, report.FLOW_DEFINITION, casework.FLOW_DEFINITION,
         campaign.FLOW_DEFINITION, activity.FLOW_DEFINITION, activity_manage.PLACE_FLOW_DEFINITION)


def text_commands() -> dict:
    """Typed commands that work at any time, in every step of every flow."""
    table = dict(common.text_commands())
    for words, handler in ((profile.SHOW_TEXTS, profile.show), (privacy.SHOW_TEXTS, privacy.show),
                           (mentor.GROUP_TEXTS, mentor.show_group), (mentor.CODE_TEXTS, mentor.show_code),
                           (coordinator.MENTORS_TEXTS, coordinator.show_mentors),
                           (coordinator.WAITING_TEXTS, coordinator.show_waiting),
                           (report.MY_REPORTS_TEXTS, report.show_my_reports),
                           (casework.CASELOAD_TEXTS, casework.show_caseload),
                           (campaign.MINE_TEXTS, campaign.show_mine),
                           (campaign_youth.LATEST_TEXTS, campaign_youth.show_latest),
                           (console_link.TEXTS, console_link.show_link),
                           (campaign_youth.INTERESTS_TEXTS, campaign_youth.show_interests),
                           (activity_manage.MANAGE_TEXTS, activity_manage.show_managed),
                           (activity_youth.MINE_TEXTS, activity_youth.show_mine),
                           (activity_youth.RECORD_TEXTS, activity_youth.show_record),
                           (activity_youth.REMIND_TEXTS, activity_youth.show_reminder_choice)):
        table.update(dict.fromkeys(words, handler))
    return {normalise_command(text): handler for text, handler in table.items()}


def build_router() -> Router:
    router = Router(
        on_follow=lifecycle.on_follow,
        on_unfollow=lifecycle.on_unfollow,
        on_idle=activity_youth.or_idle_activity(report.or_report_hint(codes.or_code(common.idle))),
        on_unsupported=common.unsupported_message,
        on_stale=common.stale_button,
        text_commands=text_commands(),
        actions={"pf.notify": profile.set_notifications, "mg.guardian": mentor.confirm_guardian,
                 "mg.newcode": mentor.show_code, **casework.ACTIONS, **campaign.ACTIONS, **campaign_youth.ACTIONS,
                 **activity_manage.ACTIONS, **activity_youth.ACTIONS},
        cancel_texts=frozenset(normalise_command(text) for text in common.CANCEL_COMMANDS),
    )
    for flow in FLOWS:
        router.add_flow(flow)
    return router
