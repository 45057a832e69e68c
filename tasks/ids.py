"""Deterministic ids: derived from content, never from run order, so re-runs reproduce them."""
from __future__ import annotations

import hashlib
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
