"""Where captions break: never inside "Mr. Streeting" or "5 million", preferably at punctuation."""

from __future__ import annotations

import pytest

from clipper.captions import LAYOUTS, Word, group


def words(text: str, step: float = 0.3) -> list[Word]:
    return [Word(round(i * step, 3), round(i * step + step * 0.8, 3), t) for i, t in enumerate(text.split())]


def shown(text: str, aspect: str) -> list[list[str]]:
    """Each caption as its lines' texts."""
    return [[" ".join(w.text for w in line) for line in c.lines] for c in group(words(text), LAYOUTS[aspect])]


def together(captions: list[list[str]], phrase: str) -> bool:
    return any(phrase in line for c in captions for line in c)


SENTENCE = ("I spoke to Mr. Streeting about it, and he said the NHS needs £5 billion, or 10 per cent more, "
            "for the next two years. Dr. Jones met the Rt Hon Lisa Nandy and a million people agreed.")


@pytest.mark.parametrize("aspect", list(LAYOUTS))
def test_a_title_stays_with_its_name_and_a_number_with_its_unit(aspect: str) -> None:
    captions = shown(SENTENCE, aspect)
    for phrase in ("Mr. Streeting", "£5 billion,", "10 per cent", "Dr. Jones", "Rt Hon Lisa", "a million"):
        assert together(captions, phrase), (phrase, captions)
    assert " ".join(" ".join(c) for c in captions) == SENTENCE  # every word, in order, once


def test_mr_is_not_taken_for_the_end_of_a_sentence() -> None:
    """Before: "Mr." ended a caption (a full stop), alone on screen for a moment before "Streeting"."""
    captions = shown("Thank you Mr. Speaker.", "landscape")
    assert captions == [["Thank you Mr. Speaker."]]


def test_breaks_fall_at_punctuation_when_there_is_a_choice() -> None:
    captions = shown("Prices are rising, wages are not, and families are paying the price.", "square")
    assert [line.split()[-1] for c in captions for line in c][:2] == ["rising,", "not,"], captions


def test_a_line_does_not_end_on_a_word_that_leans_on_the_next() -> None:
    for aspect in LAYOUTS:
        for c in shown("We will build the homes that the country needs in the next parliament for all of us.", aspect):
            for line in c[:-1] if len(c) > 1 else []:
                assert line.split()[-1] not in ("the", "of", "in", "for", "that"), (aspect, c)


def test_limits_still_hold_for_ordinary_words() -> None:
    text = "we will not raise taxes on working people during this parliament and we mean it"
    for aspect, layout in LAYOUTS.items():
        for c in group(words(text), layout):
            assert len(c.lines) <= layout.max_lines
            for line in c.lines:
                assert len(line) <= layout.max_words_per_line
                assert len(" ".join(w.text for w in line)) <= layout.max_chars_per_line, (aspect, line)


def test_a_pause_still_starts_a_new_caption() -> None:
    ws = words("one two three four")
    ws[2] = Word(ws[1].end + 1.5, ws[1].end + 1.8, "three")
    ws[3] = Word(ws[2].end + 0.1, ws[2].end + 0.3, "four")
    assert [c.text for c in group(ws, LAYOUTS["landscape"])] == ["one two", "three four"]
