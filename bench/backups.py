"""Catalog backups against the sandbox: full run, incremental run and restore over a large catalog.

Seeds ASSETS assets and TERMS glossary terms into the DataZone emulator (straight through its Python API:
seeding over HTTP would only time the setup), then runs the real backup service the way the scheduler runs
it, against the sandbox's DynamoDB global table, and prints JSON with each figure beside a baseline measured
in the same run:
- full: wall time, DynamoDB write calls (counted on the wire: every HTTP request the backup's DynamoDB
  client sends for PutItem, BatchWriteItem, ...) and items written, for the scheduled full job into the
  empty table, and once more over the table it filled (the steady state: the run also reads what the
  table holds); beside the reference's sample, which pages through `search` and makes one PutItem per
  asset of six fields (AssetId, AssetType, AssetName, ExternalIdentifier, CreationDate,
  FirstRevisionCreatedAt) into its own global table. `call_ratio` is the baseline's write calls over the
  bot's (target >= 20). The bot backs up every entity (projects, types, glossaries, terms, assets with
  forms), the baseline the assets only, so the ratio is if anything understated.
- incremental: after 1 % of the assets got a new revision (new form content) in the emulator, the scheduled
  incremental job: items written (the run's two run-record items included) as a share of the entities in
  the table (target <= 2 %), write calls and wall time, beside the full runs of the same catalog measured
  above (what a run without change detection writes, and its wall time over the filled table).
- restore: plan and apply into the empty domain `dzd_recovery`, wall time of each and entities created;
  the plan's baseline is reading the same entities back from DynamoDB with a bare paginated Query per kind
  (the least a restore must read), the apply's baseline is the same DataZone create calls made back to back
  by a bare client into another empty domain (what rebuilding costs without planning, matching or progress).

Wall times are the sandbox's: everything runs in this process on loopback. Reads of the backup table are
slow here because moto walks the whole table for every Query page (about half a second a page at 10,000
items), which dominates the incremental run, the plan and the bare read alike; call and item counts carry
over to AWS as they are. The bare rebuild runs after the restore, on a somewhat larger heap.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.logs import configure_logging  # noqa: E402
from handlers import backups  # noqa: E402
from handlers.backups.catalog import KINDS  # noqa: E402
from handlers.backups.engine import FULL, INCREMENTAL  # noqa: E402
from handlers.backups.service import FULL_JOB, INCREMENTAL_JOB, BackupService  # noqa: E402
from handlers.backups.table import partition  # noqa: E402
from sandbox.runtime import ADMIN, start_sandbox  # noqa: E402
from sandbox.world import ACCOUNT, BACKUP_TABLE, DOMAIN_ID, RECOVERY_DOMAIN_ID, REGION, REPLICA_REGION  # noqa: E402

BASELINE_TABLE = "bench-reference-asset-backup"
BARE_DOMAIN_ID = "dzd_bench_bare"
WRITES = ("PutItem", "BatchWriteItem", "UpdateItem", "DeleteItem", "TransactWriteItems")
CHANGED_SHARE = 0.01
_T0 = time.perf_counter()


def _phase(text: str) -> None:
    print(f"[{time.perf_counter() - _T0:7.1f}s] {text}", file=sys.stderr, flush=True)


class WireCounter:
    """Counts the HTTP requests a boto3 client sends, by operation (retries included)."""

    def __init__(self, client: Any) -> None:
        self.sent: Counter[str] = Counter()
        client.meta.events.register(f"before-send.{client.meta.service_model.service_id.hyphenize()}", self._sent)

    def _sent(self, event_name: str, **_kwargs: Any) -> None:
        self.sent[event_name.rsplit(".", 1)[-1]] += 1

    def writes(self) -> int:
        """Write requests sent so far."""
        return sum(self.sent[op] for op in WRITES)


def _content(n: int, score: int) -> str:
    return json.dumps(
        {
            "classification": "CONFIDENTIAL" if n % 7 == 0 else "INTERNAL",
            "owner": f"team-{n % 40:02d}@example.com",
            "refresh_frequency": "daily",
            "data_quality_score": score,
        }
    )


def seed(box: Any, assets: int, terms: int) -> dict[str, Any]:
    """A glossary of `terms` terms and `assets` assets in the sandbox domain, through the emulator's API."""
    handlers, world = box.datazone_service.handlers, box.world
    started = time.perf_counter()
    with box.datazone_service.lock:
        glossary = handlers.create_glossary(
            domainIdentifier=DOMAIN_ID, name="Bench", owningProjectIdentifier=world.producer_project
        )
        term_ids: list[str] = []
        for n in range(terms):
            # Every tenth term is a kind of the first one: restores set relations after all terms exist.
            relations = {"isA": [term_ids[0]]} if term_ids and n % 10 == 0 else None
            term_ids.append(
                handlers.create_glossary_term(
                    domainIdentifier=DOMAIN_ID,
                    glossaryIdentifier=glossary["id"],
                    name=f"term-{n:04d}",
                    shortDescription=f"Bench term {n}",
                    **({"termRelations": relations} if relations else {}),
                )["id"]
            )
        asset_ids = []
        for n in range(assets):
            name = f"bench_table_{n:05d}"
            asset_ids.append(
                handlers.create_asset(
                    domainIdentifier=DOMAIN_ID,
                    name=name,
                    typeIdentifier="GlueTable",
                    owningProjectIdentifier=world.producer_project,
                    description=f"Bench table {n}",
                    externalIdentifier=f"arn:aws:glue:{REGION}:{ACCOUNT}:table/bench/{name}",
                    glossaryTerms=[term_ids[n % len(term_ids)]] if term_ids else [],
                    formsInput=[{"formName": "BusinessMetadata", "content": _content(n, 90)}],
                )["id"]
            )
    return {"asset_ids": asset_ids, "seconds": time.perf_counter() - started}


