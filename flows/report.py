"""Run artifacts for the Prefect UI: what came in, what was dropped and why, what was extracted."""
from __future__ import annotations

from prefect.artifacts import create_markdown_artifact, create_table_artifact


def publish_run_artifacts(summary: dict, tables: dict[str, list[dict]]) -> None:
    counts = summary["counts"]
    create_table_artifact(
        key="khabar-run-counts",
        table=[{"what": k, "count": v} for k, v in counts.items()],
        description=f"khabar run {summary['run_id']}: counts per stage",
    )
    lines = [f"# khabar run `{summary['run_id']}`", "", f"warehouse: `{summary['warehouse']}`", ""]
    lines += ["| stage | seconds |", "|---|---|"] + [f"| {k} | {v} |" for k, v in summary["stage_seconds"].items()]
    create_markdown_artifact(key="khabar-run-summary", markdown="\n".join(lines))
