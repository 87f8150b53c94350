"""One reader for manifest.json and one for results.json: every command names a damaged file
in the same sentence (issue #9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.errors import RegistryError
from reportgen.registry import read_manifest
from reportgen.results import canonical_json
from tests.registry.publishing import publish_files
from tests.render.render_fixture import make_document

POLICY_ID = "credit-default"  # the fixture document's policy


def invoke(*args: object) -> Result:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def publish_two(out: Path) -> Path:
    """v1 and v2 of the fixture document, indexed; returns v2's folder."""
    document = make_document()

    def write(folder: Path, version: int) -> None:
        (folder / "results.json").write_bytes(canonical_json(document))

    for _ in range(2):
        published = publish_files(
            out, POLICY_ID, write, inputs={"policy": "a" * 64}, created_at="t",
            index=document,
        )  # fmt: skip
    return published.path


def damage(path: Path, text: str) -> None:
    path.chmod(0o644)
    path.write_text(text)


def test_the_manifest_read_back_is_the_published_one_byte_for_byte(tmp_path: Path) -> None:
    v2 = publish_two(tmp_path)
    manifest = read_manifest(v2)
    assert canonical_json(manifest) == (v2 / "manifest.json").read_bytes()
    assert (manifest.version, manifest.policy_id, manifest.inputs) == (
        2,
        POLICY_ID,
        {"policy": "a" * 64},
    )
    assert sorted(manifest.files) == ["results.json"]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("{", "(top level): Invalid JSON: EOF while parsing an object at line 1 column 1"),
        ('{"kind": "reportgen.manifest"}', "policy_id: Field required"),
        ("[1, 2]", "(top level): Input should be an object"),
    ],
)
def test_every_command_names_a_damaged_manifest_in_one_sentence(
    tmp_path: Path, text: str, reason: str
) -> None:
    out = tmp_path / "out"
    v2 = publish_two(out)
    damage(v2 / "manifest.json", text)
    (out / "index.sqlite").unlink()  # so that history reads the folders
    with pytest.raises(RegistryError) as caught:
        read_manifest(v2)
    expected = (
        f"{v2 / 'manifest.json'}: not a readable reportgen manifest ({reason}); run reportgen "
        "verify on it"
    )
    assert str(caught.value) == expected
    for args in (
        ("show", POLICY_ID, "--out", out),
        ("diff", f"{POLICY_ID}/v1", f"{POLICY_ID}/v2", "--out", out),
        ("history", "--out", out, "--rebuild"),
        ("render", v2 / "results.json", "--out", tmp_path / "again"),
    ):
        result = invoke(*args)
        assert (result.exit_code, result.stderr) == (3, f"error: {expected}\n"), args


def test_show_and_history_name_a_damaged_results_file_as_diff_does(tmp_path: Path) -> None:
    out = tmp_path / "out"
    v2 = publish_two(out)
    damage(v2 / "results.json", '{"kind": "reportgen.results"}')
    (out / "index.sqlite").unlink()
    expected = (
        f"error: {v2 / 'results.json'}: not a reportgen results document: policy: Field required\n"
    )
    for args in (
        ("show", f"{POLICY_ID}/v2", "--out", out),
        ("diff", f"{POLICY_ID}/v1", f"{POLICY_ID}/v2", "--out", out),
        ("history", "--out", out, "--rebuild"),
    ):
        result = invoke(*args)
        assert (result.exit_code, result.stderr) == (3, expected), args
