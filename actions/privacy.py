"""What happens to what someone types in this chat."""

from __future__ import annotations

from actions.common import SMS, TALK_TO_PERSON, ProfileAction, Reply, button
from institutions import InstitutionProfile


def build_chat_data(profile: InstitutionProfile, channel: str) -> list[Reply]:
    retention = profile.retention
    days = retention.conversations_without_case_days
    years = retention.closed_case_years
    day_word = "day" if days == 1 else "days"
    year_word = "year" if years == 1 else "years"
    name = profile.sms_name if channel == SMS else profile.name
    stored = (
        "This service stores our chat, encrypted, for a limited time. If it doesn't become a case, "
        f"it's deleted after {days} {day_word}."
    )
    seen = (
        "A welfare officer only sees it if you ask for a person and agree to share it. "
        "You can ask me to delete it at any time."
    )
    case = (
        f"If it becomes part of a case, it's kept with the case records. {name} keeps these for "
        f"{years} {year_word} after the case closes."
    )
    if channel == SMS:
        return [Reply(f"{stored} {seen}"), Reply(case)]
    return [
        Reply(stored),
        Reply(seen),
        Reply(
            case,
            (
                button("Delete my chat", "delete_conversation"),
                button("Who else will know?", "ask_confidentiality"),
                TALK_TO_PERSON,
            ),
        ),
    ]


class ActionExplainChatData(ProfileAction):
    action_name = "action_explain_chat_data"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_chat_data(profile, channel)
