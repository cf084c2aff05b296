"""The lock and `materialise`: spec files are copied only when their sha256 matches."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from speckit import paths
from speckit.__main__ import main as speckit_main
from speckit.lock import LockError, load_lock, materialise, sha256_of


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """A mirror folder holding copies of the pinned specs."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    for entry in load_lock().specs.values():
        shutil.copyfile(paths.raw_path(entry.file), folder / entry.file)
    return folder


def test_lock_pins_both_specs_with_their_hashes() -> None:
    """The lock names both specs and the hashes match the materialised files."""
    lock = load_lock()

    assert set(lock.specs) == {"access", "webform"}
    for entry in lock.specs.values():
        assert sha256_of(paths.raw_path(entry.file)) == entry.sha256


def test_materialise_copies_verified_files(mirror: Path, tmp_path: Path) -> None:
    """Matching files are copied byte for byte."""
    dest = tmp_path / "dest"

    copied = materialise(load_lock(), mirror, dest)

    assert sorted(p.name for p in copied) == sorted(
        e.file for e in load_lock().specs.values()
    )
    for path in copied:
        assert path.read_bytes() == (mirror / path.name).read_bytes()


def test_a_changed_byte_stops_with_both_hashes(mirror: Path, tmp_path: Path) -> None:
    """One changed byte names the file and both hashes, and nothing is written."""
    entry = load_lock().specs["webform"]
    tampered = mirror / entry.file
    tampered.write_bytes(tampered.read_bytes() + b"\n")
    dest = tmp_path / "dest"

    with pytest.raises(LockError) as info:
        materialise(load_lock(), mirror, dest)

    message = str(info.value)
    assert entry.file in message
    assert entry.sha256 in message
    assert sha256_of(tampered) in message
    assert not dest.exists() or not any(dest.iterdir())


def test_cli_exits_2_on_a_hash_mismatch(
    mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m speckit materialise` reports the mismatch on stderr and exits 2."""
    entry = load_lock().specs["access"]
    (mirror / entry.file).write_bytes(b"openapi: 3.0.1\n")
    lock_copy = tmp_path / "lock.json"
    shutil.copyfile(paths.LOCK_FILE, lock_copy)
    scratch = tmp_path / "specs"
    scratch.mkdir()

    code = speckit_main(
        ["materialise", "--mirror", str(mirror), "--dest", str(scratch)]
    )

    err = capsys.readouterr().err
    assert code == 2
    assert f"{entry.file}" in err
    assert entry.sha256 in err
    assert json.loads(lock_copy.read_text()) == json.loads(paths.LOCK_FILE.read_text())


def test_missing_mirror_file_is_named(mirror: Path, tmp_path: Path) -> None:
    """A mirror without one of the files says which one is missing."""
    entry = load_lock().specs["access"]
    (mirror / entry.file).unlink()

    with pytest.raises(LockError, match=re.escape(entry.file)):
        materialise(load_lock(), mirror, tmp_path / "dest")


def test_broken_lock_is_reported(tmp_path: Path) -> None:
    """A lock that is not JSON or lacks keys gives a message naming the file."""
    broken = tmp_path / "lock.json"
    broken.write_text("{not json")
    with pytest.raises(LockError, match="not valid JSON"):
        load_lock(broken)

    broken.write_text(
        json.dumps({"generator": {"version": "1", "ruff": "1"}, "specs": {"x": {}}})
    )
    with pytest.raises(LockError, match="lacks file"):
        load_lock(broken)
