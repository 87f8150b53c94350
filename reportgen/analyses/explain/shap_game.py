"""The interventional coalition game both SHAP estimators play, vectorised across rows.

A coalition S of raw features, for explained row x and background row z, is the row that takes
x's values on S and z's elsewhere; the game's value v(S) is the model's output averaged over the
background rows. Where x and z agree on a feature, toggling it changes nothing, so the model is
only called for the distinct rows: for a pair (x, z), the coalition matters only through its
part inside D = {features where x differs from z}; the empty part is z itself, the full part is x
itself, and both of those outputs are known from one call each. The estimators rely on this to
call the model on fewer rows, with exactly the values a full evaluation would give.

Coalition rows are built in the model's own input space (:meth:`ModelAdapter.model_inputs`: a
torch network's encoded columns), from the explained and background rows encoded once: each input
column depends on one raw feature only, so this is the very matrix encoding each coalition would
give, without encoding millions of rows again (for the example networks, encoding cost as much
as the forward pass itself).

Every reduction here adds its terms in one fixed order per row (background rows one by one), so a
row's numbers never depend on the other rows computed with it or on how the work is chunked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reportgen.inputs.models import ModelAdapter

MEMORY_LIMIT = 2**24
"""Array elements (8 bytes each) one chunk of work may hold at a time: about 128 MB per array
family, a few hundred MB at most in all."""


@dataclass(frozen=True)
class Game:
    """A model against a background: what every coalition is averaged over."""

    model: ModelAdapter
    background: np.ndarray
    """(b, d) coded background rows."""
    background_outputs: np.ndarray
    """(b, k) the model's outputs on them."""
    background_inputs: np.ndarray
    """(b, p) the background rows as the model's inputs."""

    @classmethod
    def of(cls, model: ModelAdapter, background: np.ndarray) -> Game:
        background = np.asarray(background, dtype=np.float64)
        return cls(model, background, outputs(model, background), model.model_inputs(background))

    def coalitions(
        self, columns: np.ndarray, x_inputs: np.ndarray, z_inputs: np.ndarray
    ) -> np.ndarray:
        """(m, k) the outputs of m coalition rows: row i takes ``x_inputs[i]``'s input columns
        where ``columns[i]`` (m, p) is true and ``z_inputs[i]``'s elsewhere (a coalition of raw
        features S is ``columns = S[input_features]``)."""
        found = self.model.predict_inputs(np.where(columns, x_inputs, z_inputs))
        return found.reshape(len(columns), self.model.n_outputs)

    def input_columns(self, on: np.ndarray) -> np.ndarray:
        """Coalitions over raw features (m, d) as masks over the model's input columns (m, p);
        the masks themselves when every input column is one raw feature, in order."""
        features = self.model.input_features
        if len(features) == on.shape[1] and np.array_equal(features, np.arange(len(features))):
            return on
        return on[:, features]

    @property
    def base(self) -> np.ndarray:
        """(k,) E[f] over the background: the value of the empty coalition."""
        return background_mean(self.background_outputs)


def outputs(model: ModelAdapter, codes: np.ndarray) -> np.ndarray:
    """The model's outputs on ``codes`` as (n, k), k = 1 for regressors."""
    return model.predict_codes(codes).reshape(len(codes), model.n_outputs)


def differs(codes: np.ndarray, background: np.ndarray) -> np.ndarray:
    """(n, b, d): where each explained row differs from each background row.

    Equality is exact: a feature that differs by any amount is a player (shap's masker treats
    values within ``np.isclose`` as equal instead).
    """
    return np.not_equal(codes[:, None, :], background[None, :, :])


def add_rows(total: np.ndarray, values: np.ndarray) -> None:
    """Add ``values`` (b, ...) into ``total`` (...) background row by background row."""
    for part in values:
        total += part


def background_mean(values: np.ndarray) -> np.ndarray:
    """Mean over the leading (background) axis, adding the background rows one by one."""
    total = np.zeros(values.shape[1:])
    add_rows(total, values)
    return total / len(values)


def chunks(n: int, size: int) -> list[slice]:
    """Consecutive slices of at most ``size`` (at least 1) covering range(n)."""
    size = max(1, size)
    return [slice(start, min(n, start + size)) for start in range(0, n, size)]
