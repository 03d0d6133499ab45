"""The review's guards on their own: which words negate, and where sentences end."""

from __future__ import annotations

import pytest

from clipper.review import ends_sentence, is_negation


@pytest.mark.parametrize("word", ["not", "Not", "never,", "No.", "don't", "won’t", "can't", "cannot", "nothing"])
def test_negations(word: str) -> None:
    assert is_negation(word)


@pytest.mark.parametrize("word", ["note", "know", "nothingness", "Norway", "snot", "on", "now"])
def test_words_that_only_look_like_negations(word: str) -> None:
    assert not is_negation(word)


@pytest.mark.parametrize(("word", "ends"), [("spring.", True), ("why?", True), ("now!", True), ("said.”", True),
                                            ("Mr.", False), ("Dr.", False), ("people,", False), ("and", False)])
def test_sentence_ends(word: str, ends: bool) -> None:
    assert ends_sentence(word) is ends
