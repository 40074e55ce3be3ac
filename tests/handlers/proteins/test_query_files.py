"""Query files for batch search: vectors (.npy, HDF5) and FASTA, read in batches and refused clearly."""

import numpy as np
import pytest

from bot.errors import BadInput
from handlers.proteins.fasta import read_fasta, read_vectors
from tests.handlers.proteins.conftest import gaussian, write_h5


def test_npy_queries_come_in_batches_named_by_row(tmp_path):
    vectors = gaussian(5, 8)
    np.save(tmp_path / "q.npy", vectors)
    batches = list(read_vectors(tmp_path / "q.npy", batch_rows=2))
    assert [names for names, _ in batches] == [["0", "1"], ["2", "3"], ["4"]]
    np.testing.assert_array_equal(np.vstack([chunk for _, chunk in batches]), vectors)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_query_vector_that_is_not_numbers_is_refused_by_its_row(tmp_path, bad):
    vectors = gaussian(5, 8).astype(np.float64)  # converted to float32 on the way
    vectors[3, 1] = bad
    np.save(tmp_path / "q.npy", vectors)
    with pytest.raises(BadInput, match=r"q.npy: the embedding of row 3 \(id `3`\) is missing or holds NaN"):
        list(read_vectors(tmp_path / "q.npy", batch_rows=2))


def test_hdf5_queries_carry_their_ids_and_are_checked_too(tmp_path):
    vectors = gaussian(3, 8)
    path = write_h5(tmp_path / "q.h5", ["a", "b", "c"], vectors)
    [(names, chunk)] = list(read_vectors(path))
    assert names == ["a", "b", "c"]
    np.testing.assert_array_equal(chunk, vectors)
    vectors[2, 0] = np.nan
    with pytest.raises(BadInput, match=r"row 2 \(id `c`\)"):
        list(read_vectors(write_h5(tmp_path / "bad.h5", ["a", "b", "c"], vectors)))


def test_a_one_dimensional_npy_is_refused(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros(8, np.float32))
    with pytest.raises(BadInput, match="expected a 2-D array"):
        list(read_vectors(tmp_path / "flat.npy"))


def test_fasta_records_are_read_and_checked(tmp_path):
    path = tmp_path / "q.fa"
    path.write_text(">first some description\nMKTAY\nIAKQR\n\n>second\nGGG\n")
    assert list(read_fasta(path)) == [("first", "MKTAYIAKQR"), ("second", "GGG")]
    path.write_text(">ok\nMKT\n>bad\nMKT1\n")
    with pytest.raises(BadInput, match="record bad: The sequence has characters outside"):
        list(read_fasta(path))
    path.write_text("MKT\n")
    with pytest.raises(BadInput, match="starts with a '>' header"):
        list(read_fasta(path))
