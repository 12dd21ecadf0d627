"""The page-parts registry (kshare/core/pages.py) and its ``{% page_region %}`` tag."""

from __future__ import annotations

import pytest
from django.template import Context, Engine
from django.test import RequestFactory

from kshare.core import pages
from kshare.core.pages import PageRegionError, part_register, region_declare

TEMPLATES = {
    "a.html": "[A {{ obj_name }} {{ shared }}]",
    "b.html": "[B{% if a_only %} leaked{% endif %}]",
    "c.html": "{% partialdef c-part %}[C {{ flag }}]{% endpartialdef %}ignored",
    "page.html": (
        "{% load page_parts %}<{% page_region 'test.region' thing flag=flag %}>"
        "{{ a_only|default:'' }}"
    ),
}


@pytest.fixture
def engine():
    return Engine(
        loaders=[("django.template.loaders.locmem.Loader", TEMPLATES)],
        libraries={"page_parts": "kshare.core.templatetags.page_parts"},
    )


@pytest.fixture
def region():
    yield "test.region"
    pages.region_forget("test.region")


def _render(engine, *, flag=True):
    request = RequestFactory().get("/")
    context = Context({"request": request, "thing": "thing-1", "shared": "page", "flag": flag})
    return engine.get_template("page.html").render(context)


def _a(request, obj, *, flag):
    return {"obj_name": obj, "a_only": True}


def _b(request, obj, *, flag):
    return {}


def _c(request, obj, *, flag):
    return {"flag": "on"} if flag else None


def test_parts_render_in_the_declared_order_whatever_the_registration_order(engine, region):
    # Registered before the region is declared (app ready order does not matter), and in
    # another order than the page lays them out.
    part_register(region=region, name="c", template="c.html#c-part", context=_c)
    part_register(region=region, name="a", template="a.html", context=_a)
    part_register(region=region, name="b", template="b.html", context=_b)
    region_declare(region, order=["a", "b", "c"])

    # Each part sees the page's context plus its own; its own names are gone for the next
    # part and for the page after the region (a_only neither leaks into B nor after ">").
    assert _render(engine) == "<[A thing-1 page][B][C on]>"


def test_a_part_that_sees_nothing_renders_nothing(engine, region):
    region_declare(region, order=["a", "c"])
    part_register(region=region, name="a", template="a.html", context=_a)
    part_register(region=region, name="c", template="c.html#c-part", context=_c)

    assert _render(engine, flag=False) == "<[A thing-1 page]>"


def test_a_declared_part_nobody_registered_is_skipped_and_a_part_without_context_renders(
    engine, region
):
    region_declare(region, order=["not-installed", "b"])
    part_register(region=region, name="b", template="b.html")

    assert _render(engine) == "<[B]>"


def test_an_empty_region_renders_nothing(engine, region):
    region_declare(region, order=["a"])

    assert _render(engine) == "<>"


def test_an_unknown_region_errors_with_the_declared_ones(engine):
    with pytest.raises(PageRegionError) as raised:
        _render(engine)

    message = str(raised.value)
    assert message.startswith("No page region 'test.region' is declared (declared: ")
    assert "session.aside" in message


def test_a_part_the_region_does_not_name_errors(engine, region):
    region_declare(region, order=["a"])
    part_register(region=region, name="a", template="a.html", context=_a)
    part_register(region=region, name="z", template="b.html")

    with pytest.raises(PageRegionError) as raised:
        _render(engine)

    assert str(raised.value) == (
        "Part(s) z registered for page region 'test.region', whose declared order names only: a."
    )


def test_a_region_cannot_name_a_part_twice(region):
    with pytest.raises(PageRegionError) as raised:
        region_declare(region, order=["a", "b", "a"])

    assert str(raised.value) == "Page region 'test.region' names a part twice: ['a', 'b', 'a']."


def test_every_part_the_installed_apps_declare_is_registered():
    # The pages' layouts (sessions/parts.py) and the apps' registrations (<app>/parts.py) agree:
    # with every app installed, no declared part is missing and none is stray.
    declared = pages.regions_declared()
    assert declared["session.aside"] == ("library.catchup", "calendars.session")
    for region, order in declared.items():
        if region.startswith("test."):
            continue
        assert [part.name for part in pages.region_parts(region)] == list(order), region