def change(box: Any, asset_ids: list[str], share: float) -> int:
    """A new revision, with new form content, of `share` of the assets (spread evenly); returns how many."""
    handlers = box.datazone_service.handlers
    step = max(1, round(1 / share))
    chosen = asset_ids[::step]
    with box.datazone_service.lock:
        for n, asset_id in enumerate(chosen):
            asset = handlers.get_asset(domainIdentifier=DOMAIN_ID, identifier=asset_id)
            handlers.create_asset_revision(
                domainIdentifier=DOMAIN_ID,
                identifier=asset_id,
                name=asset["name"],
                formsInput=[{"formName": "BusinessMetadata", "content": _content(n, 42)}],
            )
    return len(chosen)


def scheduled(deps: Any, service: BackupService, job: str, wire: WireCounter) -> dict[str, Any]:
    """Run the stored job `job` as the scheduler's executor does, and read back its run record."""
    task = backups.tasks(deps.kernel)[job]
    before = wire.writes()
    started = time.perf_counter()
    task()
    wall = time.perf_counter() - started
    run = service.store.recent(DOMAIN_ID, 1)[0]
    return {
        "status": run.status,
        "wall_s": round(wall, 2),
        "write_calls_on_wire": wire.writes() - before,
        "write_calls_recorded": run.write_calls,
        "items_written": run.items_written,
        "written_by_kind": {k: v["written"] for k, v in run.count_map.items() if v.get("read")},
    }


