"""Ed25519 signatures over manifests and attestations (the `cryptography` package).

Keys are PEM files: the private key readable only by its owner (mode 0600), the public key
shareable. A signed version holds ``manifest.sig`` (the raw signature, base64) and
``signer.pub`` (the public key); the fingerprint, sha256 of the raw public key, is what an
auditor compares with the key they trust.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from reportgen.errors import RegistryError

SIGNATURE_FILE = "manifest.sig"
PUBLIC_KEY_FILE = "signer.pub"
PRIVATE_KEY_NAME = "reportgen_signing.key"
PUBLIC_KEY_NAME = "reportgen_signing.pub"


def init_keys(folder: Path) -> tuple[Path, Path]:
    """Create a new key pair in ``folder``; refuses to overwrite an existing private key.

    Returns:
        (private key path, public key path).
    """
    folder.mkdir(parents=True, exist_ok=True)
    private_path, public_path = folder / PRIVATE_KEY_NAME, folder / PUBLIC_KEY_NAME
    if private_path.exists():
        raise RegistryError(
            f"{private_path}: a signing key already exists; refusing to overwrite it"
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    public_path.write_bytes(public_pem(key.public_key()))
    return private_path, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a private key, refusing one that others can read.

    Raises:
        RegistryError: missing, unreadable, not Ed25519, or group/world readable.
    """
    if not path.is_file():
        raise RegistryError(f"{path}: signing key not found")
    if path.stat().st_mode & 0o077:
        raise RegistryError(f"{path}: signing key is readable by others; run chmod 600 on it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise RegistryError(f"{path}: not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise RegistryError(f"{path}: not an Ed25519 key")
    return key


def load_public_key(data: bytes, where: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise RegistryError(f"{where}: not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise RegistryError(f"{where}: not an Ed25519 public key")
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: Ed25519PublicKey) -> str:
    """sha256 of the raw 32-byte public key, hex: what a person compares."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def fingerprint_file(path: Path) -> str:
    """The fingerprint of the key in ``path``: a public key, or the public half of a private key.

    What a policy lists under ``review.reviewers`` as a reviewer's ``fingerprint``.

    Raises:
        RegistryError: missing or unreadable, not a PEM key, or not an Ed25519 key.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise RegistryError(f"{path}: key file not found") from exc
    except OSError as exc:
        raise RegistryError(f"{path}: key file unreadable ({exc.strerror})") from exc
    try:
        key: object = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError) as exc:
            raise RegistryError(
                f"{path}: not a PEM public or private key (an encrypted private key is not read)"
            ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise RegistryError(f"{path}: not an Ed25519 key")
    return fingerprint(key)


def sign_bytes(key: Ed25519PrivateKey, data: bytes) -> bytes:
    """The base64 signature of ``data``."""
    return base64.b64encode(key.sign(data)) + b"\n"


def verify_bytes(key: Ed25519PublicKey, data: bytes, signature: bytes) -> bool:
    """True when ``signature`` (base64, as written by sign_bytes) signs ``data`` with ``key``."""
    try:
        key.verify(base64.b64decode(signature.strip(), validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def manifest_signer(key_path: Path) -> Callable[[bytes], dict[str, bytes]]:
    """A signer for ``Publication.commit``: the signature and public key files of a version."""
    key = load_private_key(key_path)

    def sign(manifest: bytes) -> dict[str, bytes]:
        return {
            SIGNATURE_FILE: sign_bytes(key, manifest),
            PUBLIC_KEY_FILE: public_pem(key.public_key()),
        }

    return sign
