"""Spoken paragraphs about the product's own topics, each with its session's written text.

``SPOKEN`` is what Festival says (the reference for word error rate); ``SESSION_TEXT`` is what a
host would have typed on the session page before the talk: title, abstract, notes and tags. The
two are written separately, as in real life: the session text names the topics and the domain
words, but never repeats the spoken sentences, so adapting a recogniser to it is no cheat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kshare.library.tests.speech_samples import PARAGRAPH


@dataclass(frozen=True)
class SpokenSession:
    name: str
    spoken: str
    session_text: str


SESSIONS = (
    SpokenSession(
        name="recommender",
        spoken=PARAGRAPH,
        session_text=(
            "Recommender systems for knowledge sharing. "
            "Abstract: how our recommender suggests sessions, recordings and hosts to colleagues, "
            "and why recorded sessions with transcripts let absent colleagues catch up offline. "
            "Notes: the feedback form is sent automatically; the evaluation tracks the sharing "
            "culture. Tags: recommender, recommender systems, feedback, evaluation, culture, "
            "offline catch-up."
        ),
    ),
    SpokenSession(
        name="feedback",
        spoken=(
            "Feedback is the quiet engine of every knowledge sharing programme. "
            "When a session ends, each participant receives a short feedback form with three "
            "questions. Hosts read the comments the next morning and improve their next workshop. "
            "The ratings stay anonymous, so people write honestly about what did not work."
        ),
        session_text=(
            "Making feedback useful. "
            "Abstract: short anonymous feedback forms after every session, what participants "
            "tell hosts in comments and ratings, and how hosts use them to improve a workshop. "
            "Tags: feedback, feedback form, ratings, anonymous comments, hosts, participants, "
            "knowledge sharing programme."
        ),
    ),
    SpokenSession(
        name="recordings",
        spoken=(
            "Recording a session takes one click in the browser. "
            "The worker decodes the audio, transcribes it in chunks and builds chapters from the "
            "transcript. Absent colleagues search the transcript for a word and jump straight to "
            "the moment it was said."
        ),
        session_text=(
            "Recordings and automatic transcripts. "
            "Abstract: uploading a recording, the background worker that decodes audio and "
            "transcribes chunks, chapters built from transcripts, and searching a transcript to "
            "jump into the recording. Tags: recordings, transcripts, chapters, worker, audio, "
            "search, absent colleagues."
        ),
    ),
    SpokenSession(
        name="rhythm",
        spoken=(
            "Our rhythm events happen every second Thursday at noon. "
            "The calendar invitation goes out two weeks before, and a reminder follows the day "
            "before the session. If nobody volunteers to host, the organisers pick a topic from "
            "the ideas board."
        ),
        session_text=(
            "Keeping a rhythm. "
            "Abstract: recurring rhythm events on a fortnightly Thursday slot, calendar "
            "invitations and reminders, volunteers who host, and the ideas board that organisers "
            "draw topics from. Tags: rhythm events, calendar invitation, reminder, organisers, "
            "volunteers, ideas board."
        ),
    ),
    SpokenSession(
        name="workshop",
        spoken=(
            "In a hands on workshop everyone brings a laptop and works through the exercises "
            "together. The host shares the slides before the workshop starts, and the materials "
            "stay in the library afterwards, so newcomers can repeat the exercises on their own."
        ),
        session_text=(
            "Running a hands-on workshop. "
            "Abstract: preparing exercises for laptops, sharing slides and materials ahead of "
            "time, and keeping workshop materials in the library for newcomers. Tags: workshop, "
            "hands-on, exercises, slides, materials, library, newcomers."
        ),
    ),
    SpokenSession(
        name="catchup",
        spoken=(
            "Nobody can attend every session. "
            "The weekly catch up email lists what happened while you were away, with the "
            "recording, the slides and a short summary of each talk. You can catch up offline on "
            "the train and leave a question for the host."
        ),
        session_text=(
            "Catching up on what you missed. "
            "Abstract: the weekly catch-up email for absentees, with recordings, slides and "
            "summaries of the talks, offline viewing, and questions left for hosts afterwards. "
            "Tags: catch-up, weekly email, absentees, summaries, offline, questions for hosts."
        ),
    ),
)


def with_noise(samples: npt.NDArray[np.int16], *, snr_db: float) -> npt.NDArray[np.int16]:
    """``samples`` plus white noise ``snr_db`` below the speech's power (the same noise every
    time: a fixed seed)."""
    speech = samples.astype(np.float64)
    speech_power = float(np.mean(speech**2))
    noise = np.random.default_rng(19).normal(0.0, 1.0, speech.shape)
    noise *= np.sqrt(speech_power / 10 ** (snr_db / 10))
    return np.clip(speech + noise, -32768, 32767).astype(np.int16)
