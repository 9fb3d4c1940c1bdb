"""'What does my policy say about ...?': the institution's own sections, an honest no, and never in place of a
crisis answer."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from assistant_testkit import PROFILES_DIR, make_tracker, run_action
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.lookup import ActionPolicyLookup, ActionPolicyLookupOrDefault, excerpt
from institutions.lookup import load_asks, policy_index, reads_as_welsh, tokens
from institutions.policy_doc import load_policy, parse_markdown
from safety.gsm import is_gsm7
from safety.verdict import METADATA_KEY, Verdict


def ask(use_profile, action, text: str, channel: str = "webchat", profile: str = "harbourside-college",
        metadata: dict | None = None) -> list[dict]:
    use_profile(profile)
    tracker = make_tracker(channel, "ask_policy", text)
    if metadata is not None:
        tracker.latest_message["metadata"] = metadata
    return run_action(action, tracker)[1]


def test_the_normalisation_reads_sms_and_the_fields_synonyms() -> None:
    assert tokens("cn i challenge the outcome") == tokens("can I appeal the outcome")
    assert tokens("how do I report it") == tokens("how to complain") and "complain" in tokens("a complaint")
    assert tokens("wat happens next") == tokens("what happens next") == ["afterreport"]
    assert tokens("while it's looked into") == tokens("in the meantime")
    assert tokens("what does the policy say about appeals") == tokens("appeals")
    assert tokens("show me the bit of the rules on appeals", question=True) == tokens("appeals")


def test_a_policy_question_gets_the_section_number_title_and_words_and_the_full_policy(use_profile) -> None:
    said = ask(use_profile, ActionPolicyLookup(), "what does the policy say about relationships with staff")
    first = said[0]["text"]
    assert first.startswith("From Harbourside College's policy, section 5")
    assert "Read the full policy: https://example.org/harbourside/policy" in said[-1]["text"]
    assert {"payload": "/request_person", "title": "Talk to a person"} in said[-1]["buttons"]
    quotes = [m for m in said if (m.get("text") or "").startswith("From ")]
    assert said[len(quotes)]["custom"]["policy_sections"][0].startswith("5")  # shown under the quotes


def test_by_sms_the_section_and_the_link_fit_one_text(use_profile) -> None:
    said = ask(use_profile, ActionPolicyLookup(), "wat does the policy say bout dating a lecturer", "sms")
    texts = [m["text"] for m in said if m.get("text")]
    assert len(texts) == 1 and len(texts[0]) <= 320 and is_gsm7(texts[0])
    assert "see section 5" in texts[0] and "https://example.org/harbourside/policy" in texts[0]


def test_nothing_that_fits_gets_an_honest_no_and_a_person(use_profile) -> None:
    said = ask(use_profile, ActionPolicyLookup(), "what does the policy say about parking permits")
    assert said[0]["text"].startswith("I couldn't find that in Harbourside College's policy.")
    assert "welfare@harbourside.example.org" in said[0]["text"]
    assert not any(m.get("custom") for m in said)


def test_a_message_nobody_understood_is_looked_up_and_otherwise_still_gets_the_24_7_line(use_profile) -> None:
    found = ask(use_profile, ActionPolicyLookupOrDefault(), "the interim measures panel thing how does it work")
    assert found[0]["text"].startswith("From Harbourside College's policy, section 8.3")
    nothing = ask(use_profile, ActionPolicyLookupOrDefault(), "blorp wibble")
    assert nothing == [{"response": "utter_default", **{k: v for k, v in nothing[0].items() if k != "response"}}]



@pytest.mark.parametrize(("channel", "kind"), [("webchat", "suicide"), ("sms", "safety")])
def test_a_no_to_the_check_in_and_words_nobody_understood_is_heard_not_met_with_sorry(use_profile, channel, kind):
    from safety.check_in import ANSWERED_FIRST, ASKED, READ, SAID_MORE, get_check_in

    use_profile("harbourside-college")
    tracker = make_tracker(channel, "nlu_fallback", "no, blorp wibble wobble flurp")
    tracker.latest_message["metadata"] = {READ: ANSWERED_FIRST, ASKED: kind}
    if channel == "webchat":
        tracker.slots["check_in"] = kind  # the assistant asked; on SMS here the service did, and only it knows
    said = run_action(ActionPolicyLookupOrDefault(), tracker)[1]
    assert [m["text"] for m in said] == [get_check_in().reply_to(SAID_MORE, "sms" if channel == "sms" else "web", kind)]
    assert "999" in said[0]["text"]
    found = ask(use_profile, ActionPolicyLookupOrDefault(), "no. the interim measures panel thing how does it work",
                metadata={READ: ANSWERED_FIRST})
    assert found[0]["text"].startswith("From Harbourside College's policy, section 8.3")  # a section that fits still


def test_a_question_asked_in_welsh_reads_as_its_english_twin_and_finds_the_same_section(use_profile) -> None:
    # Mutated forms and accents included: "nghwyn" is "cwyn" (complaint) after "fy"; "apêl" with or without its accent.
    pairs = [("A fydd fy nghwyn yn gyfrinachol?", "Will my complaint be confidential?"),
             ("Alla i apelio yn erbyn y penderfyniad?", "Can I appeal the decision?"),
             ("Sut mae gwneud apêl?", "how to make an apel")]
    for welsh, english in pairs:
        assert tokens(welsh, question=True) == tokens(english, question=True) != []
    said = ask(use_profile, ActionPolicyLookupOrDefault(), "Alla i apelio yn erbyn y penderfyniad?",
               profile="afon-valley-university")
    assert said[0]["text"].startswith("From Prifysgol Dyffryn Afon") and "section 10.1" in said[0]["text"]


def test_a_message_the_safety_check_raised_is_never_answered_with_a_quote(use_profile) -> None:
    crisis = {METADATA_KEY: Verdict(labels=frozenset({"suicide_self_harm"}), severity=3, layer="rule",
                                    score=1.0).to_metadata()}
    for action in (ActionPolicyLookup(), ActionPolicyLookupOrDefault()):
        said = ask(use_profile, action, "what does the policy say about appeals i want to end it", metadata=crisis)
        assert [m.get("response") for m in said] == ["utter_default"]


def test_a_profile_without_a_policy_document_says_so_honestly(use_profile) -> None:
    said = ask(use_profile, ActionPolicyLookup(), "what does it say about appeals", profile="longest-fields")
    assert said[0]["text"].startswith("I couldn't find that in")


@pytest.mark.parametrize("text", ["", " ", "?" * 5000, "a" * 20000, "\u200b\u0000 policy", "section 99.99.99",
                                  "appeal \ud800 the decision", "\udfff"])
def test_odd_questions_never_break_the_answer(use_profile, text: str) -> None:
    said = ask(use_profile, ActionPolicyLookup(), text, "sms")
    assert said and all(len(m["text"]) <= 320 for m in said if m.get("text"))


def test_the_index_is_built_once_and_a_look_up_is_fast() -> None:
    index = policy_index(PROFILES_DIR, "harbourside-college")
    assert index is policy_index(PROFILES_DIR, "harbourside-college")
    started = time.perf_counter()
    index.search("can i appeal if i disagree with the outcome")
    assert time.perf_counter() - started < 0.5  # the real figure is in bench/bench_lookup.py


def test_excerpts_stop_at_a_sentence() -> None:
    text = "First sentence here. Second one is here too. Third. Fourth is never shown."
    assert excerpt(text) == "First sentence here. Second one is here too. Third."
    assert excerpt("word " * 200).endswith("...") and len(excerpt("word " * 200)) <= 360


def test_every_section_a_profile_cites_is_in_its_policy_document() -> None:
    """What the assistant cites ("your policy, section 7.3") is a section a student can find in the document."""
    from institutions import available_ids, load_profile
    from institutions.policy_doc import load_policy
    from institutions.procedure import STATED

    checked = 0
    for ident in available_ids(PROFILES_DIR):
        document = load_policy(PROFILES_DIR, ident)
        assert document is not None, f"{ident} has no policy.md"
        profile = load_profile(ident, PROFILES_DIR)
        reporting = profile.reporting
        cites = [profile.procedure.cited(fact) for fact in
                 ("appeal", "investigation", "informal", "counselling", "police_referral", *STATED)]
        cites += [d.cite for d in (reporting.acknowledgement, reporting.investigation_target, reporting.time_limit)
                  if d is not None]
        for cite in filter(None, cites):
            assert document.find(cite) is not None, f"{ident}: section {cite} is not in its policy"
            checked += 1
    assert checked > 50


def test_the_evaluation_prints_every_split_and_look_up_keeps_its_measured_quality(tmp_path: Path) -> None:
    import subprocess
    import sys

    from assistant_testkit import ROOT

    from institutions.evaluate import evaluate, load_questions

    items = load_questions()
    splits = ("tune_2", "tune_3", "tune_4", "tune_5", "tune_6", "tune_7", "welsh_tune", "welsh", "blind_4",
              "blind_5")
    counts = {split: sum(item["split"] == split for item in items) for split in splits}
    assert len(items) >= 120
    assert counts == {"tune_2": 30, "tune_3": 72, "tune_4": 92, "tune_5": 126, "tune_6": 138, "tune_7": 143,
                      "welsh_tune": 65, "welsh": 36, "blind_4": 154, "blind_5": 169}
    # The command prints a line for each split (three questions of each here: the figures are checked below, on all).
    few = [item for split in ("tune", *splits) for item in [i for i in items if i["split"] == split][:3]]
    questions = tmp_path / "questions.yml"
    questions.write_text(yaml.safe_dump(few, allow_unicode=True), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "institutions.evaluate", "--questions", str(questions)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0 and all(f"{split} " in done.stdout for split in ("tune", *counts))
    # Floors a little under the figures measured when look-up was tuned (tune: top-3 96%, top-1 81%; honest no
    # 70%): a change that makes look-up worse fails here; the figures themselves are in the closing notes.
    figures = {f.split: f for f in evaluate(items)}
    tune = figures["tune"]
    assert tune.top3 >= 0.92 and tune.top1 >= 0.76 and tune.declined >= 0.64
    # What a question means lifted tune_5 from 58% to 72% first (top-3 80% to 84%).
    assert figures["tune_5"].top1 >= 0.68 and figures["tune_5"].top3 >= 0.82


POLICY = """# A college policy

