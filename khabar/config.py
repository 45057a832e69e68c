"""Run settings: one typed object, filled from CLI flags and KHABAR_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

STAGES = ("ingest", "clean", "dedup", "nlp", "link", "events", "load")
LANG_DIR = Path(__file__).parent / "lang"
REPO_ROOT = Path(__file__).resolve().parent.parent


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


@dataclass(frozen=True)
class Settings:
    warehouse: Path = Path("warehouse")
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
            elif isinstance(current, int):
                value = int(value)  # type: ignore[arg-type]
            elif isinstance(current, float):
                value = float(value)  # type: ignore[arg-type]
            out[f.name] = value
        settings = replace(self, **out)
        return replace(settings, warehouse=settings.warehouse.resolve())
