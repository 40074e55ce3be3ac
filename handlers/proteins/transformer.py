"""A transformer protein language model (ESM-2 / AMPLIFY family) loaded from a local directory.

As in the reference, a protein's embedding is the mean of the final hidden layer over its residues
(padding and special tokens excluded). Nothing is downloaded: the directory must hold the model's
config, weights and tokenizer (`save_pretrained` output). Needs the `plm` extra (transformers, torch).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.errors import BadInput

# Keeps a batch's activations small on a CPU; long proteins dominate the cost anyway.
BATCH = 8


class TransformerEmbedder:
    """Mean-pooled last hidden layer of a local masked-language model; named after its directory."""

    def __init__(self, directory: Path, max_length: int = 2048) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError:
            raise BadInput("a transformer embedder needs the `plm` extra: pip install 'opsbot[plm]'") from None
        self._torch = torch
        self.name = directory.name
        self.max_length = max_length
        self.tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
        self.model = AutoModel.from_pretrained(directory, local_files_only=True, trust_remote_code=False)
        self.model.eval()
        self.dimension = int(self.model.config.hidden_size)

    def embed_many(self, sequences: list[str]) -> np.ndarray:
        """One float32 row per sequence."""
        rows = [self._batch(sequences[start : start + BATCH]) for start in range(0, len(sequences), BATCH)]
        return np.concatenate(rows) if rows else np.zeros((0, self.dimension), np.float32)

    def _batch(self, sequences: list[str]) -> np.ndarray:
        torch = self._torch
        tokens = self.tokenizer(
            sequences,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="pt",
            return_special_tokens_mask=True,
        )
        special = tokens.pop("special_tokens_mask")
        with torch.inference_mode():
            hidden = self.model(**tokens).last_hidden_state
        # Residues only: the attention mask drops padding, the special-tokens mask drops <cls> and <eos>.
        mask = (tokens["attention_mask"] * (1 - special)).unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return pooled.float().numpy()
