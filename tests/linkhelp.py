"""Turn a Stanza parse into rows of the sentences/tokens/mentions tables, as the NLP stage does (for link tests)."""
from __future__ import annotations

from datetime import datetime

from tasks.ids import stable_id

# IL-NER tags -> mapped labels (the NLP stage's mapping)
NER_LABELS = {"NEP": "PERSON", "NEL": "LOCATION", "NEO": "ORGANIZATION", "NEN": "NUMBER", "NETI": "TIME",
              "NEAR": "ARTIFACT"}


def parse_article(nlp, article_id: str, text: str, published_at: datetime | None = None):
    doc = nlp(text)
    article = {"article_id": article_id, "text": text, "published_at": published_at}
    sentences, tokens, ner = [], [], []
    for si, s in enumerate(doc.sentences):
        sentences.append({"article_id": article_id, "sentence_index": si, "start_char": s.tokens[0].start_char,
                          "end_char": s.tokens[-1].end_char, "text": s.text})
        for w in s.words:
            tok = w.parent
            tokens.append({"article_id": article_id, "sentence_index": si, "token_index": w.id, "text": w.text,
                           "lemma": w.lemma, "upos": w.upos, "xpos": w.xpos, "feats": w.feats, "head": w.head,
                           "deprel": w.deprel, "start_char": tok.start_char, "end_char": tok.end_char,
                           "ner": tok.ner})
        for e in s.ents:
            ner.append({"mention_id": stable_id("m", article_id, e.start_char, e.end_char), "article_id": article_id,
                        "sentence_index": si, "start_char": e.start_char, "end_char": e.end_char, "text": e.text,
                        "ner_label": NER_LABELS.get(e.type, e.type), "entity_id": None, "confidence": None,
                        "model_label": e.type, "found_by": "ner", "link_method": None})
    return article, sentences, tokens, ner
