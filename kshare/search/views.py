from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kshare.programmes.selectors import programmes_visible_to
from kshare.search.forms import SearchForm
from kshare.search.inputs import search_input_run
from kshare.search.selectors import MAX_COUNT, SearchPage


@require_GET
def results(request: HttpRequest) -> HttpResponse:
    """The search page: the form, and one page of highlighted results."""
    programmes = programmes_visible_to(person=request.user).order_by("name")
    form = SearchForm(request.GET or None, programmes=programmes)
    query = ""
    page = SearchPage(query="")
    if form.is_bound and form.is_valid() and form.input is not None:
        query = form.input.q
        page = search_input_run(
            person=request.user,
            data=form.input,
            page=SearchForm.page_number(request.GET.get("page")),
        )
    elif form.is_bound:
        query = (request.GET.get("q") or "")[:500]
    template = "search/results.html"
    if request.headers.get("HX-Request") == "true":
        template = "search/results.html#results"
    return render(
        request,
        template,
        {
            "form": form,
            "query": query,
            "page": page,
            "nav": "search",
            "max_count": f"{MAX_COUNT:,}",
        },
    )
