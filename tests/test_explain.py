"""zoo.explain: Grad-CAM against pytorch-grad-cam (an independent implementation, test-only) on a
cnn trained here, saliency against autograd, inplace-ReLU safety, and the `gradcam` CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from tests.conftest import ROOT
from tests.test_inspect import SHAPES, full_state, assert_same_state, no_warnings, twins
from zoo import explain
from zoo.cli import main
from zoo.engine import run_experiment
from zoo.registry import DataShape, SpecError, build
from zoo.runs import load_run
from zoo.spec import ExperimentSpec

N_IMAGES = 32


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A LeNet-style cnn trained for 1 epoch on mnist-sample (run_experiment wraps zoo.engine.fit)."""
    runs = tmp_path_factory.mktemp("explain-runs")
    spec = ExperimentSpec(model="cnn", data="mnist-sample", epochs=1, seed=0, device="cpu", patience=0)
    result = run_experiment(spec, runs_dir=runs)
    assert result.test_metrics["test_accuracy"] > 0.8
    return result


def stretched(low: np.ndarray) -> np.ndarray:
    """Low-resolution maps stretched over a 28 x 28 image, as pytorch-grad-cam (and this project before) did."""
    return torch.nn.functional.interpolate(torch.from_numpy(low)[:, None], size=(28, 28), mode="bilinear",
                                           align_corners=False)[:, 0].numpy()


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def reference_cam(cls, model, layer, x, targets):
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    with cls(model=model, target_layers=[layer]) as cam:
        return cam(input_tensor=x, targets=[ClassifierOutputTarget(int(c)) for c in targets])


@pytest.mark.parametrize("method", ["gradcam", "gradcam++"])
def test_grad_cam_agrees_with_pytorch_grad_cam(trained, method):
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus

    model = trained.model
    x = trained.data.x_test[:N_IMAGES].cpu()
    model.train()                                  # ours must hand it back in train mode
    ours = explain.grad_cam(model, x, method=method)
    assert model.training
    assert ours.layer == "features.3" == explain.conv_layers(model)[-1]
    assert ours.target == ours.predicted          # default target: the predicted class
    # other classes too: the second most likely one, at the first conv layer
    second = np.argsort(ours.probabilities, 1)[:, -2].tolist()
    first_layer = explain.grad_cam(model, x, method=method, layer="features.0", target=second)

    cls = GradCAM if method == "gradcam" else GradCAMPlusPlus
    for result, layer_name in ((ours, "features.3"), (first_layer, "features.0")):
        ref = reference_cam(cls, model, model.get_submodule(layer_name), x, result.target)
        # pytorch-grad-cam stretches the map over the image; ours is placed by its cells' receptive fields
        # (test_grad_cam_places_each_cell_at_its_receptive_field): the maps themselves, stretched alike, agree
        r = [pearson(a, b) for a, b in zip(stretched(result.low_res), ref) if b.max() > 0]
        assert len(r) >= 20
        assert min(r) >= 0.99, (layer_name, min(r))
        assert result.cam.shape == (N_IMAGES, 28, 28)
        assert result.cam.min() >= 0 and result.cam.max() <= 1


def test_grad_cam_uses_the_logit_not_the_softmax(trained):
    """Grad-CAM weights the feature maps by d(logit)/dA; with softmax they would change."""
    model = trained.model
    x = trained.data.x_test[:4].cpu()
    maps = {}
    handle = model.features[3].register_forward_hook(lambda m, a, out: maps.__setitem__("a", out))
    try:
        model.eval()
        logits = model(x)
        c = logits.argmax(1)
        g_logit = torch.autograd.grad(logits.gather(1, c[:, None]).sum(), maps["a"], retain_graph=True)[0]
        g_prob = torch.autograd.grad(torch.softmax(logits, 1).gather(1, c[:, None]).sum(), maps["a"])[0]
    finally:
        handle.remove()

    def cam(g):
        low = torch.relu((g.mean((2, 3))[:, :, None, None] * maps["a"]).sum(1))
        return torch.nn.functional.interpolate(low[:, None], size=(28, 28), mode="bilinear")[:, 0].detach().numpy()

    ours = stretched(explain.grad_cam(model, x).low_res)
    want, other = cam(g_logit), cam(g_prob)
    for i in range(4):
        assert pearson(ours[i], want[i]) > 0.9999
    assert any(pearson(ours[i], other[i]) < 0.9999 for i in range(4))


