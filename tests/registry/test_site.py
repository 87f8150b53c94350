"""`reportgen site`: the static index of a registry, its diff pages, and its rewriting on publish."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.registry.review import record_review
from reportgen.registry.show import describe_version
from reportgen.registry.signing import (
    PUBLIC_KEY_FILE,
    fingerprint,
    init_keys,
    load_public_key,
    manifest_signer,
)
from reportgen.registry.signoff import SIGNOFF_FILE, signoff_bytes
from reportgen.results import canonical_json
from reportgen.results.trail import TrustedReviewer
from tests.registry.publishing import publish_files
from tests.registry.test_history import document

HOSTILE = '<script>alert("x")</script> & <b>bold</b>'
GATES = {  # (policy, version): gate statuses of its results
    ("credit", 1): ["pass", "pass", "warn"],
    ("credit", 2): ["pass", "fail", "error"],
    ("medical", 1): ["pass"],
    ("medical", 2): ["warn", "warn"],
}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "href" and value is not None:
                self.hrefs.append(value)
            if name in ("src", "href") and value and re.match(r"^[a-z]+:|^//", value):
                self.external.append(value)


def links(page: Path) -> Links:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def publish(out: Path, policy: str, version: int, *, title: str, sign=None, signoff=None, pdf=True):
    doc = document(GATES[policy, version])
    doc = doc.model_copy(
        update={"policy": doc.policy.model_copy(update={"id": policy, "title": title})}
    )

    def write(folder: Path, number: int) -> None:
        (folder / "results.json").write_bytes(canonical_json(doc))
        (folder / "report.html").write_text(f"<p>{policy} v{number}</p>")
        if pdf:
            (folder / "report.pdf").write_bytes(b"%PDF-1.7\n")
        if signoff is not None:
            (folder / SIGNOFF_FILE).write_bytes(signoff)

    return publish_files(
        out, policy, write, created_at=f"2024-01-0{version}T06:00:00+00:00", sign=sign, index=doc
    )


@pytest.fixture
def registry(tmp_path) -> Path:
    return build_registry(tmp_path)


def build_registry(tmp_path: Path) -> Path:
    """credit: signed, v1 approved and v2 pending sign-off, no PDF in v2; medical: unsigned,
    with a hostile title."""
    out = tmp_path / "reports"
    private, public = init_keys(tmp_path / "keys")
    key = fingerprint(load_public_key(public.read_bytes(), str(public)))
    signoff = signoff_bytes(
        ["risk_officer"], [TrustedReviewer(name="Ann", roles=["risk_officer"], fingerprint=key)]
    )
    sign = manifest_signer(private)
    first = publish(out, "credit", 1, title="Credit", sign=sign, signoff=signoff)
    record_review(
        first.path,
        decision="approve",
        reviewer="Ann",
        role="risk_officer",
        comment="ok",
        key_path=private,
    )
    publish(out, "credit", 2, title="Credit", sign=sign, signoff=signoff, pdf=False)
    publish(out, "medical", 1, title=HOSTILE)
    publish(out, "medical", 2, title=HOSTILE)
    return out


def site(out: Path) -> Path:
    result = CliRunner().invoke(main, ["site", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return Path(json.loads(result.stdout)["index"])


def row(index: Path, policy: str, version: int) -> str:
    found = re.search(
        rf'<tr class="version" id="{policy}-v{version}">(.*?)</tr>', index.read_text(), re.S
    )
    assert found, f"no row for {policy} v{version}"
    return found.group(1)


def test_every_link_of_every_page_resolves_to_a_file(registry):
    index = site(registry)
    assert index == registry / "index.html"
    pages = [index, *sorted((registry / "_site").rglob("*.html"))]
    assert [p.relative_to(registry).as_posix() for p in pages[1:]] == [
        "_site/credit/v1-v2.html",
        "_site/medical/v1-v2.html",
    ]
    for page in pages:
        found = links(page)
        assert found.external == [], page  # nothing fetched, nothing linked outside the folder
        for href in found.hrefs:
            assert (page.parent / href).is_file(), f"{page}: {href}"
    hrefs = links(index).hrefs
    assert hrefs.count("credit/v2/report.html") == 1 and "credit/v2/report.pdf" not in hrefs
    assert {"credit/v1/report.pdf", "medical/v2/report.pdf", "_site/medical/v1-v2.html"} <= set(
        hrefs
    )
    assert "<link" not in index.read_text() and "<script" not in index.read_text()


def test_tallies_sign_off_and_signatures_are_the_registrys(registry):
    index = site(registry)
    for (policy, version), statuses in GATES.items():
        shown = row(index, policy, version)
        summary = describe_version(registry / policy / f"v{version}")
        for status in ("pass", "warn", "fail", "error"):
            assert f">{statuses.count(status)} {status}</span>" in shown
            assert summary.gates[status] == statuses.count(status)
        assert f'<span class="state {summary.review.state}">{summary.review.state}</span>' in shown
    assert '"state approved">approved<' in row(index, "credit", 1)  # Ann's approval counts
    assert '"state pending">pending<' in row(index, "credit", 2)
    assert '"state valid">valid<' in row(index, "credit", 2)
    assert '"state not-signed">not signed<' in row(index, "medical", 1)


def test_a_broken_signature_shows_as_not_trusted(registry):
    (registry / "credit" / "v2" / PUBLIC_KEY_FILE).unlink()
    index = site(registry)
    assert '"state not-trusted">not trusted<' in row(index, "credit", 2)
    assert '"state valid">valid<' in row(index, "credit", 1)


def test_hostile_titles_are_escaped(registry):
    text = site(registry).read_text()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in text
    assert HOSTILE not in text and "<b>bold" not in text


def test_a_diff_page_tells_the_changes_in_the_reports_words(registry):
    site(registry)
    page = (registry / "_site" / "credit" / "v1-v2.html").read_text()
    assert "credit: changes from v1 to v2" in page
    assert "<h2>Gate outcomes</h2>" in page and "C2" in page  # C2 went from pass to fail


def test_an_empty_folder_has_no_index(tmp_path):
    result = CliRunner().invoke(main, ["site", "--out", str(tmp_path)])
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        f"error: {tmp_path}: holds no report version; publish one with "
        f"`reportgen run POLICY --out {tmp_path}`"
    )
    assert not (tmp_path / "index.html").exists()


def test_publishing_rewrites_the_index(registry, tmp_path):
    from tests.test_schedule import tiny

    before = site(registry).read_text()
    assert "credit-scoring" not in before
    result = CliRunner().invoke(
        main, ["run", str(tiny(tmp_path)), "--out", str(registry), "--json"]
    )
    assert result.exit_code == 0, result.output
    index = registry / "index.html"
    assert '<tr class="version" id="credit-scoring-v1">' in index.read_text()
    assert row(index, "medical", 2) in before  # the other policies are listed as they were
    leftovers = [p.name for p in registry.iterdir() if p.name.startswith(".index.html")]
    assert leftovers == []  # written through a temporary file renamed into place
