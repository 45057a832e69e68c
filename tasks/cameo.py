"""CAMEO event codes: names, roots, QuadClass, Goldstein and PLOVER type, loaded from the reference TSV.

The values are never retyped here: GDELT's Goldstein column differs from copies found in the wild, so the
reference file (env ``KHABAR_CAMEO_TSV``, default the copy shipped in ``khabar/reference/``, sources named in its
README) is the only source. Four-digit codes inherit their three-digit parent's values, as the reference README prescribes.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


ENV_VAR = "KHABAR_CAMEO_TSV"
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "khabar" / "reference" / "cameo_codes.tsv"
_REQUIRED = ("code", "name", "goldstein", "quad_class", "plover_type")


class CameoTableMissing(FileNotFoundError):
    pass


@dataclass(frozen=True)
class CameoCode:
    code: str
    name: str
    root: str
    quad_class: int
    goldstein: float
    plover_type: str | None  # None where PLOVER dropped the event (statements, appeals)


def cameo_path(path: Path | None = None) -> Path:
    return Path(path) if path is not None else Path(os.environ.get(ENV_VAR, DEFAULT_PATH))


def load_cameo(path: Path | None = None) -> dict[str, CameoCode]:
    """code -> CameoCode for every 2- and 3-digit code in the reference table."""
    return dict(_load(cameo_path(path).resolve()))


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[tuple[str, CameoCode], ...]:
    if not path.exists():
        raise CameoTableMissing(
            f"CAMEO reference table not found at {path}; set {ENV_VAR} to the path of cameo_codes.tsv")
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = [c for c in _REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing columns {missing}")
        out = []
        for row in reader:
            code = row["code"].strip()
            plover = (row.get("plover_type") or "").strip()
            out.append((code, CameoCode(
                code=code, name=row["name"].strip(), root=code[:2], quad_class=int(row["quad_class"]),
                goldstein=float(row["goldstein"]),
                plover_type=None if plover in ("", "dropped") else plover)))
    return tuple(out)


def lookup(code: str, table: dict[str, CameoCode]) -> CameoCode:
    """Values for a code; a 4-digit code takes its 3-digit parent's values (its own code kept)."""
    if code in table:
        return table[code]
    parent = code[:3]
    if len(code) == 4 and parent in table:
        p = table[parent]
        return CameoCode(code=code, name=p.name, root=p.root, quad_class=p.quad_class,
                         goldstein=p.goldstein, plover_type=p.plover_type)
    raise KeyError(f"unknown CAMEO code {code!r}")
