from kshare.library.speech.wer import AlignmentCounts, alignment_counts, normalise, word_error_rate


def test_normalise_lowercases_drops_punctuation_keeps_inner_apostrophes_and_digits():
    assert normalise("Offline, isn't it? 2 hosts -- 'quoted' words; e-mail.") == [
        "offline",
        "isn't",
        "it",
        "2",
        "hosts",
        "quoted",
        "words",
        "e",
        "mail",
    ]


def test_normalise_reads_a_typographic_apostrophe_as_a_plain_one():
    assert normalise("Don\u2019t  WAIT") == ["don't", "wait"]


def test_normalise_of_punctuation_only_is_empty():
    assert normalise(" ... !? -- ") == []


def test_identical_texts_have_no_errors_whatever_the_case_and_punctuation():
    assert word_error_rate("Catch up offline.", "catch up OFFLINE") == 0.0


def test_one_substitution_in_four_words_is_a_quarter():
    assert word_error_rate("people catch up offline", "people catch up online") == 0.25


def test_deletions_and_insertions_count_against_the_reference_length():
    assert word_error_rate("the feedback form goes out", "the form goes out") == 0.2
    assert word_error_rate("the form goes out", "the feedback form goes out") == 0.25


def test_the_domain_word_errors_seen_with_the_generic_model():
    # "recommender systems" heard as "recommend assistance", "offline" as "of flying":
    # 2 substitutions, then 1 substitution and 1 insertion: 4 errors over 7 reference words.
    reference = "recommender systems so people catch up offline"
    hypothesis = "recommend assistance so people catch up of flying"
    assert alignment_counts(normalise(reference), normalise(hypothesis)) == AlignmentCounts(
        substitutions=3, deletions=0, insertions=1, reference_words=7
    )
    assert word_error_rate(reference, hypothesis) == 4 / 7


def test_alignment_prefers_a_substitution_to_a_deletion_and_an_insertion():
    assert alignment_counts(["a", "b"], ["c"]) == AlignmentCounts(
        substitutions=1, deletions=1, insertions=0, reference_words=2
    )
    assert alignment_counts(["a", "b", "c"], ["x", "b", "c", "d"]) == AlignmentCounts(
        substitutions=1, deletions=0, insertions=1, reference_words=3
    )


def test_wer_can_exceed_one_when_the_hypothesis_is_longer():
    assert word_error_rate("hello", "oh hello there my friend") == 4.0


def test_an_empty_hypothesis_deletes_every_word():
    assert word_error_rate("three reference words", "") == 1.0


def test_an_empty_reference_gives_zero_for_nothing_and_one_for_anything():
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("?!", "") == 0.0
    assert word_error_rate("", "hello there") == 1.0
