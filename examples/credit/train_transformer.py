"""Train the credit example's tabular transformer: the attention example of reportgen.

Run from anywhere: ``python examples/credit/train_transformer.py`` (after ``train.py``, whose
data splits and preprocessing it reuses unchanged). Deterministic: the same library versions give
the same network weights and training log on every run; it trains in a few seconds on one core.

The network is a small feature-tokenizer transformer (after Gorishniy et al. 2021, "Revisiting
Deep Learning Models for Tabular Data"): each raw feature becomes one token (a numeric feature's
standardised value times a learned vector, a categorical feature's learned vector for its
level, plus a learned vector per feature), a learned CLS token goes first, two post-norm
encoder blocks of ``nn.MultiheadAttention`` and a feed-forward layer follow, and a linear head
reads the CLS token's output.

It declares its attention for reportgen: the TorchScript module exports a method
``attention(x)`` that returns, for the encoded rows ``x``, the attention weights its forward
uses, shaped (rows, layers, heads, tokens, tokens); token 0 is the CLS token and token j + 1 is
the j-th raw feature of ``preprocessing.json``.

Writes, next to this script:
    transformer.pt                TorchScript network: float32 (n, 54) -> logits (n, 2)
    transformer_training_log.csv  loss per epoch (epoch, train_loss, val_loss, best)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mlp_training as mlp
import pandas as pd
import torch
from torch import nn

from reportgen.inputs.preprocessing import Preprocessing, load_preprocessing

HERE = Path(__file__).resolve().parent
SEED = 20240602
SPEC = mlp.ClassifierSpec(
    target="creditability",
    classes=("good", "bad"),
    positive="bad",
    hidden=(),  # not an MLP: the network is given to mlp.fit
    batch_size=64,
    seed=SEED,
)
WIDTH, HEADS, BLOCKS, FEED_FORWARD = 16, 2, 2, 32
MAX_EPOCHS, PATIENCE = 60, 10
MODEL_FILE, LOG_FILE = "transformer.pt", "transformer_training_log.csv"


class Tokenizer(nn.Module):
    """Encoded columns (n, w) -> one token per raw feature (n, d, WIDTH): each column's value
    times its learned vector, summed over the feature's columns, plus the feature's vector."""

    _jit_override_qualname: ClassVar[str] = "__torch__.Tokenizer"

    def __init__(self, prep: Preprocessing) -> None:
        super().__init__()
        groups = [cols for _, cols in prep.groups]
        member = torch.zeros(prep.encoded_width, len(groups))
        for j, cols in enumerate(groups):
            member[cols, j] = 1.0
        self.register_buffer("member", member)
        self.weight = nn.Parameter(torch.randn(prep.encoded_width, WIDTH) / WIDTH**0.5)
        self.bias = nn.Parameter(torch.zeros(len(groups), WIDTH))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("nw,wd,wk->ndk", x, self.member, self.weight) + self.bias


class Block(nn.Module):
    """A post-norm encoder block whose ``run`` also returns its attention weights per head."""

    _jit_override_qualname: ClassVar[str] = "__torch__.Block"

    def __init__(self) -> None:
        super().__init__()
        self.attend = nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
        # Its output projection's class keeps its sizes as TorchScript constants, whose order in
        # the archive follows string hashing: the same weights in a DeterministicLinear instead.
        out = mlp.DeterministicLinear(WIDTH, WIDTH)
        out.load_state_dict(self.attend.out_proj.state_dict())
        self.attend.out_proj = out
        self.norm1 = nn.LayerNorm(WIDTH)
        self.feed = nn.Sequential(
            mlp.DeterministicLinear(WIDTH, FEED_FORWARD),
            nn.ReLU(),
            mlp.DeterministicLinear(FEED_FORWARD, WIDTH),
        )
        self.norm2 = nn.LayerNorm(WIDTH)

    def run(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The block's output (n, t, WIDTH) and its attention weights (n, HEADS, t, t)."""
        mixed, weights = self.attend(x, x, x, need_weights=True, average_attn_weights=False)
        assert weights is not None  # need_weights=True: tells TorchScript it is a tensor
        x = self.norm1(x + mixed)
        return self.norm2(x + self.feed(x)), weights

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)[0]


class TabularTransformer(nn.Module):
    """Tokens of the raw features after a CLS token, BLOCKS blocks, a head on the CLS output."""

    _jit_override_qualname: ClassVar[str] = "__torch__.TabularTransformer"

    def __init__(self, prep: Preprocessing, n_outputs: int) -> None:
        super().__init__()
        self.tokens = Tokenizer(prep)
        self.cls = nn.Parameter(torch.randn(1, 1, WIDTH) / WIDTH**0.5)
        self.blocks = nn.ModuleList([Block() for _ in range(BLOCKS)])
        self.head = mlp.DeterministicLinear(WIDTH, n_outputs)

    def _run(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = self.tokens(x)
        h = torch.cat([self.cls.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        found: list[torch.Tensor] = []
        for block in self.blocks:
            h, weights = block.run(h)
            found.append(weights)
        return self.head(h[:, 0]), torch.stack(found, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (n, 2) of the encoded rows ``x`` (n, 54)."""
        return self._run(x)[0]

    @torch.jit.export
    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """The attention weights of the forward on ``x``: (n, layers, heads, tokens, tokens)."""
        return self._run(x)[1]


def main() -> int:
    mlp.make_deterministic(SEED)
    prep = load_preprocessing(HERE / "preprocessing.json")
    train = pd.read_csv(HERE / "data" / "reference.csv")
    test = pd.read_csv(HERE / "data" / "evaluation.csv")
    net = TabularTransformer(prep, len(SPEC.classes))
    x, y = mlp.encode(SPEC, prep, train)
    fitted = mlp.fit(SPEC, x, y, max_epochs=MAX_EPOCHS, patience=PATIENCE, net=net)
    result = mlp.evaluate(SPEC, fitted.net, *mlp.encode(SPEC, prep, test))
    torch.jit.save(torch.jit.script(fitted.net), str(HERE / MODEL_FILE))
    mlp.write_training_log(HERE / LOG_FILE, fitted)
    diff = mlp.round_trip_difference(HERE, test, result.logits, MODEL_FILE)
    parameters = sum(p.numel() for p in fitted.net.parameters())
    print(f"{parameters} parameters; released epoch {fitted.best_epoch} of {len(fitted.history)}")
    print(f"test ROC AUC ({SPEC.positive}) {result.roc_auc:.4f}, accuracy {result.accuracy:.4f}")
    print(f"reloaded {MODEL_FILE} vs. trained network: max |logit diff| {diff:.3g}")
    return 0 if diff < mlp.ROUND_TRIP_TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
