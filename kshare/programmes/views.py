from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kshare.programmes import selectors
from kshare.sessions import selectors as session_selectors


def programme_list(request: HttpRequest) -> HttpResponse:
    programmes = selectors.programmes_for_list(person=request.user)
    return render(request, "programmes/list.html", {"programmes": programmes, "nav": "programmes"})


def programme_detail(request: HttpRequest, slug: str) -> HttpResponse:
    programme = get_object_or_404(
        selectors.programmes_visible_to(person=request.user).prefetch_related("organisers"),
        slug=slug,
    )
    sessions = session_selectors.sessions_in_programme(person=request.user, programme=programme)
    page = Paginator(sessions, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "programmes/detail.html",
        {
            "programme": programme,
            "page_obj": page,
            "sessions": page.object_list,
            "nav": "programmes",
        },
    )
