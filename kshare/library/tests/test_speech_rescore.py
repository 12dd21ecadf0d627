import math

import numpy as np
import pytest

from kshare.library.speech import rescore
from kshare.library.speech.denoise import reduce_noise
from kshare.library.speech.recognisers import PocketsphinxRecogniser, _spoken
from kshare.library.speech.rescore import Segment, SessionModel, Weights
from kshare.library.speech.types import Word
from kshare.library.speech.wer import word_error_rate
from kshare.library.tests.speech_samples import PARAGRAPH, spoken_wav, wav_samples
from kshare.library.tests.speech_sessions import SESSIONS, with_noise

# A small lattice in pocketsphinx's format (Lattice.write): "the" or "a", a pause, then "house"
# or "host". Acoustic scores are log base 1.0001: -10,000 is about -1 in natural log.
LATTICE = """\
# getcwd: /this/is/bogus
# -logbase 1.000100e+00
#
Frames 100
#
Nodes 7 (NODEID WORD STARTFRAME FIRST-ENDFRAME LAST-ENDFRAME)
0 <s> 0 9 9 ; 0
1 the 10 29 29 ; 0
2 a(2) 10 29 29 ; 0
3 <sil> 30 39 39 ; 0
4 host 40 89 89 ; 0
5 house 40 89 89 ; 0
6 </s> 90 99 99 ; 0
#
Initial 0
Final 6
#
BestSegAscr 0 (NODEID ENDFRAME ASCORE)
#
Edges (FROM-NODEID TO-NODEID ASCORE)
0 1 -10000
0 2 -10000
1 3 -20000
2 3 -30000
3 4 -10000
3 5 -10000
4 6 -30000
5 6 -20000
End
"""
LN = math.log(1.0001)


def likes_the_host(tok, history):
    """A language model that knows "the host" well and nothing else much."""
    if (history[-1:], tok) == (("the",), "host"):
        return math.log(0.5)
    return math.log(0.01)


def test_a_lattice_in_pocketsphinx_format_is_read_with_natural_log_scores():
    lattice = rescore.read_lattice(LATTICE)
    assert (lattice.start, lattice.end, lattice.frames) == (0, 6, 100)
    assert lattice.nodes[2] == rescore.Node("a(2)", 10)
    assert [(a, b) for a, b, _ in lattice.links] == [
        (0, 1),
        (0, 2),
        (1, 3),
        (2, 3),
        (3, 4),
        (3, 5),
        (4, 6),
        (5, 6),
    ]
    assert lattice.links[1][2] == pytest.approx(-10_000 * LN)


def test_the_best_path_follows_the_language_model_when_it_outweighs_the_sound():
    lattice = rescore.read_lattice(LATTICE)
    # By sound alone "the house" (-6 in all) beats "the host" (-7).
    by_sound = rescore.best_path(lattice, likes_the_host, Weights(0.0, 0.0, 0.0))
    assert [s.word for s in by_sound] == ["the", "house"]
    # log(0.5) - log(0.01) = 3.9 per unit of language weight: at 1.0 it outweighs the sound.
    with_language = rescore.best_path(lattice, likes_the_host, Weights(1.0, 0.0, 0.0))
    assert with_language == [Segment("the", 10, 29), Segment("host", 40, 89)]


def test_fillers_and_sentence_marks_are_left_out_and_each_word_ends_where_the_next_node_starts():
    lattice = rescore.read_lattice(LATTICE)
    segments = rescore.best_path(lattice, likes_the_host, Weights(1.0, -3.0, -2.0))
    # "<sil>" starts at frame 30: "the" ends on 29; "host" ends on 89 where "</s>" starts at 90.
    assert segments == [Segment("the", 10, 29), Segment("host", 40, 89)]


