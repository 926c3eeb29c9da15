"""``--model linear|mlp:W,W,...|cnn`` and ``--dataset`` (MNIST from a local IDX copy): the
networks built, the data read, and clear errors naming the argument."""
import json

import numpy as np
import pytest

import tinyopt
from tinyopt import nn, serialization
from tinyopt.cli import main, models
from tinyopt.data import write_idx


@pytest.fixture(autouse=True)
def numpy_executor(monkeypatch):
    monkeypatch.setenv("TINYOPT_EXECUTOR", "numpy")


def _shapes(model):
    return [tuple(param.shape) for param in model.parameters()]


def test_each_model_spec_builds_its_network():
    assert _shapes(models.build_model(models.parse_model("linear"), 64, 32, 10)) == [
        (10, 64), (10,)]
    assert _shapes(models.build_model(models.parse_model("mlp"), 2, 16, 3)) == [
        (16, 2), (16,), (16, 16), (16,), (3, 16), (3,)]
    three = models.build_model(models.parse_model("mlp:32,8,4"), 2, 999, 3)
    assert _shapes(three) == [(32, 2), (32,), (8, 32), (8,), (4, 8), (4,), (3, 4), (3,)]
    cnn = models.build_model(models.parse_model("cnn:4,6"), (1, 28, 28), 0, 10)
    assert _shapes(cnn)[-2] == (10, 6 * 7 * 7)
    images = tinyopt.tensor(np.zeros((2, 1, 8, 8), dtype=np.float32))
    assert models.build_model(models.parse_model("cnn"), (1, 8, 8), 0, 10)(images).shape == (2, 10)
    assert str(models.parse_model("mlp:32,8")) == "mlp:32,8"
    assert models.parse_model("cnn").describe(64) == "CNN 8-16"


def test_the_default_mlp_is_the_one_the_command_line_always_built():
    tinyopt.manual_seed(3)
    built = models.build_model(models.parse_model("mlp"), 2, 8, 3)
    tinyopt.manual_seed(3)
    by_hand = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                            nn.Linear(8, 3))
    for mine, theirs in zip(built.parameters(), by_hand.parameters()):
        np.testing.assert_array_equal(mine.array, theirs.array)


@pytest.mark.parametrize("text, message", [
    ("resnet", "unknown model 'resnet' (choose from linear, mlp, mlp:W,W,..., cnn, cnn:C,C)"),
    ("mlp:32,x", "widths must be positive ints"),
    ("mlp:0", "widths must be positive ints"),
    ("linear:3", "linear takes no widths"),
    ("cnn:8", "cnn takes two channel counts"),
])
def test_a_bad_model_is_a_usage_error_naming_the_argument(text, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--model", text, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "argument --model" in error and message in error


@pytest.mark.parametrize("argv, message", [
    (["compare", "--model", "cnn"], "argument --model: cnn needs images: --dataset digits, "
                                    "mnist, fashion-mnist, not spirals"),
    (["train", "--data-dir", "."], "argument --data-dir: only mnist and fashion-mnist"),
])
def test_impossible_combinations_are_usage_errors(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def _fake_mnist(folder, train=96, test=32, gz=False):
    """IDX files shaped like MNIST's: digit-like blobs whose position gives the class."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, count in (("train", train), ("test", test)):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = rng.integers(0, 40, (count, 28, 28)).astype(np.uint8)
        for index, label in enumerate(labels):
            images[index, 2 * label:2 * label + 8, 4:24] = 255
        names = models.IDX_FILES[split]
        suffix = ".gz" if gz else ""
        write_idx(folder / (names[0] + suffix), images)
        write_idx(folder / (names[1] + suffix), labels)
    return folder


def test_mnist_is_read_from_a_local_idx_copy(tmp_path):
    folder = _fake_mnist(tmp_path, gz=True)
    X_train, y_train, X_test, y_test, classes = models.load_data("mnist", 0, folder)
    assert X_train.shape == (96, 784) and X_test.shape == (32, 784) and classes == 10
    assert 0 <= float(X_train.numpy().min()) and float(X_train.numpy().max()) == 1.0
    images = models.load_data("mnist", 0, folder, flatten=False)[0]
    assert images.shape == (96, 1, 28, 28)
    with pytest.raises(FileNotFoundError, match="has no t10k-images-idx3-ubyte"):
        (folder / "t10k-images-idx3-ubyte.gz").unlink()
        models.load_data("mnist", 0, folder)


def test_a_linear_model_on_mnist_through_compare(tmp_path, capsys):
    folder = _fake_mnist(tmp_path / "mnist")
    out = tmp_path / "out"
    assert main(["compare", "--fast", "--no-progress", "--dataset", "mnist", "--data-dir",
                 str(folder), "--model", "linear", "--recipes", "sgd", "--out",
                 str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["model"] == "linear" and results["settings"]["dataset"] == "mnist"
    assert results["results"][0]["test_accuracy"] > 0.5  # the blob's place is the label
    assert "The same linear network trained on **mnist** (96 training and 32 test" in \
        (out / "report.md").read_text()


def test_train_a_cnn_on_mnist_and_resume_it(tmp_path, capsys):
    folder = _fake_mnist(tmp_path / "mnist")
    out = tmp_path / "out"
    run = ["train", "--dataset", "mnist", "--data-dir", str(folder), "--model", "cnn:4,4",
           "--epochs", "2", "--batch-size", "32", "--no-progress", "--out", str(out)]
    assert main(run + ["--stop-after", "1"]) == 0
    checkpoint = serialization.load(out / "checkpoint.npz")
    assert checkpoint["settings"]["model"] == "cnn:4,4"
    assert main(run + ["--resume"]) == 0
    history = json.loads((out / "history.json").read_text())
    assert len(history["epochs"]["train_loss"]) == 2
    assert main(run[:5] + ["--model", "linear"] + run[7:] + ["--resume"]) == 1
    assert "--model linear differs from the checkpoint's cnn:4,4" in capsys.readouterr().err


def test_a_checkpoint_from_before_model_settings_resumes_as_the_mlp(tmp_path, capsys):
    out = tmp_path / "out"
    run = ["train", "--epochs", "2", "--hidden", "8", "--no-progress", "--out", str(out)]
    assert main(run + ["--stop-after", "1"]) == 0
    checkpoint = serialization.load(out / "checkpoint.npz")
    for name in ("model", "data_dir"):
        del checkpoint["settings"][name]
    serialization.save(checkpoint, out / "checkpoint.npz")
    assert main(run + ["--resume"]) == 0
