"""Who to contact here, when they are open, and the support on offer inside the institution."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from actions.common import SMS, TALK_TO_PERSON, ProfileAction, Reply, button, join_words, the, with_ref
from actions.hours import describe_hours, describe_next_opening, open_status
from institutions import InstitutionProfile

OUT_OF_HOURS = (
    "If you need to talk now, Samaritans are free, day or night, on 116 123. "
    "If you are in danger, call 999."
)


def contact_routes(profile: InstitutionProfile, *, short: bool = False) -> list[str]:
    contacts = profile.contacts
    routes = []
    if contacts.email:
        routes.append(f"email {contacts.email}")
    if contacts.phone:
        routes.append(f"call {contacts.phone}")
    if contacts.online_form and not short:
        routes.append(f"use the form at {contacts.online_form}")
    if contacts.in_person:
        routes.append("drop in" if short else f"visit {contacts.in_person}")
    if short and not routes and contacts.online_form:
        routes.append(f"use the form at {contacts.online_form}")
    return routes


def build_contact_details(
    profile: InstitutionProfile, channel: str, now: datetime | None = None
) -> list[Reply]:
    now = now or datetime.now(tz=ZoneInfo(profile.timezone))
    welfare = the(profile.teams.welfare)
    routes = join_words(contact_routes(profile, short=channel == SMS))
    hours = describe_hours(profile)
    status = open_status(profile, now)
    if status.open_now:
        state = "They're open now."
    else:
        state = f"They're closed now and open again {describe_next_opening(status, now)}."
    lead = (
        f"For worries about someone's safety, you can also ask for {the(profile.teams.safeguarding_lead)}."
    )
    if channel == SMS:
        replies = [Reply(f"You can contact {welfare}: {routes}. Hours: {hours} (UK time). {state}")]
        if not status.open_now:
            replies.append(Reply(OUT_OF_HOURS))
        return replies
    listed = "\n".join(f"- {r}" for r in contact_routes(profile))
    replies = [
        Reply(f"You can contact {welfare}:\n{listed}"),
        Reply(f"Opening hours are {hours} (UK time). {state} {lead}"),
    ]
    if not status.open_now:
        replies.append(Reply(OUT_OF_HOURS))
    replies[-1] = Reply(
        replies[-1].text,
        (
            TALK_TO_PERSON,
            button("Support services", "ask_support_services"),
            button("How to report", "ask_how_to_report"),
        ),
    )
    return replies


def _changes(profile: InstitutionProfile, short: bool = False) -> str:
    """What changes a team can help with, for this kind of institution's students, apprentices or staff."""
    if profile.kind == "local_authority":  # its audience is staff: no studies, no extensions
        return "changes to your work"
    if profile.kind == "apprenticeship_provider":
        return "changes to your training or work"
    return "extensions" if short else "extensions or other changes to your studies"


def build_internal_support(profile: InstitutionProfile, channel: str) -> list[Reply]:
    teams = profile.teams
    name = profile.sms_name if channel == SMS else profile.name
    first = "Support is there whether or not you report, and however long ago it happened."
    if channel == SMS:
        offers = [f"{the(teams.welfare)} for help and advice"]
        if teams.wellbeing:
            offers.append(f"{the(teams.wellbeing)}" + (" for counselling" if profile.procedure.counselling else ""))
        offers.append(f"{the(teams.academic_support or teams.welfare)} about {_changes(profile, short=True)}")
        return [
            Reply(
                f"Support is there whether or not you report. At {name}, you can talk to "
                f"{join_words(offers)}. Ask me for contact details or outside services."
            )
        ]
    lines = [f"{_cap(the(teams.welfare))} can give practical and emotional help."]
    if teams.wellbeing and profile.procedure.counselling:
        lines.append(with_ref(f"{_cap(the(teams.wellbeing))} offers counselling.",
                              profile.procedure.counselling.cite, channel, profile.kind))
    elif teams.wellbeing:
        lines.append(f"You can also contact {the(teams.wellbeing)}.")
    lines.append(
        f"{_cap(the(teams.academic_support or teams.welfare))} can help with {_changes(profile)}."
    )
    return [
        Reply(first),
        Reply(
            " ".join(lines),
            (
                button("Contact details", "ask_contact"),
                button("Outside services", "ask_support_services"),
                button("Changes to my studies", "ask_interim_measures"),
                TALK_TO_PERSON,
            ),
        ),
    ]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class ActionContactDetails(ProfileAction):
    action_name = "action_contact_details"

    def now(self) -> datetime | None:
        """The current time (None means 'ask the clock'); tests may override this."""
        return None

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_contact_details(profile, channel, self.now())


class ActionExplainInternalSupport(ProfileAction):
    action_name = "action_explain_internal_support"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_internal_support(profile, channel)
