"""Pseudonymous case ids: a keyed hash of the record id, with a key that is never published.

A case id is ``case-`` followed by the first 10 hex digits of HMAC-SHA256(key, record id).
Without the key nobody can link a case id to a record (nor test a guessed id); with the same
key, the same record gets the same case id in every report, so reviewers can follow a case
across versions. The key comes from an environment variable or from a file created once in the
output folder with owner-only permissions, which the registry never publishes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import stat
from pathlib import Path

from reportgen.errors import PrivacyError

PREFIX = "case-"
DIGITS = 10
KEY_BYTES = 32
MIN_KEY_BYTES = 16
KEY_FILE = Path(".reportgen") / "pseudonym.key"
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


class Pseudonymizer:
    """Maps record ids to case ids, consistently and without collisions within one report.

    Two record ids whose first 10 hex digits agree are told apart by lengthening the later one
    (two digits at a time) until it is unique; the first keeps its short form. Pseudonymise in
    a fixed order (e.g. sorted ids) for case ids that do not depend on the order of the calls.
    """

    __slots__ = ("__key", "_issued", "_of")

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes")
        self.__key = bytes(key)
        self._of: dict[str, str] = {}
        self._issued: set[str] = set()

    def __call__(self, record_id: str) -> str:
        """The case id of ``record_id``: ``case-`` and 10 (rarely more) hex digits."""
        record_id = str(record_id)
        known = self._of.get(record_id)
        if known is not None:
            return known
        digest = hmac.new(self.__key, record_id.encode("utf-8"), hashlib.sha256).hexdigest()
        length = DIGITS
        while PREFIX + digest[:length] in self._issued and length < len(digest):
            length += 2
        case_id = PREFIX + digest[:length]
        self._of[record_id] = case_id
        self._issued.add(case_id)
        return case_id

    def issued(self, case_id: str) -> bool:
        """Whether this pseudonymizer gave out ``case_id``."""
        return case_id in self._issued

    def __repr__(self) -> str:
        return f"Pseudonymizer(<key hidden>, {len(self._of)} ids)"


def load_or_create_key(out: Path, env_var: str) -> bytes:
    """The pseudonym key: from ``env_var`` if set, else ``<out>/.reportgen/pseudonym.key``.

    The environment variable holds at least 16 bytes written as hex or base64 (hex is tried
    first). The file holds 32 random bytes; it is created once, with mode 0600, atomically (two
    runs racing get the same key), and reused afterwards.

    Raises PrivacyError if the variable does not hold a usable key, or the key file is too
    short or readable by others. Messages never contain the key.
    """
    text = os.environ.get(env_var, "").strip()
    if text:
        return _decode(text, env_var)
    path = Path(out) / KEY_FILE
    if not path.exists():
        _create(path)
    return _read(path)


def _decode(text: str, env_var: str) -> bytes:
    """Key bytes from hex or base64 text; PrivacyError (without the text) otherwise."""
    key: bytes | None = None
    if _HEX.fullmatch(text):
        key = bytes.fromhex(text)
    else:
        try:
            key = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) < MIN_KEY_BYTES:
        raise PrivacyError(
            f"environment variable {env_var} does not hold a pseudonym key: expected at least "
            f"{MIN_KEY_BYTES} bytes written as hex or base64"
        )
    return key


def _create(path: Path) -> None:
    """Write a fresh random key to ``path`` with mode 0600, unless another run got there first."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, secrets.token_bytes(KEY_BYTES))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(temporary, path)  # atomic, and never replaces a key another run created
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _read(path: Path) -> bytes:
    """The key in ``path``, refused if others may read it or it is too short."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise PrivacyError(
            f"pseudonym key file {path} is readable by others (mode {mode:o}); "
            f"restrict it with: chmod 600 {path}"
        )
    key = path.read_bytes()
    if len(key) < MIN_KEY_BYTES:
        raise PrivacyError(
            f"pseudonym key file {path} holds {len(key)} bytes; at least {MIN_KEY_BYTES} needed"
        )
    return key


__all__ = ["KEY_FILE", "Pseudonymizer", "load_or_create_key"]
