"""Fixtures shared by every app's tests."""

import pytest

from kshare.people.tests.factories import AdminFactory, OrganiserFactory, PersonFactory


@pytest.fixture
def person(db):
    return PersonFactory(email="member@example.com", display_name="Mia Member")


@pytest.fixture
def organiser(db):
    return OrganiserFactory(email="organiser@example.com", display_name="Olga Organiser")


@pytest.fixture
def admin_person(db):
    return AdminFactory(email="admin@example.com", display_name="Ada Admin")


@pytest.fixture
def member_client(client, person):
    client.force_login(person)
    return client
