"""Issue #10: an imaging policy runs through the engine: mean maps, C8, and the privacy rules
for patient images (no individual image unless the policy opts in; small groups withheld)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reportgen import engine
from reportgen.errors import PrivacyError
from reportgen.policy.loader import LoadedPolicy, load_policy
from reportgen.privacy.gate import PrivacyGate
from reportgen.privacy.rules import PrivacyRule
from reportgen.results.document import CheckResult, PerformanceResult
from reportgen.results.imaging import ImageCase, ImageCasesResult, ImageMapsResult
from tests.inputs.imaging_fixtures import SIZE, export_cnn, imaging_policy


@pytest.fixture(scope="module")
def cnn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_cnn(tmp_path_factory.mktemp("model") / "tiny.pt2")


@pytest.fixture(scope="module")
def loaded(cnn: Path, tmp_path_factory: pytest.TempPathFactory) -> LoadedPolicy:
    folder = tmp_path_factory.mktemp("policy")
    # 16-pixel images: a blur of sigma 2 keeps the patch, so C4 deletes to the zero substrate
    checks = {"removal": {"image_substrate": "zeros"}}
    return load_policy(imaging_policy(folder, cnn, checks=checks))


@pytest.fixture(scope="module")
def document(loaded: LoadedPolicy, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return engine.compute(loaded, key_dir=tmp_path_factory.mktemp("keys"))


def test_an_imaging_policy_runs_its_kinds_and_no_tabular_one(document) -> None:  # type: ignore[no-untyped-def]
    kinds = [r.kind if not isinstance(r, CheckResult) else r.check for r in document.results]
    assert kinds == [
        "model_performance",
        "image_maps",
        "localisation",
        "map_robustness",
        "map_removal",
        "map_randomisation",
    ]
    performance = next(r for r in document.results if isinstance(r, PerformanceResult))
    assert performance.rows == 40 and {m.name for m in performance.metrics} >= {"accuracy"}


def test_the_privacy_report_says_no_patient_image_is_shown(document) -> None:  # type: ignore[no-untyped-def]
    from reportgen.render.privacy import build_privacy

    privacy = document.privacy
    assert privacy.images and privacy.image_cases == 0 and not privacy.local_cases
    assert any(
        r.startswith("No patient image or individual heat-map is published") for r in privacy.rules
    )
    view = build_privacy(privacy)
    assert ("Individual images", "none") in [(f.label, f.value) for f in view.facts]
    assert view.cases_sentence is None


def test_mean_maps_cover_every_method_and_family(document) -> None:  # type: ignore[no-untyped-def]
    maps = next(r for r in document.results if isinstance(r, ImageMapsResult))
    assert [m.method for m in maps.methods] == ["gradcam", "ig", "occlusion"]
    assert maps.images == 40 and maps.layer == "features.conv2"
    for method in maps.methods:
        assert [f.name for f in method.families] == ["predicted class", "site"]
        for family in method.families:
            for group in family.groups:
                if group.values is None:  # withheld, or a group of no image
                    assert (group.suppressed and group.images is None) or group.images == 0
                    continue
                assert group.images is not None and group.images >= 5
                assert len(group.values) == SIZE and len(group.values[0]) == SIZE
                flat = [v for row in group.values for v in row]
                assert min(flat) >= 0.0 and max(flat) <= 1.0
    ig = next(m for m in maps.methods if m.method == "ig")
    assert ig.completeness is not None and ig.settings["steps"] == "8"


def test_the_known_answer_cnn_classifies_by_the_patch(document) -> None:  # type: ignore[no-untyped-def]
    performance = next(r for r in document.results if isinstance(r, PerformanceResult))
    assert performance.class_counts == {"normal": 20, "lesion": 20}
    accuracy = next(m for m in performance.metrics if m.name == "accuracy")
    assert accuracy.value == 1.0


def test_c8_passes_where_the_evidence_is_the_patch(document) -> None:  # type: ignore[no-untyped-def]
    """The CNN's evidence is the bright patch its mask covers, so Grad-CAM and IG point there
    (pass), while the random control sits at chance."""
    c8 = next(r for r in document.results if isinstance(r, CheckResult) and r.code == "C8")
    assert c8.code == "C8" and c8.error is None and c8.instances == 20
    metrics = {(m.method, m.metric): m for m in c8.metrics}
    assert {m for m, _ in metrics} == {"gradcam", "ig", "random"}
    for method in ("gradcam", "ig"):
        assert metrics[method, "pointing_game"].median == 1.0
        assert metrics[method, "auc"].median > 0.8
        assert (
            metrics[method, "relevance_mass"].median > 3 * metrics[method, "relevance_mass"].chance
        )
    random_mass = metrics["random", "relevance_mass"]
    assert abs(random_mass.median - random_mass.chance) < 0.03  # 16 of 256 pixels: 0.0625
    gates = {g.method: g.status for g in document.gates if g.check == "localisation"}
    assert gates == {"gradcam": "pass", "ig": "pass"}


def test_the_map_checks_see_a_model_whose_evidence_is_the_patch(document) -> None:  # type: ignore[no-untyped-def]
    """C3, C4 and C5 on the known-answer CNN: its maps sit on the patch whatever the noise,
    deleting the patch first removes the evidence at once, and randomising the weights
    destroys the maps."""
    checks = {r.check: r for r in document.results if isinstance(r, CheckResult)}
    for name in ("map_robustness", "map_removal", "map_randomisation"):
        assert checks[name].error is None, checks[name].error
    metric = {(r.check, m.method, m.metric): m.median for r in checks.values() for m in r.metrics}
    for method in ("gradcam", "ig"):
        assert metric["map_robustness", method, "top_k_agreement"] > 0.8
        assert metric["map_removal", method, "deletion_ratio"] < 0.8
        assert ("map_removal", method, "deletion_ratio_noisy_blur") in metric
        assert metric["map_removal", method, "insertion_ratio"] > 1.0
        assert metric["map_randomisation", method, "signed_spearman"] < 0.3
    gates = {(g.check, g.method): g.status for g in document.gates}
    for name in ("map_robustness", "map_removal", "map_randomisation"):
        assert gates[name, "gradcam"] in ("pass", "warn") and (name, "ig") in gates
    assert gates["map_randomisation", "gradcam"] == "pass"


def test_the_maps_and_map_checks_cost_the_network_passes_a_hand_count_gives(  # type: ignore[no-untyped-def]
    loaded: LoadedPolicy, document
) -> None:
    """Every pass through the network is metered, the randomised copies' too: rows are images
    through the network, calls the batches of ``batch_size`` images."""
    settings, checks = loaded.policy.explanations.images, loaded.policy.checks
    steps, size = settings.ig.steps, settings.batch_size

    def passes(rows: int) -> tuple[int, int]:
        return rows, -(-rows // size)

    def ig(n: int) -> tuple[int, int]:  # the path, f(x), and f(x0) of the one zero baseline
        return _add(passes(n * steps), passes(n), passes(1))

    windows = (-(-(SIZE - 4) // 2) + 1) ** 2  # windows of 4 every 2 px: 7 down, 7 across
    mapped = 40  # every evaluation image is explained; the annotated ones are among them
    by_kind = {r.kind if not isinstance(r, CheckResult) else r.check: r for r in document.results}
    c3, c4, c5 = (
        by_kind[k].instances for k in ("map_robustness", "map_removal", "map_randomisation")
    )
    draws = checks.perturbation.draws
    curves = c4 * (checks.removal.random_orders + 1) * (32 + 1) * 2  # orders, steps 0..32, 2 ways
    smooth = c5 * min(checks.randomisation.draws, 10)
    layers = 3  # conv1, conv2 and the linear head, randomised in turn after the original maps
    expected = {
        "image_maps": _add(passes(mapped), ig(mapped), passes(mapped * windows), passes(mapped)),
        "map_robustness": _add(passes(c3), passes(draws * c3), ig(c3), ig(draws * c3)),
        "map_removal": _add(*[passes(curves)] * 4),  # 2 methods, each with 2 deletion substrates
        "map_randomisation": _add(*[passes(smooth), ig(smooth)] * (layers + 1)),
    }
    for kind, (rows, calls) in expected.items():
        cost = by_kind[kind].cost
        assert (cost.model_rows, cost.model_calls) == (rows, calls), kind
        assert 0 < cost.model_seconds <= cost.wall_seconds
    assert expected["image_maps"] == (2401, 40)  # the sum written out once: 40 + 361 + 2000 rows


def _add(*counts: tuple[int, int]) -> tuple[int, int]:
    return sum(r for r, _ in counts), sum(c for _, c in counts)


def test_each_map_metric_records_its_worse_tail(document) -> None:  # type: ignore[no-untyped-def]
    """P90 where lower is better (deletion ratios, similarity to the randomised model's maps),
    else P10: the report labels the tail by the metric's direction."""
    checks = [
        r for r in document.results if isinstance(r, CheckResult) and r.check != "localisation"
    ]
    for check in checks:
        for m in check.metrics:
            lower = m.metric.startswith("deletion") or check.check == "map_randomisation"
            assert m.tail is not None and (m.tail >= m.median if lower else m.tail <= m.median)
            quantile = float(np.quantile(m.values, 0.9 if lower else 0.1))
            assert m.tail == pytest.approx(quantile, abs=1e-6)  # values are kept to 6 decimals


def test_small_groups_lose_their_maps(cnn: Path, tmp_path: Path) -> None:
    """With a minimum of 25, both predicted classes (20 images each) are too small: their maps
    are withheld and listed in the privacy section."""
    path = imaging_policy(tmp_path, cnn, privacy={"min_cohort_size": 25, "cohorts": []})
    document = engine.compute(load_policy(path), key_dir=tmp_path / "keys")
    maps = next(r for r in document.results if isinstance(r, ImageMapsResult))
    groups = maps.methods[0].families[0].groups
    assert [(g.group, g.images, g.values) for g in groups] == [
        ("normal", None, None),
        ("lesion", None, None),
    ]
    listed = {(s.family, s.cohort) for s in document.privacy.suppressed}
    hidden = {("mean maps: predicted class", g.group) for g in groups if g.values is None}
    assert hidden <= listed


def _cases() -> ImageCasesResult:
    case = ImageCase(
        case_id="scan-001",
        label="lesion",
        predicted="lesion",
        probability=0.9,
        pixels=[[0.0]],
        maps={"gradcam": [[1.0]]},
    )
    return ImageCasesResult(
        model="tiny-cnn",
        cases=[case],
        cost=document_cost(),
    )


def document_cost():  # type: ignore[no-untyped-def]
    from reportgen.results.document import Cost

    return Cost(model_rows=0, model_calls=0, wall_seconds=0.0, model_seconds=0.0)


def _gate(cnn: Path, tmp_path: Path, **privacy: object) -> PrivacyGate:
    from reportgen.inputs.resolve import resolve_inputs

    settings = {"min_cohort_size": 5, **privacy}
    loaded = load_policy(imaging_policy(tmp_path, cnn, privacy=settings))
    inputs = resolve_inputs(loaded)
    return PrivacyGate(
        loaded.policy,
        reference=inputs.reference.frame,
        evaluation=inputs.evaluation.frame,
        key_dir=tmp_path / "keys",
    )


def test_the_gate_refuses_patient_images_without_opt_in(cnn: Path, tmp_path: Path) -> None:
    gate = _gate(cnn, tmp_path)
    with pytest.raises(PrivacyError, match=r"carries patient images.*privacy.image_cases is 0"):
        gate.admit(_cases(), PrivacyRule.IMAGE_CASES)
    # nor can any other rule publish images or mean maps
    for rule in (PrivacyRule.AGGREGATE, PrivacyRule.CHECK, PrivacyRule.CASES):
        with pytest.raises(PrivacyError, match="no privacy rule that fits it"):
            gate.admit(_cases(), rule)


def test_opted_in_images_carry_pseudonyms(cnn: Path, tmp_path: Path) -> None:
    gate = _gate(cnn, tmp_path, image_cases=2)
    admitted = gate.admit(_cases(), PrivacyRule.IMAGE_CASES)
    assert isinstance(admitted, ImageCasesResult)
    assert admitted.cases[0].case_id != "scan-001"
    assert gate.pseudonym.issued(admitted.cases[0].case_id)


def test_opted_in_policy_publishes_cases_with_maps(cnn: Path, tmp_path: Path) -> None:
    path = imaging_policy(tmp_path, cnn, privacy={"min_cohort_size": 5, "image_cases": 4})
    document = engine.compute(load_policy(path), key_dir=tmp_path / "keys")
    cases = next(r for r in document.results if isinstance(r, ImageCasesResult))
    assert len(cases.cases) == 4
    assert {c.predicted for c in cases.cases} <= {"normal", "lesion"}
    rules = document.privacy.rules
    assert document.privacy.image_cases == 4
    assert any(r.startswith("Up to 4 individual images are shown") for r in rules)
    assert not any(r.startswith("No patient image") for r in rules)
    for case in cases.cases:
        assert not case.case_id.startswith("scan-")
        assert set(case.maps) == {"gradcam", "ig", "occlusion"}
        assert len(case.pixels) == SIZE


def test_image_analyses_stay_in_process_and_say_so(cnn: Path, tmp_path: Path) -> None:
    """Image analyses batch on the model instead of sharding rows: another executor is not
    started, and the run records why."""
    path = imaging_policy(tmp_path, cnn, checks={"localisation": {"enabled": False}})
    loaded = load_policy(path)
    document = engine.compute(loaded, key_dir=tmp_path / "keys", executor="processes")
    assert document.run.executor.startswith("in-process (image analyses batch on the model")
    assert "--executor processes not used" in document.run.executor
