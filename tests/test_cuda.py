"""The GPU path. `pytest -m cuda` (bench/gpu_check.sh runs it on a machine with a GPU) selects the
tests that need CUDA; each skips, saying why, where there is no GPU (the two-GPU test where there
are fewer than two). The unmarked tests at the end check on any machine what the GPU path relies
on: the job runner's placement on GPUs (`gpus=` stands in for the count), the settings a CPU
refuses, and the sidebar's GPU lines. The engine's read interval on the CPU, divergence included,
is in tests/test_engine.py.

Numbers on the GPU are checked against the CPU: a model trained on CUDA is evaluated again on the
CPU, and its Grad-CAM and hooked activations computed again on a CPU copy.
"""
from __future__ import annotations

import copy
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import zoo
from tests.conftest import ROOT, wait_for
from zoo import explain, inspect as zi
from zoo.data import load_data
from zoo.devices import check_device_settings, numerics
from zoo.engine import evaluate, fit, run_experiment
from zoo.jobs import JobManager, submit_training, visible_device
from zoo.registry import SpecError, get_task
from zoo.spec import ExperimentSpec

HERE = "tests.test_cuda"
GPUS = torch.cuda.device_count() if torch.cuda.is_available() else 0
MODELS = [(task, name) for task in ("image", "series") for name in zoo.list_models(task)]
IDS = [f"{task}-{name}" for task, name in MODELS]


def gpu_test(gpus: int = 1):
    """Marks a test `cuda` and skips it, saying why, on a machine with fewer than `gpus` CUDA GPUs."""
    reason = ("needs a CUDA GPU: torch.cuda.is_available() is False on this machine" if gpus == 1 else
              f"needs {gpus} CUDA GPUs: this machine has {GPUS}")

    def mark(test):
        return pytest.mark.cuda(pytest.mark.skipif(GPUS < gpus, reason=reason)(test))
    return mark


def spec_for(task: str, name: str, **changes) -> ExperimentSpec:
    if task == "image":
        base = dict(data="mnist-sample", model=name, epochs=1, seed=0, device="cuda")
    else:
        base = dict(task="series", data="ETTh1", model=name, lookback=96, horizon=24, epochs=1, seed=0,
                    device="cuda", limit_train=2048)
    return ExperimentSpec(**{**base, **changes})


def on_cpu(result, spec: ExperimentSpec) -> tuple[float, float]:
    """The trained model's test (loss, metric) computed again on the CPU: the reference."""
    data = load_data(spec)
    return evaluate(copy.deepcopy(result.model).cpu(), data.x_test, data.y_test, spec.task)


# ------------------------------------------------------------------ targets (run in job workers)

def holds_a_gpu(payload, emit, should_stop):
    """Report the CUDA_VISIBLE_DEVICES this worker got (with `probe`, also which GPU CUDA then sees
    as device 0), then hold its place until stopped."""
    event = {"type": "placed", "visible": os.environ.get("CUDA_VISIBLE_DEVICES")}
    if payload.get("probe"):
        event["uuid"] = str(torch.cuda.get_device_properties(0).uuid)
    emit(event)
    deadline = time.time() + payload.get("limit", 60)
    while time.time() < deadline and not should_stop():
        time.sleep(0.05)
    return {"status": "stopped"}


def placed(job) -> dict | None:
    events = [e for e in job.state.get("events", []) if e.get("type") == "placed"]
    return events[-1] if events else None


# ------------------------------------------------------------------ training on CUDA

