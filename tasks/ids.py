"""Deterministic ids: derived from content, never from run order, so re-runs reproduce them."""
from __future__ import annotations

import hashlib
import os
import stat as stat_mode
from pathlib import Path


def stable_id(prefix: str, *parts: object, length: int = 16) -> str:
    """``prefix`` + hex digest of the parts (None and numbers included) joined by NUL."""
    digest = hashlib.sha256("\x00".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"{prefix}{digest[:length]}"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: Path | str) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_identity(path: Path | str) -> tuple[str, int, int] | None:
    """``(file_hash, size, mtime_ns)`` that records an input in `source_files`; None when it is gone.

    A regular file: the sha256 of its bytes. Anything that must not be read (a FIFO, a device or a link to one, a
    symlink loop, a file that cannot be opened) gets ``entry:`` + a hash of its path and its directory entry
    (lstat) instead: a poison input is recorded once, quarantined once and not tried again while unchanged.
    """
    path = Path(path)
    try:
        st = path.stat()
        if stat_mode.S_ISREG(st.st_mode):
            return sha256_file(path), st.st_size, st.st_mtime_ns
    except FileNotFoundError:
        if not os.path.lexists(path):
            return None  # removed while we looked (else: a dangling link, recorded by its entry)
    except OSError:
        pass  # a symlink loop, a file that cannot be opened: by its entry
    try:
        entry = path.lstat()
    except FileNotFoundError:
        return None
    key = stable_id("entry:", str(path), entry.st_ino, entry.st_mode, entry.st_mtime_ns, length=64)
    return key, entry.st_size, entry.st_mtime_ns
