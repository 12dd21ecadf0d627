"""Kept fragments: rendered once per key, the least recently used dropped first."""

from django.test import override_settings
from django.urls import set_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from kshare.core import kept


def _counting(text: str):
    calls = []

    def render():
        calls.append(text)
        return SafeString(text)

    return render, calls


def test_a_fragment_is_rendered_once_per_key():
    fragments = kept.Kept("test once", limit=10)
    render, calls = _counting("<p>a</p>")

    assert fragments.get("a", render) == "<p>a</p>"
    assert fragments.get("a", render) == "<p>a</p>"
    assert calls == ["<p>a</p>"]
    other, other_calls = _counting("<p>b</p>")
    assert fragments.get("b", other) == "<p>b</p>"
    assert other_calls == ["<p>b</p>"]


def test_the_least_recently_used_fragment_goes_first():
    fragments = kept.Kept("test bound", limit=2)
    for key in ("a", "b"):
        fragments.get(key, _counting(key)[0])
    fragments.get("a", _counting("a again")[0])  # "a" is now the most recently used

    fragments.get("c", _counting("c")[0])

    assert fragments.held_keys() == ["a", "c"]
    render, calls = _counting("b anew")
    assert fragments.get("b", render) == "b anew"
    assert calls == ["b anew"]
    assert fragments.held_keys() == ["c", "b"]


def test_forget_all_empties_every_kept_set():
    first, second = kept.Kept("test one", limit=5), kept.Kept("test two", limit=5)
    first.get("x", _counting("x")[0])
    second.get("y", _counting("y")[0])

    kept.forget_all()

    assert first.held_keys() == []
    assert second.held_keys() == []


@override_settings(LANGUAGES=[("en", "English"), ("de", "Deutsch")])
def test_shown_in_names_language_zone_and_prefix():
    try:
        set_script_prefix("/kshare/")
        with translation.override("de"), timezone.override("Europe/Berlin"):
            assert kept.shown_in() == ("de", "Europe/Berlin", "/kshare/")
            assert kept.shown_in(zone=False) == ("de", "", "/kshare/")
    finally:
        set_script_prefix("/")