def reference_baseline(box: Any) -> dict[str, Any]:
    """The reference's sample: search pages of assets, one PutItem of six fields per asset, into a global table."""
    ddb, dz = box.client("dynamodb"), box.client("datazone")
    ddb.create_table(
        TableName=BASELINE_TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "AssetId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "AssetId", "KeyType": "HASH"}],
    )
    # A global table like the bot's, so both pay for replication to the replica region.
    ddb.update_table(TableName=BASELINE_TABLE, ReplicaUpdates=[{"Create": {"RegionName": REPLICA_REGION}}])
    wire = WireCounter(ddb)
    started = time.perf_counter()
    written = 0
    pages = dz.get_paginator("search").paginate(
        domainIdentifier=DOMAIN_ID, searchScope="ASSET", PaginationConfig={"PageSize": 50}
    )
    for page in pages:
        for entry in page["items"]:
            asset = entry["assetItem"]
            ddb.put_item(
                TableName=BASELINE_TABLE,
                Item={
                    "AssetId": {"S": asset["identifier"]},
                    "AssetType": {"S": asset["typeIdentifier"]},
                    "AssetName": {"S": asset["name"]},
                    "ExternalIdentifier": {"S": asset.get("externalIdentifier") or ""},
                    "CreationDate": {"S": str(asset.get("createdAt"))},
                    "FirstRevisionCreatedAt": {"S": str(asset.get("firstRevisionCreatedAt"))},
                },
            )
            written += 1
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "write_calls_on_wire": wire.writes(),
        "items_written": written,
    }


def table_entities(box: Any) -> int:
    """Entity items (not run records) the backup table holds for the domain."""
    ddb = box.client("dynamodb")
    total = 0
    for kind in KINDS:
        for page in ddb.get_paginator("query").paginate(
            TableName=BACKUP_TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition(DOMAIN_ID, kind)}},
            Select="COUNT",
        ):
            total += page["Count"]
    return total


def bare_read(box: Any) -> dict[str, Any]:
    """Every entity of the domain read back from the backup table with one paginated Query per kind."""
    ddb = box.client("dynamodb")
    started = time.perf_counter()
    items, calls = 0, 0
    for kind in KINDS:
        for page in ddb.get_paginator("query").paginate(
            TableName=BACKUP_TABLE,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition(DOMAIN_ID, kind)}},
        ):
            items += len(page["Items"])
            calls += 1
    return {"wall_s": round(time.perf_counter() - started, 2), "items_read": items, "query_calls": calls}


def _bare_read_logged(box: Any) -> dict[str, Any]:
    _phase("baselines of the restore")
    return bare_read(box)


