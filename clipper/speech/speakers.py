"""Who is speaking: speaker turns from voice embeddings, a chunk at a time, snapped to word boundaries.

A chunk's words are cut into runs at pauses (a turn rarely changes without one) and runs longer than
``RUN_SECONDS`` at word boundaries; each run gets a voice embedding (``clipper.speech.voices``). Runs of
at least ``MIN_RUN_SECONDS`` are clustered (average linkage on cosine distance, cut at ``threshold``: the
number of speakers follows from the voices, not from a setting); shorter runs join the nearest voice.
Each cluster is matched to the voices already heard in this recording (earlier chunks) or enrolled
(known people) by cosine distance, else it is a new "Speaker N". Words take their run's voice, and
segments are split where the voice changes, so every turn starts and ends on a word and every word has
a speaker. A stereo recording whose channels carry different people is split by channel instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from clipper.speech.audio import SAMPLE_RATE
from clipper.speech.words import segment_of
from clipper.transcript import Segment, Word

RUN_SECONDS = 3.0
PAUSE = 0.25  # a pause between words at least this long may be a change of speaker
MIN_RUN_SECONDS = 1.5
THRESHOLD = 0.4  # cosine distance: the same voice is closer, different voices are further apart
CHANNEL_DB = 6.0  # a word is one channel's when that channel is this much louder


@dataclass(frozen=True)
class Voiceprint:
    label: str  # "Speaker 2"; "" for an enrolled voice not yet heard in this recording
    embedding: tuple[float, ...]
    seconds: float = 0.0
    name: str = ""
    person_id: int | None = None


def diarize(audio: np.ndarray, segments: tuple[Segment, ...], offset: float, known: list[Voiceprint], *,
            threshold: float = THRESHOLD) -> tuple[tuple[Segment, ...], list[Voiceprint]]:
    """``segments`` (times ``offset`` on, in ``audio``) with speakers, and the voices known afterwards."""
    words = [w for s in segments for w in s.words]
    if not words:
        return segments, known
    firsts = {id(s.words[0]) for s in segments if s.words}
    runs = _runs(words, firsts)
    clips = [audio[_at(r[0].start - offset):_at(r[-1].end - offset)] for r in runs]
    from clipper.speech.voices import embed_many

    emb = embed_many(clips)
    seconds = np.array([r[-1].end - r[0].start for r in runs])
    usable = [i for i in range(len(runs)) if seconds[i] >= MIN_RUN_SECONDS and emb[i].any()]
    if not usable:
        usable = [int(np.argmax(seconds))] if emb.any() else []
    cluster = _cluster(emb[usable], threshold) if usable else np.zeros(0, dtype=int)
    centroids = [_unit(np.average(emb[[usable[j] for j in np.where(cluster == c)[0]]], axis=0,
                                  weights=seconds[[usable[j] for j in np.where(cluster == c)[0]]]))
                 for c in range(cluster.max() + 1 if len(cluster) else 0)]
    voices = list(known)
    labels_of_cluster = []
    for c, centroid in enumerate(centroids):
        weight = float(seconds[[usable[j] for j in np.where(cluster == c)[0]]].sum())
        labels_of_cluster.append(_match(voices, centroid, weight, threshold))
    run_label = [labels_of_cluster[cluster[usable.index(i)]] if i in usable else "" for i in range(len(runs))]
    # A short run that follows on without a pause (cut off only by RUN_SECONDS) is the same speaker's;
    # other short runs take the nearest voice: their embeddings alone are too noisy to found a voice.
    for i in range(len(runs)):
        if run_label[i]:
            continue
        if i and id(runs[i][0]) not in firsts and runs[i][0].start - runs[i - 1][-1].end < PAUSE \
                and run_label[i - 1]:
            run_label[i] = run_label[i - 1]
        elif i + 1 < len(runs) and id(runs[i + 1][0]) not in firsts \
                and runs[i + 1][0].start - runs[i][-1].end < PAUSE and run_label[i + 1]:
            run_label[i] = run_label[i + 1]
        elif centroids and emb[i].any():
            run_label[i] = labels_of_cluster[int(np.argmax([float(emb[i] @ c) for c in centroids]))]
    _fill(run_label, voices)
    speaker_of = {id(w): run_label[i] for i, r in enumerate(runs) for w in r}
    return split_turns(segments, lambda w: speaker_of[id(w)]), voices


def channel_speakers(stereo: np.ndarray, segments: tuple[Segment, ...], offset: float,
                     rate: int = SAMPLE_RATE) -> tuple[Segment, ...] | None:
    """Speakers by channel (``stereo``: samples x 2 at ``rate``) when the two channels carry different
    people: each channel is clearly the louder one for a good share of the words. ``None`` otherwise."""
    words = [w for s in segments for w in s.words]
    if not words or stereo.ndim != 2 or stereo.shape[1] != 2:
        return None
    side: dict[int, str] = {}
    for w in words:
        a, b = _at(w.start - offset, rate), _at(w.end - offset, rate)
        part = stereo[a:max(b, a + 1)]
        if len(part) == 0:
            side[id(w)] = ""
            continue
        left, right = (float(np.sqrt(np.mean(part[:, c].astype(np.float64) ** 2)) + 1e-9) for c in (0, 1))
        db = 20 * np.log10(left / right)
        side[id(w)] = "Speaker 1" if db >= CHANNEL_DB else "Speaker 2" if db <= -CHANNEL_DB else ""
    counts = [sum(1 for v in side.values() if v == s) for s in ("Speaker 1", "Speaker 2")]
    if min(counts) < 0.1 * len(words) or sum(counts) < 0.8 * len(words):
        return None
    labels = [side[id(w)] for w in words]
    _fill(labels, [])
    by_word = {id(w): lab for w, lab in zip(words, labels, strict=True)}
    return split_turns(segments, lambda w: by_word[id(w)])


def split_turns(segments: tuple[Segment, ...], speaker_of) -> tuple[Segment, ...]:  # type: ignore[no-untyped-def]
    """Segments split wherever the speaker changes between two words; each part gets its speaker."""
    out: list[Segment] = []
    for seg in segments:
        part: list[Word] = []
        for w in seg.words:
            if part and speaker_of(w) != speaker_of(part[-1]):
                out.append(replace(segment_of(part), speaker=speaker_of(part[-1])))
                part = []
            part.append(w)
        if part:
            whole = len(part) == len(seg.words)
            out.append(replace(seg if whole else segment_of(part), speaker=speaker_of(part[-1])))
    return tuple(out)


def _runs(words: list[Word], firsts: set[int]) -> list[list[Word]]:
    """Words cut into runs at pauses, at segment starts (``firsts``: Whisper's timings can hide the pause
    between two sentences, its segments do not) and every ``RUN_SECONDS``."""
    runs: list[list[Word]] = []
    for w in words:
        if (runs and id(w) not in firsts and w.start - runs[-1][-1].end < PAUSE
                and w.end - runs[-1][0].start <= RUN_SECONDS):
            runs[-1].append(w)
        else:
            runs.append([w])
    return runs


def _cluster(emb: np.ndarray, threshold: float) -> np.ndarray:
    if len(emb) == 1:
        return np.zeros(1, dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(emb, method="average", metric="cosine")
    return fcluster(tree, t=threshold, criterion="distance") - 1


def _match(voices: list[Voiceprint], centroid: np.ndarray, weight: float, threshold: float) -> str:
    """The label of the known voice nearest ``centroid`` (its print updated), or a new speaker's."""
    best, best_d = -1, threshold
    for i, v in enumerate(voices):
        d = 1.0 - float(np.dot(np.asarray(v.embedding), centroid))
        if d < best_d:
            best, best_d = i, d
    if best < 0:
        label = f"Speaker {sum(1 for v in voices if v.label) + 1}"
        voices.append(Voiceprint(label, tuple(float(x) for x in centroid), weight))
        return label
    v = voices[best]
    label = v.label or f"Speaker {sum(1 for x in voices if x.label) + 1}"
    mean = _unit(np.asarray(v.embedding) * max(v.seconds, 1e-3) + centroid * weight)
    voices[best] = replace(v, label=label, embedding=tuple(float(x) for x in mean), seconds=v.seconds + weight)
    return label


def _fill(labels: list[str], voices: list[Voiceprint]) -> None:
    """Runs no voice could be found for take their neighbour's: no word is left with nobody."""
    fallback = next((v.label for v in voices if v.label), "Speaker 1")
    last = next((lab for lab in labels if lab), fallback)
    for i, lab in enumerate(labels):
        labels[i] = lab or last
        last = labels[i]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _at(seconds: float, rate: int = SAMPLE_RATE) -> int:
    return max(0, int(round(seconds * rate)))
