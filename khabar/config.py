"""Run settings: one typed object, filled from CLI flags and KHABAR_* environment variables.

`Settings` is a pydantic model because it is also the `settings` parameter of the Prefect flow: the UI draws it as
a form (defaults, ranges, descriptions) and a deployment's parameters are checked against it.
"""
from __future__ import annotations

import os
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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
    "workers": (1, None), "batch_size": (1, None), "nlp_batch_size": (1, None), "max_file_bytes": (1, None),
    "dedup_threshold": (0.01, 1.0), "dedup_num_perm": (8, 4096), "dedup_shingle_size": (1, 20),
    "flow_timeout_seconds": (1, None), "stage_timeout_seconds": (1, None),
}


# Every setting is a flag --<name> and a variable KHABAR_<NAME> (--batch-size <-> KHABAR_BATCH_SIZE: khabar.cli_common
# derives the run options from these fields). These settings also keep an older, shorter flag, the one messages name.
SHORT_FLAGS = {"dedup_shingle_size": "--shingle-size", "default_language": "--language",
               "flow_timeout_seconds": "--flow-timeout", "stage_timeout_seconds": "--stage-timeout"}


def env_name(name: str) -> str:
    return f"KHABAR_{name.upper()}"


def flags(name: str) -> tuple[str, ...]:
    """The setting's flags: its short one first where it has one, then --<name>."""
    full = f"--{name.replace('_', '-')}"
    return (SHORT_FLAGS[name], full) if name in SHORT_FLAGS else (full,)


def _names(name: str) -> str:
    return f"{flags(name)[0]} / {env_name(name)}"


def _limits(name: str) -> dict[str, float]:
    """LIMITS as pydantic bounds, so the UI form shows them too (from_env checks them first, with our message)."""
    low, high = LIMITS.get(name, (None, None))
    return {k: v for k, v in (("ge", low), ("le", high)) if v is not None}


def _with_names(schema: dict[str, Any]) -> None:
    """Each field's description in the JSON schema (the Prefect UI form) ends with its flag and variable."""
    for name, prop in schema.get("properties", {}).items():
        prop["description"] = f"{prop.get('description', '')} Set with {_names(name)}.".strip()


