"""The ideas board. Forms work as plain POST + redirect; with htmx only a partial is swapped."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kshare.ideas import selectors, services
from kshare.ideas.forms import AreaForm, CommentForm, IdeaForm, NewIdeaForm, PromoteForm, StatusForm
from kshare.ideas.models import Idea, ProductArea
from kshare.sessions.models import Format, Session
from kshare.sessions.selectors import sessions_visible_to

PAGE_SIZE = 20
IDEA_GONE = gettext_lazy(
    "This idea does not exist — it may have been deleted — or it is not shared with you. "
    "Nothing was saved."
)
TABS = [("top", gettext_lazy("Top voted")), ("new", gettext_lazy("Newest"))]
PROPOSED_AS = {
    Format.WORKSHOP: gettext_lazy(
        "“%(title)s” is proposed as a workshop, linked to the idea. Schedule it when you have a "
        "slot."
    ),
    Format.TALK: gettext_lazy(
        "“%(title)s” is proposed as a talk, linked to the idea. Schedule it when you have a slot."
    ),
}


def _htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next_url(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _gone(request: HttpRequest, pk: int, *, part: str = "idea-gone") -> HttpResponse:
    """Deleted, never existed and not shared look the same, so nothing leaks.

    htmx does not swap error responses, so it gets the message as a 200 partial in place of
    what it asked for; everyone else gets a 404 page.
    """
    if _htmx(request):
        return render(request, f"ideas/_idea_list.html#{part}", {"pk": pk, "text": IDEA_GONE})
    return render(
        request,
        "web/error.html",
        {"status": 404, "title": _("Idea not found"), "text": IDEA_GONE},
        status=404,
    )


def _visible_session(request: HttpRequest, raw: str) -> Session:
    try:
        pk = int(raw)
    except (TypeError, ValueError):
        raise Http404 from None
    session = sessions_visible_to(person=request.user).filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


# -- the session page's section ------------------------------------------------------------------


def idea_context(
    request: HttpRequest, session: Session, *, form: IdeaForm | None = None, message: str = ""
) -> dict:
    """What ``ideas/_session_ideas.html`` needs on a session page (a constant number of queries)."""
    ideas = list(
        selectors.ideas_from_session(person=request.user, session=session)[
            : selectors.SESSION_IDEAS + 1
        ]
    )
    selectors.promoted_visible_mark(ideas[: selectors.SESSION_IDEAS], person=request.user)
    return {
        "idea_list": ideas[: selectors.SESSION_IDEAS],
        "idea_list_more": len(ideas) > selectors.SESSION_IDEAS,
        "idea_list_url": f"{reverse('ideas:board')}?session={session.pk}&sort=top",
        "idea_next_url": session.get_absolute_url() + "#ideas",
        "idea_compact": True,
        "idea_form": form or IdeaForm(auto_id="id_idea_%s"),
        "idea_message": message,
        "source_ideas": selectors.ideas_promoted_into(person=request.user, session=session),
    }


# -- board ---------------------------------------------------------------------------------------


def _board(
    request: HttpRequest,
    *,
    heading: str,
    area: ProductArea | None = None,
    session: Session | None = None,
) -> HttpResponse:
    order = request.GET.get("sort", "top")
    order = order if order in selectors.ORDERINGS else "top"
    ideas = selectors.ideas_board(person=request.user, order=order, area=area, session=session)
    page = Paginator(ideas, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "heading": heading,
        "area": area,
        "session": session,
        "tabs": TABS,
        "order": order,
        "page_obj": page,
        "idea_list": page.object_list,
        "idea_list_url": request.get_full_path(),
        "idea_next_url": request.get_full_path(),
        "idea_compact": session is not None,
        "nav": "ideas",
    }
    if _htmx(request):
        return render(request, "ideas/_idea_list.html#idea-list", context)
    return render(request, "ideas/board.html", context)


def board(request: HttpRequest) -> HttpResponse:
    area = session = None
    if request.GET.get("area"):
        area = get_object_or_404(ProductArea, slug=request.GET["area"][:100])
    if request.GET.get("session"):
        session = _visible_session(request, request.GET["session"])
    if session is not None:
        heading = _("Ideas from “%(title)s”") % {"title": session.title}
    elif area is not None:
        heading = _("Ideas for %(area)s") % {"area": area.name}
    else:
        heading = _("Ideas")
    return _board(request, heading=heading, area=area, session=session)


def area_detail(request: HttpRequest, slug: str) -> HttpResponse:
    area = get_object_or_404(ProductArea, slug=slug)
    return _board(request, heading=_("Ideas for %(area)s") % {"area": area.name}, area=area)


def area_list(request: HttpRequest) -> HttpResponse:
    form = AreaForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_organiser:
            raise PermissionDenied(_("Only organisers and admins can add product areas."))
        if form.is_valid():
            try:
                area = services.area_create(
                    by=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                form.add_error("name", exc)
            else:
                messages.success(
                    request,
                    _("The product area “%(name)s” is ready for ideas.") % {"name": area.name},
                )
                return redirect("ideas:areas")
    return render(
        request,
        "ideas/areas.html",
        {
            "areas": selectors.areas_with_counts(person=request.user),
            "form": form,
            "nav": "ideas",
        },
    )


# -- one idea ------------------------------------------------------------------------------------


def idea_new(request: HttpRequest) -> HttpResponse:
    raw_session = request.POST.get("session") or request.GET.get("session")
    session = _visible_session(request, raw_session) if raw_session else None
    in_section = _htmx(request) and session is not None
    form_class = IdeaForm if in_section else NewIdeaForm
    kwargs = {"auto_id": "id_idea_%s"} if in_section else {"has_session": session is not None}
    form = form_class(
        request.POST if request.method == "POST" else None,
        initial={"area": request.GET.get("area", "")},
        **kwargs,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            idea = services.idea_create(
                author=request.user,
                title=data["title"],
                description=data["description"],
                session=session,
                area=data.get("area"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            text = _("Thanks! Your idea is on the board.")
            if in_section:
                return render(
                    request,
                    "ideas/_session_ideas.html#session-ideas",
                    {"session": session, **idea_context(request, session, message=text)},
                )
            messages.success(request, text)
            return redirect(session.get_absolute_url() + "#ideas" if session else idea)
    if in_section:
        return render(
            request,
            "ideas/_session_ideas.html#session-ideas",
            {"session": session, **idea_context(request, session, form=form)},
        )
    return render(request, "ideas/new.html", {"form": form, "session": session, "nav": "ideas"})


def _detail_context(request: HttpRequest, idea: Idea, **extra: object) -> dict:
    can_manage = selectors.idea_can_manage(person=request.user, idea=idea)
    can_status = can_manage or idea.author_id == request.user.pk
    return {
        "idea": idea,
        "comment_form": CommentForm(),
        "status_form": StatusForm(idea=idea) if can_status else None,
        "can_promote": can_manage and idea.promoted_session_id is None,
        "idea_next_url": idea.get_absolute_url(),
        "nav": "ideas",
        **extra,
    }


def idea_detail(request: HttpRequest, pk: int) -> HttpResponse:
    idea = selectors.idea_detail(person=request.user, pk=pk)
    if idea is None:
        return _gone(request, pk)
    return render(request, "ideas/detail.html", _detail_context(request, idea))


@require_POST
def idea_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Vote on (``vote=on``) or withdraw (``vote=off``): the desired state, not a toggle, so a
    double click or a repeated request keeps exactly one vote."""
    idea = selectors.idea_row(person=request.user, pk=pk)
    if idea is None:
        return _gone(request, pk)
    wanted = request.POST.get("vote")
    if wanted not in ("on", "off"):
        return render(
            request,
            "web/error.html",
            {"status": 400, "title": _("Bad request"), "text": _("Send vote=on or vote=off.")},
            status=400,
        )
    voted = services.idea_vote_set(idea=idea, person=request.user, on=wanted == "on")
    if _htmx(request):
        idea = selectors.idea_row(person=request.user, pk=pk)
        if idea is None:
            return _gone(request, pk)
        layout = request.POST.get("compact")
        return render(
            request,
            "ideas/_idea_list.html#idea-alone"
            if layout == "alone"
            else "ideas/_idea_list.html#idea-row",
            {
                "idea": idea,
                "idea_next_url": _next_url(request, idea.get_absolute_url()),
                "idea_compact": layout == "1",
                "idea_alone": layout == "alone",
            },
        )
    messages.success(request, _("Your vote is counted.") if voted else _("Your vote is withdrawn."))
    return redirect(_next_url(request, idea.get_absolute_url()))


