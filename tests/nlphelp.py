"""Rows of a test text as the NLP stage makes them (tasks.nlp.parse_articles): one Stanza-to-rows conversion for
the tests that start from a parse (events, relations, linking), with its quote spacing, offsets and NER labels."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from tasks.ids import sha256_text
from tasks.nlp import parse_articles


def parse_article(models_dir: Path, article_id: str, text: str, published_at: datetime | None = None):
    """(article, sentences, tokens, mentions) for ``text``; mentions are the NER ones, not yet linked."""
    out = parse_articles([{"article_id": article_id, "text": text, "language": "ur",
                           "content_hash": sha256_text(text)}], models_dir=models_dir, torch_threads=1)
    assert not out.failures, out.failures
    article = {"article_id": article_id, "text": text, "published_at": published_at}
    return article, out.sentences, out.tokens, out.mentions
