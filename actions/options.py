"""Informal routes and anonymous reporting, as they work at this institution."""

from __future__ import annotations

from actions.common import SMS, TALK_TO_PERSON, ProfileAction, Reply, button, join_words, policy_of, the, with_ref
from institutions import InstitutionProfile

EXCLUSION_WORDS = {
    "sexual_assault": "sexual assault",
    "staff_student": "cases between a member of staff and a student",
    "repeated": "behaviour that keeps happening or gets worse",
    "serious": "serious cases",
    "risk": "cases where someone is at risk",
}
SHORT_EXCLUSION_WORDS = {  # by SMS
    "sexual_assault": "sexual assault",
    "staff_student": "staff and student cases",
    "repeated": "repeated harassment",
    "serious": "serious cases",
    "risk": "risk to anyone",
}


def build_informal_routes(profile: InstitutionProfile, channel: str) -> list[Reply]:
    who = join_words(list(profile.informal_contacts))
    informal = profile.procedure.informal
    policy = policy_of(profile, channel)
    if informal is None:  # the policy says nothing about it: no rule from another policy
        text = (f"{policy} doesn't describe an informal route. You can still ask {who} whether "
                "there's a way to sort things out without a formal complaint, and you can get support either way.")
        if channel == SMS:
            return [Reply(text)]
        return [Reply(text, (button("How to report", "ask_how_to_report"), TALK_TO_PERSON))]
    choice = {"person_affected": "It's your choice, and you can still make a formal complaint later.",
              "staff": "Staff decide with you which route fits."}.get(informal.chosen_by or "",
                                                                     "You can ask which route fits what happened.")
    first = with_ref(f"You can try to sort things out without a formal complaint. {choice}", informal.cite, channel,
                     profile.kind)
    second = f"You can talk to {who}. They can help you choose what to do."
    limits = ""
    if informal.not_for:
        if channel == SMS:
            limits = (f"It's not used for {join_words([SHORT_EXCLUSION_WORDS[x] for x in informal.not_for])}. "
                      "Staff will help with the formal route then.")
        else:
            listed = "\n".join(f"- {EXCLUSION_WORDS[x]}" for x in informal.not_for)
            limits = (f"{policy} says the informal route isn't used for these:\n{listed}\nStaff will help "
                      "with the formal route instead.")
    if channel == SMS:
        return [Reply(f"{first} Talk to {who}."), *((Reply(limits),) if limits else ())]
    buttons = (button("How to report", "ask_how_to_report"), button("Keeping a record", "ask_evidence"),
               TALK_TO_PERSON)
    if limits:
        return [Reply(first), Reply(second), Reply(limits, buttons)]
    return [Reply(first), Reply(second, buttons)]


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
    stated = profile.procedure.says("anonymous")
    second = (with_ref(stated.says, stated.cite, channel, profile.kind) if stated is not None
              else f"Ask {the(profile.teams.welfare)} what an anonymous report can lead to there.")
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