def test_the_language_model_sees_two_words_of_history_across_a_pause():
    asked = []

    def recording(tok, history):
        asked.append((tok, history))
        return likes_the_host(tok, history)

    rescore.best_path(rescore.read_lattice(LATTICE), recording, Weights(1.0, 0.0, 0.0))
    assert sorted(set(asked)) == [
        ("</s>", ("a", "host")),
        ("</s>", ("a", "house")),
        ("</s>", ("the", "host")),
        ("</s>", ("the", "house")),
        ("a", ("<s>",)),
        ("host", ("<s>", "a")),
        ("host", ("<s>", "the")),
        ("house", ("<s>", "a")),
        ("house", ("<s>", "the")),
        ("the", ("<s>",)),
    ]


def test_each_node_keeps_only_its_best_histories():
    asked = []

    def recording(tok, history):
        asked.append((tok, history))
        return likes_the_host(tok, history)

    lattice = rescore.read_lattice(LATTICE)
    segments = rescore.best_path(lattice, recording, Weights(1.0, 0.0, 0.0), histories=1)
    assert segments == [Segment("the", 10, 29), Segment("host", 40, 89)]
    # Past the pause only "<s> the" goes on ("the" sounded better than "a").
    assert sorted({h for tok, h in asked if tok in ("host", "house")}) == [("<s>", "the")]


def test_a_lattice_over_the_bounds_or_not_a_lattice_is_refused():
    with pytest.raises(rescore.TooLarge):
        rescore.read_lattice(LATTICE.replace("Nodes 7", f"Nodes {rescore.MAX_NODES + 1}"))
    with pytest.raises(ValueError, match="not a pocketsphinx lattice"):
        rescore.read_lattice("Frames 10\n")
    lattice = rescore.read_lattice(LATTICE)
    unreachable = rescore.Lattice(lattice.nodes, lattice.links[:2], 0, 6, 100)
    with pytest.raises(ValueError, match="no path reaches"):
        rescore.best_path(unreachable, likes_the_host, Weights(1.0, 0.0, 0.0))


def test_the_session_model_is_a_witten_bell_trigram_of_the_text():
    model = SessionModel.of("The host.")
    # Unigrams the, host, </s> (3 seen, 3 in all) over a uniform floor of 1/75,000.
    unigram = (1 + 3 / 75_000) / (3 + 3)
    bigram = (1 + unigram) / (1 + 1)  # "the" was followed once, by one word
    trigram = (1 + bigram) / (1 + 1)  # so was "<s> the"
    assert model("host", ("<s>", "the")) == pytest.approx(math.log(trigram))
    assert model("rhythm", ("<s>", "the")) == pytest.approx(
        math.log((0 + (0 + (0 + 3 / 75_000) / 6) / 2) / 2)
    )


def test_a_session_term_token_is_scored_as_its_words_in_turn():
    model = SessionModel.of("Recommender systems for sharing.")
    term = model("recommender_systems~", ("<s>",))
    words = model("recommender", ("<s>",)) + model("systems", ("<s>", "recommender"))
    assert term == pytest.approx(words)
    # and its words are the history of the next one
    assert model("for", ("<s>", "recommender_systems~")) == pytest.approx(
        model("for", ("recommender", "systems"))
    )


def test_interpolation_is_linear_in_probability():
    score = rescore.interpolated(
        lambda tok, history: math.log(0.01), lambda tok, history: math.log(0.5), 0.95
    )
    assert score("host", ("the",)) == pytest.approx(math.log(0.95 * 0.01 + 0.05 * 0.5))
    alone = rescore.interpolated(lambda tok, history: math.log(0.01), None, 0.95)
    assert alone("host", ("the",)) == pytest.approx(math.log(0.01))


# --- inside the recogniser ----------------------------------------------------------------------


class _Segment:
    def __init__(self, word, start_frame, end_frame):
        self.word, self.start_frame, self.end_frame = word, start_frame, end_frame


class _NoModel:
    def prob(self, words):
        return -100_000


