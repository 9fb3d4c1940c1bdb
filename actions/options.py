"""Informal routes and anonymous reporting, as they work at this institution."""

from __future__ import annotations

from actions.common import SMS, TALK_TO_PERSON, ProfileAction, Reply, button, join_words, the
from institutions import InstitutionProfile

NOT_SUITABLE = (
    "Informal routes aren't used for sexual assault, harassment that keeps happening or gets worse, "
    "a big power gap such as staff and student, or when someone is at risk. Staff will help with "
    "the formal route instead."
)


def build_informal_routes(profile: InstitutionProfile, channel: str) -> list[Reply]:
    who = join_words(list(profile.informal_contacts))
    first = (
        "You can try to sort things out without a formal complaint. It's your choice, and you can "
        "still make a formal complaint later."
    )
    second = (
        f"You can talk to {who}. They can help you choose what to do. It might be a supported talk, "
        "or making clear what must stop. It could also be a no-contact agreement or an apology."
    )
    if channel == SMS:
        return [
            Reply(
                "You can try to sort things out without a formal complaint, and still make one later. "
                f"Talk to {who}. Options include a supported talk, a no-contact agreement or an apology."
            ),
            Reply(NOT_SUITABLE),
        ]
    return [
        Reply(first),
        Reply(second),
        Reply(
            NOT_SUITABLE,
            (
                button("How to report", "ask_how_to_report"),
                button("Keeping a record", "ask_evidence"),
                TALK_TO_PERSON,
            ),
        ),
    ]


def build_anonymous(profile: InstitutionProfile, channel: str) -> list[Reply]:
    form = profile.contacts.anonymous_form
    name = profile.sms_name if channel == SMS else profile.name
    if form:
        first = f"You can tell {name} what happened without giving your name, using this form: {form}"
    else:
        first = (
            f"{name} doesn't list an anonymous form. You can ask {the(profile.teams.welfare)} whether "
            "you can tell them without giving your name."
        )
    second = (
        "An anonymous report helps spot patterns and risks, and can lead to wider safety action. "
        "But it usually can't lead to action against a person, as no one can follow it up with you."
    )
    third = "You can get support without making any report."
    if channel == SMS:
        return [Reply(first), Reply(f"{second} {third}")]
    return [
        Reply(first),
        Reply(second),
        Reply(
            third,
            (
                button("Telling vs reporting", "ask_disclosure_vs_report"),
                button("Helping a friend", "help_friend"),
                TALK_TO_PERSON,
            ),
        ),
    ]


class ActionExplainInformalRoutes(ProfileAction):
    action_name = "action_explain_informal_routes"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_informal_routes(profile, channel)


class ActionExplainAnonymous(ProfileAction):
    action_name = "action_explain_anonymous"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_anonymous(profile, channel)
