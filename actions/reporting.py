"""Formal reports: how to report here, what happens next, time limits and appeals."""

from __future__ import annotations

from actions.common import SMS, TALK_TO_PERSON, ProfileAction, Reply, button, join_words, policy_of, the, with_ref
from institutions import InstitutionProfile


def report_routes(profile: InstitutionProfile, *, short: bool = False) -> list[str]:
    """The ways to reach whoever receives formal reports, as short phrases."""
    contacts = profile.reports_reached_at
    routes = []
    if contacts.online_form:
        routes.append(f"online at {contacts.online_form}")
    if contacts.email:
        routes.append(f"by email to {contacts.email}")
    if contacts.phone:
        routes.append(f"by phone on {contacts.phone}")
    if contacts.in_person and not short:
        routes.append(f"in person at {contacts.in_person}")
    elif contacts.in_person and not routes:
        routes.append("in person")
    return routes


def build_formal_report(profile: InstitutionProfile, channel: str) -> list[Reply]:
    receiver = the(profile.teams.report_receiver)
    routes = join_words(report_routes(profile, short=channel == SMS))
    writing = " Your report needs to be in writing." if profile.reporting.in_writing else ""
    if channel == SMS:
        replies = [
            Reply(
                f"A formal report asks {profile.sms_name} to look into what happened. "
                f"It's your choice. You get support either way. You can report to {receiver}: "
                f"{routes}.{writing}"
            ),
            Reply(
                "Try to include what happened, who was involved, dates, times, places and any "
                "witnesses. You don't need to have everything. Ask me what happens next, or about "
                "time limits."
            ),
        ]
    else:
        replies = [
            Reply(
                f"A formal report asks {profile.name} to look into what happened. It's your choice. "
                "You can get support whether you report or not."
            ),
            Reply(f"You can report to {receiver}:\n" + "\n".join(f"- {r}" for r in report_routes(profile)) + writing),
            Reply(
                "Try to include what happened, who was involved, the dates, times and places, and "
                "any witnesses. Add anything you've done so far to stop it. You don't need to have "
                "everything."
            ),
        ]
    partner = profile.procedure.says("partner_university")
    if partner is not None:
        replies.append(Reply(with_ref(partner.says, partner.cite, channel, profile.kind)))
    if channel != SMS:
        replies[-1] = Reply(
            replies[-1].text,
            (
                button("What happens next?", "ask_report_process"),
                button("Time limits", "ask_time_limit"),
                button("Keeping a record", "ask_evidence"),
                TALK_TO_PERSON,
            ),
        )
    return replies


def build_report_process(profile: InstitutionProfile, channel: str) -> list[Reply]:
    reporting, procedure = profile.reporting, profile.procedure
    ack = (
        with_ref(f"You'll get a reply within {reporting.acknowledgement.describe()} to say it has arrived.",
                 reporting.acknowledgement.cite, channel, profile.kind)
        if reporting.acknowledgement
        else f"Ask {the(profile.teams.report_receiver)} when you'll hear back."
    )
    company = (
        f"You can bring someone with you, such as {reporting.accompaniment}."
        if reporting.accompaniment
        else "You can ask whether someone can come with you for support."
    )
    target = (
        with_ref(f"It aims to finish within {reporting.investigation_target.describe()}.",
                 reporting.investigation_target.cite, channel, profile.kind)
        if reporting.investigation_target
        else f"Ask {the(profile.teams.report_receiver)} how long it usually takes."
    )
    told = procedure.says("outcome_told")
    outcome = (with_ref(told.says, told.cite, channel, profile.kind) if told is not None
               else f"Ask {the(profile.teams.report_receiver)} what you'll be told about the outcome.")
    appeal = ""
    if procedure.appeal is not None:
        appeal = (f"If you disagree, you can appeal within {reporting.appeal_window.describe()}."
                  if reporting.appeal_window else "If you disagree, you can appeal.")
    how = investigation_words(profile)
    if channel == SMS:
        return [
            Reply(f"After you report: {ack} You can say what support or changes you need. {company}"),
            Reply(how),
            Reply(" ".join(part for part in (
                target, outcome, appeal) if part)),
        ]
    buttons = (
        *((button("Appeals", "ask_appeal"),) if procedure.appeal is not None else ()),
        button("Changes to keep me safe", "ask_interim_measures"),
        button("Time limits", "ask_time_limit"),
        TALK_TO_PERSON,
    )
    return [
        Reply(
            f"{ack} You can tell them what support or changes you need while it's looked into."
        ),
        Reply(f"{with_ref(how, procedure.cited('investigation'), channel, profile.kind)} {company}"),
        Reply(
            " ".join(part for part in (
                target, outcome, with_ref(appeal, procedure.cited("appeal"), channel, profile.kind))
                if part),
            buttons,
        ),
    ]


