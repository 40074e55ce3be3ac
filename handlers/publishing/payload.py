"""The reference's JSON registration payload (`datasets[]` of Redshift databases and schemas), validated."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.errors import BadInput
from handlers.publishing.arguments import ClusterName, Name, Pattern
from handlers.publishing.registration import Registration, SchemaFilter

SOURCE = "redshift-user-initiated"
DETAIL_TYPE = "Amazon Redshift dataset registration in Amazon DataZone"


class SchemaSpec(BaseModel):
    """One schema: everything (`addAllTables`, `addAllViews`) or the named tables and views."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schemaName: Name
    addAllTables: bool = False
    addAllViews: bool = False
    tables: list[Pattern] = Field(default_factory=list, max_length=500)
    views: list[Pattern] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _something(self) -> SchemaSpec:
        if not (self.addAllTables or self.addAllViews or self.tables or self.views):
            raise ValueError("names no tables or views and adds none: set addAllTables, addAllViews, tables or views")
        return self

    def include(self) -> tuple[str, ...]:
        """Filter expressions: all (DataZone's filters match tables and views alike by name) or the names."""
        if self.addAllTables or self.addAllViews:
            return ()
        return tuple(dict.fromkeys([*self.tables, *self.views]))


class Dataset(BaseModel):
    """One Redshift database of one cluster, with its schemas."""

    model_config = ConfigDict(extra="forbid")

    clusterName: ClusterName
    dbName: Name
    schemas: list[SchemaSpec] = Field(min_length=1, max_length=100)


class RegistrationPayload(BaseModel):
    """The whole payload; `source` and `detail-type` are accepted as the reference sends them."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str | None = None
    detail_type: str | None = Field(None, alias="detail-type")
    datasets: list[Dataset] = Field(min_length=1, max_length=100)

    def registrations(self) -> list[Registration]:
        """One registration (one data source) per dataset."""
        return [
            Registration(
                kind="REDSHIFT",
                cluster=dataset.clusterName,
                database=dataset.dbName,
                schemas=tuple(SchemaFilter(s.schemaName, s.include()) for s in dataset.schemas),
            )
            for dataset in self.datasets
        ]


def field_errors(exc: ValidationError) -> list[str]:
    """One line per problem, naming the field as a path (`datasets[0].schemas[1].schemaName`)."""
    lines = []
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch":
            message = "not a valid name (letters, digits, _ - $ .)"
        lines.append(f"{path or '(payload)'}: {message}")
    return lines


def parse_payload(document: Any) -> RegistrationPayload:
    """The payload from parsed JSON; BadInput listing every field that is wrong."""
    try:
        return RegistrationPayload.model_validate(document)
    except ValidationError as exc:
        raise BadInput("The registration payload is invalid:\n" + "\n".join(field_errors(exc))) from None


def parse_payload_text(text: str) -> RegistrationPayload:
    """The payload from JSON text."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise BadInput(f"The registration payload is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadInput("The registration payload must be a JSON object with `datasets`.")
    return parse_payload(document)