def test_grad_cam_places_each_cell_at_its_receptive_field():
    """A learner's check: the CNN's Grad-CAM drew its heat on the blank rows below a digit. LeNet's unpadded layers
    centre the last map's 8 cells on pixels 6.5, 8.5, ..., 20.5 of 28; stretched over the image they were drawn at
    1.25 to 25.75. Here each layer passes one pixel on (a kernel that is 1 at its centre), so the only evidence is
    one bright pixel, and the heat must be there, not 5 pixels away."""
    model = build("cnn", SHAPES["image"], {})
    with torch.no_grad():
        for conv in (model.features[0], model.features[3]):
            conv.weight.zero_()
            conv.weight[:, :, 2, 2] = 1.0
            conv.bias.zero_()
        for layer in model.classifier:   # every path to the logits positive: the map's one cell counts for it
            if isinstance(layer, torch.nn.Linear):
                layer.weight.fill_(0.01)
                layer.bias.zero_()
    assert explain.cell_centers(model, "features.3", (28, 28), (8, 8)) == ((6.5, 2.0), (6.5, 2.0))
    x = torch.zeros(1, 1, 28, 28)
    x[0, 0, 20, 8] = 1.0   # seen by cell (7, 1) only: 2k + 6 = 20 and 8
    result = explain.grad_cam(model, x, target=0, layer="features.3")
    low = result.low_res[0]
    assert result.placed and low[7, 1] > 0 and np.count_nonzero(low) == 1, low
    row, col = np.unravel_index(np.argmax(result.cam[0]), (28, 28))
    assert abs(row - 20) <= 1 and abs(col - 8) <= 1, (row, col)   # stretched: (26, 5)
    # A layer after a module whose geometry is not known (one of its own, keeping the size) is stretched, as before,
    # and so is a block chosen as the layer
    class Roll(torch.nn.Module):
        def forward(self, x):
            return torch.roll(x, 3, dims=-1)

    rolled = torch.nn.Sequential(Roll(), torch.nn.Conv2d(1, 1, 3, padding=1))
    assert explain.cell_centers(rolled, "1", (28, 28), (28, 28)) is None
    assert explain.cell_centers(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 3, padding=1)), "0", (28, 28),
                                (28, 28)) == ((0.0, 1.0), (0.0, 1.0))
    assert explain.cell_centers(model, "features", (28, 28), (4, 4)) is None


def test_grad_cam_is_safe_with_inplace_relu_and_gives_the_same_map():
    model, plain = twins()
    x = torch.randn(4, 1, 28, 28)
    before = full_state(model)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = explain.grad_cam(model, x, layer="features.0")
        got_pp = explain.grad_cam(model, x, method="gradcam++")
        sal = explain.saliency(model, x)
    no_warnings(record)
    assert_same_state(before, full_state(model))
    want = explain.grad_cam(plain, x, layer="features.0")
    np.testing.assert_allclose(got.cam, want.cam, atol=1e-6)
    np.testing.assert_allclose(got_pp.cam, explain.grad_cam(plain, x, method="gradcam++").cam, atol=1e-6)
    np.testing.assert_allclose(sal.saliency, explain.saliency(plain, x).saliency, atol=1e-7)
    assert got_pp.layer == "features.2"


def test_saliency_is_the_input_gradient():
    torch.manual_seed(0)
    model = build("lstm", SHAPES["series"], {})
    x = torch.randn(3, 24, 3)
    result = explain.saliency(model, x, target=2)
    xr = x.clone().requires_grad_(True)
    model.eval()
    (g,) = torch.autograd.grad(model(xr)[:, 2].sum(), xr)
    np.testing.assert_allclose(result.saliency, g.abs().numpy(), rtol=1e-5, atol=1e-8)
    assert result.scaled.shape == (3, 24, 3) and result.scaled.max() == pytest.approx(1.0)
    whole = explain.saliency(model, x)
    assert whole.target is None
    with pytest.raises(SpecError, match="horizon step"):
        explain.saliency(model, x, target=6)

    mlp = build("mlp", SHAPES["image"], {})
    img = explain.saliency(mlp, torch.randn(2, 1, 28, 28), target=3)
    assert img.saliency.shape == (2, 28, 28) and img.target == [3, 3]