class Settings(BaseModel):
    """khabar run settings: defaults < KHABAR_* environment variables < flags or flow parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid", json_schema_extra=_with_names)

    warehouse: Path = Field(default_factory=default_warehouse, description="Warehouse directory.")
    models_dir: Path | None = Field(None, description="Stanza resources directory (default: $STANZA_RESOURCES_DIR, "
                                                      "then Stanza's own).")  # resolved by tasks.nlp.resolve_models_dir
    workers: int = Field(default_factory=default_workers,
                         description="NLP and extract worker processes (default: CPU count).",
                         **_limits("workers"))
    batch_size: int = Field(2000, description="Most articles carried through the stages, staged and loaded at once; "
                                           "peak memory follows it, not the run's size (docs/performance.md).",
                            **_limits("batch_size"))
    nlp_batch_size: int = Field(256, description="Most articles per NLP task (larger Stanza batches parse faster: "
                                                 "docs/nlp.md).", **_limits("nlp_batch_size"))
    max_file_bytes: int = Field(20 * 1024 * 1024, description="Larger input files are quarantined as oversized.",
                                **_limits("max_file_bytes"))
    dedup_threshold: float = Field(0.4, description="MinHash Jaccard threshold for near-duplicates (measured: "
                                                    "docs/dedup.md).", **_limits("dedup_threshold"))
    dedup_num_perm: int = Field(128, description="MinHash permutations.", **_limits("dedup_num_perm"))
    dedup_shingle_size: int = Field(3, description="Word shingle size for MinHash.", **_limits("dedup_shingle_size"))
    default_language: str | None = Field(None, description="Language of every input (default: the record's, "
                                                            "else detected).")
    dask_address: str | None = Field(None, description="Run the NLP and extract tasks on this Dask scheduler "
                                                       "(prefect-dask).")
    use_gpu: bool = Field(False, description="Parse with Stanza on a GPU when torch sees one (CUDA); without one the "
                                             "run parses on the CPU and logs it. Nothing else depends on a GPU.")
    flow_timeout_seconds: float | None = Field(None, description="A run taking longer ends as TimedOut "
                                                                 "(default: no limit).",
                                               **_limits("flow_timeout_seconds"))
    stage_timeout_seconds: float | None = Field(None, description="A stage task (and each NLP chunk) taking longer "
                                                                  "ends as TimedOut (default: no limit).",
                                                **_limits("stage_timeout_seconds"))
    webhook_url: str | None = Field(None, description="POST a short JSON message here when a run fails, crashes or "
                                                      "times out (docs/operations.md).")

    def explicit(self) -> dict[str, Any]:
        """The settings given explicitly (not defaults): what a run passes on to another run."""
        return {name: getattr(self, name) for name in self.model_fields_set}

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        """Defaults < KHABAR_<FIELD> environment variables < explicit overrides (None = not given)."""
        values: dict[str, object] = {}
        for name in cls.model_fields:
            env = os.environ.get(env_name(name))
            if env is not None:
                values[name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls._coerced(values)

    @classmethod
    def from_flags(cls, **given: object) -> "Settings":
        """The settings `given` (a command's flags; None = not given), typed, after checking them together with the
        KHABAR_* variables, so a bad variable is refused before any work too. Only they and the warehouse (resolved,
        variable included) count as explicit(): the flow reads the variables itself, so they stay out of a run's
        recorded parameters (a webhook URL may be a secret)."""
        full = cls.from_env(**given)
        return cls._coerced({**{k: v for k, v in given.items() if v is not None}, "warehouse": full.warehouse})

    @classmethod
    def _coerced(cls, values: dict[str, object]) -> "Settings":
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            raise SettingsError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(cls.model_fields)}")
        out = {name: _coerce(name, value, cls.model_fields[name].annotation) for name, value in values.items()}
        out["warehouse"] = Path(out.get("warehouse") or default_warehouse()).resolve()
        try:
            return cls(**out)
        except ValidationError as exc:  # a type our coercion does not know (e.g. a list for a name)
            raise SettingsError("; ".join(f"{_names(str(e['loc'][0]))}: {e['msg']}" for e in exc.errors())) from None


def _kind(annotation: Any) -> tuple[type, bool]:
    """(the type, whether None is allowed) of a field annotation such as `float | None`."""
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) \
        is typing.Union else ()
    if args:
        return next(a for a in args if a is not type(None)), type(None) in args
    return annotation, False


def field_type(name: str) -> type:
    """The type of a setting, None aside: int for `workers`, float for `flow_timeout_seconds`."""
    return _kind(Settings.model_fields[name].annotation)[0]


def _coerce(name: str, value: object, annotation: Any) -> object:
    kind, optional = _kind(annotation)
    if optional and (value is None or (isinstance(value, str) and not value.strip())):
        return None  # KHABAR_FLOW_TIMEOUT_SECONDS= (empty): no limit
    if kind is Path:
        return Path(str(value)).expanduser()
    if kind is bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise SettingsError(f"{_names(name)}: {value!r} is not true or false")
        return word in ("1", "true", "yes", "on")
    if kind in (int, float):
        try:
            number = kind(value)  # type: ignore[operator]
        except (TypeError, ValueError):
            raise SettingsError(f"{_names(name)}: {value!r} is not a{'n integer' if kind is int else ' number'}")
        low, high = LIMITS.get(name, (None, None))
        if (low is not None and number < low) or (high is not None and number > high):
            raise SettingsError(f"{_names(name)}: {number} is out of range "
                                f"({low if low is not None else '-inf'} to {high if high is not None else 'inf'})")
        return number
    return value
