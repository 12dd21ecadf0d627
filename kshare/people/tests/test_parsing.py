import pytest

from kshare.people.parsing import SkillsError, skills_format, skills_parse, timezone_names


def test_skills_parse_reads_lines_and_semicolons_with_default_level():
    assert skills_parse("python: 3\r\nSQL:1; data  science\n\n") == [
        ("python", 3),
        ("SQL", 1),
        ("data science", 2),
    ]


def test_skills_format_round_trips():
    skills = [("python", 3), ("sql", 1)]

    assert skills_parse(skills_format(skills)) == skills


@pytest.mark.parametrize("raw", ["python: 4", "python: ³", "python: -1", "python: 2.5"])
def test_skills_parse_refuses_levels_outside_1_to_3(raw):
    with pytest.raises(SkillsError):
        skills_parse(raw)


def test_timezone_names_are_iana_zones_without_posix_aliases():
    names = timezone_names()

    assert "Europe/Berlin" in names
    assert "UTC" in names
    assert [n for n in names if n.startswith(("posix/", "right/")) or n == "localtime"] == []
    assert list(names) == sorted(names)
