"""Would ONNX Runtime be a better engine for the embedding model? Speed, agreement and answers, in one run.

Usage: .venv/bin/python bench/onnx_backend.py [--rounds N] [--questions N]
Needs the ``onnx`` extra (``pip install -e '.[onnx]'``); the bot itself never imports either package.

sentence-transformers' own ONNX backend needs ``optimum-onnx``, whose releases pin transformers below
4.58; this project runs transformers 5, so the backend cannot be installed beside it. This script
therefore exports the shipped all-MiniLM-L6-v2 weights itself (no download: the same files the bot
loads), into a temporary folder, and runs them under ONNX Runtime as float32 and with int8 dynamic
quantisation, with the model's own tokenizer, mean pooling and normalisation. It prints, per engine:

- per-question embedding latency (batch 1, p50) and ingest throughput (batch 32), with the thread
  count the bot uses;
- the cosine between each engine's passage vectors and torch's (agreement with the shipped model);
- answers: the seeds are ingested with the engine's vectors and the project's own question files
  asked through the core's who-said; the number of answers whose verdict or first essay differs from
  torch's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import _essaybot_or_exit  # noqa: F401  (first: one clear line outside .venv)

# isort: split

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from bot.config import load_settings
from bot.core.essaybot import Essaybot
from bot.cpus import available_cpus
from bot.evaluation.metrics import read_jsonl
from bot.search.embedder import Embedder, Vectors

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
FILES = ("own_who_said.jsonl", "hard_paraphrases.jsonl", "claims_negative.jsonl", "claims_positive.jsonl")

try:
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic
except ModuleNotFoundError:
    sys.exit("bench/onnx_backend.py needs onnxruntime: pip install -e '.[onnx]'")


class OnnxEmbedder(Embedder):
    """The shipped model's transformer exported to ONNX; tokenizer, pooling and norm as the model's."""

    def __init__(self, reference: Embedder, model_file: Path, threads: int):
        super().__init__(reference.model_name, batch_size=reference.batch_size, threads=threads)
        st = reference._load()
        self._tokenizer = st.tokenizer
        assert st.max_seq_length is not None, "the shipped model declares its maximum length"
        self._max_len = int(st.max_seq_length)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._dim = reference.dimension

    @property
    def dimension(self) -> int:
        """Width of the vectors (the reference model's)."""
        return self._dim

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> Vectors:
        """Unit vectors, batch by batch, as the sentence-transformers pipeline computes them."""
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = self._tokenizer(
                list(texts[i : i + self.batch_size]),
                padding=True,
                truncation=True,
                max_length=self._max_len,
                return_tensors="np",
            )
            feeds = {k: np.asarray(v, dtype=np.int64) for k, v in batch.items() if k in self._inputs}
            hidden = self._session.run(None, feeds)[0]
            mask = feeds["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            out.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
        if not out:
            return np.zeros((0, self._dim), dtype=np.float32)
        return np.ascontiguousarray(np.concatenate(out), dtype=np.float32)


def export(reference: Embedder, folder: Path) -> tuple[Path, Path]:
    """The transformer as ONNX float32, and its int8 dynamic quantisation."""
    import torch

    st = reference._load()
    sample = st.tokenizer(["an example sentence"], return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Hidden(torch.nn.Module):
        """The transformer called by keyword (its forward takes more positional arguments)."""

        def __init__(self) -> None:
            super().__init__()
            self.inner = cast(torch.nn.Module, st[0].auto_model).eval()

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state
            return hidden

    transformer = Hidden().eval()
    fp32 = folder / "model.onnx"
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            transformer,
            tuple(sample[n] for n in names),
            str(fp32),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    int8 = folder / "model.int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    return fp32, int8


def _p50_ms(fn: Callable[[str], object], texts: list[str], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        for t in texts:
            start = time.perf_counter()
            fn(t)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _answers(embedder: Embedder, rows: list[dict[str, Any]], work: Path) -> list[tuple[str, str | None]]:
    app = Essaybot(load_settings(None, data_dir=work))
    app.embedder = embedder
    app.ensure_ready()
    try:
        out: list[tuple[str, str | None]] = []
        for row in rows:
            answer = app.who_said(row["query"])
            out.append((answer.verdict, answer.results[0].essay.id if answer.results else None))
        return out
    finally:
        app.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=0, help="ask only the first N questions (0: all)")
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)  # the exporter's imports turn on debug logging
    threads = available_cpus()
    rows = [row for name in FILES for row in read_jsonl(DATA / name)]
    if args.questions:
        rows = rows[: args.questions]
    queries = [row["query"] for row in rows]
    with tempfile.TemporaryDirectory(prefix="essaybot-onnx-") as tmp:
        work = Path(tmp)
        torch_app = Essaybot(load_settings(None, data_dir=work / "torch"))
        torch_app.ensure_ready()
        reference = torch_app.embedder
        passages = [p.text for p in torch_app.retriever().snapshot.passages]
        fp32, int8 = export(reference, work)
        engines: dict[str, Embedder] = {
            "torch": reference,
            "onnx fp32": OnnxEmbedder(reference, fp32, threads),
            "onnx int8": OnnxEmbedder(reference, int8, threads),
        }
        base = reference.encode(passages)
        print(f"{len(passages)} seed passages, {len(queries)} questions, {threads} threads")
        heads = ("query p50 ms", "passages/s", "cos min", "cos mean", "answers differ")
        widths = (12, 10, 8, 8, 14)
        print(f"{'engine':10} " + " ".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True)))
        torch_answers = _answers(reference, rows, work / "torch")
        for name, engine in engines.items():
            engine.encode(queries[:8])  # warm-up
            p50 = _p50_ms(engine.encode_one, queries, args.rounds)
            start = time.perf_counter()
            vectors = engine.encode(passages)
            rate = len(passages) / (time.perf_counter() - start)
            cos = (vectors * base).sum(axis=1)
            differ = "-"
            if name != "torch":
                answers = _answers(engine, rows, work / name.replace(" ", "-"))
                differ = f"{sum(a != b for a, b in zip(answers, torch_answers, strict=True))}/{len(rows)}"
            print(f"{name:10} {p50:12.1f} {rate:10.0f} {cos.min():8.4f} {cos.mean():8.4f} {differ:>14}")
        torch_app.engine.dispose()
        size = {p.name: p.stat().st_size / 1e6 for p in (fp32, int8)}
        print(f"model files: fp32 {size['model.onnx']:.0f} MB, int8 {size['model.int8.onnx']:.0f} MB")


if __name__ == "__main__":
    main()
