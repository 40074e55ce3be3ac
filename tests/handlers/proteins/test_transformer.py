"""The transformer embedder through its real loader, on a tiny random ESM model the test builds itself.

Needs the `plm` extra (transformers, torch); skipped without it, since PyPI's torch wheel for Linux
brings several GB of CUDA libraries that the default lock files do not carry.
"""

import numpy as np
import pytest

from bot.errors import BadInput
from handlers.proteins.catalog import Embedder
from handlers.proteins.embedders import check_compatible, load_embedder

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

ESM_TOKENS = ["<cls>", "<pad>", "<eos>", "<unk>", *"LAGVSERTIDPKQNFYMHWCXBUZO", ".", "-", "<null_1>", "<mask>"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A 2-layer, 32-wide ESM model with random weights and ESM's tokenizer, saved like a real checkpoint."""
    directory = tmp_path_factory.mktemp("models") / "tiny-esm"
    directory.mkdir()
    vocab = directory / "vocab.txt"
    vocab.write_text("\n".join(ESM_TOKENS) + "\n")
    tokenizer = transformers.EsmTokenizer(vocab_file=str(vocab))
    torch.manual_seed(0)
    config = transformers.EsmConfig(
        vocab_size=len(ESM_TOKENS),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=1026,
        pad_token_id=tokenizer.pad_token_id,
        mask_token_id=tokenizer.mask_token_id,
        position_embedding_type="rotary",
    )
    transformers.EsmModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_the_tiny_model_embeds_sequences_by_mean_pooling(model_dir):
    embedder = load_embedder(str(model_dir))
    assert (embedder.name, embedder.dimension) == ("tiny-esm", 32)
    sequences = ["MKTAYIAKQRQISFVKSHFSRQ", "MKTAYIAKQR", "GGGGGGGGGGGGGGGGGGGGGGGGGGGGG"]
    vectors = embedder.embed_many(sequences)
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32 and np.isfinite(vectors).all()
    # Padding must not change an embedding: each sequence alone equals its row in the padded batch.
    for sequence, row in zip(sequences, vectors, strict=True):
        assert np.allclose(embedder.embed_many([sequence])[0], row, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[2])


def test_its_vectors_are_refused_against_a_database_of_another_model(model_dir):
    embedder = load_embedder(str(model_dir))
    check_compatible(embedder, Embedder("tiny-esm", 32))
    with pytest.raises(BadInput, match="come from `kmer-hash-v1`"):
        check_compatible(embedder, Embedder("kmer-hash-v1", 960))
