#!/usr/bin/python3
"""Form fields over real HTTP: the quiz of the test study livectl_forms_test
(tests/server/forms_study/quiz/) served on a free 127.0.0.1 port and filled
in as a browser's form is, through both of its rounds.

    forms_test.py LIVECTL_FORMS_TEST

Standard library only. Every request has a timeout; the server is stopped
(or killed) at the end.
"""
import os
import re
import shutil
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from livectl_client import Serve, stop_all  # noqa: E402

STUDY = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="livectl-forms-test-")

# The quiz's page flow: quiz, grade (a wait page), results, in each of two rounds.
QUIZ_1, RESULTS_1, QUIZ_2, RESULTS_2 = 0, 2, 3, 5


def page_index(document):
    return int(re.search(r'<input type="hidden" name="page" value="(\d+)">', document).group(1))


def field(document, name):
    """The HTML of one form field, from its <div class="form-field"> to the next one."""
    start = document.index(f'<div class="form-field" id="field-{name}">')
    ends = [at for at in (document.find('<div class="form-field"', start + 1),
                          document.find("</form>", start)) if at >= 0]
    return document[start:min(ends)]


def errors_of(document, name):
    return re.findall(r'<div class="form-error">([^<]*)</div>', field(document, name))


def form_errors(document):
    """The messages shown at the top of the form (about the form as a whole)."""
    top = re.search(r'<div class="form-errors">\n(.*?)</div>\n</div>', document, re.S)
    return re.findall(r'<div class="form-error">([^<]*)</div>', top.group(0)) if top else []


def participant(serve):
    """The code of the quiz's one participant."""
    return serve.links()[0]


def refused(serve, page, **fields):
    """Posts a form the quiz refuses: 200 with the page again, on the same page."""
    status, headers, document = serve.submit(participant(serve), page, fields)
    assert status == 200, (status, document[:300])
    assert "Location" not in headers, headers
    assert page_index(document) == page
    return document


def accepted(serve, page, **fields):
    status, headers, body = serve.submit(participant(serve), page, fields)
    assert status == 303, (status, body[:500])
    assert headers["Location"] == f"/p/{participant(serve)}", headers
    return serve.page(participant(serve))


def check_quiz_page(document, round_number):
    assert f"<title>Quiz, round {round_number} of 2</title>" in document, document
    answer = field(document, "answer")
    assert '<label for="id_answer">What is 6 x 7?</label>' in answer, answer
    assert ('<input type="number" step="1" min="0" max="100" name="answer" id="id_answer" '
            'value="" required>') in answer, answer
    color = field(document, "color")
    assert '<label for="id_color">What color is the sky?</label>' in color, color
    assert '<select name="color" id="id_color" required>' in color, color
    assert ('<option value="">---------</option>\n<option value="blue">Blue</option>\n'
            '<option value="green">Green</option>\n<option value="red">Red</option>\n'
            '</select>') in color, color
    assert 'class="form-error"' not in document


def play_round(serve, round_number, quiz, results):
    document = serve.page(participant(serve))
    assert page_index(document) == quiz
    check_quiz_page(document, round_number)

    # A wrong answer: error_message's message next to the field, what was
    # typed kept, and the participant still on the quiz.
    document = refused(serve, quiz, answer="41", color="blue")
    assert errors_of(document, "answer") == ["that is not 6 x 7; try again"], document
    assert errors_of(document, "color") == []
    assert form_errors(document) == []
    assert 'id="id_answer" value="41" required>' in field(document, "answer")
    assert '<option value="blue" selected>Blue</option>' in field(document, "color")
    assert page_index(serve.page(participant(serve))) == quiz
    # A reload shows the page afresh.
    assert 'class="form-error"' not in serve.page(participant(serve))

    # Out of range, not a number, nothing chosen: each field's own message.
    document = refused(serve, quiz, answer="101", color="red")
    assert errors_of(document, "answer") == ["must be at most 100"], document
    assert '<option value="red" selected>Red</option>' in field(document, "color")
    document = refused(serve, quiz, answer="-1", color="red")
    assert errors_of(document, "answer") == ["must be at least 0"], document
    document = refused(serve, quiz, answer="forty-two")
    assert errors_of(document, "answer") == ["enter a whole number"], document
    assert errors_of(document, "color") == ["this field is required"], document
    assert 'value="forty-two"' in field(document, "answer")
    document = refused(serve, quiz, answer="42", color="purple")
    assert errors_of(document, "color") == ["choose blue, green or red"], document
    # A message about the whole form shows once, at the top of the form.
    document = refused(serve, quiz, answer="42", color="green")
    assert form_errors(document) == ["the sky is not green"], document
    assert document.index('<div class="form-errors">') < document.index('id="field-answer"')
    assert document.count("the sky is not green") == 1
    # What a participant typed is shown escaped.
    document = refused(serve, quiz, answer='"><script>x</script>', color="blue")
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in field(document, "answer")
    assert "<script>x</script>" not in document

    # The right answer moves on; an input the page does not ask for is ignored.
    document = accepted(serve, quiz, answer="42", color="blue", payoff="1000")
    assert page_index(document) == results, document
    assert f'<p id="round">Round {round_number} of 2</p>' in document, document
    assert '<p id="answer">You answered 42 and blue.</p>' in document, document
    assert (f'<p id="payoff">Points so far: {10 * round_number} (10 a round)</p>'
            in document), document
    # The quiz is behind: a late submit of it changes nothing, whatever it holds.
    status, _, _ = serve.submit(participant(serve), quiz, {"answer": "7", "color": "red"})
    assert status == 303
    assert page_index(serve.page(participant(serve))) == results
    return document


def test_a_quiz_of_two_rounds_through_its_forms(serve):
    play_round(serve, 1, QUIZ_1, RESULTS_1)
    # The results page has no form fields: it submits as every page did before forms.
    document = accepted(serve, RESULTS_1, answer="1")
    assert page_index(document) == QUIZ_2
    document = play_round(serve, 2, QUIZ_2, RESULTS_2)
    assert 'id="next"' not in document  # the last page


def main():
    serve = Serve(STUDY, os.path.join(TMP, "forms.db"), "--game", "quiz", "--participants", "1",
                  password=None)
    failed = 0
    try:
        for name, test in [(n, t) for n, t in globals().items() if n.startswith("test_")]:
            try:
                test(serve)
                print("ok  ", name)
            except Exception:
                failed += 1
                print("FAIL", name)
                traceback.print_exc()
        serve.stop()
    finally:
        stop_all()
        shutil.rmtree(TMP, ignore_errors=True)
    print(f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
