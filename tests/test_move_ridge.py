"""The move recogniser's ridge model on dense features beside sparse character n-grams: the same
scores as scikit-learn's ridge on the same standardised columns, with the n-grams kept sparse from
the vectoriser to the scores (the bank's n-grams stored dense took 10 GB)."""

import numpy as np
import pytest
import scipy.sparse
from sklearn.linear_model import Ridge

from simulator.cbt import move_model
from simulator.cbt.move_model import LabelledMessage, Rows, _Ridge


def problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    dense = rng.normal(2.0, 3.0, size=(60, 7)).astype(np.float32)
    grams = scipy.sparse.random(60, 500, density=0.02, format="csr", dtype=np.float32, random_state=seed)
    y = rng.random((60, 3)) < 0.4
    return dense, grams, y


def sklearn_scores(dense, grams, y, alpha, test_dense, test_grams):
    mu, sd = dense.mean(0), dense.std(0) + 1e-6
    both = lambda d, g: np.hstack([((d - mu) / sd).astype(np.float64), g.toarray()])  # noqa: E731
    model = Ridge(alpha=alpha, solver="cholesky").fit(both(dense, grams), y * 2.0 - 1.0)
    return model.predict(both(test_dense, test_grams))


def test_ridge_on_dense_and_sparse_blocks_scores_as_scikit_learn(monkeypatch):
    monkeypatch.setattr(move_model, "GRAM_BLOCK", 7)  # the kernel built in several slices, the last one short
    dense, grams, y = problem()
    ours = _Ridge(5.0).fit(Rows(dense[:45], grams[:45]), y[:45])
    got = ours.scores(Rows(dense[45:], grams[45:]))
    want = sklearn_scores(dense[:45], grams[:45], y[:45], 5.0, dense[45:], grams[45:])
    assert got.shape == (15, 3)
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert not scipy.sparse.issparse(ours.gram_coef)


def test_ridge_on_a_dense_block_alone_scores_as_scikit_learn():
    dense, _, y = problem(1)
    got = _Ridge(2.0).fit(Rows(dense[:45]), y[:45]).scores(Rows(dense[45:]))
    none = scipy.sparse.csr_matrix((60, 0))  # scikit-learn's side with no n-gram columns
    want = sklearn_scores(dense[:45], none[:45], y[:45], 2.0, dense[45:], none[45:])
    np.testing.assert_allclose(got, want, atol=1e-9)


def test_rows_select_by_index_mask_and_stack_in_order():
    dense, grams, _ = problem()
    rows = Rows(dense, grams)
    one = rows[3]
    assert len(one) == 1 and one.grams.shape == (1, 500)
    np.testing.assert_array_equal(one.dense[0], dense[3])
    mask = np.arange(60) % 3 == 0
    picked = rows[mask]
    assert len(picked) == 20 and picked.grams.shape == (20, 500)
    again = Rows.stack([rows[i] for i in np.flatnonzero(mask)])
    np.testing.assert_array_equal(again.dense, picked.dense)
    assert (again.grams != picked.grams).nnz == 0


def test_rows_refuse_what_numpy_would_refuse():
    dense, grams, _ = problem()
    rows = Rows(dense, grams)
    np.testing.assert_array_equal(rows[-1].dense[0], dense[-1])
    with pytest.raises(IndexError):
        rows[60]
    with pytest.raises(IndexError):
        rows[np.ones(59, dtype=bool)]
    with pytest.raises(ValueError):
        Rows.stack([Rows(dense[:2]), rows[2]])
    with pytest.raises(ValueError):
        Rows(dense[:3], grams[:2])


def test_the_recogniser_keeps_its_n_grams_sparse_from_text_to_scores():
    items = [LabelledMessage(text=t, previous="", labels=("open_question",), risk_aspects=())
             for t in ("How did that feel?", "How did you feel then?", "What did you feel after that?")]
    vectoriser = move_model.fit_ngrams(items)
    rows = move_model.with_ngrams(np.zeros((2, 5), np.float32), ["How did it feel?", "What then?"], vectoriser)
    assert scipy.sparse.issparse(rows.grams) and rows.grams.shape[0] == 2
    assert scipy.sparse.issparse(Rows.stack([rows, rows[0]]).grams)
