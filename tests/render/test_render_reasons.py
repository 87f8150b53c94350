"""Issue #11: the adverse-action reasons section, its summary sentences and method text, built
from a published reason codes result and tested as a view before any HTML; then the credit
example's own report, which must show the section."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from privacy_fixture import make_private_document
from reasons_fixture import HIDDEN, make_reason_check, make_reason_codes
from render_fixture import META, MODEL, SCRIPT

from reportgen.cli import main
from reportgen.render import build_view, render_html
from reportgen.render.method_text import reason_codes_text
from reportgen.render.reasons import CASES_WITHHELD, build_reason_codes, proxy_sentence
from reportgen.render.summary import reason_sentences
from reportgen.results.document import ResultDocument
from tests.conftest import ROOT, policy_with
from tests.test_end_to_end import small


def _view(**changes: object):
    _, gate = make_reason_check()
    return build_reason_codes(
        make_reason_codes(**changes),  # type: ignore[arg-type]
        [gate],
        min_cohort_size=11,
        heading="Adverse-action reasons",
        template="_reason_codes.html",
    )


def _document(**changes: object) -> ResultDocument:
    doc = make_private_document(local_cases=True)
    check, gate = make_reason_check()
    reasons = make_reason_codes(**changes)  # type: ignore[arg-type]
    return doc.model_copy(
        update={"results": [*doc.results, reasons, check], "gates": [*doc.gates, gate]}
    )


def test_the_reason_mix_ranks_published_counts_and_shows_no_suppressed_number() -> None:
    view = _view()
    assert [(r.rank, r.reason, r.first, r.stated, r.suppressed) for r in view.mix] == [
        ("1", "debt", "402 (75 %)", "511 (96 %)", False),
        ("2", "purpose", "120 (22 %)", "298 (56 %)", False),
        ("\u2014", "history", "suppressed", "377 (71 %)", True),
        ("\u2014", "housing", "suppressed", "suppressed", True),
    ]
    assert view.mix_notes == (
        "A count is suppressed where it covers fewer than 11 declined applicants, or where it "
        "would let a reader work out a suppressed one; suppressed reasons are listed after the "
        "others, in the policy's order, without a rank.",
    )
    assert [(f.label, f.value) for f in view.facts][:3] == [
        ("Declined", "534 of 2,000 evaluation applicants"),
        ("Reference", "100 applicants sampled from 212 qualifying, mean P(default) 0.349"),
        ("Reasons per applicant", "up to 3"),
    ]


def test_the_section_says_whom_reasons_are_measured_against_and_what_c9_found() -> None:
    view = _view()
    assert (
        "raises the applicant's P(default) above that of the reference applicants scored just "
        "below the cutoff (P(default) from 0.3 up to 0.4), approved at or just above the "
        "approval line (Regulation B commentary 9(b)(2)-5" in view.intro
    )
    assert view.stability_status == "warn"
    assert view.stability.startswith("C9 reason stability: 78% of 50 declined applicants keep ")


def test_the_proxy_screen_lists_each_features_strongest_association_flagged_first() -> None:
    view = _view()
    assert [(p.feature, p.sensitive, p.association, p.flagged) for p in view.proxies] == [
        ("housing", "age", "0.41", True),
        ("income", "sex", "0.22", False),
        ("purpose", "age", "0.05", False),
    ]
    assert view.proxy_finding == (
        "The proxy screen (Cram\u00e9r's V at 0.3 or above) flags housing for age (0.41) as "
        "possible proxy. The policy does not exclude flagged features, so they can still be "
        "given as reasons."
    )
    excluded = proxy_sentence(make_reason_codes(excluded=True))
    assert excluded.endswith(
        "As the policy asks, housing is left out of every reason: no notice states its "
        "contribution, though the model still uses it."
    )


def test_declined_cases_show_their_reasons_or_say_they_are_withheld() -> None:
    view = _view()
    first, second = view.cases
    assert (first.case_id, first.probability) == ("case-1a2b3c4d5e", "P(default) = 0.612")
    assert [(r.rank, r.reason, r.contribution) for r in first.reasons] == [
        (1, "debt", "+0.201"),
        (2, "purpose", "+0.042"),
    ]
    assert second.reasons == () and second.none is not None
    withheld = _view(cases_withheld=True)
    assert withheld.cases == () and withheld.cases_intro == CASES_WITHHELD


def test_the_summary_states_the_reason_policy_and_the_proxy_findings() -> None:
    assert reason_sentences(make_reason_codes()) == [
        "Declined applicants (P(default) at or above 0.4) are given up to three principal "
        "reasons, the reason families that raise their P(default) most above that of the "
        "reference applicants scored just below the cutoff (P(default) from 0.3 up to 0.4), "
        "approved at or just above the approval line. The most common first reason is "
        "\u201cExcessive obligations in relation to income\u201d (402 of 534 declined).",
        "The proxy screen (Cram\u00e9r's V at 0.3 or above) flags housing for age (0.41) as "
        "possible proxy. The policy does not exclude flagged features, so they can still be "
        "given as reasons.",
    ]
    (summary,) = build_view(_document(), META).summaries
    assert summary.sentences[-2].startswith("Declined applicants (P(default) at or above 0.4)")


def test_the_page_shows_the_section_escaped_without_the_hidden_counts() -> None:
    page = render_html(_document(), META)
    assert ">Adverse-action reasons</h2>" in page
    assert SCRIPT not in page and "&lt;script&gt;" in page
    section = page[page.index(">Adverse-action reasons</h2>") :]
    section = section[: section.index("</section>")]
    for count in HIDDEN.values():
        assert f">{count}<" not in section and f">{count} (" not in section
    assert "Stability of adverse-action reasons" in page  # C9 in the trust section
    assert "Same reasons with the second estimator" in page


def test_the_method_appendix_says_how_reasons_were_computed() -> None:
    text = reason_codes_text(make_reason_codes(), 7)
    assert text.startswith(
        "Interventional SHAP values of P(default) for every evaluation applicant with "
        "P(default) at or above 0.4, by sampled antithetic feature orders (seed 7"
    )
    assert "of the 212 whose P(default) lies in [0.3, 0.4)" in text
    how = {f.label: f.value for f in build_view(_document(), META).method.how}
    assert how["Adverse-action reasons"] == reason_codes_text(make_reason_codes(), 20250304)
    assert MODEL


def test_the_credit_examples_report_shows_its_reasons(tmp_path: Path) -> None:
    """The shipped credit policy, small budgets: the section renders from a real run."""
    policy = small(policy_with(ROOT / "policies" / "credit.yaml", tmp_path))
    data = yaml.safe_load(policy.read_text())
    data["decision"]["reasons"]["permutations"] = 2
    policy.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(policy), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    folder = Path(json.loads(result.stdout)["path"])
    document = json.loads((folder / "results.json").read_text())
    (reasons,) = [r for r in document["results"] if r["kind"] == "reason_codes"]
    assert reasons["applicants"] == 300 and reasons["declined"] > 11
    assert {r["reason"] for r in reasons["reasons"]} == {
        f["name"] for f in data["decision"]["reasons"]["families"]
    }
    page = html.unescape((folder / "report.html").read_text())
    assert ">Adverse-action reasons</h2>" in page
    assert "Amount or length of credit requested" in page
    assert "The proxy screen (Cram\u00e9r's V at 0.3 or above)" in page


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTGEN_PSEUDONYM_KEY", "00112233445566778899aabbccddeeff")
