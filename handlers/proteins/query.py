"""`/protein` arguments: a protein id or an amino-acid sequence, then `k=N nprobes=N refine=N`, validated."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import BadInput
from handlers.proteins.kmer import AMINO_ACIDS

USAGE = "`/protein <protein-id | sequence> [k=N] [nprobes=N] [refine=N]`"
PROTEIN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:|/-]{0,127}$")
# Slack caps a command's text at 4,000 characters; the CLI allows longer proteins.
MAX_SEQUENCE = 3_000
MAX_K = 1_000
_OPTION = re.compile(r"^([a-z_]+)=(.*)$")
_ALIASES = {"k": "k", "nprobes": "nprobes", "refine": "refine_factor", "refine_factor": "refine_factor"}


class ProteinQuery(BaseModel):
    """What to search around: a stored protein (its own vector) or a sequence (embedded)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["id", "sequence"]
    value: str = Field(min_length=1)

    @property
    def label(self) -> str:
        """How answers name the query: the id, or the sequence's start and length."""
        if self.kind == "id":
            return self.value
        head = self.value[:12] + ("…" if len(self.value) > 12 else "")
        return f"{head} ({len(self.value)} aa)"


class SearchOptions(BaseModel):
    """The options a user may set; None means the configured default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k: int | None = Field(None, ge=1, le=MAX_K)
    nprobes: int | None = Field(None, ge=1, le=100_000)
    refine_factor: int | None = Field(None, ge=1, le=1_000)


def sequence_query(raw: str, max_length: int = MAX_SEQUENCE) -> ProteinQuery:
    """A validated sequence: amino-acid letters only (any case), not empty, not too long."""
    sequence = raw.strip().upper().removesuffix("*")
    if not sequence:
        raise BadInput("The sequence is empty.")
    outside = sorted({letter for letter in sequence if letter not in AMINO_ACIDS})
    if outside:
        shown = ", ".join(repr(c) if c.isprintable() else f"U+{ord(c):04X}" for c in outside[:8])
        raise BadInput(f"The sequence has characters outside the 20 amino acids ({AMINO_ACIDS}): {shown}.")
    if len(sequence) > max_length:
        raise BadInput(f"The sequence has {len(sequence):,} residues; the limit is {max_length:,}.")
    return ProteinQuery(kind="sequence", value=sequence)


def id_query(raw: str) -> ProteinQuery:
    """A validated protein id (letters, digits and _ . : | / -, up to 128 characters)."""
    if not PROTEIN_ID.fullmatch(raw):
        shown = raw[:40].replace("`", "'")
        raise BadInput(f"`{shown}` is neither a protein id nor an amino-acid sequence.\nUsage: {USAGE}")
    return ProteinQuery(kind="id", value=raw)


def classify(word: str, max_length: int = MAX_SEQUENCE) -> ProteinQuery:
    """`id:X` and `seq:X` say which; otherwise letters only mean a sequence, anything else an id."""
    lowered = word.lower()
    if lowered.startswith("id:"):
        return id_query(word[3:])
    if lowered.startswith("seq:"):
        return sequence_query(word[4:], max_length)
    if word.isascii() and word.isalpha():
        return sequence_query(word, max_length)
    return id_query(word)


def parse_options(words: list[str]) -> SearchOptions:
    """`k=5 nprobes=20 refine=10` into options; unknown, repeated or malformed ones are refused."""
    values: dict[str, str] = {}
    for word in words:
        match = _OPTION.fullmatch(word.lower())
        if not match or match.group(1) not in _ALIASES:
            shown = word[:40].replace("`", "'")
            raise BadInput(f"Unknown option `{shown}`: use k=N, nprobes=N or refine=N.\nUsage: {USAGE}")
        name = _ALIASES[match.group(1)]
        if name in values:
            raise BadInput(f"`{match.group(1)}` is given twice.")
        values[name] = match.group(2)
    try:
        return SearchOptions.model_validate({name: _integer(name, value) for name, value in values.items()})
    except ValidationError as error:
        problem = error.errors()[0]
        name = "refine" if problem["loc"][0] == "refine_factor" else problem["loc"][0]
        raise BadInput(f"`{name}`: {problem['msg'].lower()}.\nUsage: {USAGE}") from None


def _integer(name: str, value: str) -> int:
    if not re.fullmatch(r"[0-9]{1,7}", value):
        raise BadInput(f"`{name}` must be a whole number, not `{value[:20]}`.")
    return int(value)


def parse_command(text: str) -> tuple[ProteinQuery, SearchOptions]:
    """The query and options of `/protein <id | sequence> [options]`."""
    words = text.split()
    if not words:
        raise BadInput(f"Give a protein id or an amino-acid sequence.\nUsage: {USAGE}")
    return classify(words[0]), parse_options(words[1:])