## 1 Support

### 1.1 Interim measures

While a matter is considered, the college may put precautionary arrangements in place for either party.

### 1.2 Counselling

The wellbeing service offers appointments with a qualified counsellor.

### 1.3 Appeals

A decision may be challenged within ten working days of the outcome letter.

### 1.4 Records

The college keeps a record of every report for six years after the matter closes.
"""


def _policy(tmp_path, asks: str | None):
    folder = tmp_path / "our-college"
    folder.mkdir(parents=True)
    (folder / "policy.md").write_text(POLICY, encoding="utf-8")
    if asks is not None:
        (folder / "asks.yml").write_text(asks, encoding="utf-8")
    return policy_index(tmp_path, "our-college")


def _asks(tmp_path):
    return load_asks(tmp_path / "our-college" / "asks.yml", parse_markdown(POLICY))


def test_the_ways_people_ask_for_a_section_find_it_when_its_own_words_do_not(tmp_path) -> None:
    question = "can they move him out of my classes"
    _policy(tmp_path / "without", None)
    _policy(tmp_path / "with", '"1.1 Interim measures":\n  - "can they move him to a different class"\n')
    # By words alone (what a question means is tested in test_policy_meaning.py):
    assert policy_index(tmp_path / "without", "our-college", with_meaning=False).search(question) == []
    index = policy_index(tmp_path / "with", "our-college", with_meaning=False)
    assert [m.section.number for m in index.search(question)][:1] == ["1.1"]
    assert [m.section.number for m in index.search("counselling appointments")][:1] == ["1.2"]  # text still counts


@pytest.mark.parametrize("asks, wrong", [
    ('"9.9 Nowhere":\n  - "a question"\n', "'9.9 Nowhere' is not a heading of the policy"),
    ('"1.1 Interim measures": "a question, not a list"\n', "needs a list of questions"),
    ("- a list, not a mapping\n", "expected a mapping"),
    ('"1.1 Interim measures": [unclosed\n', "cannot be read"),
])
def test_asks_that_do_not_fit_the_policy_are_refused_but_look_up_still_answers(tmp_path, caplog, asks, wrong) -> None:
    index = _policy(tmp_path, asks)
    assert wrong in caplog.text and "asks.yml" in caplog.text  # the operator is told which file and heading
    assert [m.section.number for m in index.search("counselling appointments")][:1] == ["1.2"]
    with pytest.raises(ValueError, match=r"asks\.yml") as refused:
        _asks(tmp_path)
    assert wrong in str(refused.value)


def test_every_profiles_asks_name_only_headings_of_its_own_policy() -> None:
    checked = 0
    for folder in sorted(p for p in PROFILES_DIR.iterdir() if (p / "asks.yml").is_file()):
        asks = load_asks(folder / "asks.yml", load_policy(PROFILES_DIR, folder.name))  # raises on a wrong heading
        # a few ways of asking for every section, none swamped by many more than the rest
        assert all(3 <= len(v) <= 8 for v in asks.values()), folder.name
        checked += 1
    assert checked == 6


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=0, max_size=3000) | st.sampled_from(
    ["\u202ekill\u200b myself\x00", "apêl " * 800, "ŵŷâêîôû" * 300, "%s%n{0}<script>' OR 1=1 --", "\udcff".encode(
        "utf-8", "surrogatepass").decode("utf-8", "replace"), "ﬁ ｆｕｌｌｗｉｄｔｈ ＡＰＰＥＡＬ", ""]))
def test_any_text_at_all_gets_sections_or_the_honest_no_never_an_error(text: str) -> None:
    # Whatever a student sends (any script, control characters, 3,000 characters), look-up answers with at most two
    # sections of the policy, or none, and never raises: the reply after a message nobody understood depends on it.
    index = policy_index(PROFILES_DIR, "afon-valley-university")
    assert index is not None
    found = index.answer(text)
    assert len(found) <= 2 and all(m.section in index.sections for m in found)
    assert index.trust(text) >= 0.0 and len(index.query(text)) <= 40


def test_reading_a_question_once_for_its_ranking_and_its_answer_gives_what_search_and_answer_give() -> None:
    # The evaluation reads each question once for both (ranked_and_answer); its figures are those of the look-up the
    # student meets only if that gives the same sections as search and answer, and the same honest no.
    from institutions.evaluate import load_questions

    items = load_questions()[::25]
    assert len(items) >= 25
    answered = declined = 0
    for item in items:
        index = policy_index(PROFILES_DIR, item["profile"])
        assert index is not None
        ranked, given = index.ranked_and_answer(item["question"], 3, 2)
        assert [m.section for m in ranked] == [m.section for m in index.search(item["question"], k=3)]
        assert [m.section for m in given] == [m.section for m in index.answer(item["question"])]
        answered, declined = answered + bool(given), declined + (not given)
    assert answered and declined  # both outcomes were compared


def test_a_welsh_question_with_a_word_look_up_does_not_know_is_still_answered_and_one_off_the_policy_is_not() -> None:
    index = policy_index(PROFILES_DIR, "afon-valley-university")
    assert index is not None
    # "anhapus" (unhappy) is in no word list: in an English question an unknown word lowers the trust, in a Welsh one
    # it is more likely Welsh look-up does not know.
    appeal = "Ga i apelio yn erbyn y penderfyniad os dw i'n anhapus efo'r canlyniad?"
    assert reads_as_welsh(appeal) and index.answer(appeal)[0].section.number == "10.1"
    assert index.answer("Pryd mae'r llyfrgell ar agor dros y Nadolig?") == []  # library opening hours
    assert not reads_as_welsh("I live in Wales and want to complain about my tutor in Welsh")
