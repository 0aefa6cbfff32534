"""Where a run trains and in what precision: device names, what each precision needs, and the
numeric settings (autocast, gradient scaling, TF32, cuDNN autotuning) the engine turns on.
`check_device_settings` refuses what the device cannot do (fp16 or tf32 off CUDA, a CUDA graph
off CUDA or with fp16) before anything is written.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable

import torch

from zoo.registry import SpecError

# torch's count of CPU threads for a process here, read before anything changes it (a worker sharing the cores,
# zoo/worker.py; the hosted demo's inspections, zoo/demo.py): torch takes the physical cores, or OMP_NUM_THREADS
THREADS_AT_START = torch.get_num_threads()


def cuda_count() -> int:
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def has_mps() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def available_devices() -> list[str]:
    """`auto` first, then what this machine has: cpu, cuda and cuda:N, mps."""
    devices = ["auto", "cpu"]
    count = cuda_count()
    if count:
        devices += ["cuda"] + ([f"cuda:{i}" for i in range(count)] if count > 1 else [])
    if has_mps():
        devices.append("mps")
    return devices


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` picks cuda, then mps, then cpu; a named device must exist here."""
    if name == "auto":
        if cuda_count():
            return torch.device("cuda")
        if has_mps():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SpecError(f"device {name!r} is not a device name; use auto, cpu, cuda, cuda:N or mps.") from None
    if device.type == "cuda" and not cuda_count():
        raise SpecError(f"device {name!r} is not available here (no CUDA GPU); use auto or cpu.")
    if device.type == "cuda" and device.index is not None and device.index >= cuda_count():
        raise SpecError(f"device {name!r} does not exist: this machine has {cuda_count()} GPU(s).")
    if device.type == "mps" and not has_mps():
        raise SpecError(f"device {name!r} is not available here (no Apple GPU); use auto or cpu.")
    return device


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse a precision the device cannot train in, saying what to use instead."""
    if precision in ("fp16", "tf32") and device.type != "cuda":
        what = "autocast with GradScaler" if precision == "fp16" else "TensorFloat-32 matmuls"
        raise SpecError(f"precision {precision} needs a CUDA GPU ({what}), and this run is on "
                        f"{device.type}; use fp32, bf16 or fp64.")
    if precision == "fp64" and device.type == "mps":
        raise SpecError("precision fp64 is not supported on mps; use fp32 or bf16.")


def check_device_settings(spec, device: torch.device) -> None:
    """Refuse a spec whose precision or `cuda_graph` the device cannot do, saying what to use instead."""
    check_precision(spec.precision, device)
    if getattr(spec, "cuda_graph", False):
        if device.type != "cuda":
            raise SpecError(f"cuda_graph needs a CUDA GPU (the training step is captured and replayed as one "
                            f"CUDA graph), and this run is on {device.type}; leave cuda_graph off.")
        if spec.precision == "fp16":
            raise SpecError("cuda_graph does not work with fp16 (its GradScaler decides between steps, on the "
                            "host, whether to skip one); use bf16, tf32 or fp32 with it.")


@dataclass
class Numerics:
    """How a run computes: the parameters' dtype, the autocast context (and its dtype, if any), the
    gradient scaler."""

    dtype: torch.dtype
    autocast: Callable
    scaler: object | None
    amp_dtype: torch.dtype | None = None


def numerics(precision: str, device: torch.device) -> Numerics:
    """fp32 and fp64 train in that dtype; bf16 and fp16 autocast over fp32 weights (fp16 with a
    GradScaler, whose skipped steps keep an overflow from reaching the weights); tf32 is fp32 whose
    matmuls and convolutions use the GPU's TensorFloat-32 units (10-bit mantissa)."""
    check_precision(precision, device)
    if device.type == "cuda":
        # Fixed shapes (every batch but the last has the same size): cuDNN picks the fastest
        # convolution algorithm once per shape.
        torch.backends.cudnn.benchmark = True
        # fp32 means IEEE fp32 in every matmul and convolution (cuDNN's own default would take TF32
        # for convolutions); tf32 asks for TensorFloat-32 in both (torch's fp32_precision API).
        torch.backends.fp32_precision = "tf32" if precision == "tf32" else "ieee"
    if precision in ("bf16", "fp16"):
        amp_dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        return Numerics(torch.float32, lambda: torch.autocast(device_type=device.type, dtype=amp_dtype),
                        torch.amp.GradScaler("cuda") if precision == "fp16" else None, amp_dtype)
    return Numerics(torch.float64 if precision == "fp64" else torch.float32, nullcontext, None)


def software_versions() -> dict:
    """The versions a run's numbers came from, in the run's result (zoo/runs.py): a run that no longer gives its
    numbers after an upgrade had nothing to say what it ran on (a researcher's check). Compared by the Runs page
    (ui/compare.py)."""
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version(), "torch": torch.__version__}
    for package in ("numpy", "pandas", "statsforecast"):   # (read from the installed metadata: nothing imported)
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:   # statsforecast is the leaderboard's, and optional
            pass
    return versions
