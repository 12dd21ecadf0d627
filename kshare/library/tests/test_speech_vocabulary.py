from kshare.library.speech.vocabulary import Term, session_phrases, session_terms


def test_session_terms_are_content_words_and_two_word_terms_most_frequent_first():
    text = (
        "Recommender systems: how the recommender works. "
        "Tags: recommender systems, catch-up, feedback."
    )
    assert session_terms(text) == [
        Term(("recommender",), 3),
        Term(("recommender", "systems"), 2),
        Term(("systems",), 2),
        Term(("catch",), 1),
        Term(("catch", "up"), 1),
        Term(("feedback",), 1),
        Term(("recommender", "works"), 1),
        Term(("works",), 1),
    ]


def test_two_word_terms_do_not_span_punctuation_or_function_words():
    assert session_terms("Feedback, forms of the rhythm") == [
        Term(("feedback",), 1),
        Term(("forms",), 1),
        Term(("rhythm",), 1),
    ]


def test_the_number_of_terms_is_limited():
    text = " ".join(f"word{n}x" for n in range(50))
    assert len(session_terms(text, limit=10)) == 10


def test_text_without_content_words_has_no_terms():
    assert session_terms("How to use it? And why, and when.") == []


def test_session_phrases_pair_a_function_word_with_a_content_word_most_frequent_first():
    text = "The host explains. Ask the host: the host can help, and the house of the rhythm."
    assert session_phrases(text) == [
        Term(("the", "host"), 3),
        Term(("ask", "the"), 1),
        Term(("can", "help"), 1),
        Term(("host", "can"), 1),
        Term(("house", "of"), 1),
        Term(("the", "house"), 1),
        Term(("the", "rhythm"), 1),
    ]


def test_session_phrases_leave_out_two_content_words_and_two_function_words():
    # "recommender systems" is a term (session_terms); "of the" is the generic model's.
    assert session_phrases("Recommender systems of the rhythm") == [
        Term(("systems", "of"), 1),
        Term(("the", "rhythm"), 1),
    ]
    assert session_phrases("the host, the room, the topic", limit=2) == [
        Term(("the", "host"), 1),
        Term(("the", "room"), 1),
    ]