@gpu_test()
@pytest.mark.parametrize("cuda_graph", [False, True], ids=["eager", "graph"])
@pytest.mark.parametrize("task,name", MODELS, ids=IDS)
def test_every_model_trains_one_epoch_on_cuda(task, name, cuda_graph):
    spec = spec_for(task, name, cuda_graph=cuda_graph)
    result = fit(spec)
    assert result.status == "finished" and result.device.startswith("cuda")
    assert all(p.is_cuda for p in result.model.parameters())
    row = result.history[0]
    assert all(math.isfinite(row[k]) for k in ("train_loss", "val_loss", "val_metric"))
    metric = get_task(task).test_metric
    if task == "image":
        assert result.test_metrics[metric] > 0.4, "well above the 0.1 of chance after one epoch"
    loss, value = on_cpu(result, spec)
    assert result.test_metrics["test_loss"] == pytest.approx(loss, rel=1e-3, abs=1e-5)
    assert result.test_metrics[metric] == pytest.approx(value, rel=1e-3, abs=2e-3)


@gpu_test()
@pytest.mark.parametrize("precision,dtype", [("fp32", torch.float32), ("tf32", torch.float32),
                                             ("bf16", torch.float32), ("fp16", torch.float32),
                                             ("fp64", torch.float64)])
def test_each_precision_trains_on_cuda(precision, dtype):
    result = fit(spec_for("image", "cnn", precision=precision))
    assert result.status == "finished" and result.test_metrics["test_accuracy"] > 0.4
    assert next(result.model.parameters()).dtype == dtype


def _matmul_error(device) -> float:
    """Mean relative error of a 1024 x 1024 fp32 matmul against float64."""
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(1024, 1024, generator=g), torch.randn(1024, 1024, generator=g)
    reference = a.double() @ b.double()
    out = (a.to(device) @ b.to(device)).double().cpu()
    return ((out - reference).abs().mean() / reference.abs().mean()).item()


@gpu_test()
def test_tf32_takes_tensorfloat32_and_fp32_keeps_ieee():
    """TF32 keeps 10 bits of mantissa: a matmul's error is ~1e-4, against ~1e-7 in IEEE fp32."""
    cuda = torch.device("cuda")
    numerics("tf32", cuda)
    assert _matmul_error(cuda) > 1e-5
    numerics("fp32", cuda)
    assert _matmul_error(cuda) < 1e-5


@gpu_test()
def test_the_cuda_graph_trains_like_the_eager_step():
    """Same spec with and without the graph: a schedule that cuts the learning rate tenfold every
    epoch (a float baked into the graph would not follow it) and a short last batch (run eagerly)."""
    spec = spec_for("image", "cnn", epochs=3, schedule="step", limit_train=1000)   # 16 batches, the last of 40
    eager, graph = fit(spec), fit(spec.replace(cuda_graph=True))
    assert [r["lr"] for r in graph.history] == pytest.approx([r["lr"] for r in eager.history], rel=1e-6)
    for a, b in zip(eager.history, graph.history):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=2e-3)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=2e-3)
    assert graph.test_metrics["test_loss"] == pytest.approx(eager.test_metrics["test_loss"], rel=2e-3)


# ------------------------------------------------------------------ everything else on CUDA

@gpu_test()
def test_inspect_hooks_labs_and_gradcam_on_a_cuda_trained_model():
    result = fit(spec_for("image", "cnn", patience=0))
    model, shape = result.model, result.data.shape
    x, y = result.data.x_test[:16], result.data.y_test[:16]
    assert x.is_cuda
    before = zi.state_snapshot(model)
    summary = zi.summarize(model, shape, batch_size=4)
    assert summary.totals["total_params"] == sum(p.numel() for p in model.parameters())
    hooked = zi.capture(model, x, ["features.0", "classifier.7"], y=y)
    cam = explain.grad_cam(model, x)
    modes = zi.compare_modes(model, x)
    precisions = {row["precision"]: row for row in zi.compare_precisions(model, x)}
    assert zi.state_snapshot(model) == before, "every tool left the model as it was, on its device"

    cpu = copy.deepcopy(model).cpu()
    reference = zi.capture(cpu, x.cpu(), ["features.0", "classifier.7"], y=y.cpu())
    for layer in ("features.0", "classifier.7"):
        torch.testing.assert_close(hooked.activations[layer], reference.activations[layer], rtol=1e-3, atol=1e-4)
    assert hooked.loss == pytest.approx(reference.loss, rel=1e-4)
    np.testing.assert_allclose(cam.cam, explain.grad_cam(cpu, x.cpu()).cam, atol=1e-3)
    assert cam.predicted == explain.grad_cam(cpu, x.cpu()).predicted
    assert modes["output_max_diff"] == pytest.approx(0.0, abs=1e-5), "LeNet has no dropout or batch norm"
    assert precisions["fp16"]["finite"] and precisions["fp16"]["max_rel_diff"] < 1e-2


