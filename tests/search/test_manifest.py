"""Checksums of a generation's files: the same digest whether or not the pages stay cached."""

from __future__ import annotations

import mmap
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.search import manifest
from bot.search.manifest import file_sha256

MB = 1 << 20


def cached_bytes(path: Path) -> int:
    """Bytes of ``path`` in the page cache, as util-linux's fincore reports them."""
    out = subprocess.run(["fincore", "-b", "-n", "-o", "RES", str(path)], capture_output=True, text=True)
    return int(out.stdout.strip())


def on_tmpfs(path: Path) -> bool:
    mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    best = max((m for m in mounts if str(path).startswith(m[1])), key=lambda m: len(m[1]))
    return best[2] in ("tmpfs", "ramfs")


def test_the_digest_does_not_depend_on_caching(tmp_path: Path) -> None:
    path = tmp_path / "vectors.f32"
    path.write_bytes(os.urandom(3 * MB + 123))
    assert file_sha256(path) == file_sha256(path, keep_cached=False)


@pytest.mark.skipif(shutil.which("fincore") is None, reason="needs util-linux's fincore")
def test_a_background_check_leaves_only_the_mapped_pages_cached(tmp_path: Path) -> None:
    if on_tmpfs(tmp_path) or not hasattr(os, "posix_fadvise"):
        pytest.skip("the page cache of this file system cannot be dropped")
    path = tmp_path / "vectors.f32"
    with path.open("wb") as fh:
        fh.write(os.urandom(32 * MB))
        fh.flush()
        os.fsync(fh.fileno())  # dirty pages are never dropped
    file_sha256(path)
    assert cached_bytes(path) >= 31 * MB
    with path.open("rb") as fh:
        mapping = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            touched = sum(mapping[i] for i in range(0, 4 * MB, mmap.PAGESIZE))  # what questions read
            assert touched >= 0
            file_sha256(path, keep_cached=False)
            # The mapped pages stay (with the rest of the kernel's blocks they sit in), the rest goes.
            assert 4 * MB <= cached_bytes(path) <= 16 * MB
        finally:
            mapping.close()


def test_a_refused_drop_is_not_a_read_error() -> None:
    # A pipe refuses the advice (ESPIPE): the check must go on, never call a sound file unreadable.
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(OSError):
            os.posix_fadvise(read_end, 0, 0, os.POSIX_FADV_DONTNEED)
        manifest._forget(read_end, 0, 0)
    finally:
        os.close(read_end)
        os.close(write_end)
