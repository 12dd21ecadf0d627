from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kshare.people.models import Person


def person_list(request: HttpRequest) -> HttpResponse:
    people = Person.objects.filter(is_active=True).select_related("team")[:50]
    return render(request, "people/list.html", {"people": people, "nav": "people"})


def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("team"), pk=pk, is_active=True)
    return render(request, "people/detail.html", {"person": person, "nav": "people"})


def profile_edit(request: HttpRequest) -> HttpResponse:
    return render(request, "people/detail.html", {"person": request.user})


def invite(request: HttpRequest) -> HttpResponse:
    return render(request, "people/list.html", {"people": []})
