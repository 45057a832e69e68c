"""Shared fixtures. Real data is read from ../shared (never copied into the repo)."""
from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KHABAR_SHARED", REPO.parent / "shared")).resolve()
SEEDS = SHARED / "seeds"
COUNTER = SHARED / "data" / "counter_dev"
STANZA_DIR = SHARED / "stanza_resources"

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("STANZA_RESOURCES_DIR", str(STANZA_DIR))
# The link index cache (tasks/link.py) goes to a folder of this test session, never the real ~/.cache/khabar;
# set (not setdefault) so a developer's own KHABAR_CACHE_DIR is not written either. Subprocesses inherit it.
os.environ["KHABAR_CACHE_DIR"] = tempfile.mkdtemp(prefix="khabar-test-cache-")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    assert SEEDS.is_dir(), f"seeds not found at {SEEDS}"
    return SEEDS


@pytest.fixture(scope="session")
def counter_dir() -> Path:
    assert COUNTER.is_dir(), f"COUNTER dev not found at {COUNTER}"
    return COUNTER


@pytest.fixture(scope="session")
def stanza_dir() -> Path:
    assert (STANZA_DIR / "resources.json").exists(), f"Stanza models not found at {STANZA_DIR}"
    return STANZA_DIR


@pytest.fixture(scope="session")
def nlp(stanza_dir):
    """The NLP stage on one text: nlp(article_id, text, published_at=None) -> (article, sentences, tokens, mentions)."""
    from functools import partial

    from tests.nlphelp import parse_article

    return partial(parse_article, stanza_dir)

# Prefect stops its ephemeral API server from an atexit hook, after pytest has closed the captured
# streams; its last log line would then print a "Logging error" traceback that says nothing about the tests.
logging.raiseExceptions = False


@pytest.fixture(scope="session")
def d():
    """The actor dictionary as shipped (cached by load_dictionary)."""
    from tasks.actors import load_dictionary
    return load_dictionary()


@pytest.fixture(scope="session")
def lookup(d):
    """entity_id -> codes on a date (EntityLookup) over the shipped dictionary."""
    from tasks.actors import entity_lookup
    return entity_lookup(d)