class _DecoderWithout:
    """pocketsphinx's decoder as it answers when it made no lattice (the outside world)."""

    def __init__(self, lattice=None):
        self.lattice = lattice

    def start_utt(self):
        pass

    def process_raw(self, data, full_utt):
        pass

    def end_utt(self):
        pass

    def get_lattice(self):
        return self.lattice

    def get_lm(self):
        return _NoModel()

    def seg(self):
        return [
            _Segment("<s>", 0, 9),
            _Segment("recommender_systems~", 10, 59),
            _Segment("<sil>", 60, 69),
            _Segment("work(2)", 70, 99),
        ]


class _HugeLattice:
    def write(self, path):
        with open(path, "w") as out:
            out.write(LATTICE.replace("Nodes 7", f"Nodes {rescore.MAX_NODES + 1}"))


@pytest.fixture(scope="module")
def paragraph_samples():
    return wav_samples(spoken_wav(PARAGRAPH))


@pytest.mark.parametrize("lattice", [None, _HugeLattice()], ids=["no lattice", "too large"])
def test_without_a_usable_lattice_the_decoders_own_segmentation_gives_the_words(
    paragraph_samples, lattice
):
    recogniser = PocketsphinxRecogniser(vocabulary_text=SESSIONS[0].session_text)
    recogniser._decoder = _DecoderWithout(lattice)
    assert recogniser.transcribe(paragraph_samples, offset_ms=1000) == [
        # The term's 500 ms shared out by letters: 11 of 18 for "recommender".
        Word(start_ms=1100, end_ms=1406, text="recommender"),
        Word(start_ms=1406, end_ms=1600, text="systems"),
        Word(start_ms=1700, end_ms=2000, text="work"),
    ]


def _decoded(recogniser, samples):
    """One chunk decoded as ``transcribe`` does: (the decoder's own words, the rescored)."""
    decoder = recogniser._new_decoder()
    decoder.start_utt()
    decoder.process_raw(reduce_noise(samples).tobytes(), full_utt=True)
    decoder.end_utt()
    own = [_spoken(s.word).replace("_", " ") for s in decoder.seg()]
    segments = recogniser._rescored(decoder)
    rescored = [_spoken(s.word).replace("_", " ") for s in segments] if segments else []
    return " ".join(w for w in own if w), " ".join(w for w in rescored if w)


@pytest.mark.parametrize(
    ("noisy", "before", "after"),
    [
        # Measured on the tests' paragraph about recommender systems (sox's repeatable dither,
        # so the same audio on every machine): one word worse clean ("gets" heard as "that's"),
        # better in noise (0.204 -> 0.167: "hosts", "recordings", "offline" heard). Over the six
        # paragraphs of the tuning set: 0.100 -> 0.082 clean, 0.294 -> 0.275 noisy.
        (False, 0.0741, 0.0926),
        (True, 0.2037, 0.1667),
    ],
    ids=["clean", "noisy"],
)
def test_rescoring_the_lattice_on_the_tests_paragraph_gives_the_measured_words(
    paragraph_samples, noisy, before, after
):
    session = SESSIONS[0]
    assert session.spoken == PARAGRAPH
    recogniser = PocketsphinxRecogniser(vocabulary_text=session.session_text)
    samples = with_noise(paragraph_samples, snr_db=20) if noisy else paragraph_samples
    own, rescored = _decoded(recogniser, np.ascontiguousarray(samples))
    assert round(word_error_rate(PARAGRAPH, own), 4) == before
    assert round(word_error_rate(PARAGRAPH, rescored), 4) == after
    words = recogniser.transcribe(samples, offset_ms=0)
    assert " ".join(w.text for w in words) == rescored


def test_a_recogniser_without_session_text_keeps_the_decoders_own_words(paragraph_samples):
    recogniser = PocketsphinxRecogniser()
    own, rescored = _decoded(recogniser, paragraph_samples)
    assert rescored == ""  # not rescored: the generic trigrams alone gained nothing reliable
    assert round(word_error_rate(PARAGRAPH, own), 4) == 0.2593
    words = recogniser.transcribe(paragraph_samples, offset_ms=0)
    assert " ".join(w.text for w in words) == own
