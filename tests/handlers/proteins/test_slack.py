"""/protein end to end: signed slash commands into the real app, answers in the fake Slack."""

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_app
from bot.deps import build_deps
from bot.errors import BadInput
from bot.settings import load_settings
from handlers.proteins.query import parse_command
from opsbot.capabilities import CAPABILITIES
from sandbox.proteins import build_sample_database, families
from tests.conftest import ALICE, POLICY
from tests.harness import SIGNING_SECRET, BoltDriver, eventually


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    directory = tmp_path_factory.mktemp("proteins")
    return build_sample_database(str(directory / "proteins.lance"), directory)


@pytest.fixture
def bot(fake_slack, requests_, tmp_path, sample_db):
    def build(**extra):
        settings = load_settings(
            _env_file=None,
            slack_bot_token=fake_slack.bot_token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake_slack.api_url,
            database_url=f"sqlite:///{tmp_path / 'opsbot.db'}",
            listener_workers=2,
            **{"protein_db": str(sample_db), **extra},
        )
        deps = build_deps(settings, policy=POLICY)
        deps.db.migrate(CAPABILITIES)
        built.append(deps)
        return BoltDriver(build_app(settings, deps, CAPABILITIES), requests_)

    built = []
    yield build
    for deps in built:
        deps.close()


def _responses(fake_slack, count):
    eventually(lambda: len(fake_slack.calls_to("response_url")) >= count)
    return [c.body for c in fake_slack.calls_to("response_url")]


def _text(body):
    return body.get("text", "") + json.dumps(body.get("blocks", []))


def test_search_by_id_says_searching_then_shows_the_family(bot, fake_slack):
    response = bot().command("/protein", "FAM004_m07 k=5", user=ALICE)
    assert response.status == 200 and not response.body  # acked at once, nothing else in the ack
    searching, answer = _responses(fake_slack, 2)
    assert "Searching 1 bucket for the 5 nearest proteins to `FAM004_m07`" in searching["text"]
    assert answer["replace_original"] is True
    table = answer["blocks"][1]
    assert table["type"] == "table"  # Slack's table block: it reflows on a phone
    header, *rows = [[cell["text"] for cell in row] for row in table["rows"]]
    assert header == ["#", "protein", "distance", "identity", "bucket"]
    assert rows[0][1] == "FAM004_m07" and len(rows) == 5
    assert all(r[1].startswith("FAM004") for r in rows)
    assert rows[0][3] == "100.0%" and all(r[4] == "bucket_0000" for r in rows)
    assert not fake_slack.calls_to("files.completeUploadExternal")


def test_search_by_sequence_finds_its_family(bot, fake_slack):
    sequence = next(s for p, _, s in families() if p == "FAM012_m03")
    bot().command("/protein", f"{sequence.lower()} k=3 nprobes=5 refine=4", user=ALICE)
    answer = _responses(fake_slack, 2)[1]
    assert "FAM012_m03" in _text(answer) and "k=3 nprobes=5 refine=4" in _text(answer)
    assert _text(answer).count("FAM012") == 3


def test_large_k_sends_a_csv_of_every_hit_to_the_askers_dm_only(bot, fake_slack):
    fake_slack.workspace.join("C0LAB")
    bot().command("/protein", "FAM001_root k=60", user=ALICE, channel_id="C0LAB")
    answer = _responses(fake_slack, 2)[1]
    assert "all 60 are in `proteins-near-FAM001_root.csv`, in your DM" in _text(answer)
    upload = fake_slack.wait_for("file_upload")
    rows = list(csv.DictReader(io.StringIO(upload.body["content"])))
    assert len(rows) == 60 and rows[0]["id"] == "FAM001_root"
    assert [r["id"].split("_")[0] for r in rows[:25]] == ["FAM001"] * 25
    [shared] = fake_slack.files.values()
    # The answer was ephemeral: the file is shared in the asker's DM, never in the channel.
    assert shared.channel == fake_slack.workspace.dm_of(ALICE).id and shared.channel != "C0LAB"
    assert shared.content.decode() == upload.body["content"]


@pytest.mark.slack_refusals("user_not_found")
def test_a_csv_that_cannot_be_sent_is_explained(bot, fake_slack):
    fake_slack.workspace.users.pop(ALICE)
    bot().command("/protein", "FAM001_root k=60", user=ALICE, channel_id="C0LAB")
    *_, warning = _responses(fake_slack, 3)
    assert "The CSV of all 60 could not be sent to you (user_not_found)" in _text(warning)
    assert not fake_slack.files


def test_info_shows_buckets_index_and_embedder(bot, fake_slack):
    bot().command("/protein", "info", user=ALICE)
    text = _text(_responses(fake_slack, 1)[0])
    assert "1 bucket, 500 proteins" in text and "kmer-hash-v1" in text
    # The sandbox's database is indexed with the default type, recorded per bucket and shown as such.
    assert "Indexes: 1 IVF_RQ cosine" in text and "IVF_RQ cosine, 22 partitions, 4 bits per dimension" in text


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("MKTAYIAKQRJJ", "outside the 20 amino acids"),
        ("FAM001_root k=0", "`k`: input should be greater than or equal to 1"),
        ("FAM001_root k=five", "`k` must be a whole number"),
        ("FAM001_root depth=3", "Unknown option `depth=3`"),
        ("seq:", "The sequence is empty"),
        ("A" * 3001, "the limit is 3,000"),
    ],
)
def test_bad_input_gets_a_clear_answer_and_no_search(bot, fake_slack, text, answer):
    bot().command("/protein", text, user=ALICE)
    replies = _responses(fake_slack, 1)
    assert answer in replies[0]["text"]
    assert not any("Searching" in r.get("text", "") for r in replies)


def test_an_unknown_id_replaces_the_searching_line(bot, fake_slack):
    bot().command("/protein", "NOT_THERE", user=ALICE)
    searching, answer = _responses(fake_slack, 2)
    assert "Searching" in searching["text"]
    assert answer["replace_original"] is True and "No protein with id `NOT_THERE`" in answer["text"]


def test_without_a_database_the_command_says_so(bot, fake_slack):
    bot(protein_db=None).command("/protein", "FAM001_root", user=ALICE)
    assert "an admin sets OPSBOT_PROTEIN_DB" in _responses(fake_slack, 1)[0]["text"]


words = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(words, st.sampled_from(["k=", "nprobes=", "refine=", "seq:", "id:"]).map(lambda p: p + "5")),
        max_size=6,
    )
)
def test_the_parser_accepts_or_explains_any_input(parts):
    try:
        query, options = parse_command(" ".join(parts))
    except BadInput as error:
        assert error.message
        return
    assert query.value and (options.k is None or 1 <= options.k <= 1000)
