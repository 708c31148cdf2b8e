"""Misquote verdicts, word diffs and alignment offsets."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.answer.verdict import DiffOp, best_alignment, classify, diff_summary, word_diff

ORIGINAL = (
    "Nearly two weeks ago, Putin ordered his troops to invade. Ukraine has waged a heroic military and "
    "civilian resistance that has given the world hope. "
    "The “left-wing” group’s view – that it’s futile – is wrong."
)


def test_curly_and_straight_quotes_and_dashes_are_exact() -> None:
    verdict, start, end, ops = classify(
        "The \"left-wing\" group's view - that it's futile - is wrong", ORIGINAL
    )
    assert verdict == "exact"
    assert ORIGINAL[start:end] == "The “left-wing” group’s view – that it’s futile – is wrong"
    assert all(op.op == "equal" for op in ops)


def test_case_and_whitespace_are_exact() -> None:
    verdict, start, end, _ = classify("UKRAINE   has waged\na heroic", ORIGINAL)
    assert verdict == "exact" and ORIGINAL[start:end] == "Ukraine has waged a heroic"


def test_exact_needs_word_boundaries() -> None:
    verdict, *_ = classify("kraine has waged a heroic", ORIGINAL)
    assert verdict != "exact"


def test_one_word_changed_is_near_and_names_both_words() -> None:
    verdict, start, end, ops = classify("Ukraine has fought a heroic military", ORIGINAL)
    assert verdict == "near"
    assert ORIGINAL[start:end] == "Ukraine has waged a heroic military"
    assert [(o.op, o.user, o.original) for o in ops if o.op != "equal"] == [("replace", "fought", "waged")]
    assert diff_summary(ops) == "the original says “waged” where you wrote “fought”"


def test_word_dropped_is_near() -> None:
    query = "Ukraine has waged a heroic military and civilian resistance that has the world hope"
    verdict, start, end, ops = classify(query, ORIGINAL)
    assert verdict == "near"
    assert ORIGINAL[start:end].endswith("has given the world hope")
    assert [(o.op, o.original) for o in ops if o.op != "equal"] == [("insert", "given")]
    assert diff_summary(ops) == "the original adds “given”"


def test_word_added_is_near() -> None:
    verdict, start, end, ops = classify(
        "Ukraine has waged a truly heroic military and civilian resistance", ORIGINAL
    )
    assert verdict == "near"
    assert ORIGINAL[start:end] == "Ukraine has waged a heroic military and civilian resistance"
    assert [(o.op, o.user) for o in ops if o.op != "equal"] == [("delete", "truly")]
    assert "does not have “truly”" in diff_summary(ops)


def test_too_many_changes_is_paraphrase() -> None:
    verdict, *_ = classify("Ukraine fought a brave war of resistance that gave everyone hope", ORIGINAL)
    assert verdict == "paraphrase"


def test_short_query_is_never_near() -> None:
    verdict, *_ = classify("heroic militaries", ORIGINAL)
    assert verdict == "paraphrase"


def test_no_words_is_not_found() -> None:
    assert classify("…", ORIGINAL)[0] == "not_found"
    assert classify("Ukraine", "")[0] == "not_found"


def test_word_diff_reports_the_original_spelling() -> None:
    ops = word_diff("the Russian militarised dictatorship", "the Russian miltarised dictatorship")
    assert [(o.op, o.user, o.original) for o in ops] == [
        ("equal", "the Russian", "the Russian"),
        ("replace", "militarised", "miltarised"),
        ("equal", "dictatorship", "dictatorship"),
    ]


def test_diff_summary_is_short() -> None:
    ops = [DiffOp("replace", f"u{i}", f"o{i}") for i in range(5)]
    assert diff_summary(ops) == (
        "the original says “o0” where you wrote “u0”; says “o1” where you wrote “u1”; "
        "says “o2” where you wrote “u2”; and 2 more"
    )
    assert diff_summary([DiffOp("equal", "a", "a")]) == "the wording matches the original"
    long = DiffOp("insert", "", "one two three four five six seven eight")
    assert diff_summary([long]) == "the original adds “one two three four five six …”"


def test_best_alignment_offsets_are_original_words() -> None:
    start, end, score = best_alignment("ukraine has fought a heroic military", ORIGINAL)
    assert ORIGINAL[start:end] == "Ukraine has waged a heroic military"
    assert 75 <= score < 100
    start, end, score = best_alignment("group's view - that it's futile", ORIGINAL)
    assert ORIGINAL[start:end] == "group’s view – that it’s futile" and score == 100


def test_alignment_handles_non_ascii_and_ligatures() -> None:
    text = "Der ﬁnale Beschluss: Україна переможе, sagte Émile."
    verdict, start, end, _ = classify("україна переможе sagte emile", text)
    assert verdict == "near"  # "Émile" vs "emile" differs in the accent only: one word replaced
    assert text[start:end] == "Україна переможе, sagte Émile"
    verdict, start, end, _ = classify("der finale beschluss", text)
    assert verdict == "exact" and text[start:end] == "Der ﬁnale Beschluss"


@given(
    st.lists(
        st.sampled_from(["war", "peace", "bread", "land", "the", "of", "workers’", "“unions”", "–", ","]),
        min_size=1,
        max_size=30,
    )
)
def test_offsets_always_map_back(words: list[str]) -> None:
    text = " ".join(words)
    query = " ".join(words[len(words) // 3 :])
    verdict, start, end, _ = classify(query, text)
    assert 0 <= start <= end <= len(text)
    if verdict != "not_found":
        assert text[start:end] == text[start:end].strip()
        assert text[start:end] != "" or verdict == "paraphrase"
