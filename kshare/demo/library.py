"""The demo's session library: notes, links, external recordings and transcripts for held sessions.

Invented for kshare. Written in bulk after the sessions (``_Builder._library``) with its own
random generator, so adding the library changes nothing else the demo says. About half the held
sessions get material; about a third of those a recording hosted elsewhere, most recordings a
transcript (timed cues, sometimes pasted text without times). The first talk has notes only:
nobody recorded it, which is what this feature is about. The member login is also made an
absentee of a few held sessions with material (invited, did not come), so that their catch-up
feed has "You were invited" items next to the ones matching their interests; other absentees
marked some sessions as watched or not interesting (catch-up signals, for the recommender).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils.text import slugify

from kshare.demo import content as c
from kshare.library.catchup import catchup_signals_create_bulk
from kshare.library.models import CatchUpSignal, Cue, Material, Transcript
from kshare.library.services import materials_create_bulk
from kshare.people.models import Person
from kshare.sessions.invitations import invitations_create_bulk
from kshare.sessions.models import (
    Attendance,
    Format,
    Invitation,
    Session,
    SessionHost,
    State,
    Visibility,
)

BATCH_SIZE = 2_000
MATERIAL_SHARE = 0.5  # of held sessions
MEMBER_ABSENCES = 3

NOTE_TOPICS = (
    "Where {t} fits in our stack today, and where it does not.",
    "A worked example with {t} on last quarter's data.",
    "The three mistakes that cost us most time with {t}.",
    "How to review {t} work: a short checklist.",
    "What changed in {t} this year and what it means for us.",
    "The smallest {t} setup that is still useful.",
    "Measuring whether {t} actually helped: before and after.",
    "Who to ask about {t} and where the shared examples live.",
)
TAKEAWAYS = (
    "Start small: one team, one use case, one month.",
    "Write down the decision and the reason next to the code.",
    "Automate the boring check first; it catches most problems.",
    "Defaults are decisions too — look at them once.",
    "Pair on the first attempt; it halves the time to the second.",
    "Measure before and after, or the improvement is a feeling.",
    "Keep the example repository small enough to read in ten minutes.",
    "Ask the people who will maintain it before you build it.",
)
QUESTIONS = (
    ("How does this scale past a million rows?", "It does, with batching; details in the slides."),
    ("What would you do differently next time?", "Involve the on-call team a month earlier."),
    ("Where do we start if our team has no {t} experience?", "With the starter notebook."),
    ("Is there a budget for tooling?", "Yes — ask your lead; the guild has a small pot."),
    ("Can we reuse your examples?", "Please do: they are in the shared repository."),
    ("How long did the migration take?", "About six weeks, two of them waiting for reviews."),
)
OPENINGS = (
    "Hi everyone, and thanks for coming.",
    "Welcome! Let's get started, I want to leave time for questions.",
    "Good afternoon, can everyone online hear me? Great.",
    "Thanks for joining, in the room and online.",
)
INTRODUCTIONS = (
    "I'm {host}, and today we're talking about {title}.",
    "My name is {host}. This session is about {title}.",
    "For those who don't know me, I'm {host}. Today: {title}.",
)
SENTENCES = (
    "Let me start with why {t} matters for us at all.",
    "Here is the problem we had last spring with {t}.",
    "The first thing we tried with {t} did not work, and that's fine.",
    "If you remember one slide, make it this one.",
    "This chart shows the numbers before and after the change.",
    "Notice how small the {t} example is: that's on purpose.",
    "We measured it over four weeks to be sure it wasn't noise.",
    "The trick is to make the default path the easy path.",
    "Most of the time went into the data, not the {t} part.",
    "Here's the code; I'll walk through it line by line.",
    "A colleague asked me last week how this relates to {t2}.",
    "Honestly, the documentation for {t} is better than my slides.",
    "We rolled it out team by team, not all at once.",
    "Please interrupt me if something is unclear.",
    "This is where most people get stuck with {t}.",
    "The second version was half the size of the first.",
    "Let's look at a real example from our own product.",
    "The numbers are anonymised, but the shape is real.",
    "You can try this tomorrow, it needs no new tooling.",
    "I'll share the notebook on the session page afterwards.",
)
QUESTION_CUES = (
    "Okay, let's open it up for questions.",
    "Good question: it depends on the size of the data, but mostly yes.",
    "Someone online asks whether this works with {t2}. It does, with one caveat.",
    "Let me repeat the question for the recording.",
    "I don't know, but I'll find out and add it to the notes.",
)
CLOSINGS = (
    "That's all from me. Thanks for listening!",
    "Thank you! The slides and notes are linked on the session page.",
    "Thanks, everyone. Please fill in the feedback form, it really helps.",
)
LINK_TITLES = (
    ("Example repository", "https://git.{domain}/knowledge-sharing/{slug}"),
    ("Further reading", "https://wiki.{domain}/reading/{slug}"),
    ("Follow-up thread", "https://chat.{domain}/threads/{slug}"),
)


def _words(text: str) -> int:
    return len(text.split())


class LibraryWriter:
    def __init__(
        self,
        *,
        rng: random.Random,
        anchor: datetime,
        member: int,
        first_talk_title: str,
        counts: dict[str, int],
        report: Callable[[str], None],
    ) -> None:
        self.rng = rng
        self.anchor = anchor
        self.member = member
        self.first_talk_title = first_talk_title
        self.counts = counts
        self.report = report

    def write(self) -> None:
        rng = self.rng
        held: list[tuple[int, str, str, datetime, datetime, str]] = list(
            Session.objects.filter(state=State.HELD)  # type: ignore[arg-type]  # held: start, end set
            .order_by("start", "id")
            .values_list("id", "title", "format", "start", "end", "visibility")
        )
        if not held:
            return
        hosts = dict(
            SessionHost.objects.filter(
                session__state=State.HELD, role=SessionHost.Role.HOST
            ).values_list("session_id", "person_id")
        )
        names = dict(
            Person.objects.filter(pk__in=set(hosts.values())).values_list("id", "display_name")
        )
        tags: dict[int, list[str]] = defaultdict(list)
        for session_id, name in (
            Session.tags.through.objects.filter(session__state=State.HELD)
            .order_by("id")
            .values_list("session_id", "tag__name")
        ):
            tags[session_id].append(name)

        next_material = (Material.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        next_transcript = (Transcript.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        materials: list[Material] = []
        transcripts: list[Transcript] = []
        cues: list[Cue] = []
        with_material: list[tuple[int, bool]] = []  # (session id, has a timed transcript)
        material_added: dict[int, datetime] = {}
        video = f"https://video.{c.COMPANY_DOMAIN}/watch"

        def flush() -> None:
            # In this order (transcripts point at materials, cues at transcripts); in batches, so
            # memory stays flat for the 100,000-person demo.
            materials_create_bulk(materials=materials, transcripts=transcripts, cues=cues)
            written = (("Material", materials), ("Transcript", transcripts), ("Cue", cues))
            for label, rows in written:
                self.counts[f"library.{label}"] += len(rows)
                rows.clear()

        for sid, title, format, start, end, visibility in held:
            first = title == self.first_talk_title
            if not first and rng.random() >= MATERIAL_SHARE:
                continue
            host = hosts.get(sid)
            host_name = names.get(host, "the host") if host else "the host"
            topics = tags.get(sid) or ["knowledge sharing"]
            slug = slugify(title)[:60] or "session"
            added = min(end + timedelta(hours=rng.randint(2, 72)), self.anchor - timedelta(hours=1))
            kinds: list[str] = []
            if first or rng.random() < 0.75:
                kinds.append(Material.Kind.NOTES)
            if not first and rng.random() < 0.4:
                kinds.append(Material.Kind.RECORDING)
            if not first and rng.random() < 0.45:
                kinds.append("slides")
            if not first and rng.random() < 0.2:
                kinds.append(Material.Kind.LINK)
            if not kinds:
                kinds.append(Material.Kind.NOTES)
            timed = False
            for offset, kind in enumerate(kinds):
                mid = next_material
                next_material += 1
                created = added + timedelta(minutes=offset)
                common = {"id": mid, "session_id": sid, "added_by_id": host, "created_at": created}
                if kind == Material.Kind.NOTES:
                    materials.append(
                        Material(
                            kind=Material.Kind.NOTES,
                            title="Notes from the session",
                            notes=self._notes(format, host_name, topics, first),
                            **common,
                        )
                    )
                elif kind == Material.Kind.RECORDING:
                    materials.append(
                        Material(
                            kind=Material.Kind.RECORDING,
                            title="Recording",
                            url=f"{video}/{slug}-{rng.randint(1000, 9999)}",
                            **common,
                        )
                    )
                    if rng.random() < 0.7:
                        pasted = rng.random() < 0.2
                        timed = timed or not pasted
                        tid = next_transcript
                        next_transcript += 1
                        lines = self._script(title, host_name, topics, end - start)
                        for position, (start_ms, end_ms, text) in enumerate(lines, 1):
                            cues.append(
                                Cue(
                                    transcript_id=tid,
                                    position=position,
                                    start_ms=None if pasted else start_ms,
                                    end_ms=None if pasted else end_ms,
                                    text=text,
                                )
                            )
                        transcripts.append(
                            Transcript(
                                id=tid,
                                material_id=mid,
                                source=Transcript.Source.TEXT if pasted else Transcript.Source.VTT,
                                language="en",  # text: from the cues, by the service
                                created_at=created,
                            )
                        )
                elif kind == "slides":
                    materials.append(
                        Material(
                            kind=Material.Kind.LINK,
                            title="Slides (shared drive)",
                            url=f"https://slides.{c.COMPANY_DOMAIN}/d/{slug}",
                            **common,
                        )
                    )
                else:
                    label, url = rng.choice(LINK_TITLES)
                    materials.append(
                        Material(
                            kind=Material.Kind.LINK,
                            title=label,
                            url=url.format(domain=c.COMPANY_DOMAIN, slug=slug),
                            **common,
                        )
                    )
            material_added[sid] = added
            if visibility == Visibility.PUBLIC and not first:
                with_material.append((sid, timed))
            if len(cues) >= BATCH_SIZE * 5:
                flush()

        flush()
        self._signals(material_added)
        self._absences(with_material, hosts)
        self.report(
            f"library: {self.counts[Material._meta.label]:,} materials, "
            f"{self.counts[Transcript._meta.label]:,} transcripts"
        )

    def _signals(self, material_added: dict[int, datetime]) -> None:
        """Invitees who missed a session with material: some watched it afterwards, a few said
        they are not interested (catch-up signals, which the recommender reads too). The member
        login gives none, so their feed stays full."""
        rng = self.rng
        attended = set(
            Attendance.objects.filter(session__state=State.HELD).values_list(
                "session_id", "person_id"
            )
        )
        invited = (
            Invitation.objects.filter(session__state=State.HELD)
            .order_by("session_id", "person_id")
            .values_list("session_id", "person_id")
        )
        rows: list[CatchUpSignal] = []
        for sid, person in invited.iterator(chunk_size=BATCH_SIZE):
            added = material_added.get(sid)
            if added is None or person == self.member or (sid, person) in attended:
                continue
            roll = rng.random()
            if roll < 0.35:
                kind = CatchUpSignal.Kind.WATCHED
            elif roll < 0.45:
                kind = CatchUpSignal.Kind.NOT_INTERESTED
            else:
                continue
            at = min(added + timedelta(hours=rng.randint(1, 24 * 14)), self.anchor)
            rows.append(CatchUpSignal(session_id=sid, person_id=person, kind=kind, at=at))
        created = catchup_signals_create_bulk(signals=rows)
        self.counts[CatchUpSignal._meta.label] += len(created)

    def _absences(self, candidates: list[tuple[int, bool]], hosts: dict[int, int]) -> None:
        """Invite the member login to a few held sessions with material that they missed:
        one with a timed transcript first, when there is one."""
        ids = [sid for sid, _ in candidates]
        busy = set(
            Invitation.objects.filter(person_id=self.member, session_id__in=ids).values_list(
                "session_id", flat=True
            )
        )
        busy |= set(
            Attendance.objects.filter(person_id=self.member, session_id__in=ids).values_list(
                "session_id", flat=True
            )
        )
        busy |= set(  # a co-host needs no invitation either
            SessionHost.objects.filter(person_id=self.member, session_id__in=ids).values_list(
                "session_id", flat=True
            )
        )
        free = [
            (sid, timed)
            for sid, timed in candidates
            if sid not in busy and hosts.get(sid) != self.member
        ]
        if not free:
            return
        recent = free[-60:]  # from the last few months
        timed = [sid for sid, is_timed in recent if is_timed]
        chosen = [self.rng.choice(timed)] if timed else []
        others = [sid for sid, _ in recent if sid not in chosen]
        chosen += self.rng.sample(others, min(len(others), MEMBER_ABSENCES - len(chosen)))
        starts: dict[int, datetime] = dict(
            Session.objects.filter(pk__in=chosen).values_list("id", "start")  # type: ignore[arg-type]
        )
        rows = []
        for sid in chosen:
            sent = starts[sid] - timedelta(days=self.rng.randint(7, 14))
            answer = self.rng.choice(("maybe", "no", "pending"))
            rows.append(
                Invitation(
                    session_id=sid,
                    person_id=self.member,
                    invited_by_id=hosts.get(sid),
                    created_at=sent,
                    response=answer,
                    responded_at=None if answer == "pending" else sent + timedelta(days=1),
                )
            )
        self.counts[Invitation._meta.label] += len(invitations_create_bulk(invitations=rows))

    def _notes(self, format: str, host: str, topics: list[str], first: bool) -> str:
        rng = self.rng
        t = topics[0]
        label = dict(Format.choices).get(format, "Session")
        lines = [f"**{label} by {host}.** Notes taken in the room, tidied up afterwards.", ""]
        if first:
            lines += [
                "*Nobody recorded this one — these notes are all we have. Next time we record.*",
                "",
            ]
        lines += ["## What we covered", ""]
        for template in rng.sample(NOTE_TOPICS, 3):
            lines.append(f"- {template.format(t=rng.choice(topics))}")
        lines += ["", "## Takeaways", ""]
        for i, takeaway in enumerate(rng.sample(TAKEAWAYS, 2), 1):
            lines.append(f"{i}. {takeaway}")
        lines += ["", "## Questions from the room", ""]
        for question, answer in rng.sample(QUESTIONS, 2):
            lines.append(f"- *{question.format(t=t)}* {answer}")
        if len(topics) > 1:
            lines += ["", f"Related tags: {', '.join(f'`{name}`' for name in topics)}."]
        return "\n".join(lines) + "\n"

    def _script(
        self, title: str, host: str, topics: list[str], length: timedelta
    ) -> list[tuple[int, int, str]]:
        """Timed lines sampled across the talk: opening, body, questions, closing."""
        rng = self.rng
        t = topics[0]
        t2 = topics[1] if len(topics) > 1 else "the rest of our tooling"
        texts = [rng.choice(OPENINGS)]
        texts.append(rng.choice(INTRODUCTIONS).format(host=host.split(" ")[0], title=title))
        texts += [s.format(t=t, t2=t2) for s in rng.sample(SENTENCES, rng.randint(10, 18))]
        texts += [s.format(t=t, t2=t2) for s in rng.sample(QUESTION_CUES, rng.randint(2, 4))]
        texts.append(rng.choice(CLOSINGS))
        total_ms = max(int(length.total_seconds() * 1000), 60_000)
        # Lines are spread over the whole session, with silence (slides, demos) between them.
        step = total_ms // (len(texts) + 1)
        lines = []
        at = rng.randint(1_000, 4_000)
        for text in texts:
            duration = max(1_500, _words(text) * 330 + rng.randint(0, 600))
            lines.append((at, at + duration, text))
            at = max(at + duration + 200, at + step + rng.randint(-step // 4, step // 4))
        return lines