@gpu_test()
def test_a_series_run_on_cuda_forecasts_and_its_checkpoint_scores_the_same_on_the_cpu(runs_dir):
    from zoo.forecast.report import evaluate_forecast

    spec = spec_for("series", "lstm", epochs=2)
    result = run_experiment(spec, runs_dir=runs_dir)
    assert result.status == "finished" and result.device.startswith("cuda")
    assert {"backtest.csv", "forecast.csv", "best.pt"} <= {p.name for p in result.run_dir.iterdir()}
    run = zoo.load_run(result.run_dir)
    assert next(run.model.parameters()).device.type == "cpu"
    forecast = run.table("forecast")
    assert len(forecast) == spec.horizon and np.isfinite(forecast["forecast"]).all()
    report = evaluate_forecast(run.model, load_data(spec).extra["windows"])
    saved = json.loads((result.run_dir / "result.json").read_text())["metrics"]
    for key, value in report.metrics.items():
        if value is not None:
            assert saved[key] == pytest.approx(value, rel=1e-3, abs=1e-6), key


@gpu_test()
def test_a_checkpoint_trained_on_cuda_opens_on_a_machine_without_one(runs_dir):
    result = run_experiment(spec_for("image", "cnn"), runs_dir=runs_dir)
    assert result.device.startswith("cuda")
    code = ("import json, sys, torch, zoo\n"
            "from zoo.data import load_data\nfrom zoo.engine import evaluate\n"
            "assert not torch.cuda.is_available()\n"
            "run = zoo.load_run(sys.argv[1])\n"
            "data = load_data(run.spec)\n"
            "print(json.dumps(evaluate(run.model, data.x_test, data.y_test, 'image')))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(result.run_dir)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    loss, accuracy = json.loads(proc.stdout.strip().splitlines()[-1])
    assert accuracy == pytest.approx(result.test_metrics["test_accuracy"], abs=2e-3)
    assert loss == pytest.approx(result.test_metrics["test_loss"], rel=1e-3)


@gpu_test()
def test_a_training_job_runs_on_cuda_through_the_job_runner(runs_dir):
    manager = JobManager(max_running=2, per_owner=2)
    try:
        assert manager.gpus == GPUS
        job = submit_training(manager, spec_for("image", "cnn", device="auto"), runs_dir=runs_dir)
        assert job.gpu == 0
        manager.wait(job.id, timeout=180)
        assert job.status == "finished", job.reason
        assert job.result["device"] == "cuda" and job.result["metrics"]["test_accuracy"] > 0.4
        assert job.state["device"] == "cuda"
    finally:
        manager.shutdown()


@gpu_test(gpus=2)
def test_two_jobs_go_to_two_gpus(runs_dir):
    manager = JobManager(max_running=4, per_owner=4, jobs_per_gpu=1)
    try:
        probes = [manager.submit(f"{HERE}:holds_a_gpu", {"probe": True}, owner="a") for _ in range(2)]
        assert sorted(j.gpu for j in probes) == [0, 1]
        wait_for(lambda: all(placed(j) for j in probes), timeout=120, what="both workers to report their GPU")
        assert placed(probes[0])["uuid"] != placed(probes[1])["uuid"], "two different physical GPUs"
        for j in probes:
            manager.stop(j.id)
            manager.wait(j.id, timeout=30)
        jobs = [submit_training(manager, spec_for("image", "cnn", device="auto", epochs=2), owner="a",
                                runs_dir=runs_dir) for _ in range(2)]
        assert sorted(j.gpu for j in jobs) == [0, 1]
        for job in jobs:
            manager.wait(job.id, timeout=180)
            assert job.status == "finished" and job.result["device"] == "cuda", job.reason
    finally:
        manager.shutdown()


# ------------------------------------------------------------------ what a CPU can check

def test_jobs_go_to_the_least_loaded_gpu_and_wait_when_every_gpu_is_full():
    manager = JobManager(max_running=4, per_owner=4, gpus=2, jobs_per_gpu=1)
    try:
        first = manager.submit(f"{HERE}:holds_a_gpu", {}, owner="a")                     # device auto
        second = manager.submit(f"{HERE}:holds_a_gpu", {"config": {"spec": {"device": "auto"}}},
                                owner="a")                                                 # a search worker's payload
        third = manager.submit(f"{HERE}:holds_a_gpu", {"spec": {"device": "cuda"}}, owner="a")
        assert (first.gpu, second.gpu, third.gpu) == (0, 1, None)
        assert third.status == "queued"
        assert manager.describe_wait(third.id) == ("position 1 in the queue: every GPU runs 1 job, as many as it "
                                                   "may (PLAYGROUND_JOBS_PER_GPU=1)")
        assert manager.gpu_load() == [[first.id], [second.id]]
        cpu_job = manager.submit(f"{HERE}:holds_a_gpu", {"spec": {"device": "cpu"}}, owner="a")
        assert cpu_job.status == "starting" and cpu_job.gpu is None, "a CPU job need not wait for a GPU"
        wait_for(lambda: placed(first) and placed(second), what="the workers to report their GPU")
        assert [placed(first)["visible"], placed(second)["visible"]] == [visible_device(0), visible_device(1)]
        manager.stop(first.id)
        manager.wait(first.id, timeout=30)
        wait_for(lambda: third.status != "queued", what="the queued job to take the freed GPU")
        assert third.gpu == 0 and manager.gpu_load() == [[third.id], [second.id]]
        wait_for(lambda: placed(third), what="the third worker to report")
        assert placed(third)["visible"] == visible_device(0)
    finally:
        manager.shutdown()


def test_a_worker_gets_the_servers_own_name_for_its_gpu(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert [visible_device(i) for i in range(3)] == ["0", "1", "2"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2, 3")
    assert [visible_device(0), visible_device(1)] == ["2", "3"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-8f2a,GPU-77c1")
    assert visible_device(1) == "GPU-77c1"


@pytest.mark.parametrize("changes,words", [
    ({"precision": "tf32"}, "precision tf32 needs a CUDA GPU (TensorFloat-32 matmuls), and this run is on cpu; "
                            "use fp32, bf16 or fp64."),
    ({"precision": "fp16"}, "precision fp16 needs a CUDA GPU (autocast with GradScaler), and this run is on cpu; "
                            "use fp32, bf16 or fp64."),
    ({"cuda_graph": True}, "cuda_graph needs a CUDA GPU"),
])
def test_what_needs_cuda_is_refused_on_the_cpu_before_anything_is_written(changes, words, runs_dir):
    spec = ExperimentSpec(device="cpu", epochs=1, limit_train=64, **changes)
    with pytest.raises(SpecError) as raised:
        run_experiment(spec, runs_dir=runs_dir)
    assert words in str(raised.value)
    assert not runs_dir.exists() or not any(runs_dir.iterdir())
    with pytest.raises(SpecError, match="needs a CUDA GPU"):
        fit(spec)


def test_a_cuda_graph_with_fp16_is_refused_with_what_to_use():
    spec = ExperimentSpec(precision="fp16", cuda_graph=True)
    with pytest.raises(SpecError, match="cuda_graph does not work with fp16.*use bf16, tf32 or fp32"):
        check_device_settings(spec, torch.device("cuda"))   # the rule itself; no GPU is used
    check_device_settings(spec.replace(precision="bf16"), torch.device("cuda"))


# ------------------------------------------------------------------ the sidebar's GPU lines

NVIDIA_SMI = ("0, GPU-3f1c8a52-0e1d-4c4e-9a51-7d2b5c6e1a01, NVIDIA H200, 143771\n"
              "1, GPU-9b7d6e21-4a3f-4f0b-8c2e-1e5d9f8a7b02, NVIDIA H200, 143771\n")


def test_the_badge_lists_each_gpu_with_the_jobs_placed_on_it():
    from ui.device import as_cuda_numbers, badge_text, parse_nvidia_smi

    gpus = parse_nvidia_smi(NVIDIA_SMI)
    assert [(g["index"], g["name"]) for g in gpus] == [(0, "NVIDIA H200"), (1, "NVIDIA H200")]
    assert gpus[0]["memory_gib"] == pytest.approx(140.4, abs=0.05)
    info = {"kind": "cuda", "gpus": as_cuda_numbers(gpus, None, None)}
    label, lines = badge_text(info, [["run-a", "run-b"], []])
    assert label == "2 GPUs"
    assert lines == ["GPU 0 · NVIDIA H200 · 140.4 GiB · 2 jobs: run-a, run-b",
                     "GPU 1 · NVIDIA H200 · 140.4 GiB · idle"]
    _, lines = badge_text(info, [[f"r{i}" for i in range(5)], ["solo"]])
    assert lines[0].endswith("5 jobs: r0, r1, r2 and 2 more") and lines[1].endswith("1 job: solo")
    assert badge_text(info, None)[1][1].endswith("idle"), "no job manager yet: every GPU idle"
    assert badge_text({"kind": "cpu", "label": "CPU: x86_64", "detail": "2 threads"}, None) == ("CPU: x86_64",
                                                                                              ["2 threads"])


def test_the_cpu_badge_counts_its_threads_and_cores_in_words(monkeypatch):
    """"1 threads" on a server given one thread (a CI screenshot): one thread, two threads."""
    import torch

    from ui.device import describe_device

    monkeypatch.setattr("ui.device._nvidia_smi_gpus", lambda: None)
    monkeypatch.setattr("ui.device._torch_gpus", lambda: [])
    before = torch.get_num_threads()
    try:
        for threads, said in ((1, "1 thread, "), (2, "2 threads, ")):
            torch.set_num_threads(threads)
            describe_device.clear()
            assert describe_device()["detail"].startswith(said), describe_device()["detail"]
    finally:
        torch.set_num_threads(before)
        describe_device.clear()


def test_the_badge_numbers_gpus_as_cuda_does():
    from ui.device import as_cuda_numbers, parse_nvidia_smi

    gpus = parse_nvidia_smi(NVIDIA_SMI)
    only_second = as_cuda_numbers(gpus, "1", None)
    assert [(g["index"], g["uuid"][:8]) for g in only_second] == [(0, "GPU-9b7d")]
    by_uuid = as_cuda_numbers(gpus, "GPU-9b7d6e21,GPU-3f1c", None)
    assert [g["uuid"][:8] for g in by_uuid] == ["GPU-9b7d", "GPU-3f1c"] and [g["index"] for g in by_uuid] == [0, 1]
    assert as_cuda_numbers(gpus, "", None) == []
    assert as_cuda_numbers(gpus, "MIG-1234", None) is None, "a MIG slice: ask torch"
    mixed = [gpus[0], {**gpus[1], "name": "NVIDIA A100"}]
    assert as_cuda_numbers(mixed, None, None) is None, "CUDA's fastest-first order may differ from the bus order"
    assert len(as_cuda_numbers(mixed, None, "PCI_BUS_ID")) == 2