def investigation_words(profile: InstitutionProfile) -> str:
    """How a formal complaint is looked into, as far as the policy says."""
    investigation = profile.procedure.investigation
    independent = investigation is not None and investigation.independent
    words = ["Someone who hasn't been involved before looks into it." if independent
             else "Staff look into it and tell you how it will work."]
    if investigation is None:
        return words[0]
    if investigation.meets_separately:
        words.append("They meet each person on their own.")
    if investigation.may_meet_together:
        words.append("It can include mediation or a meeting with the other person.")
    return " ".join(words)


def build_time_limits(profile: InstitutionProfile, channel: str) -> list[Reply]:
    reporting = profile.reporting
    name = profile.sms_name if channel == SMS else profile.name
    policy = policy_of(profile, channel)
    welfare = the(profile.teams.welfare)
    if reporting.time_limit is None:  # not stated: say so, never another policy's limit
        first = (
            f"{policy} doesn't set out a time limit for reporting. Ask {welfare} whether one applies. "
            "Reporting sooner can make evidence easier to find."
        )
    else:
        limit = reporting.time_limit
        first = with_ref(
            f"At {name}, there is usually a time limit for a formal complaint. It's "
            f"{limit.within.describe()} {limit.describe_start()}.", limit.cite, channel, profile.kind) + (
            f" If it's been longer, talk to {welfare} about your options.")
    support = "It's never too late to get support."
    if reporting.investigation_target:
        second = with_ref(
            f"Once you report, the investigation aims to finish within "
            f"{reporting.investigation_target.describe()}.", reporting.investigation_target.cite, channel
        , profile.kind) + f" {support}"
    else:
        second = f"Ask {the(profile.teams.report_receiver)} how long it usually takes once you report. {support}"
    if channel == SMS:
        return [Reply(f"{first} {second}")]
    return [
        Reply(first),
        Reply(
            second,
            (
                button("How to report", "ask_how_to_report"),
                button("What happens next?", "ask_report_process"),
                button("Support", "ask_support_internal"),
            ),
        ),
    ]


GROUND_WORDS = {
    "procedure_error": "a mistake in how things were done",
    "new_evidence": "new evidence",
    "disproportionate_outcome": "an outcome that seems out of proportion",
    "bias": "bias",
}


def build_appeal(profile: InstitutionProfile, channel: str) -> list[Reply]:
    reporting, appeal = profile.reporting, profile.procedure.appeal
    policy = policy_of(profile, channel)
    welfare = the(profile.teams.welfare)
    if appeal is None:  # never another policy's appeal route
        text = (f"{policy} doesn't describe a way to appeal an outcome. If you disagree with one, ask "
                f"{welfare} what you can do.")
        if channel == SMS:
            return [Reply(text)]
        return [Reply(text, (button("What happens next?", "ask_report_process"), TALK_TO_PERSON))]
    first = "If you disagree with the outcome, you can appeal."
    if reporting.appeal_to:
        first += f" Appeals go to {reporting.appeal_to}."
    if reporting.appeal_window:
        first += f" You have {reporting.appeal_window.describe()} from when you're told the decision."
    else:
        first += f" Ask {welfare} how long you have."
    grounds = [GROUND_WORDS[g] for g in appeal.grounds]
    second = (f"An appeal can be about {join_words(grounds)}." if grounds
              else f"Ask {welfare} what an appeal can be about.")
    if appeal.other_party_may_appeal:
        second += " The other person can appeal too."
    if channel == SMS:
        return [Reply(f"{first} {second}"), *((Reply(appeal.note),) if appeal.note else ())]
    if appeal.note:
        second = f"{appeal.note} {second}"
    return [
        Reply(with_ref(first, appeal.cite, channel, profile.kind)),
        Reply(second, (button("What happens next?", "ask_report_process"), TALK_TO_PERSON)),
    ]


class ActionExplainFormalReport(ProfileAction):
    action_name = "action_explain_formal_report"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_formal_report(profile, channel)


class ActionExplainReportProcess(ProfileAction):
    action_name = "action_explain_report_process"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_report_process(profile, channel)


class ActionExplainTimeLimits(ProfileAction):
    action_name = "action_explain_time_limits"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_time_limits(profile, channel)


class ActionExplainAppeal(ProfileAction):
    action_name = "action_explain_appeal"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_appeal(profile, channel)
