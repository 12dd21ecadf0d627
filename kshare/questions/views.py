"""Live questions: the session page's section, the questions page (for a screen in the room) and
the POSTs behind them. Every form works as a plain POST + redirect; with htmx only the section or
the live list is swapped, and the list polls itself while the session runs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kshare.attendance.checkin import CHECKIN_OPENS_BEFORE, OPEN, OVER, checkin_state
from kshare.questions import selectors, services
from kshare.questions.forms import AskForm
from kshare.questions.models import Question
from kshare.sessions.models import Session
from kshare.sessions.selectors import session_can_edit

POLL_SECONDS = 4
VIEWS = ("session", "page")
SECTION = "questions/_questions.html#question-section"
LIVE = "questions/_questions.html#question-live"


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _view(request: HttpRequest) -> str:
    view = request.POST.get("view") or request.GET.get("view") or "session"
    return view if view in VIEWS else "session"


def _return_url(session: Session, view: str) -> str:
    if view == "page":
        return reverse("questions:page", args=[session.pk])
    return session.get_absolute_url() + "#questions"


def _form(data: object = None) -> AskForm:
    return AskForm(data, auto_id="id_question_%s")  # type: ignore[arg-type]


def _context(
    request: HttpRequest,
    session: Session,
    *,
    can_edit: bool,
    view: str = "session",
    form: AskForm | None = None,
    message: str = "",
    notice: str = "",
    notice_error: bool = False,
) -> dict:
    """Everything the section and the live list need: one query for the questions."""
    state = checkin_state(session)
    started = state in (OPEN, OVER)
    ended = state == OVER
    is_open = state == OPEN
    lists = (
        selectors.question_lists(session=session, person=request.user)
        if started
        else selectors.QuestionLists(open=[], answered=[])
    )
    return {
        "session": session,
        "can_edit": can_edit,
        # After the session the section stays only when there were questions: past sessions
        # without any keep a calm page.
        "questions_show": is_open or bool(lists.open or lists.answered),
        "question_open": is_open,
        "question_started": started,
        "question_ended": ended,
        "question_can_convert": can_edit and ended,
        "question_lists": lists,
        "question_form": form or _form(),
        "question_message": message,
        "question_notice": notice,
        "question_notice_error": notice_error,
        "question_view": view,
        "question_poll": f"every {POLL_SECONDS}s",
        "question_opens_minutes": int(CHECKIN_OPENS_BEFORE.total_seconds() // 60),
    }


def questions_context(request: HttpRequest, session: Session, *, can_edit: bool) -> dict:
    """Live questions on the session page: shown from the moment questions open, during the
    session and, when there were questions, after it (one query; none before the window)."""
    return _context(request, session, can_edit=can_edit)


def _session(request: HttpRequest, pk: int) -> Session:
    session = selectors.session_for_questions(person=request.user, pk=pk)
    if session is None:
        raise Http404("No such session.")
    return session


def _question(session: Session, qpk: int) -> Question:
    question = selectors.question_of_session(session=session, pk=qpk)
    if question is None:
        raise Http404("No such question in this session.")
    return question


def _can_edit(request: HttpRequest, session: Session) -> bool:
    return session_can_edit(person=request.user, session=session)


# -- pages ---------------------------------------------------------------------------------------


@require_GET
def question_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The questions on their own page, large and sorted by votes, for a screen in the room."""
    session = _session(request, pk)
    context = _context(request, session, can_edit=_can_edit(request, session), view="page")
    return render(request, "questions/page.html", {**context, "nav": "sessions"})


