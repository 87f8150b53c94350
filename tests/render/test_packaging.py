"""A wheel built from the project renders reports anywhere, as the repository does (issue #9).

The wheel is built from a copy of the sources, installed into a fresh virtual environment
outside the repository, and `reportgen render` runs from a folder outside it: the installed
package must carry its templates. To spare downloading torch, WeasyPrint and the rest again,
the new environment sees this one's site-packages after its own (a .pth file, as
``--system-site-packages`` would for a system installation), and the test asserts that the
reportgen it imports is the installed wheel's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from privacy_fixture import make_private_document
from trust_fixture import make_checked_document

from reportgen.pipeline import render_results
from reportgen.results import ResultDocument, canonical_json
from reportgen.results.document import CheckResult
from tests.conftest import ROOT

SOURCES = ("reportgen", "pyproject.toml", "README.md")


def every_section() -> ResultDocument:
    """The fixture document with trust checks, gates, audit cases, cohorts and privacy."""
    private = make_private_document(dp=True, local_cases=True)
    checked = make_checked_document()
    checks = [r for r in checked.results if isinstance(r, CheckResult)]
    return private.model_copy(
        update={"results": [*private.results, *checks], "gates": checked.gates}
    )


def run(*args: object, cwd: Path) -> str:
    """Run a command without this checkout on its path; its stdout, or fail with its output."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(tmp: Path) -> Path:
    """``python -m build --wheel`` on a copy of the sources (the checkout stays clean)."""
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy(ROOT / name, source / name)
    dist = tmp / "dist"
    run(
        sys.executable,
        "-m",
        "build",
        "--wheel",
        "--no-isolation",
        "--outdir",
        dist,
        source,
        cwd=tmp,
    )
    (wheel,) = dist.glob("reportgen-*.whl")
    return wheel


def install(wheel: Path, venv: Path) -> Path:
    """A new virtual environment with the wheel installed; its bin folder.

    The wheel goes in first, with the new environment's own pip and nothing else visible;
    only then does the environment see this one's site-packages, for the dependencies.
    """
    run(sys.executable, "-m", "venv", venv, cwd=venv.parent)
    bin_dir = venv / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel,
        cwd=venv.parent)  # fmt: skip
    purelib = run(bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                  cwd=venv.parent).strip()  # fmt: skip
    here = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (Path(purelib) / "zz_dependencies.pth").write_text("\n".join(sorted(here)) + "\n")
    return bin_dir


@pytest.mark.slow
def test_an_installed_wheel_renders_the_report_the_repository_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "stored" / "results.json"
    results.parent.mkdir()
    results.write_bytes(canonical_json(every_section()))
    bin_dir = install(build_wheel(tmp_path), tmp_path / "venv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    where = run(
        bin_dir / "python",
        "-c",
        "import reportgen; from reportgen.render.html import templates_dir; "
        "print(reportgen.__file__); print(templates_dir())",
        cwd=elsewhere,
    ).split()
    site = tmp_path / "venv" / "lib"
    assert Path(where[0]).is_relative_to(site), where  # the wheel's reportgen, not the checkout
    assert Path(where[1]).is_relative_to(site), where  # and its templates
    assert sorted(p.name for p in Path(where[1]).iterdir()) == sorted(
        p.name for p in (ROOT / "reportgen" / "templates").iterdir()
    )

    out = tmp_path / "installed"
    printed = run(bin_dir / "reportgen", "render", results, "--out", out, cwd=elsewhere)
    assert printed == f"wrote {out / 'report.html'}, {out / 'report.pdf'}\n"
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")

    monkeypatch.setattr("reportgen.render.files.render_pdf", lambda html, **o: b"%PDF-")  # fast
    render_results(results, tmp_path / "repository")
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html == (tmp_path / "repository" / "report.html").read_text(encoding="utf-8")
    assert 'id="privacy"' in html and "Can these explanations be trusted?" in html
