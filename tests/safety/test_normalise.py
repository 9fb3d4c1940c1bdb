"""SMS spellings and contractions become the canonical words the patterns use."""

from __future__ import annotations

import pytest

from safety.risk import get_classifier


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("im ok", ["i", "am", "ok"]),
        ("I'm OK", ["i", "am", "ok"]),
        ("I\u2019m ok", ["i", "am", "ok"]),
        ("dont", ["do", "not"]),
        ("didn't", ["did", "not"]),
        ("can't", ["can", "not"]),
        ("wont", ["will", "not"]),
        ("kms", ["kill", "myself"]),
        ("wanna die", ["want", "to", "die"]),
        ("gonna", ["going", "to"]),
        ("u ok rn?", ["you", "ok", "right", "now", "?"]),
        ("he's here", ["he", "is", "here"]),
        ("my friend's house", ["my", "friend", "house"]),
        ("self-harm", ["self", "harm"]),
        ("15yo", ["15", "yo"]),
        ("yr11", ["year", "11"]),
        ("fifteen", ["15"]),
        ("my self", ["myself"]),
        ("line one\nline two", ["line", "one", ".", "line", "two"]),
        # Emoji with one plain meaning read as that word, however the phone adorns them; faces stay as they are.
        ("💊💊💊 all gone", ["pills", "pills", "pills", "all", "gone"]),
        ("🗡\ufe0f🩸", ["knife", "blood"]),
        ("🚆🚶\u200d\u2640\ufe0f🛤\ufe0f bye", ["train", "🚶", "\u2640", "railway", "bye"]),
        ("👮\U0001f3fd", ["police"]),
        ("dead 😭💀", ["dead", "😭", "💀"]),
        ("dnt wnt 2 go bk", ["do", "not", "want", "to", "go", "back"]),
        ("he sed it yday", ["he", "said", "it", "yesterday"]),
        # Words stretched for feeling read as they are spelt.
        ("pleaseeee helppp", ["please", "help"]),
        ("i want to diiiie", ["i", "want", "to", "die"]),
        ("killlll myselfff", ["kill", "myself"]),
        ("bleedingggg", ["bleeding"]),
        ("sooooo goooood", ["so", "good"]),
        ("nooo", ["no"]),
        ("pleeeaseeee", ["please"]),
        ("kmsss", ["kill", "myself"]),
        ("anymoreeee", ["anymore"]),
    ],
)
def test_words(text: str, words: list[str]) -> None:
    assert get_classifier()._set.normaliser.words(text) == words


# "nd" is how "and" is typed: an age before it is the sender's, never an ordinal ("15 nd my bf...").
@pytest.mark.parametrize(("text", "labels"), [
    ("im 15 nd my bf keeps asking for pics", {"under_18"}),
    ("i am 14 nd i took sum of my mums tablets", {"under_18"}),
    ("im 12 nd sum1 at skool is sharin pics of me nd i wanna kill myself", {"under_18", "suicide_self_harm"}),
])
def test_an_age_before_nd_is_the_senders(text: str, labels: set[str]) -> None:
    assert labels <= get_classifier().classify(text).labels


# Students at a Welsh institution may write in Welsh: an age and a wish to die read as their English.
@pytest.mark.parametrize(("text", "label"), [
    ("dw i'n 15 oed a dw i ofn", "under_18"),
    ("dwi'n 16", "under_18"),
    ("dw i eisiau marw", "suicide_self_harm"),
    ("dwi isio marw heno", "suicide_self_harm"),
])
def test_welsh_ages_and_wishes_to_die_are_read(text: str, label: str) -> None:
    assert label in get_classifier().classify(text).labels


def test_a_welsh_sentence_without_either_raises_nothing() -> None:
    assert not get_classifier().classify("dw i yn y llyfrgell, mae fy mrawd yn 15 oed").labels


