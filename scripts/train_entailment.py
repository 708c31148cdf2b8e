"""Train an entailment classifier for the verifier: an experiment, not shipped (see the README,
"Signals tried and not kept").

    .venv/bin/python scripts/train_entailment.py --out PATH [--hold-out ESSAY_ID]

Reads the claim–passage pairs in ``training/entailment/*.jsonl`` (written by hand: for each passage,
faithful paraphrases with less and less word overlap, contradictions of several kinds, and related
claims the passage does not make), adds pairs made from them (see :func:`augmented`), and fine-tunes
the shipped MiniLM's transformer layers with a three-way head. Fixed seed; about 7 minutes on two
cores. ``--hold-out`` leaves one essay's pairs out, for the essay-held-out measurement.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModel, AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "training" / "entailment"
EPOCHS = 4
LEARNING_RATE = 5e-5
BATCH = 16
UNRELATED_SHARE = 0.5
MIN_SELF_WORDS = 8
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"])")
SEED = 13


LABELS = ("supports", "contradicts", "neither")
# A claim is one sentence and a window at most three sentences: longer pairs are cut from the longer
# side (a question may be up to 2,000 characters).
MAX_TOKENS = 160


class PairClassifier(torch.nn.Module):
    """MiniLM over ``[CLS] claim [SEP] passage [SEP]``, mean-pooled, then a linear layer per label."""

    def __init__(self, encoder: Any):
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.Linear(encoder.config.hidden_size, len(LABELS))

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """Logits, one row per pair."""
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        logits: torch.Tensor = self.head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))
        return logits

    def trained_state(self) -> dict[str, torch.Tensor]:
        """What training changes: the transformer layers and the head (the word embeddings stay the
        package's own, so the stored file holds under half the model)."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("encoder.embeddings.")}


def base_path() -> Path:
    """The shipped all-MiniLM-L6-v2 weights (the classifier's starting point, whatever embedder is
    configured)."""
    from bot.search.embedder import DEFAULT_MODEL, resolve_model_path

    return Path(resolve_model_path(DEFAULT_MODEL))


def load_base() -> tuple[Any, PairClassifier]:
    """Tokenizer and an untrained classifier over the shipped encoder, offline."""
    path = base_path()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    encoder = AutoModel.from_pretrained(path, local_files_only=True)
    return tokenizer, PairClassifier(encoder)


def encode_pairs(tokenizer: Any, claims: Sequence[str], passages: Sequence[str]) -> dict[str, torch.Tensor]:
    """One padded batch of (claim, passage) pairs."""
    return dict(
        tokenizer(
            list(claims),
            list(passages),
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="pt",
        )
    )


def read_pairs(folder: Path, hold_out: str | None = None) -> list[dict[str, Any]]:
    """Every pair in the folder's JSONL files, less the held-out essay's."""
    from bot.evaluation.metrics import read_jsonl

    return [p for path in sorted(folder.glob("*.jsonl")) for p in read_jsonl(path) if p["essay"] != hold_out]


def augmented(pairs: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The written pairs, plus two kinds made from them.

    - For a share of the supporting and contradicting claims, the same claim against another essay's
      passage ("neither"): "unrelated" is learnt as well as "related but unsaid", and a contradiction
      is learnt as needing a passage about the same thing.
    - Each sentence of a passage as a claim about its own passage ("supports"): without them the
      classifier learnt that a claim with a number or a name in it is usually a changed fact.
    """
    passages = sorted({(p["essay"], p["passage"]) for p in pairs})
    extra = []
    for p in pairs:
        if p["label"] in ("supports", "contradicts") and rng.random() < UNRELATED_SHARE:
            _, other = rng.choice([x for x in passages if x[0] != p["essay"]])
            extra.append({**p, "passage": other, "label": "neither", "kind": "unrelated"})
    for essay, text in passages:
        for sentence in SENTENCE_END.split(text):
            if len(sentence.split()) >= MIN_SELF_WORDS:
                claim = sentence.rstrip(".")
                if rng.random() < 0.5:  # as members type it, half the time
                    claim = "who said " + claim[0].lower() + claim[1:]
                extra.append({"essay": essay, "passage": text, "claim": claim, "label": "supports"})
    return pairs + extra


def train(pairs: list[dict[str, Any]], *, log: bool = True) -> Any:
    """Fine-tune the classifier on ``pairs``; returns it in eval mode."""
    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    tokenizer, model = load_base()
    for p in model.encoder.embeddings.parameters():
        p.requires_grad = False  # the word embeddings stay the package's own
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=LEARNING_RATE, weight_decay=0.01)
    steps = EPOCHS * -(-len(pairs) // BATCH)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / steps)
    )
    label = {name: i for i, name in enumerate(LABELS)}
    model.train()
    start = time.time()
    for epoch in range(EPOCHS):
        order = list(range(len(pairs)))
        rng.shuffle(order)
        total = 0.0
        for i in range(0, len(order), BATCH):
            batch = [pairs[j] for j in order[i : i + BATCH]]
            x = encode_pairs(tokenizer, [b["claim"] for b in batch], [b["passage"] for b in batch])
            y = torch.tensor([label[b["label"]] for b in batch])
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            total += float(loss.detach()) * len(batch)
        if log:
            print(
                f"epoch {epoch + 1}/{EPOCHS}: loss {total / len(pairs):.3f} ({time.time() - start:.0f} s)",
                flush=True,
            )
    model.eval()
    return model


def main(argv: list[str] | None = None) -> int:
    """Train and write the weights (float16, the trained part only)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="where to write the weights (.safetensors)")
    ap.add_argument("--hold-out", help="leave this essay's pairs out")
    args = ap.parse_args(argv)
    from safetensors.torch import save_file

    from bot.cpus import available_cpus

    torch.set_num_threads(available_cpus())
    pairs = augmented(read_pairs(PAIRS, args.hold_out), random.Random(SEED))
    print(f"{len(pairs)} pairs", flush=True)
    model = train(pairs)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.trained_state().items()}
    save_file(
        state, str(args.out), metadata={"pairs": str(len(pairs)), "epochs": str(EPOCHS), "seed": str(SEED)}
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
