"""Best-fit bin packing of files into buckets."""

from hypothesis import given
from hypothesis import strategies as st

from handlers.proteins.packing import Item, best_fit

sizes = st.lists(st.integers(min_value=1, max_value=1_000), min_size=0, max_size=60)


def test_each_file_goes_where_it_leaves_least_room():
    bins = best_fit([Item("a", 3000), Item("b", 1200), Item("c", 800)], capacity=4000)
    assert [sorted(i.name for i in b.items) for b in bins] == [["a", "c"], ["b"]]


@given(sizes, st.integers(min_value=1, max_value=2_000))
def test_packing_is_complete_and_bounded(rows, capacity):
    items = [Item(f"f{i}", r) for i, r in enumerate(rows)]
    bins = best_fit(items, capacity)
    packed = sorted(i.name for b in bins for i in b.items)
    assert packed == sorted(i.name for i in items)
    # Never over capacity, except a single file larger than a whole bucket.
    assert all(b.rows <= capacity or len(b.items) == 1 for b in bins)
    # Any-fit packings never leave two bins that could be merged: at most twice the lower bound.
    normal = [b for b in bins if b.rows <= capacity]
    assert all(a.rows + b.rows > capacity for i, a in enumerate(normal) for b in normal[i + 1 :])
    lower_bound = -(-sum(min(r, capacity) for r in rows) // capacity)
    assert len(normal) <= max(1, 2 * lower_bound)
