"""Files kept between processes in the user's cache folder: what is costly to build and the same every run (the
link index, the language identifier's model unpacked, the report's chart bundle). A cache that cannot be read is
rebuilt; one that cannot be written is no error. Nothing here knows what it stores."""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

T = TypeVar("T")


def cache_dir() -> Path | None:
    """$KHABAR_CACHE_DIR (``off`` or empty: no cache), else $XDG_CACHE_HOME/khabar, else ~/.cache/khabar."""
    env = os.environ.get("KHABAR_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "khabar"


def load_pickle(path: Path | None) -> Any | None:
    """What ``path`` holds, or None when there is no such file or it cannot be read (truncated, foreign)."""
    if path is None or not path.exists():
        return None
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # noqa: BLE001 - a cache that cannot be read is rebuilt
        return None


def store_pickle(path: Path | None, value: Any, *, stale_glob: str | None = None, max_age_days: float = 30) -> None:
    """Write ``value`` to ``path`` atomically (a temp file beside, then rename: a reader never sees half a file);
    then drop the files matching ``stale_glob`` beside it not written for ``max_age_days`` (each code or data
    change leaves a new file behind; one still in use is rebuilt once)."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        if stale_glob:
            old = time.time() - max_age_days * 86400
            for f in path.parent.glob(stale_glob):
                if f != path and f.stat().st_mtime < old:
                    f.unlink(missing_ok=True)
    except OSError:
        pass


def cached(name: str, build: Callable[[], T], *, stale_glob: str | None = None) -> T:
    """``build()``'s value, read from the cache file ``name`` when it is there, else built and written there.
    ``name`` must change whenever the value would (put the versions it depends on in it)."""
    folder = cache_dir()
    path = folder / name if folder is not None else None
    value = load_pickle(path)
    if value is None:
        value = build()
        store_pickle(path, value, stale_glob=stale_glob)
    return value


_DIGESTS: dict[tuple, str] = {}


def files_digest(files: Iterable[Path], *salt: object) -> str | None:
    """A hash of ``files`` (names and bytes, the missing ones skipped) and ``salt`` (versions, a format number), to
    name a cache file by what its value is built from; None when one cannot be read. Each set of files is read and
    hashed once per process while none of them changes (name, size, mtime: ~3 ms each time otherwise)."""
    files = [f for f in dict.fromkeys(files) if f.is_file()]
    try:
        stamp = (repr(salt), *((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))
        digest = _DIGESTS.get(stamp)
        if digest is None:
            h = hashlib.sha256(repr(salt).encode())
            for f in files:
                h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
            digest = _DIGESTS[stamp] = h.hexdigest()[:32]
    except OSError:
        return None
    return digest
