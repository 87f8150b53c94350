"""`reportgen keys fingerprint`: what a policy owner lists under review.reviewers (issue #8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from reportgen.cli import main
from reportgen.registry.signing import init_keys
from tests.registry.test_verify import key_fingerprint


def invoke(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("half", [0, 1], ids=["private key", "public key"])
def test_the_fingerprint_of_either_half_is_the_one_keys_init_prints(
    tmp_path: Path, half: int
) -> None:
    created = invoke("keys", "init", "--dir", tmp_path)
    assert created.exit_code == 0, created.output
    pair = (tmp_path / "reportgen_signing.key", tmp_path / "reportgen_signing.pub")
    result = invoke("keys", "fingerprint", pair[half])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{key_fingerprint(pair[1])}\n"
    assert created.stdout.splitlines()[-1] == f"fingerprint: {key_fingerprint(pair[1])}"


def test_keys_fingerprint_json(tmp_path: Path) -> None:
    _, public = init_keys(tmp_path)
    result = invoke("keys", "fingerprint", public, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "status": "ok",
        "exit_code": 0,
        "key": str(public),
        "fingerprint": key_fingerprint(public),
    }


def write_ec_key(path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p, "{}: key file not found"),
        (
            lambda p: (p.write_text("not a key\n"), p)[1],
            "{}: not a PEM public or private key (an encrypted private key is not read)",
        ),
        (write_ec_key, "{}: not an Ed25519 key"),
    ],
    ids=["missing", "not a key", "not Ed25519"],
)
def test_keys_fingerprint_refuses_what_is_not_an_ed25519_key(
    tmp_path: Path, make, message: str
) -> None:
    path = make(tmp_path / "key.pem")
    result = invoke("keys", "fingerprint", path)
    assert result.exit_code == 3
    assert result.stderr == f"error: {message.format(path)}\n"
