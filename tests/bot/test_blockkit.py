"""Cutting text to Slack's limits says what it left out."""

from bot.blockkit import (
    CONFIRM_BUTTON,
    CONFIRM_TEXT,
    CONFIRM_TITLE,
    SECTION_FIELD,
    confirm_dialog,
    join_within,
    lines_within,
    truncate,
)


def test_truncate_keeps_short_text_and_marks_a_cut():
    assert truncate("short", 10) == "short"
    assert truncate("x" * 20, 10) == "x" * 9 + "…"
    assert len(truncate("x" * 5000, 3000)) == 3000


def test_join_within_keeps_whole_items_and_counts_the_rest():
    assert join_within(["alpha", "beta"], 20) == "alpha, beta"
    assert join_within(["alpha", "beta", "gamma", "delta"], 20) == "alpha, … and 3 more"
    terms = [f"term-{i:03d}" for i in range(400)]
    text = join_within(terms, SECTION_FIELD, prefix="*Glossary terms*\n")
    assert len(text) <= SECTION_FIELD and text.startswith("*Glossary terms*\nterm-000, ")
    shown = text.count("term-")
    assert text.endswith(f"… and {400 - shown} more")


def test_lines_within_cuts_between_lines():
    text = lines_within([f"line {i}" for i in range(100)], 50, prefix="head\n")
    assert text.startswith("head\nline 0\n") and len(text) <= 50
    assert text.splitlines()[-1].startswith("… and ")


def test_a_confirm_dialog_is_plain_text_within_slacks_limits():
    said = {"title": "t" * 500, "text": "x" * 500, "confirm": "c" * 500, "deny": "d" * 500}
    dialog = confirm_dialog(**said)
    limits = {"title": CONFIRM_TITLE, "text": CONFIRM_TEXT, "confirm": CONFIRM_BUTTON, "deny": CONFIRM_BUTTON}
    assert (CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON) == (100, 300, 30)  # Slack's published limits
    for part, limit in limits.items():
        assert dialog[part] == {"type": "plain_text", "text": truncate(said[part], limit)}
        assert len(dialog[part]["text"]) == limit