@require_POST
def idea_comment(request: HttpRequest, pk: int) -> HttpResponse:
    idea = selectors.idea_detail(person=request.user, pk=pk)
    if idea is None:
        return _gone(request, pk, part="comments-gone")
    form = CommentForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            services.idea_comment_add(
                idea=idea, author=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as exc:
            form.add_error("body", exc)
        else:
            saved = True
    if saved and not _htmx(request):
        messages.success(request, _("Your comment is added."))
        return redirect(idea.get_absolute_url() + "#comments")
    if saved:
        idea = selectors.idea_detail(person=request.user, pk=pk) or idea
        form = CommentForm()
    context = _detail_context(request, idea, comment_form=form, comment_saved=saved)
    if _htmx(request):
        return render(request, "ideas/detail.html#comments", context)
    return render(request, "ideas/detail.html", context)


@require_POST
def idea_status(request: HttpRequest, pk: int) -> HttpResponse:
    idea = selectors.idea_detail(person=request.user, pk=pk)
    if idea is None:
        return _gone(request, pk)
    if not selectors.idea_can_set_status(person=request.user, idea=idea):
        raise PermissionDenied(
            _("Only the idea's author, the organisers and admins can change its status.")
        )
    form = StatusForm(request.POST, idea=idea)
    if form.is_valid():
        try:
            services.idea_status_set(idea=idea, by=request.user, status=form.cleaned_data["status"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("The idea is now “%(status)s”.") % {"status": idea.get_status_display()}
            )
    else:
        messages.error(request, " ".join(form.errors["status"]))
    return redirect(idea)


def idea_promote(request: HttpRequest, pk: int) -> HttpResponse:
    idea = selectors.idea_detail(person=request.user, pk=pk)
    if idea is None:
        return _gone(request, pk)
    if not selectors.idea_can_manage(person=request.user, idea=idea):
        raise PermissionDenied(
            _(
                "Only organisers of the session's programme and admins can turn an idea into a "
                "session."
            )
        )
    form = PromoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.idea_promote(
                idea=idea, by=request.user, format=form.cleaned_data["format"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(idea)
        messages.success(request, PROPOSED_AS[Format(session.format)] % {"title": session.title})
        return redirect(session)
    return render(request, "ideas/promote.html", {"idea": idea, "form": form, "nav": "ideas"})
