"""Text features shared by the trained thinking-trap models: word and character n-gram TF-IDF.

The fitted vocabularies and idf weights are stored as plain arrays (no pickles) in the model files
under data/traps/models/, and this module rebuilds exactly the vectors scikit-learn's
TfidfVectorizer gave at training time (sublinear tf, idf, unit length per block).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from simulator.traps.patterns import normalise

# Two blocks: words and word pairs carry the phrasing of a pattern ("should have", "what if",
# "always"); character n-grams inside word boundaries survive casual spelling and typos.
WORD = {"analyzer": "word", "ngram_range": (1, 2), "min_df": 2}
CHAR = {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, "max_features": 40000}


def prepare(text: str) -> str:
    """Lower case, straight quotes, one space; apostrophes dropped so "dont" and "don't" match."""
    return re.sub(r"'", "", normalise(text))


def fit_vectorizers(texts: list[str]) -> list[TfidfVectorizer]:
    prepared = [prepare(t) for t in texts]
    return [TfidfVectorizer(sublinear_tf=True, **spec).fit(prepared) for spec in (WORD, CHAR)]


def transform_fitted(vectorizers: list[TfidfVectorizer], texts: list[str]) -> csr_matrix:
    prepared = [prepare(t) for t in texts]
    return hstack([v.transform(prepared) for v in vectorizers]).tocsr()


@dataclass(frozen=True)
class Block:
    vocabulary: dict[str, int]
    idf: np.ndarray
    analyzer: object  # scikit-learn's analyzer for this block: text -> n-grams


def blocks_from_arrays(arrays: dict[str, np.ndarray]) -> list[Block]:
    """The two TF-IDF blocks from a model file's arrays (`word_vocab`, `word_idf`, `char_vocab`, ...)."""
    out = []
    for name, spec in (("word", WORD), ("char", CHAR)):
        vocab = {str(t): i for i, t in enumerate(arrays[f"{name}_vocab"])}
        analyzer = CountVectorizer(analyzer=spec["analyzer"], ngram_range=spec["ngram_range"]).build_analyzer()
        out.append(Block(vocab, arrays[f"{name}_idf"].astype(np.float64), analyzer))
    return out


def arrays_from_vectorizers(vectorizers: list[TfidfVectorizer]) -> dict[str, np.ndarray]:
    out = {}
    for name, v in zip(("word", "char"), vectorizers):
        terms = sorted(v.vocabulary_, key=v.vocabulary_.get)
        out[f"{name}_vocab"] = np.array(terms)
        out[f"{name}_idf"] = v.idf_.astype(np.float32)
    return out


def transform(blocks: list[Block], texts: list[str]) -> csr_matrix:
    """TF-IDF rows for `texts`, the same as the fitted vectorizers gave at training time."""
    width = sum(len(b.vocabulary) for b in blocks)
    indptr, indices, values = [0], [], []
    for text in (prepare(t) for t in texts):
        offset = 0
        for block in blocks:
            counts = Counter(block.vocabulary[g] for g in block.analyzer(text) if g in block.vocabulary)
            if counts:
                cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
                w = tf * block.idf[cols]
                indices.extend((cols + offset).tolist())
                values.extend((w / np.linalg.norm(w)).tolist())
            offset += len(block.vocabulary)
        indptr.append(len(indices))
    return csr_matrix((np.array(values), np.array(indices, dtype=np.int64), np.array(indptr)),
                      shape=(len(texts), width))
