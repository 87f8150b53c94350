"""Audit commands: keys, verify, release.

``verify`` and ``release`` exit 1 when a version fails verification (like a failed gate), 3 when
the folder is not a version or a key is unusable, 2 on a usage error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reportgen.cli_common import (
    EXIT_GATE_FAILED,
    EXIT_OK,
    debug_option,
    fail,
    finish,
    guard,
    json_option,
    public_key_option,
)

if TYPE_CHECKING:
    from reportgen.registry.release import ReleaseRefused

UNSIGNED = (
    "not signed, so an edit that also rewrites manifest.json cannot be detected "
    "(sign with run --sign-key)"
)


def default_key_dir() -> Path:
    """``$XDG_CONFIG_HOME/reportgen``, by default ``~/.config/reportgen``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "reportgen"


@click.group()
def keys() -> None:
    """Manage the Ed25519 keys that sign report manifests and reviews."""


@keys.command("init")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Folder for the key pair [default: ~/.config/reportgen].",
)
@json_option
@debug_option
def keys_init(folder: Path | None, as_json: bool, debug: bool) -> None:
    """Create a signing key pair; never overwrites an existing key."""
    from reportgen.registry.signing import fingerprint, init_keys, load_public_key

    target = folder or default_key_dir()
    private, public = guard(lambda: init_keys(target), as_json, debug)
    key = load_public_key(public.read_bytes(), str(public))
    summary = {
        "status": "created",
        "exit_code": EXIT_OK,
        "private_key": str(private),
        "public_key": str(public),
        "fingerprint": fingerprint(key),
    }
    text = (
        f"private key: {private} (mode 0600; keep it secret, e.g. as a CI secret)\n"
        f"public key:  {public} (give it to auditors: reportgen verify --public-key)\n"
        f"fingerprint: {summary['fingerprint']}"
    )
    finish(summary, text, as_json)


@keys.command("fingerprint")
@click.argument("key_file", type=click.Path(path_type=Path))
@json_option
@debug_option
def keys_fingerprint(key_file: Path, as_json: bool, debug: bool) -> None:
    """Print the fingerprint of KEY_FILE (a public or private PEM key).

    It is what a policy lists under review.reviewers to trust a reviewer's key, and what an
    auditor compares with the fingerprint `verify` and `show` print.
    """
    from reportgen.registry.signing import fingerprint_file

    printed = guard(lambda: fingerprint_file(key_file), as_json, debug)
    summary = {"status": "ok", "exit_code": EXIT_OK, "key": str(key_file), "fingerprint": printed}
    finish(summary, printed, as_json)


@click.command()
@click.argument("version_dir", type=click.Path(path_type=Path))
@public_key_option
@json_option
@debug_option
def verify(version_dir: Path, public_keys: tuple[Path, ...], as_json: bool, debug: bool) -> None:
    """Check every byte of VERSION_DIR against its manifest, its signature and the hash chain.

    The chain v1..vN behind the version must link, and once a version of it is signed every
    later one must be signed, by the same key or by one given with --public-key.
    """
    from reportgen.registry.verify import verify_version

    report = guard(lambda: verify_version(version_dir, public_keys=public_keys), as_json, debug)
    summary = {
        "status": "verified" if report.ok else "problems",
        "exit_code": EXIT_OK if report.ok else EXIT_GATE_FAILED,
        "path": str(version_dir),
        "policy": report.policy_id,
        "version": report.version,
        "signed": report.signed,
        "fingerprint": report.fingerprint,
        "chain": report.chain,
        "manifest_sha256": report.manifest_sha256,
        "problems": report.problems,
    }
    if not as_json:
        for problem in report.problems:
            click.echo(f"verify: {problem}", err=True)
    signer = f"signed by key {report.fingerprint}" if report.signed else UNSIGNED
    if report.ok:
        text = f"verified {version_dir}: every file matches the manifest; {signer}; "
        text += f"chain {report.chain}"
    else:
        count = len(report.problems)
        text = f"{version_dir}: {count} problem{'s' * (count != 1)}; do not trust this version"
    finish(summary, text, as_json)


def _tag(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from reportgen.errors import RegistryError
    from reportgen.registry.release import check_tag

    try:
        return check_tag(value)
    except RegistryError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command()
@click.argument("version_dir", type=click.Path(path_type=Path))
@click.option("--tag", required=True, callback=_tag, help="Release tag, e.g. the model version.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="Folder to write <policy>-v<N>-<tag>.tar.gz into.",
)
@public_key_option
@json_option
@debug_option
def release(
    version_dir: Path,
    tag: str,
    out: Path,
    public_keys: tuple[Path, ...],
    as_json: bool,
    debug: bool,
) -> None:
    """Verify VERSION_DIR, then write it as one deterministic release archive."""
    from reportgen.registry.release import Release, ReleaseRefused, release_version

    def attempt() -> Release:
        try:
            return release_version(version_dir, tag=tag, out=out, public_keys=public_keys)
        except ReleaseRefused as exc:
            _refused(exc, as_json, debug)  # prints the problems and exits with 1
            raise

    made = guard(attempt, as_json, debug)
    summary = {"status": "released", "exit_code": EXIT_OK, "archive": str(made.archive)}
    summary |= made.info
    finish(summary, f"released {made.archive}", as_json)


def _refused(exc: ReleaseRefused, as_json: bool, debug: bool) -> None:
    """Print a refused release's verification problems, then its one-sentence error."""
    if as_json:  # the JSON error lists the verification problems
        fail(EXIT_GATE_FAILED, str(exc), exc.report.problems, as_json, debug)
    for problem in exc.report.problems:
        click.echo(f"verify: {problem}", err=True)
    fail(EXIT_GATE_FAILED, str(exc), [str(exc)], as_json, debug)


COMMANDS: list[click.Command] = [keys, verify, release]
