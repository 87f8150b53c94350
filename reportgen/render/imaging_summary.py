"""The summary's sentences about an image model: where its heat-maps point and what C8 found.

An image model has no feature drivers to name; in their place the summary says which heat-map
methods ran, where the mean maps per predicted class lie, and whether check C8 found the maps
pointing at the outlined finding, with the shortcut warning in plain words when they do not;
a check of the maps themselves (C3, C4, C5) that failed gets one plain sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportgen.render.format import join_words, plural
from reportgen.render.heatmaps import METHOD_NOUNS, METHOD_WORDS, method_finding
from reportgen.render.trust import code_key, fmt_rate, gate_status, method_key, status_word
from reportgen.render.trust_text import is_control
from reportgen.results.document import CheckResult, GateOutcome
from reportgen.results.imaging import ImageMapsResult, MethodMaps

SHORTCUT_WARNING = (
    "Maps that miss the finding while the model classifies the image correctly suggest that the "
    "model relies on something else in the image, a shortcut such as a marker, a ruler or the "
    "scanner; its decisions should not be relied on until a clinician has reviewed this."
)
PREFERRED = "gradcam"
"""The method whose mean maps the summary describes when it ran (the one reviewers ask for)."""


def maps_sentences(maps: ImageMapsResult) -> list[str]:
    """Which heat-map methods ran on how many images, and where the maps per class lie."""
    if not maps.methods:
        return []
    names = join_words([METHOD_WORDS.get(m.method, m.method) for m in maps.methods])
    sentences = [
        f"Heat-maps from {names} show where the model's output is sensitive in "
        f"{plural(maps.images, 'evaluation image')}, averaged per predicted class and per cohort."
    ]
    described = next((m for m in maps.methods if m.method == PREFERRED), maps.methods[0])
    finding = method_finding(described)
    if finding is not None:
        sentences.append(finding)
    return sentences


def localisation_sentences(
    checks: Sequence[CheckResult], gates: Sequence[GateOutcome]
) -> list[str]:
    """What check C8 found, per method: the pointing game's hit rate against chance, and the
    gate's verdict; the shortcut warning when a method's gate failed."""
    check = next((c for c in checks if c.check == "localisation"), None)
    if check is None:
        return []
    if check.error is not None:
        reason = check.error.strip().rstrip(".")
        return [f"Check {check.code} could not compare the maps with outlined findings: {reason}."]
    hits = sorted(
        (m for m in check.metrics if m.metric == "pointing_game" and not is_control(m.method)),
        key=lambda m: method_key(m.method),
    )
    if not hits:
        return []
    parts, failed = [], False
    for index, metric in enumerate(hits):
        noun = METHOD_NOUNS.get(metric.method, metric.method)
        part = f"the {noun} maps point at it in {fmt_rate(metric.median)}"
        part += " of them" if index == 0 else ""
        part += f", against {fmt_rate(metric.chance)} by chance"
        gate = gate_status(gates, check.code, check.model, metric.method)
        if gate is not None:
            part += f" ({status_word(gate.status)})"
            failed = failed or gate.status == "fail"
        parts.append(part)
    sentence = (
        f"Check {check.code} compared the maps with the finding a clinician outlined on "
        f"{plural(check.instances, 'correctly classified image')}: {join_words(parts)}."
    )
    return [sentence, SHORTCUT_WARNING] if failed else [sentence]


MAP_FAILURES = {
    "map_robustness": (
        "move under noise too small to see, so a single image's map is only approximate"
    ),
    "map_removal": (
        "mark pixels whose removal lowers the model's output little more than removing random "
        "pixels, so they do not show what drives the model"
    ),
    "map_randomisation": (
        "barely change when the model's learned weights are replaced by random ones, so they "
        "show the image more than the model and must not be relied on"
    ),
}
"""What a failed check of the maps (C3, C4, C5) means, after ``the ... maps``."""


def map_check_sentences(checks: Sequence[CheckResult], gates: Sequence[GateOutcome]) -> list[str]:
    """One plain sentence per check of the maps that a method failed, naming those methods."""
    sentences = []
    for check in sorted(checks, key=lambda c: code_key(c.code)):
        if check.check not in MAP_FAILURES:
            continue
        failed = sorted(
            {
                g.method
                for g in gates
                if (g.check, g.model, g.status) == (check.check, check.model, "fail") and g.method
            },
            key=method_key,
        )
        if failed:
            nouns = join_words([METHOD_NOUNS.get(m, m) for m in failed])
            sentences.append(
                f"Check {check.code} found that the {nouns} maps {MAP_FAILURES[check.check]}."
            )
    return sentences


def maps_estimator_line(maps: ImageMapsResult) -> str:
    """The heat-map methods and their settings, in one line."""
    described = join_words([_method_settings(m) for m in maps.methods])
    described = described[:1].upper() + described[1:]
    return f"{described}: mean heat-maps over {plural(maps.images, 'image')}"


def _method_settings(method: MethodMaps) -> str:
    title = METHOD_WORDS.get(method.method, method.method)
    s = method.settings
    if method.method == "gradcam" and "layer" in s:
        return f"{title} (layer {s['layer']})"
    if method.method == "ig":
        listed = [f"{s['steps']} steps" if "steps" in s else ""]
        listed.append(f"{s['rule']} rule" if "rule" in s else "")
        if "baseline" in s:
            listed.append(f"baseline {s['baseline']}")
        return f"{title} ({', '.join(p for p in listed if p)})"
    if method.method == "occlusion" and "window" in s:
        stride = f", stride {s['stride']}" if "stride" in s else ""
        return f"{title} ({s['window']} window{stride})"
    return title


__all__ = [
    "localisation_sentences",
    "map_check_sentences",
    "maps_estimator_line",
    "maps_sentences",
]