def bare_rebuild(box: Any, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The plan's create steps as bare DataZone create calls into another empty domain, in dependency order."""
    box.datazone_service.handlers.state.add_domain("Bench bare rebuild", BARE_DOMAIN_ID)
    dz = box.client("datazone")
    ids: dict[str, str] = {}
    created = 0
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        if step["action"] == "create":
            by_kind.setdefault(step["kind"], []).append(step)
    started = time.perf_counter()
    for step in by_kind.get("PROJECT", []):
        ids[step["key"]] = dz.create_project(domainIdentifier=BARE_DOMAIN_ID, name=step["body"]["name"])["id"]
        created += 1
    for step in by_kind.get("FORM_TYPE", []):
        body = step["body"]
        dz.create_form_type(
            domainIdentifier=BARE_DOMAIN_ID,
            name=body["name"],
            model={"smithy": body["model"]},
            owningProjectIdentifier=ids[body["project"]],
        )
        created += 1
    for step in by_kind.get("ASSET_TYPE", []):
        body = step["body"]
        dz.create_asset_type(
            domainIdentifier=BARE_DOMAIN_ID,
            name=body["name"],
            formsInput={
                n: {"typeIdentifier": f["typeName"], "typeRevision": "1", "required": f["required"]}
                for n, f in body["forms"].items()
            },
            owningProjectIdentifier=ids[body["project"]],
        )
        created += 1
    for step in by_kind.get("GLOSSARY", []):
        body = step["body"]
        ids[step["key"]] = dz.create_glossary(
            domainIdentifier=BARE_DOMAIN_ID, name=body["name"], owningProjectIdentifier=ids[body["project"]]
        )["id"]
        created += 1
    for step in by_kind.get("TERM", []):
        body = step["body"]
        ids[step["key"]] = dz.create_glossary_term(
            domainIdentifier=BARE_DOMAIN_ID, glossaryIdentifier=ids[body["glossary"]], name=body["name"]
        )["id"]
        created += 1
    for step in by_kind.get("ASSET", []):
        body = step["body"]
        dz.create_asset(
            domainIdentifier=BARE_DOMAIN_ID,
            name=body["name"],
            typeIdentifier=body["typeIdentifier"],
            owningProjectIdentifier=ids[body["project"]],
            glossaryTerms=[ids[t] for t in body["terms"] if t in ids],
            formsInput=[
                {"formName": f["formName"], "typeIdentifier": f["typeName"], "content": json.dumps(f["content"])}
                for f in body["forms"]
            ],
            **({"externalIdentifier": body["externalIdentifier"]} if body.get("externalIdentifier") else {}),
        )
        created += 1
    return {"wall_s": round(time.perf_counter() - started, 2), "entities_created": created}


def restore(box: Any, service: BackupService) -> dict[str, Any]:
    """Plan and apply into the empty recovery domain, beside a bare read and a bare rebuild."""
    started = time.perf_counter()
    plan = service.plan(RECOVERY_DOMAIN_ID, ADMIN)
    plan_s = time.perf_counter() - started
    _phase("apply")
    started = time.perf_counter()
    result = service.apply(plan.plan_id, ADMIN)
    apply_s = time.perf_counter() - started
    steps = json.loads(plan.steps)
    return {
        "plan": {"wall_s": round(plan_s, 2), "steps": len(steps), "summary": json.loads(plan.summary)},
        "plan_baseline_bare_query": _bare_read_logged(box),
        "apply": {
            "wall_s": round(apply_s, 2),
            "rto_s": round(result.seconds, 2),
            "entities_created": result.created,
            "updated": result.updated,
            "failed": len(result.failed),
        },
        "apply_baseline_bare_creates": bare_rebuild(box, steps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--terms", type=int, default=500)
    args = parser.parse_args()
    configure_logging("WARNING")  # run logs to stderr; stdout is the JSON
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as workdir:
        box = start_sandbox(Path(workdir))
        try:
            _, deps = box.bot_deps(Path(workdir))
            service = BackupService.of(deps.kernel)
            wire = WireCounter(deps.aws.client("dynamodb"))  # the client the backup service writes with
            _phase("seeding")
            seeded = seed(box, args.assets, args.terms)
            _phase("full run")
            full = scheduled(deps, service, FULL_JOB, wire)
            _phase("full run again, over the table it filled")
            again = scheduled(deps, service, FULL_JOB, wire)
            _phase("baseline: one PutItem per asset")
            baseline = reference_baseline(box)
            entities = table_entities(box)
            changed = change(box, seeded["asset_ids"], CHANGED_SHARE)
            _phase("incremental run")
            incremental = scheduled(deps, service, INCREMENTAL_JOB, wire)
            _phase("restore")
            restored = restore(box, service)
            _phase("done")
            deps.close()
        finally:
            box.stop()
    ratio = baseline["write_calls_on_wire"] / max(1, full["write_calls_on_wire"])
    share = incremental["items_written"] / max(1, entities)
    result = {
        "catalog": {
            "assets": args.assets,
            "glossary_terms": args.terms,
            "entities_in_table": entities,
            "seed_s": round(seeded["seconds"], 2),
        },
        "full": {
            "bot": {**full, "mode": FULL},
            "bot_again_table_populated": {k: again[k] for k in ("status", "wall_s", "write_calls_on_wire")},
            "baseline_reference_putitem_per_asset": baseline,
            "call_ratio": round(ratio, 1),
            "target_call_ratio": 20,
            "met": ratio >= 20,
        },
        "incremental": {
            "changed_assets": changed,
            "bot": {**incremental, "mode": INCREMENTAL},
            "baseline_full_run_above": {
                "items_written": full["items_written"],
                "write_calls_on_wire": full["write_calls_on_wire"],
                "wall_s_table_populated": again["wall_s"],
            },
            "items_written_pct": round(100 * share, 2),
            "target_pct": 2,
            "met": share <= 0.02,
        },
        "restore": restored,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
