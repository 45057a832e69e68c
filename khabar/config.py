"""Run settings: one typed object, filled from CLI flags and KHABAR_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

STAGES = ("ingest", "clean", "dedup", "nlp", "link", "events", "load")
LANG_DIR = Path(__file__).parent / "lang"
REPO_ROOT = Path(__file__).resolve().parent.parent


def default_warehouse() -> Path:
    """$XDG_DATA_HOME/khabar, else ~/.local/share/khabar: where a warehouse goes when neither --warehouse nor
    KHABAR_WAREHOUSE says. Not the repository's `warehouse/` folder (source code: `rm -rf warehouse` deleted it)
    and not the working folder: the XDG data folder is outside every checkout and the same from any folder, so
    `khabar query` finds the warehouse wherever it is typed. A relative XDG_DATA_HOME is ignored (the spec says so)."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "khabar"


DEFAULT_WAREHOUSE = default_warehouse()  # the CLI options' default (the environment is read once, at start)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class SettingsError(ValueError):
    """A run setting has a bad value; the message names the setting (flag and environment variable)."""


# Allowed ranges, checked before any work: (lowest, highest), inclusive; None = unbounded.
LIMITS: dict[str, tuple[float | None, float | None]] = {
    "workers": (1, None), "nlp_batch_size": (1, None), "max_file_bytes": (1, None),
    "dedup_threshold": (0.01, 1.0), "dedup_num_perm": (8, 4096), "dedup_shingle_size": (1, 20),
}


# `khabar run` flags whose name differs from the setting's (None: environment variable only).
FLAGS = {"dedup_shingle_size": "--shingle-size", "dedup_num_perm": None, "nlp_batch_size": None,
         "default_language": "--language"}


def _names(name: str) -> str:
    flag = FLAGS.get(name, f"--{name.replace('_', '-')}")
    return f"{flag} / KHABAR_{name.upper()}" if flag else f"KHABAR_{name.upper()}"


@dataclass(frozen=True)
class Settings:
    warehouse: Path = field(default_factory=default_warehouse)
    models_dir: Path | None = None  # resolved by tasks.nlp.resolve_models_dir
    workers: int = field(default_factory=default_workers)
    nlp_batch_size: int = 256  # most articles per NLP task: larger Stanza batches parse faster (docs/nlp.md)
    max_file_bytes: int = 20 * 1024 * 1024
    dedup_threshold: float = 0.4  # measured on COUNTER dev: docs/dedup.md
    dedup_num_perm: int = 128
    dedup_shingle_size: int = 3
    default_language: str | None = None  # None = detect
    dask_address: str | None = None  # run NLP tasks on this Dask scheduler (prefect-dask)

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Defaults < KHABAR_<FIELD> environment variables < explicit overrides (None = not given)."""
        values: dict[str, object] = {}
        for f in fields(cls):
            env = os.environ.get(f"KHABAR_{f.name.upper()}")
            if env is not None:
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls()._coerced(values)

    def _coerced(self, values: dict[str, object]) -> "Settings":
        out: dict[str, object] = {}
        for f in fields(self):
            if f.name not in values:
                continue
            value = values[f.name]
            current = getattr(self, f.name)
            if f.name in ("warehouse", "models_dir"):
                value = Path(str(value)).expanduser()
            elif isinstance(current, bool):
                value = str(value).lower() in ("1", "true", "yes")
            elif isinstance(current, (int, float)):
                kind = type(current)
                try:
                    value = kind(value)  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    raise SettingsError(f"{_names(f.name)}: {value!r} is not a{'n integer' if kind is int else ' number'}")
                low, high = LIMITS.get(f.name, (None, None))
                if (low is not None and value < low) or (high is not None and value > high):
                    raise SettingsError(f"{_names(f.name)}: {value} is out of range "
                                        f"({low if low is not None else '-inf'} to {high if high is not None else 'inf'})")
            out[f.name] = value
        settings = replace(self, **out)
        return replace(settings, warehouse=settings.warehouse.resolve())