def test_the_saliency_of_what_the_network_adds_leaves_out_the_last_value_added_back():
    """With window_norm `last` a forecast is the network's output plus the window's last value, and that add-back's
    gradient (1 per forecast step at the target's last step) buried the rest: an lstm's map was 1.0 at the last step
    and under 0.004 everywhere else (a learner's check). part="network" scores the forecast minus that value."""
    torch.manual_seed(0)
    model = build("lstm", SHAPES["series"], {})
    assert explain.adds_last_value_back(model)
    x = torch.randn(3, 24, 3)
    xr = x.clone().requires_grad_(True)
    model.eval()
    (whole,) = torch.autograd.grad(model(xr)[:, 2].sum(), xr)
    network = explain.saliency(model, x, target=2, part="network")
    # the add-back is the identity on the target's (the last channel's) last value, and nothing else
    added = whole.clone()
    added[:, -1, -1] -= 1
    np.testing.assert_allclose(network.saliency, added.abs().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(explain.saliency(model, x, target=2).saliency, whole.abs().numpy(), rtol=1e-5)
    # NLinear is linear(window - last value) + last value: the network's part is the map's own weights, each step's
    # weight less the sum of them all at the last step (it subtracts the last value from every step)
    shape = DataShape(task="series", lookback=8, n_features=1, horizon=3)
    nlinear = build("linear", shape, {"variant": "nlinear"})
    weights = nlinear.linear.weight[1].detach().view(8, 1).clone()
    weights[-1] -= weights.sum()
    got = explain.saliency(nlinear, torch.randn(2, 8, 1), target=1, part="network").saliency
    np.testing.assert_allclose(got, weights.abs().expand(2, 8, 1).numpy(), rtol=1e-5, atol=1e-7)
    # a model that adds nothing back has no such part: RevIN's TCN, DLinear, an image model
    for other, on in ((build("tcn", SHAPES["series"], {"window_norm": "revin"}), x),
                      (build("linear", shape, {"variant": "dlinear"}), torch.randn(2, 8, 1)),
                      (build("mlp", SHAPES["image"], {}), torch.randn(2, 1, 28, 28))):
        assert not explain.adds_last_value_back(other)
        with pytest.raises(SpecError, match=r"explain its whole forecast \(part forecast\)"):
            explain.saliency(other, on, part="network")


def test_grad_cam_errors_say_what_to_do():
    torch.manual_seed(0)
    cnn = build("cnn", SHAPES["image"], {})
    x = torch.randn(2, 1, 28, 28)
    with pytest.raises(SpecError, match="no layer 'nope'.*features.0, features.3"):
        explain.grad_cam(cnn, x, layer="nope")
    with pytest.raises(SpecError, match=r"gives shape \[2, 120\]"):
        explain.grad_cam(cnn, x, layer="classifier.2")
    with pytest.raises(SpecError, match="not a class"):
        explain.grad_cam(cnn, x, target=10)
    with pytest.raises(SpecError, match="method"):
        explain.grad_cam(cnn, x, method="scorecam")
    assert explain.grad_cam(cnn, x, layer="features.2").cam.shape == (2, 28, 28)   # any 4-D layer works
    with pytest.raises(SpecError, match="no 2-D convolutional layer"):
        explain.grad_cam(build("transformer", SHAPES["image"], {}), x)
    assert all(not any(m._forward_hooks) for m in cnn.modules())


def test_overlay_and_png(tmp_path):
    image = explain.to_display(torch.linspace(-1, 1, 28 * 28).view(1, 28, 28), mean=0.5, std=0.5)
    assert image.shape == (28, 28, 3) and image.min() == 0 and image.max() == 1
    cam = np.tile(np.linspace(0, 1, 28), (28, 1))
    rgb = explain.overlay(image, cam)
    assert rgb.shape == (28, 28, 3) and rgb.dtype == np.uint8
    assert explain.jet(np.array([0.0, 0.5, 1.0])).tolist() == [[0, 0, 128], [128, 255, 128], [128, 0, 0]]
    path = explain.save_png(tmp_path / "sub" / "x.png", rgb, scale=4)
    from PIL import Image

    with Image.open(path) as im:
        assert im.size == (112, 112) and im.mode == "RGB"


# ---------------------------------------------------------------- CLI


def test_gradcam_cli_writes_png_and_npz(trained, tmp_path, capsys):
    run_dir = trained.run_dir
    out, npz = tmp_path / "cam.png", tmp_path / "cam.npz"
    assert main(["gradcam", "--run", str(run_dir), "--index", "7", "--out", str(out), "--npz", str(npz),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    with np.load(npz) as data:
        assert data["input"].shape == (1, 1, 28, 28) and data["input"].dtype == np.float32
        assert data["cam"].shape == (28, 28) and data["cam"].min() >= 0 and data["cam"].max() == pytest.approx(1)
        assert str(data["layer"]) == "features.3" == result["layer"]
        assert int(data["target"]) == result["target"] == result["predicted"]
        np.testing.assert_array_equal(data["input"][0], trained.data.x_test[7].cpu().numpy())
        model = load_run(run_dir).model
        np.testing.assert_allclose(data["cam"], explain.grad_cam(model, torch.from_numpy(data["input"])).cam[0],
                                   atol=1e-6)
    from PIL import Image

    with Image.open(out) as im:
        assert im.size == (224, 224)
    assert result["label"] == int(trained.data.y_test[7])

    assert main(["gradcam", "--run", str(run_dir), "--index", "7", "--layer", "features.0", "--target", "3",
                 "--method", "gradcam++", "--out", str(tmp_path / "pp.png"), "--json"]) == 0
    pp = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert pp["layer"] == "features.0" and pp["target"] == 3 and pp["method"] == "gradcam++" and pp["npz"] is None


@pytest.mark.parametrize("args,needle", [
    (["--index", "1000"], "index 1000 is outside the test set; use 0 to 999"),
    (["--index", "-1"], "outside the test set"),
    (["--index", "0", "--layer", "features.9"], "no layer 'features.9'"),
    (["--index", "0", "--layer", "classifier"], "Grad-CAM needs a (batch, channels, height, width)"),
    (["--index", "0", "--target", "11"], "not a class"),
    (["--index", "x"], "error: --index 'x' is not a whole number; see `python -m zoo gradcam --help`."),
])
def test_gradcam_cli_bad_input_is_one_error_line(trained, tmp_path, capsys, args, needle):
    code = main(["gradcam", "--run", str(trained.run_dir), *args, "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: ") and needle in err[0], err
    assert not (tmp_path / "x.png").exists()


def test_gradcam_cli_given_a_folder_to_write_says_to_name_a_file(trained, tmp_path, capsys):
    """--out a folder said only "cannot write the output: [Errno 21] Is a directory" (a CLI user's check)."""
    code = main(["gradcam", "--run", str(trained.run_dir), "--index", "0", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0] == (f"error: cannot write {tmp_path} (Is a directory); give a file name (a .png for --out, a .npz "
                      "for --npz), not a folder.")


def test_gradcam_cli_missing_run_and_non_conv_model_in_a_real_process(tmp_path):
    """Exit 2, one `error:` line, no traceback, from `python -m zoo` itself."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "zoo", "gradcam", "--run", str(tmp_path / "no-such-run"),
                           "--index", "0", "--out", str(tmp_path / "x.png")],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and proc.stderr.startswith("error: ")
    assert "Traceback" not in proc.stderr and "no-such-run" in proc.stderr


def test_a_run_is_named_by_the_id_train_printed(tmp_path, capsys):
    """`gradcam --run <id>` and `summary --run <id>` refused the id that train printed ("give a folder under the
    runs directory", which it was: a CLI user's check). An id is looked for under the runs directory."""
    runs = tmp_path / "runs"
    run = run_experiment(ExperimentSpec(model="cnn", data="mnist-sample", epochs=1, seed=0, device="cpu",
                                        limit_train=256), runs_dir=runs)
    assert main(["gradcam", "--run", run.run_id, "--runs-dir", str(runs), "--index", "0", "--out",
                 str(tmp_path / "x.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["layer"] == "features.3"
    assert main(["summary", "--run", run.run_id, "--runs-dir", str(runs), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["totals"]["total_params"] == 44_426 and summary["run_id"] == run.run_id
    assert main(["summary", "--run", "20990101-000000-cnn-000000000000", "--runs-dir", str(runs)]) == 2
    err = capsys.readouterr().err
    assert "there is no run 20990101-000000-cnn-000000000000" in err and str(runs) in err


def test_gradcam_cli_on_a_model_without_convolutions(tmp_path, capsys):
    spec = ExperimentSpec(model="mlp", data="mnist-sample", epochs=1, seed=0, device="cpu", limit_train=256)
    run = run_experiment(spec, runs_dir=tmp_path / "runs")
    code = main(["gradcam", "--run", str(run.run_dir), "--index", "0", "--out", str(tmp_path / "x.png")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no 2-D convolutional layer" in err[0] and "saliency" in err[0]
    assert main(["gradcam", "--run", str(run.run_dir), "--index", "0", "--method", "saliency",
                 "--out", str(tmp_path / "s.png"), "--npz", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as data:
        assert data["cam"].shape == (28, 28) and str(data["layer"]) == ""
    (run.run_dir / "best.pt").unlink()
    assert main(["gradcam", "--run", str(run.run_dir), "--index", "0", "--method", "saliency",
                 "--out", str(tmp_path / "t.png")]) == 2
    assert "no best.pt" in capsys.readouterr().err


def test_gradcam_cli_on_a_series_run_names_no_label(tmp_path, capsys):
    """A docs check: saliency of a series run's window printed "(label None, predicted None)": a window has none."""
    spec = ExperimentSpec(task="series", model="linear", data="ETTh1", epochs=1, seed=0, device="cpu",
                          limit_train=256, lookback=48, horizon=12)
    run = run_experiment(spec, runs_dir=tmp_path / "runs")
    capsys.readouterr()
    assert main(["gradcam", "--run", str(run.run_dir), "--index", "0", "--method", "saliency",
                 "--out", str(tmp_path / "s.png")]) == 0
    said = capsys.readouterr().out.strip().splitlines()[-1]
    assert said.startswith("saliency of every forecast step summed (what the network adds to the window's last value) "
                           "for test window 0: ") and "None" not in said
    # a step as the Inspect page numbers it, 1 to the horizon (it said "class 2" of the third step, numbered 0 to
    # 11: a learner's check), and the whole forecast when asked
    assert main(["gradcam", "--run", str(run.run_dir), "--index", "0", "--method", "saliency", "--step", "3",
                 "--part", "forecast", "--out", str(tmp_path / "s.png"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["step"], result["part"], result["target"]) == (3, "forecast", None)
    assert main(["gradcam", "--run", str(run.run_dir), "--index", "0", "--method", "saliency", "--step", "2",
                 "--out", str(tmp_path / "s.png"), "--npz", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as saved:   # which map it is, without the JSON (a review)
        assert (int(saved["step"]), str(saved["part"]), int(saved["target"])) == (2, "network", -1)
    third = explain.explain_run(run.run_dir, 0, method="saliency", step=3, part="forecast")
    direct = explain.saliency(explain.run_model(load_run(run.run_dir)), torch.from_numpy(third.input), target=2)
    np.testing.assert_allclose(third.cam, direct.scaled[0], rtol=1e-6)
    for args, says in ((["--step", "13"], "--step 13 is outside the forecast; use 1 to 12."),
                       (["--target", "2"], "--target is an image model's class; choose the forecast step to explain "
                                           "with --step (1 to 12)")):
        assert main(["gradcam", "--run", str(run.run_dir), "--index", "0", "--method", "saliency", *args,
                     "--out", str(tmp_path / "s.png")]) == 2
        assert says in capsys.readouterr().err


def test_an_edited_csvs_windows_are_said_to_be_read_as_it_is_now(tmp_path, capsys, monkeypatch):
    """gradcam (and Inspect) read a run's test windows from its CSV again: edited since, they explained the new
    file's windows without a word (a docs check). Both say so, as the run's reproduce caveat does."""
    import shutil

    from streamlit.testing.v1 import AppTest
    from zoo.forecast_io import sample_series_path

    csv = tmp_path / "load.csv"
    shutil.copy(sample_series_path(), csv)
    spec = ExperimentSpec(task="series", model="linear", data=str(csv), epochs=1, seed=0, device="cpu",
                          limit_train=256, lookback=48, horizon=12)
    run = run_experiment(spec, runs_dir=tmp_path / "runs")
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))

    def inspect_caption() -> str:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["run"] = run.run_id
        at.switch_page("app_pages/inspect.py").run()
        assert not at.exception, at.exception
        return next(c.value for c in at.caption if "test samples of" in c.value)

    args = ["gradcam", "--run", str(run.run_dir), "--index", "0", "--method", "saliency", "--out",
            str(tmp_path / "s.png"), "--json"]
    capsys.readouterr()
    assert main(args) == 0
    said = capsys.readouterr()
    assert json.loads(said.out.strip().splitlines()[-1])["data_file_changed"] is False and "note:" not in said.err
    assert "has changed" not in inspect_caption()
    text = csv.read_text().splitlines()
    csv.write_text("\n".join(text[:-1]) + "\n")   # its last row gone: another file
    assert main(args) == 0
    said = capsys.readouterr()
    assert json.loads(said.out.strip().splitlines()[-1])["data_file_changed"] is True
    assert f"note: load.csv has changed since run {run.run_id} read it: the test sample explained here is read " \
           "from the file as it is now." in said.err
    assert "(**the file has changed since the run read it**: these are its samples as it is now" in inspect_caption()
    # said before an explanation the edit makes fail (a review: "index 300 is outside the test set" alone), and a
    # file gone is one clear error
    csv.write_text("\n".join(text[:400]) + "\n")
    assert main([*args[:4], "300", *args[5:]]) == 2
    said = capsys.readouterr()
    assert said.err.index("note: load.csv has changed since run") < said.err.index("error: index 300 is outside")
    csv.unlink()
    assert main(args) == 2
    assert f"the file run {run.run_id} read (load.csv) is no longer there: put it, or a copy of it as it was then, " \
           "back at that path." in capsys.readouterr().err
