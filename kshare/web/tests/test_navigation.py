"""The site's navigation and account menu: rendered once per role, language, current page and
address prefix, and shared by every reader with the same ones; each reader's own parts (name,
initials, profile link, sign-out form) stay their own."""

import re
from unittest import mock

import pytest
from django.test.utils import override_script_prefix

from kshare.people.models import Role
from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory
from kshare.web.templatetags import kshare as tags

pytestmark = pytest.mark.django_db

ORGANISER_LINKS = ("/dashboard/", "/feedback/hosts/", "/webhooks/", "/chat/", "/people/invite/")
ADMIN_LINKS = ("/outbox/", "/audit/", "/retention/")


def _rendered():
    """Counts the navigation templates' renders."""
    return mock.patch.object(tags, "render_to_string", wraps=tags.render_to_string)


def _page(client, path="/people/", **extra) -> str:
    response = client.get(path, **extra)
    assert response.status_code == 200
    return response.content.decode()


def _header(html: str) -> str:
    return html.split('<header class="site-header">')[1].split("</header>")[0]


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', _header(html)))


def test_the_navigation_is_rendered_once_for_every_reader_with_the_same_role(client):
    readers = [PersonFactory(), PersonFactory()]

    with _rendered() as rendered:
        pages = []
        for reader in readers:
            client.force_login(reader)
            pages.append(_page(client))

    names = [call.args[0] for call in rendered.call_args_list]
    assert names == ["web/_nav.html", "web/_account_links.html"]
    for reader, html in zip(readers, pages, strict=True):
        header = _header(html)
        assert f'href="/people/{reader.pk}/"' in header
        assert f"Account menu for {reader.display_name}" in header
        assert f">{reader.initials}</span>" in header
        assert 'name="csrfmiddlewaretoken"' in header  # the sign-out form, never kept
    other = readers[1]
    assert f'href="/people/{other.pk}/"' not in _header(pages[0])


def test_the_current_page_is_marked_in_both_copies_of_the_links(client):
    client.force_login(PersonFactory())

    for path, label in (("/people/", "People"), ("/ideas/", "Ideas")):
        header = _header(_page(client, path))
        current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', header)
        assert current == [(path, label), (path, label)]


def test_each_role_sees_its_own_links(client):
    member, organiser, admin = PersonFactory(), OrganiserFactory(), AdminFactory()

    client.force_login(member)
    seen = _links(_page(client))
    assert {"/sessions/", "/people/", "/ideas/", "/topics/", "/people/me/edit/"} <= seen
    assert not seen & {*ORGANISER_LINKS, *ADMIN_LINKS, "/admin/"}

    client.force_login(organiser)
    seen = _links(_page(client))
    assert set(ORGANISER_LINKS) <= seen
    assert not seen & {*ADMIN_LINKS, "/admin/"}

    client.force_login(admin)  # staff as well
    seen = _links(_page(client))
    assert {*ORGANISER_LINKS, *ADMIN_LINKS, "/admin/"} <= seen


def test_a_new_role_shows_at_once(client):
    person = PersonFactory()
    client.force_login(person)
    assert "/dashboard/" not in _links(_page(client))

    person.role = Role.ORGANISER
    person.save(update_fields=["role"])

    assert "/dashboard/" in _links(_page(client))
    person.role = Role.MEMBER
    person.save(update_fields=["role"])
    assert "/dashboard/" not in _links(_page(client))


def test_each_language_gets_its_own_navigation(client):
    client.force_login(PersonFactory(language="de"))
    german = _header(_page(client))
    client.force_login(PersonFactory(language="en"))
    english = _header(_page(client))

    assert ">Personen</a>" in german
    assert ">Ideen</a>" in german
    assert ">People</a>" in english
    assert ">Personen</a>" not in english


def test_links_carry_the_address_prefix_they_are_served_under(client):
    client.force_login(PersonFactory())
    plain = _links(_page(client))

    with override_script_prefix("/kshare/"):  # as the WSGI handler sets it from SCRIPT_NAME
        prefixed = _links(_page(client))

    assert "/ideas/" in plain
    assert "/kshare/ideas/" in prefixed
    assert "/ideas/" not in prefixed
