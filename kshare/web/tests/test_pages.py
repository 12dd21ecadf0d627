import pytest

from kshare.web.markdown import render_markdown

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_pages_carry_a_strict_content_security_policy(member_client):
    response = member_client.get("/")
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"].startswith("'self' 'nonce-")
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    html = response.content.decode()
    assert "<script>" not in html
    assert "style=" not in html
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_home_shows_upcoming_and_hosting(member_client, person):
    from kshare.sessions.tests.factories import ScheduledSessionFactory, SessionFactory

    ScheduledSessionFactory(title="Intro to SQL")
    SessionFactory(title="My proposal", host=person)
    html = member_client.get("/").content.decode()
    assert "Intro to SQL" in html
    assert "My proposal" in html
    assert "You are hosting" in html


def test_not_found_page_is_friendly(member_client):
    response = member_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "There is nothing here, or it is not shared with you." in response.content.decode()


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("**bold**", "<p><strong>bold</strong></p>\n"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
        (
            "[site](https://example.com)",
            '<p><a href="https://example.com" rel="noopener noreferrer nofollow">site</a></p>\n',
        ),
        ('<img src=x onerror="alert(1)">', '<p>&lt;img src=x onerror="alert(1)"&gt;</p>\n'),
    ],
)
def test_markdown_is_rendered_and_sanitised(source, html):
    assert render_markdown(source) == html


def test_markdown_is_rendered_once_per_text_and_long_texts_are_not_kept(monkeypatch):
    from kshare.web import markdown

    rendered = []
    real = markdown._md.render
    monkeypatch.setattr(markdown._md, "render", lambda text: rendered.append(text) or real(text))
    markdown._render_cached.cache_clear()
    text = "A **cached** abstract"
    long = "x" * (markdown.CACHED_TEXT_MAX + 1)

    assert render_markdown(text) == render_markdown(text)
    assert render_markdown("Another") == "<p>Another</p>\n"
    render_markdown(long)
    render_markdown(long)
    assert rendered == [text, "Another", long, long]
    assert markdown._render_cached.cache_info().currsize == 2
