"""The fine-tuned move classifier: built from a bank, exported, read back by the recogniser; and
recognition still works (with the ridge model, and a logged warning) while it is not built."""

from __future__ import annotations

import dataclasses
import logging
import os

import numpy as np
import onnx
import pytest

from simulator.cbt import move_encoder, moves
from simulator.cbt.move_model import MOVES, LabelledMessage

GREETINGS = ["Hi there, welcome.", "Hello, nice to meet you.", "Good morning, come on in.", "Hey, thanks for coming.",
             "Hiya, good to see you.", "Welcome, have a seat.", "Hello again, how are you doing?",
             "Morning! Glad you made it.", "Hi, I'm Jo, one of the trainees.", "Good afternoon, do come in.",
             "Hey hey, welcome along.", "Hello and welcome to the clinic."]
BODY = ["Where in your body did you notice it?", "What did your chest feel like?", "Any tightness or shaking?",
        "Did your heart race at that point?", "What physical sensations came up?", "How did your stomach feel?",
        "Were you sweating or dizzy?", "what happened in your body then", "Did you feel it in your shoulders?",
        "Any sensations in your throat or hands?", "Was your breathing different?", "Did your face go hot?"]
CLOSING = ["Let's stop there for today.", "We're out of time, see you next week.", "Thanks, that's us for today.",
           "Take care, same time next Tuesday.", "We'll pick this up next session.", "Okay, let's wrap up here.",
           "That's all we have time for, well done today.", "See you next week then, bye.",
           "Let's leave it there and meet again Friday.", "Time to finish, thank you for your work.",
           "Right, we'll end there for now.", "Goodbye for now, look after yourself."]


def _items() -> list[LabelledMessage]:
    out = [LabelledMessage("", t, ("greeting",)) for t in GREETINGS]
    out += [LabelledMessage("I just froze when they called my name.", t, ("open_question", "ask_body")) for t in BODY]
    return out + [LabelledMessage("It helped to say it out loud.", t, ("closing",)) for t in CLOSING]


def test_a_classifier_fine_tuned_on_a_bank_recognises_new_messages_through_the_recogniser(tmp_path, monkeypatch, caplog):
    target = tmp_path / "moves-encoder.onnx"
    # Batches of 8 for a bank of 36: with the usual 32, batching by length leaves one batch of the
    # four longest messages, and the classifier learns little from the split.
    monkeypatch.setattr(move_encoder, "RECIPE", dataclasses.replace(move_encoder.RECIPE, epochs=12, batch=8))
    with caplog.at_level(logging.INFO):
        assert move_encoder.build(_items(), target) == target and not list(tmp_path.glob("*.part*"))
    assert "exported to" in caplog.text and "pre-processing" not in caplog.text  # no alarm in the build log
    # Shipped with int8 weights (a quarter of the size), for the live reply's speed.
    weights = onnx.load(str(target)).graph.initializer
    assert sum(w.data_type == onnx.TensorProto.INT8 for w in weights) >= 36  # six layers' matrices
    index = {m: MOVES.index(m) for m in ("greeting", "ask_body", "closing")}
    for message, previous, expected in [("Hello, lovely to meet you, come and sit down.", "", "greeting"),
                                        ("Did your legs feel shaky?", "My name was called and I froze.", "ask_body"),
                                        ("We need to finish now, see you next week.", "Thanks.", "closing")]:
        logits = move_encoder.logits(message, previous, path=target)
        assert logits.shape == (len(MOVES),)
        assert max(index, key=lambda m: logits[index[m]]) == expected, (message, logits)


