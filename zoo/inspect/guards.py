"""The guards every inspection runs under, so that it gives the model back as it found it: its
device and dtype, every submodule's train/eval flag, its hooks, the `.grad` of its parameters and,
where a forward pass in train mode would change them, its buffers (`preserved`, `HookSet`,
`inplace_disabled`). Also the small helpers the inspections share (where a model lives, example
inputs, a snapshot to compare before and after).

Why guards: the tools people usually reach for do not give a model back. torchinfo moves a model
to a device when it makes its own input and leaves every submodule in the root's mode; a full
backward hook on a layer followed by `nn.ReLU(inplace=True)` makes backward fail.
"""
from __future__ import annotations

import functools
import math
from contextlib import contextmanager
from typing import Any, Iterator

import torch
from torch import nn

from zoo.registry import DataShape

PRECISION_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16, "fp64": torch.float64}
PRECISION_BYTES = {name: torch.empty((), dtype=dt).element_size() for name, dt in PRECISION_DTYPES.items()}
MB = 1e6  # torchinfo's megabyte: 10**6 bytes

# The dictionaries (and sets) a Module keeps its hooks in, by what the UI calls them.
HOOK_DICTS = {
    "forward": "_forward_hooks",
    "forward_pre": "_forward_pre_hooks",
    "backward": "_backward_hooks",
    "backward_pre": "_backward_pre_hooks",
    "state_dict": "_state_dict_hooks",
    "state_dict_pre": "_state_dict_pre_hooks",
    "load_state_dict_pre": "_load_state_dict_pre_hooks",
    "load_state_dict_post": "_load_state_dict_post_hooks",
}
# Bookkeeping that registering a hook also touches; removing the hook must clean these too.
HOOK_BOOKKEEPING = ("_forward_hooks_with_kwargs", "_forward_hooks_always_called", "_forward_pre_hooks_with_kwargs")


# ---------------------------------------------------------------- guards

def hook_counts(module: nn.Module) -> dict[str, int]:
    """How many hooks of each kind `module` itself holds (not its children)."""
    return {kind: len(getattr(module, attr, {}) or {}) for kind, attr in HOOK_DICTS.items()}


def all_hook_counts(model: nn.Module) -> dict[str, dict[str, int]]:
    """`hook_counts` for every submodule, by qualified name ("" is the model itself)."""
    return {name: hook_counts(m) for name, m in model.named_modules()}


def global_hook_counts() -> dict[str, int]:
    """Hooks registered for every module at once (`nn.modules.module.register_module_*_hook`)."""
    from torch.nn.modules import module as module_mod

    return {kind: len(getattr(module_mod, f"_global_{attr.lstrip('_')}", {}) or {})
            for kind, attr in HOOK_DICTS.items() if hasattr(module_mod, f"_global_{attr.lstrip('_')}")}


class HookSet:
    """Handles of hooks registered for one operation; all removed on exit, even on an error.

        with HookSet() as hooks:
            hooks.add(layer.register_forward_hook(fn))
            model(x)
        # every hook is gone here

    Registering a full backward hook also sets the module's `_is_full_backward_hook` flag, which
    PyTorch never clears and which forbids a later `register_backward_hook`; it is restored too.
    """

    def __init__(self):
        self.handles: list = []
        self._flags: dict[int, tuple[nn.Module, Any]] = {}

    def add(self, handle):
        self.handles.append(handle)
        return handle

    def full_backward(self, module: nn.Module, fn):
        self._flags.setdefault(id(module), (module, getattr(module, "_is_full_backward_hook", None)))
        return self.add(module.register_full_backward_hook(fn))

    def remove(self) -> None:
        while self.handles:
            self.handles.pop().remove()
        for module, flag in self._flags.values():
            module._is_full_backward_hook = flag
        self._flags.clear()

    def __enter__(self) -> "HookSet":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


@contextmanager
def preserved(model: nn.Module, *, buffers: bool = False) -> Iterator[nn.Module]:
    """Give `model` back as it was: each submodule's train/eval flag, each tensor's device and dtype,
    and (with `buffers=True`) the buffers' values, which a forward pass in train mode updates."""
    modes = [(m, m.training) for m in model.modules()]
    places = []
    saved_buffers = []
    for m in model.modules():
        for kind in ("_parameters", "_buffers"):
            for name, t in getattr(m, kind).items():
                if t is not None:
                    places.append((m, kind, name, t.device, t.dtype))
        if buffers:
            saved_buffers += [(m, name, b.detach().clone()) for name, b in m._buffers.items() if b is not None]
    try:
        yield model
    finally:
        for m, flag in modes:
            m.training = flag
        for m, kind, name, device, dtype in places:
            t = getattr(m, kind).get(name)
            if t is not None and (t.device != device or t.dtype != dtype):
                if kind == "_parameters":
                    t.data = t.data.to(device=device, dtype=dtype)  # same Parameter object: optimizers keep it
                else:
                    m._buffers[name] = t.to(device=device, dtype=dtype)
        with torch.no_grad():
            for m, name, value in saved_buffers:
                current = m._buffers.get(name)
                if current is not None and current.shape == value.shape:
                    current.copy_(value.to(device=current.device, dtype=current.dtype))


