"""Checkpoints: no code runs on load, tampering and truncation are refused, kills lose nothing.

``tinyopt.serialization`` (``save``/``load``) and the ``train --resume`` checkpoint
built on it: round trips keep every type, a flipped byte, a truncated file, a crafted
pickle (alone or inside an array) and non-finite weights each give one clear error
naming the file, and a run killed at random moments resumes bit for bit.
"""
import hashlib
import io
import json
import os
import pathlib
import pickle
import random
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import tinyopt
from tinyopt import backend, nn, optim, recipes, serialization
from tinyopt.bench.step import OPTIMIZERS
from tinyopt.cli import main
from tinyopt.optim.swa_utils import EMA
from tinyopt.serialization import CheckpointError

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUN = ["train", "--epochs", "3", "--hidden", "8", "--batch-size", "64", "--no-progress",
       "--optimizer", "adamw+warmup-cosine"]


def _trained_state():
    tinyopt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    for param in model.parameters():
        param.grad = np.ones_like(param.array)
    optimizer.step()
    return model, optimizer


class Marker:
    """Unpickling this creates the file ``path``: what a crafted checkpoint would do."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return pathlib.Path.touch, (pathlib.Path(self.path),)


# ------------------------------------------------------------------ round trips
def test_round_trip_keeps_every_type_and_value(tmp_path):
    model, optimizer = _trained_state()
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "rng": backend.rng().bit_generator.state, "none": None, "flag": True,
             "numbers": (1, 2.5, float("nan"), float("-inf"), 2 ** 100), "text": "é",
             "scalar": np.float32(0.1), "tensor": tinyopt.tensor([1.0, 2.0]),
             "parameter": model[0].weight, "odd keys": {1: "a", (2, 3): "b", "$": "c"},
             "zero-d": np.array(7)}  # BatchNorm's num_batches_tracked is 0-d
    serialization.save(state, tmp_path / "state.npz")
    back = serialization.load(tmp_path / "state.npz")
    assert list(back["optimizer"]["state"]) == [0, 1, 2, 3]  # int keys stay ints
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    for name, value in state["model"].items():
        assert back["model"][name].dtype == value.dtype
        np.testing.assert_array_equal(back["model"][name], value)
    assert back["rng"] == state["rng"]
    assert back["numbers"][:2] == (1, 2.5) and np.isnan(back["numbers"][2])
    assert back["numbers"][3:] == (float("-inf"), 2 ** 100)
    assert type(back["scalar"]) is np.float32 and back["scalar"] == np.float32(0.1)
    assert type(back["tensor"]) is tinyopt.Tensor and not back["tensor"].requires_grad
    assert type(back["parameter"]) is nn.Parameter and back["parameter"].requires_grad
    assert back["odd keys"] == {1: "a", (2, 3): "b", "$": "c"}
    assert (back["none"], back["flag"], back["text"]) == (None, True, "é")
    assert back["zero-d"].shape == () and back["zero-d"] == 7
    fresh_model, fresh_optimizer = _trained_state()
    fresh_model.load_state_dict(back["model"])
    fresh_optimizer.load_state_dict(back["optimizer"])


def test_the_file_is_a_zip_numpy_opens_without_pickles(tmp_path):
    serialization.save({"w": np.arange(3.0)}, tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as archive:
        np.testing.assert_array_equal(archive["arrays/0"], np.arange(3.0))
    with zipfile.ZipFile(tmp_path / "w.npz") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["arrays"][0]["entry"] == "['w']" and len(manifest["arrays"][0]["sha256"]) == 64


def test_unsupported_values_are_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "state.npz"
    serialization.save({"w": np.zeros(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"cannot store builtin_function_or_method at \['f'\]\[0\]"):
        serialization.save({"w": np.ones(2), "f": [print]}, path)
    with pytest.raises(TypeError, match="dtype object"):
        serialization.save(np.array([None]), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["state.npz"]  # no temporary file left behind


def test_a_write_interrupted_midway_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "state.npz"
    serialization.save({"w": np.zeros(4)}, path)

    def killed(*args):
        raise KeyboardInterrupt  # as if the process died while the data were written

    monkeypatch.setattr(os, "fsync", killed)
    with pytest.raises(KeyboardInterrupt):
        serialization.save({"w": np.ones(4)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(serialization.load(path)["w"], np.zeros(4))
    assert os.listdir(tmp_path) == ["state.npz"]


# --------------------------------------------------------------- tampering
def _array_offset(path, member="arrays/0.npy"):
    """Byte offset, in the file, of the last data byte of ``member``."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    raw = path.read_bytes()
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    assert raw[start:start + 6] == b"\x93NUMPY"
    return start + info.file_size - 1


def test_a_flipped_byte_inside_a_weight_is_refused(tmp_path):
    path = tmp_path / "state.npz"
    serialization.save({"model": {"0.weight": np.ones((4, 4), np.float32)}}, path)
    raw = bytearray(path.read_bytes())
    raw[_array_offset(path)] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=f"^{path}: is truncated or corrupted"):
        serialization.load(path)