@require_GET
def question_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The live list alone: what the page polls."""
    session = _session(request, pk)
    context = _context(request, session, can_edit=_can_edit(request, session), view=_view(request))
    return render(request, LIVE, context)


# -- actions -------------------------------------------------------------------------------------


@require_POST
def question_ask(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    view = _view(request)
    form = _form(request.POST)
    if form.is_valid():
        try:
            services.question_ask(
                session=session,
                author=request.user,
                text=form.cleaned_data["text"],
                anonymous=form.cleaned_data["anonymous"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            text = (
                _("Your question is posted anonymously.")
                if form.cleaned_data["anonymous"]
                else _("Your question is posted.")
            )
            if _htmx(request):
                context = _context(
                    request, session, can_edit=_can_edit(request, session), view=view, message=text
                )
                return render(request, SECTION, context)
            messages.success(request, text)
            return redirect(_return_url(session, view))
    context = _context(request, session, can_edit=_can_edit(request, session), view=view, form=form)
    if _htmx(request):
        # htmx swaps only 2xx answers: the form comes back with its errors in place.
        return render(request, SECTION, context)
    return render(request, "questions/page.html", {**context, "nav": "sessions"}, status=400)


VOTE_MESSAGES = {
    services.Vote.ADDED: (gettext_lazy("Your vote is counted."), False),
    services.Vote.ALREADY: (
        gettext_lazy("You have already voted for this question; it counts once."),
        True,
    ),
    services.Vote.REMOVED: (gettext_lazy("Your vote is withdrawn."), False),
    services.Vote.NOT_VOTED: (gettext_lazy("You had not voted for this question."), True),
}


def _bad_request(request: HttpRequest, text: str) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {"status": 400, "title": _("Bad request"), "text": text},
        status=400,
    )


def _after_action(
    request: HttpRequest, session: Session, view: str, text: str, *, error: bool
) -> HttpResponse:
    if _htmx(request):
        context = _context(
            request,
            session,
            can_edit=_can_edit(request, session),
            view=view,
            notice=text,
            notice_error=error,
        )
        return render(request, LIVE, context)
    (messages.error if error else messages.success)(request, text)
    return redirect(_return_url(session, view))


@require_POST
def question_vote(request: HttpRequest, pk: int, qpk: int) -> HttpResponse:
    """Upvote (``vote=on``) or withdraw (``vote=off``): the wanted state, not a toggle, so a
    double click stores one vote and says so."""
    session = _session(request, pk)
    question = _question(session, qpk)
    wanted = request.POST.get("vote")
    if wanted not in ("on", "off"):
        return _bad_request(request, _("Send vote=on or vote=off."))
    try:
        result = services.question_vote_set(
            question=question, person=request.user, on=wanted == "on"
        )
    except ValidationError as exc:
        return _after_action(request, session, _view(request), " ".join(exc.messages), error=True)
    text, error = VOTE_MESSAGES[result]
    return _after_action(request, session, _view(request), str(text), error=error)


@require_POST
def question_answered(request: HttpRequest, pk: int, qpk: int) -> HttpResponse:
    session = _session(request, pk)
    question = _question(session, qpk)
    if not _can_edit(request, session):
        raise PermissionDenied(services.MANAGE_REFUSED)
    wanted = request.POST.get("answered")
    if wanted not in ("on", "off"):
        return _bad_request(request, _("Send answered=on or answered=off."))
    services.question_answered_set(question=question, by=request.user, answered=wanted == "on")
    text = _("Marked answered.") if wanted == "on" else _("Marked not answered.")
    return _after_action(request, session, _view(request), text, error=False)


@require_POST
def question_convert(request: HttpRequest, pk: int, qpk: int) -> HttpResponse:
    """Turn a question into an idea on the session's board or a topic request (once)."""
    session = _session(request, pk)
    question = _question(session, qpk)
    if not _can_edit(request, session):
        raise PermissionDenied(services.MANAGE_REFUSED)
    into = request.POST.get("into")
    if into not in ("idea", "topic"):
        return _bad_request(request, _("Send into=idea or into=topic."))
    view = _view(request)
    try:
        result = services.question_convert(question=question, by=request.user, into=into)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_return_url(session, view))
    if into == "idea":
        text = _("The question is now an idea on this session's board: “%(title)s”.")
    else:
        text = _("The question is now a topic request: “%(title)s”.")
    messages.success(request, text % {"title": result.title})
    return redirect(_return_url(session, view))
