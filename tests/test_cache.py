"""khabar.cache: what is costly to build is built once and read back in later processes (the link index, the
language identifier's model, the report's chart bundle); a broken cache file is rebuilt; `off` turns it off."""
from __future__ import annotations

import os
import subprocess
import sys

from khabar import cache


def test_cached_builds_once_then_reads_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KHABAR_CACHE_DIR", str(tmp_path))
    calls = []
    build = lambda: calls.append(1) or {"value": [1, 2, 3]}  # noqa: E731
    assert cache.cached("thing-1.pickle", build) == {"value": [1, 2, 3]}
    assert cache.cached("thing-1.pickle", build) == {"value": [1, 2, 3]}
    assert calls == [1]
    assert (tmp_path / "thing-1.pickle").is_file() and not list(tmp_path.glob("*.tmp"))


def test_a_truncated_cache_file_is_rebuilt_and_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("KHABAR_CACHE_DIR", str(tmp_path))
    (tmp_path / "thing-1.pickle").write_bytes(b"\x80\x05\x95")  # half a pickle
    assert cache.cached("thing-1.pickle", lambda: "built") == "built"
    assert cache.load_pickle(tmp_path / "thing-1.pickle") == "built"


def test_off_builds_every_time_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("KHABAR_CACHE_DIR", "off")
    monkeypatch.chdir(tmp_path)
    calls = []
    for _ in range(2):
        cache.cached("thing-1.pickle", lambda: calls.append(1) or "v")
    assert calls == [1, 1] and cache.cache_dir() is None and not list(tmp_path.iterdir())


def test_old_versions_are_dropped_after_30_days_but_not_the_new_one(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("KHABAR_CACHE_DIR", str(tmp_path))
    old, recent = tmp_path / "thing-0.pickle", tmp_path / "thing-0b.pickle"
    old.write_bytes(b"x")
    recent.write_bytes(b"x")
    os.utime(old, (time.time() - 31 * 86400,) * 2)
    cache.cached("thing-1.pickle", lambda: "v", stale_glob="thing-*")
    assert not old.exists() and recent.exists() and (tmp_path / "thing-1.pickle").exists()


def test_a_second_process_reads_the_language_model_and_chart_bundle_from_the_cache(tmp_path):
    code = ("from tasks.langid import identify_language; from warehouse.report import vega_bundle;"
            "print(identify_language('پاکستان اور بھارت کے درمیان مذاکرات ہوئے ہیں'), len(vega_bundle()) > 100000)")
    env = {**os.environ, "KHABAR_CACHE_DIR": str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    names = sorted(p.name.split("-")[0] for p in tmp_path.iterdir())
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert first.stdout.split() == second.stdout.split() == ["ur", "True"]
    assert names == ["langid", "vega"]


DICTIONARY_DIGEST = """
import hashlib, pickle, sys, time
from tasks import actors
t = time.perf_counter()
d = actors.load_dictionary()
seconds = time.perf_counter() - t
built = actors._build(d.sources)  # from the YAML files, whatever the cache holds
same = pickle.dumps(sorted(d.actors.items())) == pickle.dumps(sorted(built.actors.items())) and \\
    (d.roles, d.demonyms, d.context, d.frequent_words) == (built.roles, built.demonyms, built.context, built.frequent_words)
print(len(d.actors), same)
"""


def test_a_second_process_reads_the_actor_dictionary_from_the_cache(tmp_path, monkeypatch):
    """The dictionary built from its YAML files is kept in the cache; a second process reads it, equal to a build
    from the files; a changed set of actor files names another cache entry (the dictionary follows the files)."""
    env = {**os.environ, "KHABAR_CACHE_DIR": str(tmp_path)}
    run = lambda: subprocess.run([sys.executable, "-c", DICTIONARY_DIGEST], capture_output=True, text=True,  # noqa: E731
                                 env=env, check=True).stdout.split()
    first = run()
    entries = sorted(p.name for p in tmp_path.glob("actor-dictionary-*"))
    second = run()
    assert len(entries) == 1 and first == second and second[1] == "True" and int(second[0]) > 3000

    from tasks import actors

    monkeypatch.setenv("KHABAR_CACHE_DIR", str(tmp_path))
    extra = tmp_path / "extra.yaml"
    extra.write_text("- entity_id: khabar:igor_sergeyev\n  name: Igor Sergeyev\n  type: PERSON\n  country: RUS\n"
                     "  aliases: {en: [Igor Sergeyev], ur: [ایگور سرگیف]}\n", encoding="utf-8")
    assert actors._cache_file(tuple(actors._actor_files([]))).name in entries
    assert actors._cache_file(tuple(actors._actor_files([extra]))).name not in entries