def test_an_edited_weight_with_a_valid_zip_fails_its_sha256(tmp_path):
    """The zip's own CRC-32 is recomputed (as any zip tool does): the sha256 still fails."""
    path, edited = tmp_path / "state.npz", tmp_path / "edited.npz"
    serialization.save({"model": {"0.weight": np.ones((4, 4), np.float32)}}, path)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(edited, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "arrays/0.npy":
                data = data[:-4] + np.float32(2e36).tobytes()
            target.writestr(info.filename, data)
    with pytest.raises(CheckpointError, match=r"the array at \['model'\]\['0.weight'\] fails "
                                              "its sha256 checksum"):
        serialization.load(edited)


@pytest.mark.parametrize("keep", [0, 1, 3, 4, 30, 0.5, -22, -1])
def test_a_truncated_file_is_refused(tmp_path, keep):
    path = tmp_path / "state.npz"
    model, optimizer = _trained_state()
    serialization.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    raw = path.read_bytes()
    cut = int(len(raw) * keep) if isinstance(keep, float) else keep % len(raw)
    path.write_bytes(raw[:cut])
    with pytest.raises(CheckpointError, match=f"^{path}: "):
        serialization.load(path)


def test_a_folder_and_other_files_are_refused_by_name(tmp_path):
    with pytest.raises(CheckpointError, match="is a folder"):
        serialization.load(tmp_path)
    (tmp_path / "text").write_text("hello world")
    with pytest.raises(CheckpointError, match="is not a tinyopt checkpoint"):
        serialization.load(tmp_path / "text")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("a.txt", "a")
    with pytest.raises(CheckpointError, match="holds no manifest.json"):
        serialization.load(tmp_path / "other.zip")
    with pytest.raises(FileNotFoundError):
        serialization.load(tmp_path / "missing.npz")


def test_a_crafted_pickle_never_runs(tmp_path):
    marker = tmp_path / "marker"
    evil = tmp_path / "checkpoint.npz"
    evil.write_bytes(pickle.dumps({"model": Marker(marker)}))
    with pytest.raises(CheckpointError, match="is a pickle .* never unpickles"):
        serialization.load(evil)
    with pytest.raises(CheckpointError, match="is a pickle"):
        serialization.load(io.BytesIO(evil.read_bytes()))
    assert not marker.exists()


def test_a_pickle_hidden_inside_an_array_never_runs(tmp_path):
    """An object array is stored as a pickle inside the .npy: read without allow_pickle."""
    marker, path = tmp_path / "marker", tmp_path / "state.npz"
    serialization.save({"w": np.zeros(2)}, path)
    buffer = io.BytesIO()
    np.save(buffer, np.array([Marker(marker)], dtype=object), allow_pickle=True)
    data = buffer.getvalue()
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    manifest["arrays"][0].update(sha256=hashlib.sha256(data).hexdigest(), dtype="|O", shape=[1])
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("arrays/0.npy", data)
        archive.writestr("manifest.json", json.dumps(manifest))
    with pytest.raises(CheckpointError, match=r"the array at \['w'\] is unreadable"):
        serialization.load(path)
    assert not marker.exists()


def test_non_finite_weights_are_refused_unless_asked(tmp_path):
    path = tmp_path / "state.npz"
    weight = np.ones((2, 3))
    weight[1, 2] = np.nan
    serialization.save({"model": {"0.weight": weight}, "history": [float("nan")]}, path)
    with pytest.raises(CheckpointError, match=r"\['model'\]\['0.weight'\] holds 1 NaN or inf "
                                              "value.*allow_nonfinite=True"):
        serialization.load(path)
    back = serialization.load(path, allow_nonfinite=True)
    np.testing.assert_array_equal(back["model"]["0.weight"], weight)


# ------------------------------------------------------ the train checkpoint
def _checkpoint_run(tmp_path):
    out = tmp_path / "run"
    assert main(RUN + ["--stop-after", "1", "--out", str(out)]) == 0
    return out, out / "checkpoint.npz"


def _one_error_line(capsys):
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("tinyopt train: error: "), error
    return error


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "folder", "text",
                                    "incomplete", "nonfinite"])