def test_without_the_fine_tuned_classifier_recognition_falls_back_and_says_so(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(move_encoder, "model_path", lambda: tmp_path / "not-built.onnx")
    move_encoder.installed.reset()
    try:
        with caplog.at_level(logging.WARNING, logger="simulator.core.pair_encoder"):
            result = moves.recognise("Where did you feel that in your body?", "My chest went tight.")
            moves.recognise("What went through your mind?", "I froze.")
        assert "ask_body" in result.moves
        assert caplog.text.count("move classifier is not built") == 1 and "prepare-models" in caplog.text
    finally:
        move_encoder.installed.reset()


def test_a_broken_classifier_file_does_not_stop_the_patient_answering(tmp_path, monkeypatch, caplog):
    broken = tmp_path / "moves-encoder-broken.onnx"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(move_encoder, "model_path", lambda: broken)
    move_encoder.installed.reset()
    try:
        with caplog.at_level(logging.ERROR, logger="simulator.core.pair_encoder"):
            first = moves.recognise("Where did you feel that in your body?", "My chest went tight.")
            second = moves.recognise("What went through your mind?", "I froze.")
        assert "ask_body" in first.moves and "ask_thoughts" in second.moves
        assert caplog.text.count("fine-tuned move classifier failed") == 1
    finally:
        move_encoder.installed.reset()


def test_the_installed_recogniser_averages_the_fine_tuned_and_ridge_classifiers():
    # make test builds the fine-tuned one (make prepare); a score is the two probabilities' mean.
    from simulator.cbt import move_model

    move_encoder.installed.reset()
    assert move_encoder.model_path().exists()
    text = "How are you feeling right now?"
    fine = 1 / (1 + np.exp(-move_encoder.logits(text, "")))
    model = move_model.model()
    ridge = 1 / (1 + np.exp(-6 * model.move_margins(model.rows(text, ""))))
    scores = moves.recognise(text).scores
    assert np.allclose([scores[m] for m in MOVES], (fine + ridge) / 2, atol=2e-3)
    assert scores["ask_feelings"] > 0.5 and scores["greeting"] < 0.5


def test_a_second_build_waits_for_the_first_instead_of_training_twice(tmp_path, monkeypatch, caplog):
    # Two installs at once (or `make test` beside `make run`): the second waits for the first.
    import subprocess
    import sys
    import textwrap

    from simulator.core import pair_encoder

    monkeypatch.setattr(pair_encoder, "CACHE_DIR", tmp_path)
    done = tmp_path / "first-build-finished"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import pathlib, time
        from simulator.core import pair_encoder
        pair_encoder.CACHE_DIR = pathlib.Path({str(tmp_path)!r})
        with pair_encoder.building():
            print("held", flush=True)
            time.sleep(1.5)
            pathlib.Path({str(done)!r}).write_text("built")
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with caplog.at_level("WARNING"), pair_encoder.building():
            assert done.read_text() == "built"
        assert "another process is building the fine-tuned classifiers; waiting for it" in caplog.text
    finally:
        holder.wait(timeout=30)


def test_an_install_removes_the_builds_for_earlier_banks_and_keeps_everything_else(tmp_path):
    from simulator.core import pair_encoder

    current = tmp_path / "moves-encoder-1111111111111111.onnx"
    older = [tmp_path / "moves-encoder-2222222222222222.onnx", tmp_path / "moves-encoder-3333333333333333.onnx"]
    # A build killed while writing (no process has its pid: above the kernel's largest) goes too.
    older.append(tmp_path / "moves-encoder-5555555555555555.onnx.4194305.part")
    kept = [tmp_path / "dearman-encoder-2222222222222222.onnx",  # another classifier's build
            tmp_path / f"moves-encoder-4444444444444444.onnx.{os.getpid()}.part",  # a build still being written
            tmp_path / "moves-model-2222222222222222.pkl"]
    for path in [current, *older, *kept]:
        path.write_bytes(b"x")
    assert sorted(pair_encoder.prune(current)) == sorted(older)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in [current, *kept])


def test_batches_by_length_use_every_pair_once_an_epoch_and_keep_padding_small():
    from simulator.core import pair_encoder

    rng = np.random.default_rng(0)
    lengths = rng.integers(4, 128, size=5000)
    batches = pair_encoder._batches(rng, len(lengths), 32, lengths)
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))
    padded = sum(len(b) * lengths[b].max() for b in batches)
    shuffled = pair_encoder._batches(rng, len(lengths), 32, None)
    assert padded < 0.6 * sum(len(b) * lengths[b].max() for b in shuffled)  # far fewer padding tokens
    assert batches[0].tolist() != pair_encoder._batches(rng, len(lengths), 32, lengths)[0].tolist()  # epochs differ


def test_a_recipe_without_the_later_options_keeps_its_cache_key():
    # The DEAR MAN and reframe classifiers built before the options existed must stay valid.
    from simulator.core import pair_encoder

    plain = pair_encoder.Recipe(name="r/1", outputs=3, max_tokens=96, epochs=6)
    assert plain.key() == "r/1:96:6:32:5e-05:0.003:0:2"
    assert pair_encoder.Recipe(name="r/1", outputs=3, max_tokens=96, epochs=6, context_dropout=0.2,
                               by_length=True).key() == plain.key() + ":drop0.2:by-length"
    assert dataclasses.replace(plain, int8=True).key() == plain.key() + ":int8"


def _tiny_model(path) -> None:
    """A one-layer ONNX model (x @ W), enough for onnxruntime to quantise."""
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32), "W")
    graph = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "tiny",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])], [weights])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def test_quantising_leaves_int8_weights_a_clean_folder_and_the_root_logger_as_it_was(tmp_path, monkeypatch):
    from simulator.core import pair_encoder

    path = tmp_path / "tiny.onnx"
    _tiny_model(path)
    root = logging.getLogger()
    before = (list(root.handlers), list(root.filters))
    pair_encoder.quantise(path)
    assert any(w.data_type == onnx.TensorProto.INT8 for w in onnx.load(str(path)).graph.initializer)
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.onnx"]
    assert (list(root.handlers), list(root.filters)) == before

    import onnxruntime.quantization

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    _tiny_model(path)
    monkeypatch.setattr(onnxruntime.quantization, "quantize_dynamic", broken)
    with pytest.raises(RuntimeError):
        pair_encoder.quantise(path)
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.onnx"]  # the float model, for the caller
    assert (list(root.handlers), list(root.filters)) == before