def test_taro_is_hitting_only_where_welsh_grammar_frames_it() -> None:
    words = get_classifier().words
    assert words("is taro the purple one") == ["is", "taro", "the", "purple", "one"]  # the root, in English
    assert "hitting" not in words("taro bubble tea after lectures?")
    assert words("mae e'n taro fi nawr")[-3:] == ["hitting", "me", "now"]  # "he's hitting me now"
    assert "hitting" in words("mae o yn taro fi") and "hit" in words("mae o wedi taro fi")


def test_a_number_of_minutes_is_still_no_age() -> None:
    assert "under_18" not in get_classifier().classify("im 15 mins away nd running late").labels


# Contractions written the way some keyboards and text tools split them: each must read as words, never crash.
SPLIT_CONTRACTIONS = [
    ("i ca n't go on", ["i", "can", "not", "go", "on"]),
    ("do n't", ["do", "not"]),
    ("can-n't", ["can", "not"]),
    ("i wo n't be here", ["i", "will", "not", "be", "here"]),
    ("n't", ["not"]),
    ("'", []),
    ("''", []),
    ("n't n't n't", ["not", "not", "not"]),
    ("I ca n\u2019t", ["i", "can", "not"]),
    ("it 's", ["it", "is"]),
    ("i 'll", ["i", "will"]),
    ("'s", []),
    ("'ll 've 're 'd 'm", ["will", "have", "are", "would", "am"]),
]


@pytest.mark.parametrize(("text", "words"), SPLIT_CONTRACTIONS)
def test_split_contractions_read_as_words(text: str, words: list[str]) -> None:
    assert get_classifier()._set.normaliser.words(text) == words


def test_a_crisis_message_with_a_split_contraction_is_still_caught() -> None:
    assessment = get_classifier().classify("i ca n't take it any more, i want to kill myself tonight")
    assert assessment.labels == {"suicide_self_harm"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("suicde", ["suicide"]),
        ("overdoze", ["overdose"]),
        ("cuttin myself", ["cutting", "myself"]),
        ("i was rapped", ["i", "was", "raped"]),
        ("paracetomol", ["paracetamol"]),
        ("i wnt 2 die 2nite", ["i", "want", "to", "die", "tonight"]),
        ("kil", ["kill"]),
    ],
)
def test_near_misses_of_the_words_that_matter_are_repaired(text: str, words: list[str]) -> None:
    assert get_classifier()._set.normaliser.words(text) == words


@pytest.mark.parametrize(
    "text",
    [
        "this is hard",  # one letter from "harm"
        "i shared it",  # one from "scared"
        "race night",  # one from "rape"
        "hearing test",
        "the tables",
        "my dad",  # under four letters: never repaired
        "i took 2 pills",  # a lone digit stays a number
        "year 4",
        "homeless",
    ],
)
def test_real_words_near_them_are_left_alone(text: str) -> None:
    words = get_classifier()._set.normaliser.words(text)
    assert words == text.split()


