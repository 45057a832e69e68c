"""Deterministic ids: derived from content, never from run order, so re-runs reproduce them."""
from __future__ import annotations

import hashlib


def stable_id(prefix: str, *parts: object, length: int = 16) -> str:
    """``prefix`` + hex digest of the parts (None and numbers included) joined by NUL."""
    digest = hashlib.sha256("\x00".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"{prefix}{digest[:length]}"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
