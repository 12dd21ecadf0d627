"""The query parser: user input → the same safe expression for FTS5 and for to_tsquery."""

import pytest

from kshare.search.query import MAX_QUERY_CHARS, MAX_TERMS, clean, parse, to_fts5, to_tsquery


@pytest.mark.parametrize(
    ("text", "fts5", "tsquery"),
    [
        ("hello world", '("hello" AND "world")', "(hello & world)"),
        (
            '"feature flags" rollout',
            '("feature flags" AND "rollout")',
            "((feature <-> flags) & rollout)",
        ),
        ('"unbalanced quote', '("unbalanced quote")', "((unbalanced <-> quote))"),
        ("kube*", '("kube"*)', "(kube:*)"),
        ("pods -docker", '(("pods") NOT "docker")', "(pods & !docker)"),
        ("NOT docker pods", '(("pods") NOT "docker")', "(!docker & pods)"),
        ("rust OR go", '("rust") OR ("go")', "(rust) | (go)"),
        ("Rust AND Go", '("rust" AND "go")', "(rust & go)"),
        ("c++ foo_bar", '("c" AND "foo bar")', "(c & (foo <-> bar))"),
        ("Grüße 東京", '("grüße" AND "東京")', "(grüße & 東京)"),
        ('a"b', '("a b")', "((a <-> b))"),
        ("x:y", '("x y")', "((x <-> y))"),
    ],
)
def test_expressions(text, fts5, tsquery):
    parsed = parse(text)
    assert to_fts5(parsed) == fts5
    assert to_tsquery(parsed) == tsquery


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "AND OR",
        "AND",
        "OR",
        "NOT",
        "*",
        "-",
        ":",
        '"',
        '""',
        "()",
        "-docker",
        "NOT x",
        "\x00",
        "\ue000\ue001",
        "!!!",
        "&|<->",
    ],
)
def test_nothing_to_search_for(text):
    parsed = parse(text)
    assert not parsed
    assert to_fts5(parsed) == ""
    assert to_tsquery(parsed) == ""


def test_nul_and_control_characters_separate_words():
    assert to_fts5(parse("pods\x00nodes\x07")) == '("pods" AND "nodes")'


def test_long_input_is_cut():
    text = "word " * 5_000
    assert len(clean(text)) <= MAX_QUERY_CHARS
    parsed = parse(text)
    assert len(parsed.groups[0]) == MAX_TERMS


def test_long_word_is_cut():
    parsed = parse("x" * 10_000)
    assert parsed.groups[0][0].words == ("x" * 64,)


def test_words_are_the_positive_ones():
    assert parse('alpha "beta gamma" -delta').words == ["alpha", "beta", "gamma"]
