"""The typed arguments of /publish forms: parsed from the command text, refused with their usage."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from bot.arguments import CommandArgs

# Redshift and Glue identifiers: letters, digits, _ - $ and . (Glue and Redshift allow more when quoted;
# the bot keeps to names that survive a slash command and a filter expression unquoted).
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_$.-]{1,127}$")]
# Filter expressions may use * and ? wildcards.
Pattern = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_$.*?-]{1,127}$")]
ClusterName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
RUN_ID = r"^[a-zA-Z0-9_-]{1,36}$"


def _tables(raw: str) -> list[str]:
    return [t.strip() for t in raw.split(",") if t.strip()] if raw else []


class _Args(CommandArgs):
    pattern_hint = "letters, digits, _ - $ . (and * ? in table names)"

    @classmethod
    def field_name(cls, loc: tuple[Any, ...]) -> str:
        if len(loc) > 1 and loc[0] == "tables":
            return "table name"
        return super().field_name(loc).replace("schema name", "schema")


class RedshiftArgs(_Args):
    """`redshift <cluster>/<database>/<schema>[/<table>,...]`."""

    cluster: ClusterName
    database: Name
    schema_name: Name
    tables: tuple[Pattern, ...] = Field((), max_length=100)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        parts = text.strip().split("/")
        if len(parts) not in (3, 4):
            return {"cluster": "", "database": "", "schema_name": ""}
        return {
            "cluster": parts[0],
            "database": parts[1],
            "schema_name": parts[2],
            "tables": _tables(parts[3]) if len(parts) == 4 else (),
        }


class GlueArgs(_Args):
    """`glue <database>[/<table>,...]`."""

    database: Name
    tables: tuple[Pattern, ...] = Field((), max_length=100)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        parts = text.strip().split("/")
        if len(parts) > 2:
            return {"database": ""}
        return {"database": parts[0], "tables": _tables(parts[1]) if len(parts) == 2 else ()}


class RunArgs(_Args):
    """`status <run-id>`."""

    run_id: str = Field(pattern=RUN_ID)

    @classmethod
    def fields(cls, text: str) -> dict[str, Any]:
        words = text.split()
        return {"run_id": words[0] if len(words) == 1 else ("" if not words else " ".join(words))}
