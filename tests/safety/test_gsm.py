"""The one GSM-7 module: its counting rules, the copy a page's script gets, and the institutions package's list."""

from institutions.profile import _GSM7
from safety.gsm import (
    GSM7_BASIC,
    GSM7_EXTENDED,
    SMS_BUDGET,
    browser_rules,
    fits_sms,
    gsm7_length,
    is_gsm7,
    split_sms,
    to_gsm7,
)


def test_basic_characters_count_once_and_extended_ones_twice() -> None:
    assert gsm7_length(GSM7_BASIC) == len(GSM7_BASIC) == 127  # 128 codes, one of them the escape to the extension
    assert gsm7_length(GSM7_EXTENDED) == 2 * len(GSM7_EXTENDED)
    assert is_gsm7(GSM7_BASIC + GSM7_EXTENDED) and not is_gsm7("\U0001f600")
    assert fits_sms("€" * (SMS_BUDGET // 2)) and not fits_sms("€" * (SMS_BUDGET // 2 + 1))


def test_the_rules_for_a_page_are_the_module_s_own() -> None:
    rules = browser_rules()
    assert rules["budget"] == SMS_BUDGET
    assert rules["basic"] == GSM7_BASIC and rules["extended"] == GSM7_EXTENDED
    replaced = str(rules["replaced"])
    assert replaced and all(ch not in GSM7_BASIC + GSM7_EXTENDED and to_gsm7(f"a{ch}b") != "ab" for ch in replaced)


def test_split_parts_are_each_pure_gsm7_within_the_budget() -> None:
    text = "A sentence with \u201cquotes\u201d and a dash \u2014 here. " * 30
    parts = split_sms(text)
    assert len(parts) > 1 and all(fits_sms(part) for part in parts)


def test_the_institutions_package_s_own_list_agrees() -> None:
    # institutions/profile.py keeps its own copy so that it imports nothing else from the project.
    assert set(GSM7_BASIC + GSM7_EXTENDED) - {"\f"} == _GSM7


def test_any_text_splits_into_parts_that_each_fit_and_together_keep_every_character() -> None:
    """Officers type anything ("€50", "[link]", "~"): characters from the extension table count twice, and a
    part cut by characters rather than by what they count overran the budget (a 640-unit text from 320 euro signs)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    letters = st.sampled_from([*GSM7_BASIC, *GSM7_EXTENDED, "\u201c", "\u2014", "\U0001f600"])
    runs = st.lists(st.one_of(st.text(letters, max_size=40), st.sampled_from(["€" * 200, "x" * 330, " ", ". ", "\n"])),
                    max_size=12).map("".join)

    @settings(max_examples=400, deadline=None)
    @given(runs)
    def check(text: str) -> None:
        parts = split_sms(text)
        assert all(fits_sms(part) and part for part in parts)
        assert "".join("".join(parts).split()) == "".join(to_gsm7(text).split())  # all but the spaces between

    check()
