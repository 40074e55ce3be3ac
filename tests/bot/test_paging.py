"""Page arithmetic, the `page=N` word and the page buttons' state, with no Slack in between."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from bot.blockkit import BUTTON_VALUE
from bot.errors import BadInput
from bot.paging import PageButtons, Window, take_page

BUTTONS = PageButtons(next="things.next", previous="things.previous")


class Offset(BaseModel):
    offset: int = Field(ge=0)


@given(total=st.integers(0, 5000), size=st.integers(1, 100))
def test_the_pages_cover_every_item_once(total, size):
    items = list(range(total))
    window, seen = Window.numbered(None, size, total, command="/things", noun=("thing", "things")), []
    while True:
        seen += window.cut(items)
        assert window.number <= window.pages
        if window.next_offset is None:
            break
        window = Window.at(window.next_offset, size, total)
    assert seen == items and window.number == window.pages


def test_a_page_says_where_it_is():
    assert Window.numbered(2, 40, 120, command="/t", noun=("t", "ts")).label() == "41\u201380 of 120, page 2 of 3"
    assert Window.numbered(3, 30, 61, command="/t", noun=("t", "ts")).label() == "61 of 61, page 3 of 3"


@pytest.mark.parametrize(
    ("total", "answer"),
    [
        (120, "There is no page 4: there are 120 things on 3 pages. `/things page=3` shows the last."),
        (1, "There is no page 4: there is 1 thing on 1 page. `/things page=1` shows the last."),
    ],
)
def test_a_page_past_the_last_says_which_is_the_last(total, answer):
    with pytest.raises(BadInput) as refused:
        Window.numbered(4, 40, total, command="/things", noun=("thing", "things"))
    assert refused.value.message == answer


def test_a_button_past_a_list_that_shrank_shows_its_last_page():
    assert Window.at(80, 40, 50).offset == 40
    assert Window.at(80, 40, 0).offset == 0


def test_buttons_lead_only_where_there_is_a_page():
    assert BUTTONS.block(Window(0, 40, 40), lambda o: Offset(offset=o)) is None
    middle = BUTTONS.block(Window(40, 40, 120), lambda o: Offset(offset=o))
    assert [(e["text"]["text"], e["value"]) for e in middle["elements"]] == [
        ("Previous page", '{"offset":0}'),
        ("Next page", '{"offset":80}'),
    ]


def test_a_page_state_past_slacks_limit_is_a_bug_not_a_cut():
    class Huge(BaseModel):
        text: str

    with pytest.raises(ValueError, match="over Slack's"):
        BUTTONS.block(Window(0, 1, 2), lambda _offset: Huge(text="x" * BUTTON_VALUE))


def test_an_unreadable_button_asks_to_run_the_command_again():
    with pytest.raises(BadInput, match="run `/things` again"):
        BUTTONS.state(Offset, {"actions": [{"value": '{"offset": -1}'}]}, "/things")
    assert BUTTONS.state(Offset, {"actions": [{"value": '{"offset": 40}'}]}, "/things").offset == 40


def test_the_page_word_is_cut_out_and_the_rest_kept_as_typed():
    assert take_page("customer  pii page=2", "u") == ("customer  pii", 2)
    assert take_page("PAGE=3", "u") == ("", 3)
    assert take_page("homepage=3 x", "u") == ("homepage=3 x", None)
    for text, problem in [("page=0", "not a page number"), ("page=x", "not a page number"), ("page=1 page=2", "twice")]:
        with pytest.raises(BadInput, match=problem):
            take_page(text, "u")


@given(st.text(max_size=100))
def test_no_text_crashes_the_page_word(text):
    with contextlib.suppress(BadInput):  # a clear refusal is fine; anything else is a bug
        rest, page = take_page(text, "u")
        assert page is None or page >= 1
        assert not any(word.lower().startswith("page=") for word in rest.split())
