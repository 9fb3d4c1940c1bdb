"""Relationships between staff and students, as the institution's rules treat them."""

from __future__ import annotations

from actions.common import SMS, TALK_TO_PERSON, ProfileAction, Reply, button, the, with_ref
from institutions import InstitutionProfile


def build_staff_student(profile: InstitutionProfile, channel: str) -> list[Reply]:
    name = profile.sms_name if channel == SMS else profile.name
    rule = profile.staff_student_relationships
    if rule == "prohibited":
        first = f"At {name}, staff must not date or have sex with students."
    elif rule == "must_declare":
        first = (
            f"At {name}, staff must declare a close relationship with a student."
        )
    else:
        first = (
            "Staff are in a position of trust. A relationship with a student they teach or support "
            f"has a power gap, which can affect consent. Ask {the(profile.teams.welfare)} about the "
            f"rules at {name}."
        )
    stated = profile.procedure.says("staff_relationships")
    if stated is not None:
        first = f"{first} {with_ref(stated.says, stated.cite, channel, profile.kind)}"
    second = (
        "If a staff member's behaviour worries you, it's not your fault. You can talk to "
        f"{the(profile.teams.welfare)} or {the(profile.teams.safeguarding_lead)}. A concern about a member of "
        "staff may have to be looked into, and they will tell you what that means first."
    )
    if channel == SMS:
        return [Reply(first), Reply(second)]
    return [
        Reply(first),
        Reply(
            second,
            (
                button("Abuse of power", "ask_abuse_of_power"),
                button("Grooming", "ask_grooming"),
                TALK_TO_PERSON,
            ),
        ),
    ]


class ActionExplainStaffStudent(ProfileAction):
    action_name = "action_explain_staff_student"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_staff_student(profile, channel)