def test_typo_repair_does_not_flood_the_look_alikes() -> None:
    """On the training batches' look-alikes, typo repair changes only real misspellings, a handful of words."""
    import yaml

    from safety.train import BATCHES

    normaliser = get_classifier()._set.normaliser
    assert normaliser.typos is not None
    changed, words = [], 0
    for path in sorted(BATCHES.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            if item["group"] == "lookalike":
                for word in item["text"].lower().split():
                    bare = word.strip(".,!?;:'\"()")
                    words += 1
                    if bare.isalpha() and normaliser.typos.repair(bare) != bare:
                        changed.append(bare)
    # Only real misspellings are repaired ("killin", "assult"): about one word in a thousand at most.
    assert words > 5000 and len(changed) <= words / 1000, changed


@pytest.mark.parametrize("text", [
    "i want to d\u200bie", "i want to k\u200cill myself", "su\u00adicide", "over\u2060dose on my pills",
    "\ufeffi want to die",
    "i\u200bwant\u00a0to die",  # a zero-width space as the only gap between words: read as a space too
])
def test_invisible_characters_inside_or_between_words_do_not_hide_a_crisis(text: str) -> None:
    assert "suicide_self_harm" in get_classifier().classify(text).labels


@pytest.mark.parametrize("text, label", [
    ("ɪ ᴡᴀɴᴛ ᴛᴏ ᴅɪᴇ", "suicide_self_harm"),  # small capitals
    ("𝐢 𝐰𝐚𝐧𝐭 𝐭𝐨 𝐤𝐢𝐥𝐥 𝐦𝐲𝐬𝐞𝐥𝐟", "suicide_self_harm"),  # mathematical bold
    ("ｈｅ ｉｓ ｔｒｙｉｎｇ ｔｏ ｇｅｔ ｉｎ ｎｏｗ", "immediate_danger"),  # full width
    ("𝘪𝘮 𝟭𝟱", "under_18"),  # italic letters, bold digits
])
def test_letters_from_fancy_font_generators_read_as_plain_ones(text: str, label: str) -> None:
    assert label in get_classifier().classify(text).labels


def test_styled_letters_change_nothing_else() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from safety.normalise import plain_letters

    @given(st.text(max_size=200))
    def one_for_one(text: str) -> None:
        plain = plain_letters(text)
        assert len(plain) == len(text)  # never longer, so a long message costs what it did
        assert all(a == b for a, b in zip(text, plain, strict=True) if a.isascii())

    one_for_one()
    assert plain_letters("café ½ ﬁne 😭 …") == "café ½ ﬁne 😭 …"  # accents, fractions, ligatures, emoji kept


@pytest.mark.parametrize("text, words", [
    ("i wan na die", ["i", "want", "to", "die"]),
    ("im gon na end it", ["i", "am", "going", "to", "end", "it"]),
])
def test_wanna_and_gonna_typed_apart_read_as_their_words(text: str, words: list[str]) -> None:
    assert get_classifier().words(text) == words


@pytest.mark.parametrize(("text", "label"), [
    ("i want to diiiiie", "suicide_self_harm"),
    ("KILLLLL MYSELFFF", "suicide_self_harm"),
    ("hes outsideee my doorrr with a knifeeee", "immediate_danger"),
    ("i overdoseddd", "suicide_self_harm"),
    ("he rapeddd me last nighttt", "recent_sexual_assault"),
])
def test_a_stretched_word_does_not_hide_a_crisis(text: str, label: str) -> None:
    assert label in get_classifier().classify(text).labels


@pytest.mark.parametrize("text", ["this essay is killinggg meee", "im deaddddd 😂", "soooo tired lol"])
def test_a_stretched_idiom_stays_an_idiom(text: str) -> None:
    assert not get_classifier().classify(text).labels & {"suicide_self_harm", "immediate_danger"}


def test_unstretching_never_lengthens_a_word_nor_touches_an_unstretched_one() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    normaliser = get_classifier()._set.normaliser

    def stretched(word: str) -> bool:
        return any(a == b == c for a, b, c in zip(word, word[1:], word[2:], strict=False) if a.isalpha())

    @given(st.text(alphabet=st.sampled_from("aeiloksdxy'2é"), min_size=1, max_size=40))
    def fewer_letters(word: str) -> None:
        out = normaliser.unstretch(word)
        assert len(out) <= len(word) and not stretched(out)
        if not stretched(word):
            assert out == word

    fewer_letters()


def test_a_long_chunk_is_read_but_never_cached() -> None:
    """A message of one long unbroken "word" (hostile, or a cat on the keyboard) is read like any other, and no
    chunk that long is kept in the word caches: a stream of them cannot fill the service's memory."""
    normaliser = get_classifier()._set.normaliser
    before = normaliser.unstretch.cache_info().currsize
    for n in range(50):
        words = normaliser.words("x" * 60 + "y" * n + "im15andscared" + "z" * 10 + "pleaseeee")
        assert "15" in words  # digits inside a squashed message are still read apart
    assert normaliser.unstretch.cache_info().currsize == before
    assert normaliser.words("i want to " + "d" + "i" * 5000 + "e") == ["i", "want", "to", "die"]
