"""LIME over raw features: lime's tabular method, run for many cases at once.

The method is lime's ``LimeTabularExplainer.explain_instance`` with ``discretize_continuous=True``
(quartile bins), categorical features given as coded levels with their names, and
``num_features`` = every feature (tests/analyses/test_lime_oracle.py holds it to lime):

- the neighbourhood, its binary "same bin or level as the case" representation and the rule
  texts ("purpose=car (new)", "duration_in_month > 24.00") come from lime_sampling.py;
- each sample's distance to the case is the Euclidean distance of the binary rows (the square
  root of the number of features that left the case's bin or level), weighted by lime's kernel
  sqrt(exp(-distance^2 / width^2)) with width 0.75 * sqrt(d);
- lime's feature selection 'auto' with num_features = d keeps every feature (forward selection
  for d <= 6 and "highest weights" otherwise both return all d features, only in another
  order), so the local model is lime's Ridge(alpha=1) with intercept on all the features,
  fitted with the kernel weights; its weighted R^2 is the fit, its intercept the base.

lime explains one case at a time. Here the model is asked about the samples of many cases in
one call, and the weighted ridge of every case is solved at once from its normal equations, as
scikit-learn's Ridge solves them. Each case's numbers depend on its row and seed only.
"""

from __future__ import annotations

import numpy as np

from reportgen.analyses.explain.attribution import Attribution
from reportgen.analyses.explain.lime_sampling import LimeStatistics
from reportgen.inputs.models import ModelAdapter

RIDGE_ALPHA = 1.0
"""lime's local model: Ridge(alpha=1, fit_intercept=True)."""

VALUES_PER_CHUNK = 2**20
"""Cases are explained in chunks of at most about this many (sample, feature) values (8 MiB
per array), so memory stays bounded however many cases are asked for at once; smaller arrays
than 32 MiB also keep more of the sampling in cache (about 20% more of LIME's time in the model
on the credit model)."""


def explain_lime(
    model: ModelAdapter,
    codes: np.ndarray,
    *,
    target: np.ndarray,
    background: np.ndarray,
    seeds: np.ndarray,
    num_samples: int = 5000,
) -> Attribution:
    """LIME weights of output ``target[i]`` for each coded row ``codes[i]``.

    Args:
        background: (b, d) coded reference rows; LIME takes feature statistics (quartiles,
            category frequencies) from them.
        seeds: (n,) one seed per row: a row's samples are drawn from its own seed (modulo
            2^32, as lime's ``random_state``), so a row's weights depend on its own seed only.
        num_samples: perturbed samples per row (the first is the row itself).
    """
    codec = model.codec
    stats = LimeStatistics.of(background, codec.categorical_indices)
    n, d = codes.shape
    target = np.asarray(target, dtype=np.int64)
    width = np.sqrt(d) * 0.75
    values, base, fit, output = np.zeros((n, d)), np.zeros(n), np.zeros(n), np.zeros(n)
    per_chunk = max(1, VALUES_PER_CHUNK // (num_samples * d))
    for start in range(0, n, per_chunk):
        cases = range(start, min(n, start + per_chunk))
        own_seeds = np.asarray(seeds[start : cases.stop], dtype=np.int64) % 2**32
        binary, samples = stats.sample(codes[start : cases.stop], own_seeds, num_samples)
        predicted = model.predict_codes(samples)
        labels = _explained(predicted, target[start : cases.stop], len(cases), num_samples)
        distances = np.sqrt(d - binary.sum(axis=2))
        weights = np.sqrt(np.exp(-(distances**2) / width**2))
        coef, intercept, score = weighted_ridge(binary, labels, weights, RIDGE_ALPHA)
        values[cases.start : cases.stop] = coef
        base[cases.start : cases.stop] = intercept
        fit[cases.start : cases.stop] = score
        output[cases.start : cases.stop] = labels[:, 0]
    return Attribution(
        values=values,
        base=base,
        output=output,
        method="lime",
        fit=fit,
        details={"num_samples": num_samples},
        conditions=[stats.rules(codec, row) for row in codes],
    )


def _explained(predicted: np.ndarray, target: np.ndarray, cases: int, m: int) -> np.ndarray:
    """(cases, m) the explained output of each case's samples: the target class's probability,
    or a regressor's value (lime keeps a regressor's weights under label 1 whatever is asked)."""
    if predicted.ndim == 1:
        return predicted.reshape(cases, m)
    return predicted.reshape(cases, m, -1)[np.arange(cases), :, target]


def weighted_ridge(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's Ridge(alpha, fit_intercept=True) fitted with sample weights, and its
    weighted R^2 (``Ridge.score``), for many problems at once.

    As scikit-learn does it: centre x and y on their weighted means, scale rows by the square
    root of their weights, solve (X'X + alpha I) coef = X'y, and take the intercept from the
    means. Each problem is computed on its own (no sums across problems).

    Args:
        x: (c, m, p) inputs; y, weights: (c, m) targets and positive sample weights.

    Returns:
        coef (c, p), intercept (c,) and score (c,): 1 - sum w (y - y^)^2 / sum w (y - y_w)^2,
        with scikit-learn's conventions: 1 when the residuals are all 0, else 0 when y is
        constant.
    """
    total = weights.sum(axis=1)
    x_mean = np.matmul(weights[:, None, :], x)[:, 0] / total[:, None]
    y_mean = (y * weights).sum(axis=1) / total
    root = np.sqrt(weights)
    xs = x - x_mean[:, None, :]
    xs *= root[..., None]
    ys = (y - y_mean[:, None]) * root
    gram = np.matmul(xs.transpose(0, 2, 1), xs)
    diagonal = np.arange(x.shape[2])
    gram[:, diagonal, diagonal] += alpha
    coef = np.linalg.solve(gram, np.matmul(xs.transpose(0, 2, 1), ys[..., None]))[..., 0]
    intercept = y_mean - (x_mean * coef).sum(axis=1)
    fitted = np.matmul(x, coef[..., None])[..., 0] + intercept[:, None]
    residual = (weights * (y - fitted) ** 2).sum(axis=1)
    spread = (weights * (y - y_mean[:, None]) ** 2).sum(axis=1)
    score = np.where(residual == 0, 1.0, 0.0)
    varied = (residual != 0) & (spread != 0)
    score[varied] = 1.0 - residual[varied] / spread[varied]
    return coef, intercept, score