def test_resume_from_a_damaged_checkpoint_is_one_line_naming_the_file(damage, tmp_path, capsys,
                                                                      monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    out, path = _checkpoint_run(tmp_path)
    model_before = (out / "model.npz").read_bytes()
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[_array_offset(path)] ^= 0x01
        path.write_bytes(bytes(raw))
    elif damage == "truncate":
        path.write_bytes(bytes(raw[:len(raw) // 2]))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "folder":
        path.unlink()
        path.mkdir()
    elif damage == "text":
        path.write_text("not a checkpoint")
    elif damage == "incomplete":
        state = serialization.load(path)
        del state["optimizer"]
        serialization.save(state, path)
    else:
        state = serialization.load(path)
        state["model"]["0.weight"][0, 0] = np.inf
        serialization.save(state, path)
    capsys.readouterr()
    assert main(["train", "--resume", "--out", str(out)]) == 1
    error = _one_error_line(capsys)
    assert str(path) in error
    assert (out / "model.npz").read_bytes() == model_before  # nothing was exported


def test_resume_refuses_an_old_pickle_checkpoint_without_unpickling(tmp_path, capsys):
    out = tmp_path / "old"
    out.mkdir()
    marker = tmp_path / "marker"
    (out / "checkpoint.pkl").write_bytes(pickle.dumps({"format": 1, "model": Marker(marker)}))
    assert main(["train", "--resume", "--out", str(out)]) == 1
    error = _one_error_line(capsys)
    assert "checkpoint.pkl is a pickle checkpoint of an older tinyopt" in error
    (out / "checkpoint.npz").write_bytes((out / "checkpoint.pkl").read_bytes())  # renamed
    assert main(["train", "--resume", "--out", str(out)]) == 1
    assert "is a pickle" in _one_error_line(capsys)
    assert not marker.exists()


# ----------------------------------------------------------- kills, resumed
def _outputs(out):
    with np.load(out / "model.npz") as weights:
        model = {name: weights[name] for name in weights.files}
    history = json.loads((out / "history.json").read_text())
    del history["epochs"]["time"]
    return model, history


def test_a_run_killed_at_random_moments_resumes_bit_identically(tmp_path, monkeypatch):
    """SIGKILL a ``tinyopt train`` subprocess at seeded random moments (often inside a
    checkpoint write, which is most of an epoch's disk work), resume each time, and compare
    with an unbroken run: the checkpoint always loads and the result is bit for bit equal."""
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")
    run = RUN[:1] + ["--epochs", "12"] + RUN[3:]
    assert main(run + ["--out", str(tmp_path / "whole")]) == 0
    out = tmp_path / "killed"
    environment = {**os.environ, "TINYOPT_EXECUTOR": "numpy", "MPLBACKEND": "Agg",
                   "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    chooser, kills = random.Random(12), 0
    for attempt in range(3):
        resume = ["--resume"] if (out / "checkpoint.npz").exists() else ["--overwrite"]
        process = subprocess.Popen([sys.executable, "-m", "tinyopt"] + run + resume +
                                   ["--out", str(out)], env=environment,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started = time.monotonic()
        while not (out / "checkpoint.npz").exists() and process.poll() is None \
                and time.monotonic() - started < 30:
            time.sleep(0.005)  # wait for training to be under way
        time.sleep(chooser.uniform(0.0, 0.15))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        if (out / "checkpoint.npz").exists():
            serialization.load(out / "checkpoint.npz")  # always loadable after a kill
    assert kills >= 1
    assert main(["train", "--resume", "--out", str(out)]) == 0
    whole_model, whole_history = _outputs(tmp_path / "whole")
    killed_model, killed_history = _outputs(out)
    for name in whole_model:
        np.testing.assert_array_equal(whole_model[name], killed_model[name], err_msg=name)
    assert killed_history == whole_history


# ------------------------------------------- every optimizer, schedule and EMA
def _steps(model, optimizer, scheduler, ema, count, seed):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        for param in model.parameters():
            param.grad = rng.standard_normal(param.array.shape).astype(param.array.dtype)
        optimizer.step()
        if isinstance(scheduler, optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(rng.random())  # a noisy metric: its counters must resume too
        elif scheduler is not None:
            scheduler.step()
        ema.update()


def _build(name, schedule):
    tinyopt.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Linear(6, 3))
    class_name, options = OPTIMIZERS[name]
    optimizer = getattr(optim, class_name)(model.parameters(), **options)
    scheduler = None if schedule == "constant" else recipes.parse_recipe(
        f"sgd+{schedule}").build_scheduler(optimizer, 20)
    return model, optimizer, scheduler, EMA(model, decay=0.9)


@pytest.mark.parametrize("name, schedule", [(name, "constant") for name in OPTIMIZERS]
                         + [("sgd", schedule) for schedule in recipes.SCHEDULES
                            if schedule != "constant"])
def test_every_optimizer_schedule_and_ema_resume_bit_identically_through_a_file(
        name, schedule, tmp_path):
    model, optimizer, scheduler, ema = _build(name, schedule)
    _steps(model, optimizer, scheduler, ema, 3, seed=1)
    serialization.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                        "scheduler": None if scheduler is None else scheduler.state_dict(),
                        "ema": ema.state_dict()}, tmp_path / "state.npz")
    _steps(model, optimizer, scheduler, ema, 3, seed=2)
    state = serialization.load(tmp_path / "state.npz")
    model2, optimizer2, scheduler2, ema2 = _build(name, schedule)
    model2.load_state_dict(state["model"])
    optimizer2.load_state_dict(state["optimizer"])
    if scheduler2 is not None:
        scheduler2.load_state_dict(state["scheduler"])
    ema2.load_state_dict(state["ema"])
    _steps(model2, optimizer2, scheduler2, ema2, 3, seed=2)
    for (key, value), (_, resumed) in zip(model.state_dict().items(),
                                          model2.state_dict().items()):
        np.testing.assert_array_equal(value, resumed, err_msg=key)
    for average, resumed in zip(ema.shadow, ema2.shadow):
        np.testing.assert_array_equal(average, resumed)
    assert optimizer.param_groups[0]["lr"] == optimizer2.param_groups[0]["lr"]