def within_demo_room(model: nn.Module, x: torch.Tensor | None = None, *, sample_shape: tuple | None = None,
                     batch_size: int | None = None) -> None:
    """Every inspection that runs the model calls this first, with its batch `x` (or the batch's `sample_shape`
    and `batch_size`, before it is made): on the hosted demo, a pass that would hold more than the demo allows is
    refused before it runs (zoo/demo.check_inspection: the page runs it in the server's own process). Nothing
    outside the demo."""
    from zoo import demo

    if x is not None:
        if x.dim() < 1:
            return
        sample_shape, batch_size = tuple(x.shape[1:]), int(x.shape[0])
    demo.check_inspection(model, tuple(sample_shape), int(batch_size))


def one_at_a_time(inspection):
    """Run `inspection` (a function that runs a model to look inside it) in the server's one slot for that on the
    hosted demo (zoo/demo.inspection_slot): strangers' looks take turns on one of torch's threads rather than all at
    once on every core. Nothing outside the demo."""
    @functools.wraps(inspection)
    def in_turn(*args, **kwargs):
        from zoo import demo

        with demo.inspection_slot():
            return inspection(*args, **kwargs)
    return in_turn


@contextmanager
def inplace_disabled(model: nn.Module) -> Iterator[nn.Module]:
    """Turn off `inplace=True` on every submodule that has the flag (ReLU, Dropout, ...) for a while.

    A full backward hook wraps a layer's inputs and outputs in an autograd Function; an inplace
    op on one of them then fails ("Output 0 of BackwardHookFunctionBackward is a view and is being
    modified inplace"). Inplace only saves memory, so the numbers are the same without it.
    """
    flags = [(m, m.inplace) for m in model.modules() if isinstance(getattr(m, "inplace", None), bool)]
    try:
        for m, _ in flags:
            m.inplace = False
        yield model
    finally:
        for m, flag in flags:
            m.inplace = flag


def model_place(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Device and floating dtype of the model's first parameter (or buffer); CPU float32 if none."""
    for t in list(model.parameters()) + list(model.buffers()):
        if t.is_floating_point():
            return t.device, t.dtype
    return torch.device("cpu"), torch.float32


def _first_tensor(value) -> torch.Tensor | None:
    """The first tensor in a module's output: LSTM gives (output, (h, c)), attention (out, weights)."""
    while not isinstance(value, torch.Tensor):
        if isinstance(value, (tuple, list)) and value:
            value = value[0]
        elif isinstance(value, dict) and value:
            value = next(iter(value.values()))
        else:
            return None
    return value


def _is_parametrization_internal(name: str) -> bool:
    """Modules that implement a parametrization (weight_norm's ParametrizationList, _WeightNorm)."""
    return name == "parametrizations" or name.startswith("parametrizations.") or ".parametrizations" in name


def _example_input(shape: DataShape, batch_size: int, device, dtype, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch_size, *shape.input_shape(), generator=generator).to(device=device, dtype=dtype)


def state_snapshot(model: nn.Module) -> dict:
    """What the guards promise to keep: per-module train flags and hook counts, per-tensor device,
    dtype and storage. Two snapshots compare equal when nothing observable changed."""
    return {
        "training": {n: m.training for n, m in model.named_modules()},
        "hooks": all_hook_counts(model),
        "tensors": {n: (str(t.device), str(t.dtype), t.data_ptr(), tuple(t.shape))
                    for n, t in list(model.named_parameters()) + list(model.named_buffers())},
    }


def synthetic_windows(shape: DataShape, n: int = 64, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of made-up series windows (noisy sines, one period per feature) and their next
    `horizon` target values, for looking inside a series model that has no data attached."""
    g = torch.Generator().manual_seed(seed)
    steps = torch.arange(shape.lookback + shape.horizon, dtype=torch.float32)[None, :, None]
    period = 8 + 40 * torch.rand(1, 1, shape.n_features, generator=g)
    phase = 2 * math.pi * torch.rand(n, 1, shape.n_features, generator=g)
    series = torch.sin(2 * math.pi * steps / period + phase)
    series = series + 0.1 * torch.randn(series.shape, generator=g)
    return series[:, :shape.lookback], series[:, shape.lookback:, -1]


@contextmanager
def _cudnn_for_backward(model: nn.Module, x: torch.Tensor):
    """cuDNN's RNN backward refuses eval mode; take the native kernels for that one pass."""
    if x.device.type == "cuda" and any(isinstance(m, nn.RNNBase) for m in model.modules()):
        with torch.backends.cudnn.flags(enabled=False):
            yield
    else:
        yield
