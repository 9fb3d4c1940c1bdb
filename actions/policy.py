"""Questions whose answer is whatever this institution's own policy states, and nothing else.

Each intent here asks about one fact a policy may state (``procedure.<fact>`` in the profile: one or two
sentences in our own words and the section that says them). When the profile holds the fact, the answer is
that sentence with its section on the web; when it does not, the answer says the policy does not say and who
to ask. It never borrows another policy's rule.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import SMS, TALK_TO_PERSON, ProfileAction, Reply, button, policy_of, the, with_ref
from institutions import InstitutionProfile

# intent -> (profile fact, what the policy would be about, in words that follow "doesn't say")
TOPICS: dict[str, tuple[str, str]] = {
    "ask_false_complaint": ("false_complaints", "what happens if a complaint is thought to be false"),
    "ask_police_outcome": ("police_and_internal", "how a police case and its own process affect each other"),
    "ask_other_party_told": ("notification", "when the other person is told or what they see"),
    "ask_records": ("records", "what records are kept about a complaint or for how long"),
    "ask_visa": ("visa", "anything about visas"),
    "ask_training_opt_out": ("training_opt_out", "whether you can step out of mandatory training"),
    "ask_workplace_harm": ("workplace", "what happens when the harm is at work or by a customer"),
    "ask_scope": ("scope", "exactly who and where it covers"),
    "ask_partner_university": ("partner_university", "anything about a partner university's procedure"),
}
# Facts about the formal procedure go to whoever receives reports; the rest to the welfare team.
PROCEDURAL = {"false_complaints", "police_and_internal", "notification", "records", "scope", "partner_university"}


def who_to_ask(profile: InstitutionProfile, fact: str, channel: str) -> str:
    """'the Academic Registrar (registry@...)': the team that can say how the policy applies, with one way in."""
    procedural = fact in PROCEDURAL
    team = profile.teams.report_receiver if procedural else profile.teams.welfare
    block = profile.reports_reached_at if procedural else profile.contacts
    way = block.email or block.phone or (block.online_form if channel != SMS else None)
    return f"{the(team)} ({way})" if way else the(team)


def build_policy_answer(profile: InstitutionProfile, intent: str, channel: str) -> list[Reply]:
    fact, topic = TOPICS[intent]
    stated = profile.procedure.says(fact)
    policy = policy_of(profile, channel)
    ask = who_to_ask(profile, fact, channel)
    if stated is None:  # never another policy's rule
        text = (f"{policy} doesn't say {topic}. Ask {ask}: they can tell you how it works there. "
                "You can get support either way.")
        if channel == SMS:
            return [Reply(text)]
        return [Reply(text, (TALK_TO_PERSON,))]
    if channel == SMS:
        return [Reply(stated.says), Reply(f"To talk it through, ask {ask}.")]
    return [
        Reply(with_ref(stated.says, stated.cite, channel, profile.kind)),
        Reply(f"{ask[0].upper()}{ask[1:]} can tell you how this applies to you.",
              (button("What happens next?", "ask_report_process"), TALK_TO_PERSON)),
    ]


class ActionExplainPolicyFact(ProfileAction):
    """Answers the question the latest intent asks from the matching fact of the policy."""

    action_name = "action_explain_policy_fact"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_policy_answer(profile, "ask_scope", channel)

    def build_for(self, profile: InstitutionProfile, channel: str, tracker: Tracker) -> list[Reply]:
        intent = (tracker.latest_message.get("intent") or {}).get("name", "")
        if intent not in TOPICS:  # reached by a story or rule after another intent: say what applies to all
            return [Reply(f"I can tell you what {policy_of(profile, channel)} "
                          "says about reporting, appeals, time limits and support. What would you like to know?",
                          (TALK_TO_PERSON,))]
        return build_policy_answer(profile, intent, channel)


def build_confidentiality_in_policy(profile: InstitutionProfile, channel: str) -> list[Reply]:
    """After the limits every institution shares: when this one's policy says it may act on its own."""
    name = profile.sms_name if channel == SMS else profile.name
    policy = policy_of(profile, channel)
    said = []
    acts = profile.procedure.says("act_without_consent")
    if acts is not None:
        said.append(with_ref(acts.says, acts.cite, channel, profile.kind))
    police = profile.procedure.police_referral
    if police is not None:
        said.append(with_ref(f"{policy} says it may refer a matter to the police itself.", police.cite,
                             channel, profile.kind))
    if not said:
        said.append(f"To know exactly when {name} shares information, ask {the(profile.teams.welfare)}.")
    replies = [Reply(text) for text in said]  # each fits one SMS
    replies[-1] = Reply(replies[-1].text, (button("What happens to this chat?", "ask_chat_privacy"),
                                           button("Reporting without names", "ask_anonymous"), TALK_TO_PERSON))
    return replies


class ActionConfidentialityInPolicy(ProfileAction):
    action_name = "action_confidentiality_in_policy"

    def build(self, profile: InstitutionProfile, channel: str) -> list[Reply]:
        return build_confidentiality_in_policy(profile, channel)
