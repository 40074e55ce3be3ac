"""The /catalog parsers over any text: a parse or a clear refusal with the usage, never a crash."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import BadInput
from bot.paging import take_page
from handlers.catalog import ids
from handlers.catalog.arguments import parse_request, parse_search
from handlers.catalog.unfurl import PortalRef, portal_ref

USAGE = "/catalog <text>"
HOST = "dzd_x.datazone.eu-west-1.on.aws"
WORDS = st.sampled_from(["term:", "class:", "project:", "project=", '"', "page=", "customer", " ", "\n", "`", "x"])
TEXT = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=30).map("".join))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=TEXT)
def test_no_search_text_crashes_the_parser_and_a_parse_fits_a_page_button(text):
    try:
        rest, _page = take_page(text, USAGE)
        args = parse_search(rest, USAGE)
    except BadInput as error:
        assert "Usage:" in str(error)
    else:
        state = ids.SearchState(
            text=args.text,
            term=args.term,
            classification=args.classification,
            project=args.project,
            offset=ids.MAX_OFFSET,
        )
        assert len(state.model_dump_json()) <= 2000  # a page button's value


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=TEXT)
def test_no_request_text_crashes_the_parser(text):
    try:
        args = parse_request(text, USAGE)
    except BadInput as error:
        assert "Usage:" in str(error)
    else:
        assert args.asset and len(args.reason) >= 3 and (args.project is None or "project=" in text.lower())


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(url=st.one_of(st.text(max_size=200), st.builds(lambda path: f"https://{HOST}/{path}", st.text(max_size=100))))
def test_no_link_crashes_the_portal_link_reader(url):
    found = portal_ref(url, HOST)
    assert found is None or (found.kind in ("asset", "listing") and found.id in url)


def test_filters_are_words_and_values_with_spaces_are_quoted():
    args = parse_search('orders term:Revenue class:Internal project:"Sales producer" daily', USAGE)
    assert (args.text, args.term, args.classification, args.project) == (
        "orders daily",
        "Revenue",
        "Internal",
        "Sales producer",
    )
    request = parse_request('"sales orders" project="Marketing analytics" Campaign attribution', USAGE)
    assert (request.asset, request.project, request.reason) == (
        "sales orders",
        "Marketing analytics",
        "Campaign attribution",
    )


def test_portal_links_name_an_asset_or_a_listing():
    assert portal_ref(f"https://{HOST}/projects/p1/catalog/assets/abc_123?tab=schema", HOST) == PortalRef(
        "asset", "abc_123"
    )
    assert portal_ref(f"https://{HOST.upper()}/listings/l1", HOST) == PortalRef("listing", "l1")
    assert portal_ref(f"https://{HOST}/data?assetId=a9", HOST) == PortalRef("asset", "a9")
    assert portal_ref("https://elsewhere.example/assets/a1", HOST) is None
    assert portal_ref(f"ftp://{HOST}/assets/a1", HOST) is None
