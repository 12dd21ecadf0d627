from kshare.sessions.tests.factories import ScheduledSessionFactory


def test_pages_render(member_client, person):
    s = ScheduledSessionFactory(host=person, abstract="**hi**")
    for url in [
        "/",
        "/sessions/",
        "/sessions/past/",
        "/sessions/proposals/",
        "/sessions/mine/",
        "/sessions/mine/attending/",
        f"/sessions/{s.pk}/",
        f"/sessions/{s.pk}/edit/",
        f"/sessions/{s.pk}/schedule/",
        f"/sessions/{s.pk}/cancel/",
        "/sessions/propose/",
        "/programmes/",
        f"/programmes/{s.programme.slug}/",
        "/people/",
        f"/people/{person.pk}/",
    ]:
        r = member_client.get(url)
        assert r.status_code == 200, (url, r.status_code)
    r = member_client.post(
        "/sessions/propose/",
        {
            "title": "Intro to SQL",
            "abstract": "x",
            "format": "talk",
            "visibility": "public",
            "level": "all",
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
