"""The registration payload's validation and the CLI, and hypothesis over every /publish parser."""

import json

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.arguments import AssetArgs, parse
from bot.cli import main
from bot.errors import BadInput
from handlers.publishing.arguments import GlueArgs, RedshiftArgs, RunArgs
from handlers.publishing.payload import parse_payload, parse_payload_text
from sandbox.world import DOMAIN_ID
from tests.handlers.publishing.test_registration import PAYLOAD


def test_the_references_payload_reads_as_three_registrations():
    registrations = parse_payload(PAYLOAD).registrations()
    assert [(r.cluster, r.database) for r in registrations] == [
        ("sales-dw", "dev"),
        ("sales-dw", "finance"),
        ("sales-dw", "logistics"),
    ]
    assert registrations[0].schemas[0].include == ("sales_fact", "store_dim", "v_weekly_sales")
    assert registrations[1].schemas[0].include == ()  # everything


def test_malformed_payloads_get_an_error_per_field():
    bad = {
        "datasets": [
            {"clusterName": "sales-dw", "dbName": "dev", "schemas": [{"schemaName": "", "tables": "x"}]},
            {"clusterName": 3, "dbName": "ok", "schemas": [], "extra": 1},
        ]
    }
    try:
        parse_payload(bad)
    except BadInput as exc:
        lines = exc.message.splitlines()[1:]
    assert "datasets[0].schemas[0].schemaName: not a valid name (letters, digits, _ - $ .)" in lines
    assert "datasets[0].schemas[0].tables: Input should be a valid list" in lines
    assert "datasets[1].clusterName: Input should be a valid string" in lines
    assert any(line.startswith("datasets[1].schemas:") for line in lines)
    assert "datasets[1].extra: Extra inputs are not permitted" in lines
    for text in ("", "[]", "{", '{"datasets": []}'):
        try:
            parse_payload_text(text)
            raise AssertionError(f"{text!r} was accepted")
        except BadInput as exc:
            assert "payload" in exc.message


def test_cli_registers_the_payload_and_prints_each_summary(box, tmp_path, monkeypatch):
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(PAYLOAD), encoding="utf-8")
    result = CliRunner().invoke(main, ["publish", "register", str(path)])
    assert "Redshift sales-dw/dev:" in result.output and "Redshift sales-dw/logistics:" in result.output
    assert result.output.count("Started run") == 3
    assert "failed dev.legacy_import" not in result.output  # the dev filter names three tables, not legacy_import
    sources = box.client("datazone").list_data_sources(
        domainIdentifier=DOMAIN_ID, projectIdentifier=box.world.producer_project
    )["items"]
    assert {"opsbot-redshift-sales-dw-finance", "opsbot-redshift-sales-dw-logistics"} <= {s["name"] for s in sources}
    assert result.exit_code == 0, result.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"datasets": [{"dbName": "dev", "schemas": [{"schemaName": "public"}]}]}))
    refused = CliRunner().invoke(main, ["publish", "register", str(bad)])
    assert refused.exit_code == 1 and "datasets[0].clusterName: Field required" in refused.output


FORMS = [
    (AssetArgs, "/publish <asset>"),
    (RedshiftArgs, "/publish redshift"),
    (GlueArgs, "/publish glue"),
    (RunArgs, "/publish status"),
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FORMS), st.text(max_size=300))
def test_no_command_text_crashes_the_parsers(form, text):
    kind, usage = form
    try:
        parsed = parse(kind, text, usage)
    except BadInput as exc:
        assert f"Usage: `{usage}`" in exc.message
    else:
        assert isinstance(parsed, kind)


@given(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
    st.lists(st.from_regex(r"[A-Za-z0-9_*]{1,20}", fullmatch=True), max_size=5),
)
def test_well_formed_redshift_arguments_round_trip(cluster, schema, tables):
    text = f"{cluster}/dev/{schema}" + (f"/{','.join(tables)}" if tables else "")
    parsed = parse(RedshiftArgs, text, "usage")
    assert (parsed.cluster, parsed.database, parsed.schema_name, list(parsed.tables)) == (
        cluster,
        "dev",
        schema,
        tables,
    )


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=10), c),
        max_leaves=20,
    )
)
def test_no_payload_crashes_the_validator(document):
    try:
        parse_payload({"datasets": document} if not isinstance(document, dict) else document)
    except BadInput as exc:
        assert exc.message.startswith("The registration payload is invalid")
