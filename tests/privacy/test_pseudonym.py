"""Pseudonymous case ids: keyed, deterministic, collision-free, and the key stays private."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.errors import PrivacyError
from reportgen.privacy import pseudonym as pseudonym_module
from reportgen.privacy.pseudonym import KEY_FILE, Pseudonymizer, load_or_create_key

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
ENV = "REPORTGEN_TEST_PSEUDONYM_KEY"
CASE_ID = re.compile(r"case-[0-9a-f]{10}")
# record ids with a character that cannot occur in "case-<hex>"
record_ids = st.text(min_size=1, max_size=30).map(lambda s: f"Pt_{s}")


@settings(max_examples=200, deadline=None)
@given(record_ids)
def test_case_ids_are_keyed_and_deterministic(record_id):
    case_id = Pseudonymizer(KEY)(record_id)
    assert CASE_ID.fullmatch(case_id)
    assert case_id == Pseudonymizer(KEY)(record_id)
    assert case_id != Pseudonymizer(OTHER)(record_id)
    assert record_id not in case_id
    expected = hmac.new(KEY, record_id.encode(), hashlib.sha256).hexdigest()[:10]
    assert case_id == f"case-{expected}"


def test_a_repeated_id_gets_the_same_case_id():
    pseudonym = Pseudonymizer(KEY)
    assert pseudonym("A-17") == pseudonym("A-17")


def test_colliding_prefixes_are_lengthened_deterministically(monkeypatch):
    monkeypatch.setattr(pseudonym_module, "DIGITS", 2)  # 2 hex digits: 100 ids surely collide
    ids = [f"row-{i}" for i in range(100)]
    pseudonym, again = Pseudonymizer(KEY), Pseudonymizer(KEY)
    first = [pseudonym(i) for i in ids]
    assert len(set(first)) == len(ids)
    assert first == [again(i) for i in ids]
    assert first == [pseudonym(i) for i in ids]
    lengthened = [c for c in first if len(c) > len("case-") + 2]
    assert lengthened and all(len(c) % 2 == 1 for c in first)  # "case-" plus pairs of digits
    for record_id, case_id in zip(ids, first, strict=True):
        digest = hmac.new(KEY, record_id.encode(), hashlib.sha256).hexdigest()
        assert digest.startswith(case_id.removeprefix("case-"))


def test_the_key_never_shows(tmp_path: Path):
    pseudonym = Pseudonymizer(KEY)
    case_id = pseudonym("row-1")
    assert KEY.hex() not in repr(pseudonym) + case_id
    assert "key hidden" in repr(pseudonym)


def test_key_file_is_created_once_with_mode_0600_and_reused(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    key = load_or_create_key(tmp_path, ENV)
    path = tmp_path / KEY_FILE
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(tmp_path, ENV) == key
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_environment_variable_wins(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    load_or_create_key(tmp_path, ENV)
    monkeypatch.setenv(ENV, KEY.hex())
    assert load_or_create_key(tmp_path, ENV) == KEY
    monkeypatch.setenv(ENV, base64.b64encode(OTHER).decode())
    assert load_or_create_key(tmp_path / "elsewhere", ENV) == OTHER
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("value", ["00ff", "not a key!", base64.b64encode(b"short").decode()])
def test_an_unusable_environment_key_is_refused_without_showing_it(
    tmp_path: Path, monkeypatch, value
):
    monkeypatch.setenv(ENV, value)
    with pytest.raises(PrivacyError) as excinfo:
        load_or_create_key(tmp_path, ENV)
    assert str(excinfo.value) == (
        f"environment variable {ENV} does not hold a pseudonym key: expected at least 16 bytes "
        "written as hex or base64"
    )
    assert excinfo.value.exit_code == 3


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    load_or_create_key(tmp_path, ENV)
    path = tmp_path / KEY_FILE
    path.chmod(0o644)
    with pytest.raises(PrivacyError) as excinfo:
        load_or_create_key(tmp_path, ENV)
    assert str(excinfo.value) == (
        f"pseudonym key file {path} is readable by others (mode 644); restrict it with: chmod 600 {path}"
    )


def test_a_short_key_is_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Pseudonymizer(b"short")
