"""The sentence-embedding model run with onnxruntime gives the vectors sentence-transformers gives,
for short, long, padded and empty texts, and a feature loading it never imports torch."""

import os
import subprocess
import sys

import numpy as np

from simulator.core import embeddings
from simulator.core.settings import ROOT

TEXTS = ["Hello, thanks for coming in today.",
         "So when your manager said that, what went through your mind?",
         "mm ok",
         "",
         "🙂🙂",
         "I wonder whether, looking back over the last few weeks, there were times when the worry "
         "eased off a bit, even for an afternoon, and what was different then. " * 12]


def _reference(texts: list[str]) -> np.ndarray:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(embeddings.model_dir()), device="cpu")
    return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)


def test_vectors_match_sentence_transformers_in_one_batch_and_one_by_one():
    expected = _reference(TEXTS)
    batch = embeddings.encode(TEXTS)
    single = np.stack([embeddings.encode([t])[0] for t in TEXTS])
    assert batch.shape == (len(TEXTS), embeddings.DIMENSIONS)
    assert np.abs(batch - expected).max() < 1e-5
    assert np.abs(single - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert embeddings.encode([]).shape == (0, embeddings.DIMENSIONS)


def test_a_fresh_export_matches_too(tmp_path, monkeypatch):
    monkeypatch.setattr(embeddings, "onnx_path", lambda: tmp_path / "model.onnx")
    killed = tmp_path / "model.onnx.4194305.part"  # no process has this pid: above the kernel's largest
    running = tmp_path / f"model.onnx.{os.getppid()}.part"  # another export still writing
    killed.write_bytes(b"x"), running.write_bytes(b"x")
    path = embeddings.export_onnx()
    assert path.exists() and list(tmp_path.glob("*.part")) == [running]
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    embeddings._session(1)  # the tokenizer
    assert np.abs(embeddings._run(session, TEXTS[:3]) - _reference(TEXTS[:3])).max() < 1e-5


def test_loading_a_feature_does_not_import_torch():
    embeddings.encode(["warm"])  # the export exists before the fresh process looks for it
    code = ("import sys; from simulator.traps import detector; detector.warm(); "
            "print(detector.detect_offline('I always ruin everything.').patterns[0].pattern, "
            "'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    pattern, torch_loaded, st_loaded = out.stdout.split()
    assert pattern and torch_loaded == "False" and st_loaded == "False"


def test_a_missing_export_that_cannot_be_made_is_one_clear_error(tmp_path, monkeypatch, caplog):
    def fail():
        raise PermissionError("read-only file system")

    monkeypatch.setattr(embeddings, "onnx_path", lambda: tmp_path / "missing.onnx")
    monkeypatch.setattr(embeddings, "export_onnx", fail)
    monkeypatch.setattr(embeddings, "_sessions", {})
    monkeypatch.setattr(embeddings, "_export_failed", None)
    for _ in range(2):  # tried once; the second call says the same without trying again
        try:
            embeddings.encode(["hello"])
        except RuntimeError as err:
            assert "prepare-models" in str(err) and "read-only file system" in str(err)
        else:
            raise AssertionError("encoding without a model must fail")
    assert caplog.text.count("exporting the sentence-embedding model failed") == 1


def test_a_new_export_revision_is_a_new_export_and_rebuilds_the_classifiers_on_it(monkeypatch):
    # A change to how the model is exported must not leave an old export (or the classifiers
    # fine-tuned beside it) in use: both are looked up under new names.
    from simulator.traps import reframe_pair

    before, classifier = embeddings.onnx_path(), reframe_pair.model_path()
    assert before.exists() and classifier.exists()  # make test prepared both
    monkeypatch.setattr(embeddings, "EXPORT_REVISION", embeddings.EXPORT_REVISION + 1)
    assert embeddings.onnx_path() != before and not embeddings.onnx_path().exists()
    assert reframe_pair.model_path() != classifier
