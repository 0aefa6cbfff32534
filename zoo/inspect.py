"""Look inside a model: layer summary, the Module's own dictionaries, init, modes, precision, hooks.

Everything here takes a model and gives it back as it found it: its device and dtype, every
submodule's train/eval flag, its hooks (the dictionaries the seed describes), the `.grad` of its
parameters and, where a forward pass in train mode would change them, its buffers. The tools
people usually reach for do not: torchinfo moves a model to a device when it makes its own input
and leaves every submodule in the root's mode; a full backward hook on a layer followed by
`nn.ReLU(inplace=True)` makes backward fail. `preserved()`, `HookSet` and `inplace_disabled()`
are the three guards that the functions below run under.

Public functions: `summarize` (torchinfo-based), `module_tree`, `module_internals`,
`state_dict_entries`, `hook_counts`, `all_hook_counts`, `init_lab`, `compare_modes`,
`compare_precisions`, `hookable_layers`, `capture`; and the CLI's `add_cli_arguments`/`run_cli`
for `python -m zoo summary`.
"""
from __future__ import annotations

import copy
import math
import threading
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrize

from zoo.registry import DataShape, SpecError

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


def dropout_demo(p: float, n: int = 12, seed: int = 0) -> dict:
    """nn.Dropout(p) on a vector of ones, in train() and in eval(): zeros and 1/(1-p) in training,
    the input unchanged in evaluation (not multiplied by p, as the seed claims)."""
    layer = nn.Dropout(p)
    ones = torch.ones(n)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        train = layer.train()(ones)
    return {"p": p, "input": ones.tolist(), "train": train.tolist(), "eval": layer.eval()(ones).tolist(),
            "scale": 1.0 / (1.0 - p) if p < 1 else float("inf")}


# ---------------------------------------------------------------- summary (torchinfo)

@dataclass
class LayerRow:
    name: str                  # qualified module name ("" is the model itself)
    type: str
    depth: int
    input_shape: list[int]
    output_shape: list[int]
    params: int                # every parameter under this module (as sum(p.numel()) and torchinfo count)
    trainable_params: int
    trainable: Any             # True, False, "partial", or None for a layer without parameters
    mult_adds: int             # this call, this module and everything under it
    leaf: bool                 # no child modules (weight_norm's parametrization does not count)
    recursive: bool = False    # a module already called earlier in the same forward pass


@dataclass
class ModelSummary:
    model_class: str           # the model's Python class (the CLI adds the registry name as "model")
    input_shape: list[int]
    batch_size: int
    precision: str
    rows: list[LayerRow]
    totals: dict

    def to_dict(self) -> dict:
        return {"model_class": self.model_class, "input_shape": self.input_shape, "batch_size": self.batch_size,
                "precision": self.precision, "rows": [asdict(r) for r in self.rows], "totals": self.totals}

    def table(self) -> str:
        """The rows as an aligned text table (the CLI's output without --json)."""
        header = ("Layer", "Type", "Input", "Output", "Params", "Train", "Mult-adds")
        lines = [header]
        for r in self.rows:
            name = ("  " * r.depth) + (r.name.rsplit(".", 1)[-1] if r.name else "(model)")
            trainable = {True: "yes", False: "no", "partial": "partial"}.get(r.trainable, "-")
            lines.append((name, r.type, _shape_text(r.input_shape), _shape_text(r.output_shape),
                          f"{r.params:,}", trainable, f"{r.mult_adds:,}" if r.mult_adds else "-"))
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
        text.insert(1, "-" * len(text[0]))
        t = self.totals
        text += ["", f"Parameters: {t['total_params']:,} ({t['trainable_params']:,} trainable, "
                     f"{t['frozen_params']:,} frozen)",
                 f"Mult-adds per batch of {self.batch_size}: {t['mult_adds']:,}",
                 f"At {self.precision} ({t['bytes_per_element']} bytes per number): parameters "
                 f"{t['params_mb']:.3f} MB, input {t['input_mb']:.3f} MB, forward+backward "
                 f"{t['forward_backward_mb']:.3f} MB, estimated total {t['total_mb']:.3f} MB"]
        return "\n".join(text)


def _shape_text(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]" if shape else "-"


_SUMMARY_LOCK = threading.Lock()  # torchinfo keeps a module-level cache; one summary at a time


def _positions(module: nn.Module, out: list[int]) -> int:
    """Output positions one weight is applied at: for conv/norm over channels N x spatial, for
    recurrent layers N x steps, otherwise every position but the last (feature) axis."""
    if not out:
        return 0
    if isinstance(module, nn.RNNBase):
        return math.prod(out[:2])
    channel_first = (nn.modules.conv._ConvNd, nn.modules.batchnorm._BatchNorm,
                     nn.modules.instancenorm._InstanceNorm, nn.GroupNorm)
    if isinstance(module, channel_first):
        return out[0] * math.prod(out[2:])
    return math.prod(out[:-1]) if len(out) > 1 else out[0]


def _logical_params(module: nn.Module, params: list[tuple[str, nn.Parameter]]) -> int:
    """Weights as the layer uses them: a weight-normed conv's g and v count as its one `weight`."""
    total, seen = 0, set()
    for name, p in params:
        parts = name.split(".")
        if "parametrizations" in parts:
            i = parts.index("parametrizations")
            owner = module.get_submodule(".".join(parts[:i])) if i else module
            key = (id(owner), parts[i + 1])
            if key not in seen:
                seen.add(key)
                with torch.no_grad():
                    total += getattr(owner, parts[i + 1]).numel()
        else:
            total += p.numel()
    return total


def summarize(model: nn.Module, shape: DataShape | None = None, *, example: torch.Tensor | None = None,
              batch_size: int = 1, precision: str = "fp32") -> ModelSummary:
    """Per-layer summary from torchinfo, and totals at `precision` for a batch of `batch_size`.

    The model stays where it is (device, dtype), every submodule keeps its train/eval flag, its
    buffers are not touched (the pass runs in eval mode, under no_grad) and no hook stays behind.

    Mult-adds follow torchinfo's rule (weights x output positions) but also count the layers it
    misses: a weight-normed convolution (not a leaf for torchinfo) and attention projections run
    through functional calls; a Linear on a sequence counts every step, not only the batch.
    Forward+backward memory is torchinfo's estimate: the output of every layer with weights, twice
    (the activation and its gradient).
    """
    import torchinfo
    from torchinfo import torchinfo as torchinfo_module

    if precision not in PRECISION_DTYPES:
        raise SpecError(f"precision {precision!r} is unknown; use one of {', '.join(PRECISION_DTYPES)}.")
    if not isinstance(batch_size, int) or not 1 <= batch_size <= 65536:
        raise SpecError(f"batch size {batch_size!r} must be a whole number from 1 to 65536.")
    device, dtype = model_place(model)
    if example is None:
        if shape is None:
            raise TypeError("summarize needs a DataShape or an example input")
        example = _example_input(shape, batch_size, device, dtype)
    else:
        example = example.detach().to(device=device, dtype=dtype if example.is_floating_point() else None)
        batch_size = example.shape[0]
    names = {id(m): n for n, m in reversed(list(model.named_modules(remove_duplicate=False)))}

    with _SUMMARY_LOCK, preserved(model):
        try:
            stats = torchinfo.summary(model, input_data=[example], verbose=0, mode="eval", depth=64,
                                      col_names=("input_size", "output_size", "num_params", "mult_adds"))
        except RuntimeError as exc:
            cause = exc.__cause__ or exc
            raise SpecError(f"the model cannot run on input of shape {list(example.shape)}: {cause}") from None
        finally:
            torchinfo_module.clear_cached_forward_pass()  # it holds every layer of the last model
        infos = list(stats.summary_list)
        torchinfo_totals = {"total_params": stats.total_params, "trainable_params": stats.trainable_params,
                            "mult_adds": stats.total_mult_adds, "output_bytes": stats.total_output_bytes,
                            "param_bytes": stats.total_param_bytes}

    rows: list[LayerRow] = []
    own_macs: list[int] = []
    has_weights: list[bool] = []
    # Containers that never run themselves (ModuleList) stay, to keep the tree; weight_norm's
    # parametrization modules go: they belong to the layer they parametrize.
    kept = [i for i, info in enumerate(infos) if not _is_parametrization_internal(names.get(info.layer_id, ""))]
    for pos, i in enumerate(kept):
        info = infos[i]
        module = info.module
        # Parameters that no executed layer below this one accounts for are this layer's own work.
        covered = set()
        for j in kept[pos + 1:]:
            if infos[j].depth <= info.depth:
                break
            covered.update(id(p) for p in infos[j].module.parameters())
        own = [(n, p) for n, p in module.named_parameters() if id(p) not in covered]
        out = list(info.output_size)
        counts = bool(own) and info.executed   # a layer called twice does its work twice
        macs = _positions(module, out) * _logical_params(module, own) if counts else 0
        params = sum(p.numel() for p in module.parameters())
        trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
        rows.append(LayerRow(
            name=names.get(info.layer_id, info.var_name), type=info.class_name, depth=info.depth,
            input_shape=list(info.input_size), output_shape=out, params=params, trainable_params=trainable,
            trainable=None if params == 0 else True if trainable == params else False if trainable == 0
            else "partial",
            mult_adds=0, leaf=not any(n != "parametrizations" for n, _ in module.named_children()),
            recursive=bool(info.is_recursive)))
        own_macs.append(macs)
        has_weights.append(counts)
    # Inclusive mult-adds: a row's own plus those of the rows under it.
    for a in range(len(rows)):
        total = own_macs[a]
        for b in range(a + 1, len(rows)):
            if rows[b].depth <= rows[a].depth:
                break
            total += own_macs[b]
        rows[a].mult_adds = total

    nbytes = PRECISION_BYTES[precision]
    unique = {id(p): p for p in model.parameters()}.values()
    total_params = sum(p.numel() for p in unique)
    trainable_params = sum(p.numel() for p in unique if p.requires_grad)
    activations = sum(math.prod(r.output_shape) for r, w in zip(rows, has_weights) if w and r.output_shape)
    input_numel = example.numel()
    fwd_bwd = 2 * activations * nbytes
    totals = {
        "total_params": total_params,
        "trainable_params": trainable_params,
        "frozen_params": total_params - trainable_params,
        "mult_adds": sum(own_macs),
        "precision": precision,
        "bytes_per_element": nbytes,
        "params_mb": total_params * nbytes / MB,
        "grads_mb": trainable_params * nbytes / MB,
        "input_mb": input_numel * nbytes / MB,
        "forward_backward_mb": fwd_bwd / MB,
        "total_mb": (input_numel + total_params) * nbytes / MB + fwd_bwd / MB,
        "torchinfo": torchinfo_totals,
    }
    return ModelSummary(model_class=type(model).__name__, input_shape=list(example.shape[1:]),
                        batch_size=batch_size, precision=precision, rows=rows, totals=totals)


# ---------------------------------------------------------------- module internals

def _tensor_info(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "device": str(t.device),
            "requires_grad": bool(t.requires_grad), "numel": t.numel()}


def module_tree(model: nn.Module) -> list[dict]:
    """Every submodule, depth-first as `named_modules()` walks it, with what it holds itself."""
    rows = []
    for name, m in model.named_modules():
        rows.append({
            "name": name, "type": type(m).__name__, "depth": 0 if not name else name.count(".") + 1,
            "own_params": sum(p.numel() for p in m.parameters(recurse=False)),
            "params": sum(p.numel() for p in m.parameters()),
            "buffers": len([b for b in m._buffers.values() if b is not None]),
            "children": len(m._modules), "training": m.training,
            "hooks": sum(hook_counts(m).values()),
        })
    return rows


def module_internals(model: nn.Module, name: str = "") -> dict:
    """One module's own dictionaries, as the seed lists them: `_parameters`, `_buffers` (and which
    are non-persistent, i.e. left out of the state_dict), `_modules`, and its hook dictionaries."""
    try:
        module = model.get_submodule(name) if name else model
    except AttributeError:
        raise SpecError(f"the model has no submodule {name!r}; pick one from the module tree.") from None
    non_persistent = set(module._non_persistent_buffers_set)
    parameters = []
    for key, p in module._parameters.items():
        parameters.append({"name": key, **(_tensor_info(p) if p is not None else {"value": None})})
    buffers = []
    for key, b in module._buffers.items():
        entry = {"name": key, "persistent": key not in non_persistent}
        entry.update(_tensor_info(b) if b is not None else {"value": None})
        buffers.append(entry)
    parametrized = []
    if parametrize.is_parametrized(module):
        for tensor_name, plist in module.parametrizations.items():
            parametrized.append({"name": tensor_name,
                                 "parametrizations": [type(p).__name__ for p in plist],
                                 "originals": [n for n, _ in plist.named_parameters(recurse=False)]})
    return {
        "name": name, "type": type(module).__name__, "training": module.training,
        "extra_repr": module.extra_repr(),
        "parameters": parameters, "buffers": buffers, "non_persistent_buffers": sorted(non_persistent),
        "modules": [{"name": k, "type": type(v).__name__ if v is not None else None}
                    for k, v in module._modules.items()],
        "parametrized": parametrized,
        "hooks": hook_counts(module),
    }


def state_dict_entries(model: nn.Module) -> list[dict]:
    """The state_dict's keys with shape, dtype, device, requires_grad and whether each is a
    parameter or a buffer. Non-persistent buffers are not in it (see `module_internals`)."""
    params = {id(p) for p in model.parameters()}
    entries = []
    for key, t in model.state_dict(keep_vars=True).items():
        entries.append({"key": key, "kind": "parameter" if id(t) in params else "buffer", **_tensor_info(t)})
    return entries


# ---------------------------------------------------------------- initialisation lab

def expected_std(scheme: str, weight: torch.Tensor) -> float | None:
    """The standard deviation an init scheme aims at for this weight (None where it depends on the layer)."""
    if weight.dim() < 2:
        return None
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(weight)
    if scheme in ("xavier_uniform", "xavier_normal"):
        return math.sqrt(2.0 / (fan_in + fan_out))
    if scheme in ("kaiming_uniform", "kaiming_normal"):
        return math.sqrt(2.0 / fan_in)          # zoo.engine uses nonlinearity="relu", mode fan_in
    if scheme == "normal":
        return 0.01
    if scheme == "zeros":
        return 0.0
    if scheme == "orthogonal":
        rows = weight.shape[0]
        return math.sqrt(1.0 / max(rows, weight.numel() // rows))
    return None


@dataclass
class InitLab:
    scheme: str
    weights: list[dict]          # per weight matrix: layer, param, shape, fan_in/out, mean, std, expected_std, values
    activations: list[dict]      # per layer in forward order: layer, type, mean, std, zero_fraction
    symmetry: list[dict] = field(default_factory=list)   # after `steps` SGD steps: distinct units per layer
    loss: list[float] = field(default_factory=list)      # the loss at each of those steps


def _weight_tensors(model: nn.Module) -> Iterator[tuple[str, str, nn.Module, torch.Tensor]]:
    """(layer, param, module, tensor) for every weight with 2+ dims, a weight-normed one as used."""
    for name, m in model.named_modules():
        if _is_parametrization_internal(name):
            continue
        for pname, p in m.named_parameters(recurse=False):
            if p.dim() >= 2:
                yield name, pname, m, p
        if parametrize.is_parametrized(m):
            for tname in m.parametrizations:
                t = getattr(m, tname)
                if t.dim() >= 2:
                    yield name, tname, m, t


def _leaf_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in model.named_modules()
            if n and not _is_parametrization_internal(n)
            and not any(c != "parametrizations" for c, _ in m.named_children())]


def init_lab(model_name: str, shape: DataShape, params: dict | None, x: torch.Tensor, scheme: str, *,
             y: torch.Tensor | None = None, steps: int = 0, lr: float = 0.05, seed: int = 0,
             max_values: int = 20000, train_batch: int = 32) -> InitLab:
    """A fresh `model_name` initialised with `scheme` (zoo.engine.weight_init, through Module.apply):
    its weights' distributions, and the std of each layer's output on the batch `x`, in eval mode.

    With `steps` > 0 it then takes that many SGD steps on the first `train_batch` samples of (x, y)
    and counts, per weight matrix, how many units (rows) are still distinct: with zero init they
    stay identical.
    A fresh model is built so that a trained one is never overwritten.
    """
    from zoo.engine import INITS, weight_init
    from zoo.registry import build

    if scheme != "default" and scheme not in INITS:
        raise SpecError(f"init scheme {scheme!r} is unknown; use default or one of {', '.join(INITS)}.")
    x = x.detach()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build(model_name, shape, params)
        init = weight_init(scheme)
        if init is not None:
            model.apply(init)
    model.to(device=x.device, dtype=x.dtype if x.is_floating_point() else torch.float32).eval()

    weights = []
    picker = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer, pname, _, w in _weight_tensors(model):
            flat = w.detach().flatten().float().cpu()
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
            if flat.numel() > max_values:
                sample = flat[torch.randperm(flat.numel(), generator=picker)[:max_values]]
            else:
                sample = flat
            weights.append({"layer": layer, "param": pname, "shape": list(w.shape), "fan_in": fan_in,
                            "fan_out": fan_out, "mean": flat.mean().item(),
                            "std": flat.std().item() if flat.numel() > 1 else 0.0,
                            "expected_std": expected_std(scheme, w), "values": sample.numpy()})

    activations = []
    order = {}

    def record(name):
        def hook(module, args, output):
            out = _first_tensor(output)
            if out is None or not out.is_floating_point():
                return
            o = out.detach().float()
            order.setdefault(name, len(order))
            activations.append({"index": len(activations), "layer": name, "type": type(module).__name__,
                                "shape": list(o.shape), "mean": o.mean().item(),
                                "std": o.std().item() if o.numel() > 1 else 0.0,
                                "zero_fraction": (o == 0).float().mean().item()})
        return hook

    with HookSet() as hooks, torch.no_grad():
        for name, m in _leaf_layers(model):
            hooks.add(m.register_forward_hook(record(name)))
        model(x)

    lab = InitLab(scheme=scheme, weights=weights, activations=activations)
    if steps > 0:
        if y is None:
            raise SpecError("the symmetry check trains a few steps and needs targets y.")
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        x, y = x[:train_batch], y[:train_batch]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for _ in range(steps):
                out = model(x)
                loss = F.cross_entropy(out, y) if shape.task == "image" else F.mse_loss(out, y.to(out.dtype))
                grads = torch.autograd.grad(loss, params, allow_unused=True)
                with torch.no_grad():   # plain SGD by hand: torch.optim's first use imports torch._dynamo (seconds)
                    for p, g in zip(params, grads):
                        if g is not None:
                            p -= lr * g
                lab.loss.append(loss.item())
        with torch.no_grad():
            for layer, pname, _, w in _weight_tensors(model):
                rows = w.detach().flatten(1).float()
                distinct = torch.unique(torch.round(rows * 1e6) / 1e6, dim=0).shape[0]
                lab.symmetry.append({"layer": layer, "param": pname, "units": rows.shape[0], "distinct": distinct})
    return lab


# ---------------------------------------------------------------- modes and precision

DROPOUTS = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)
BATCHNORMS = (nn.modules.batchnorm._BatchNorm,)


def compare_modes(model: nn.Module, x: torch.Tensor, *, seed: int = 0) -> dict:
    """One batch through a copy of `model` in eval() and then in train(): what Dropout and
    BatchNorm really do in each (PyTorch's semantics, not the seed's).

    Dropout in train mode zeroes each element with probability p and multiplies the kept ones by
    1/(1-p), so the expected value is unchanged; in eval mode it is the identity. BatchNorm in
    train mode normalises with this batch's mean and variance and updates its running stats; in
    eval mode it uses the running stats. The caller's model is not touched (its running stats
    would change), so this works on a deep copy.
    """
    work = copy.deepcopy(model)
    x = x.detach().to(*model_place(work))
    layers = [(n, m) for n, m in work.named_modules() if isinstance(m, DROPOUTS + BATCHNORMS)]
    seen: dict[str, dict] = {}

    def keep(name):
        def hook(module, args, output):
            seen[name] = {"input": args[0].detach().clone(), "output": output.detach().clone()}
        return hook

    results = {n: {"layer": n, "type": type(m).__name__} for n, m in layers}
    with HookSet() as hooks, torch.no_grad():
        for n, m in layers:
            hooks.add(m.register_forward_hook(keep(n)))
        work.eval()
        out_eval = _first_tensor(work(x)).detach().clone()
        eval_seen = dict(seen)
        seen.clear()
        before = {n: (m.running_mean.clone(), m.running_var.clone()) for n, m in layers
                  if isinstance(m, BATCHNORMS) and m.running_mean is not None}
        work.train()
        with torch.random.fork_rng(devices=[x.device] if x.device.type == "cuda" else []):
            torch.manual_seed(seed)
            out_train = _first_tensor(work(x)).detach().clone()
        train_seen = dict(seen)

    for n, m in layers:
        r = results[n]
        if n not in eval_seen or n not in train_seen:
            r["ran"] = False
            continue
        r["ran"] = True
        ev, tr = eval_seen[n], train_seen[n]
        if isinstance(m, DROPOUTS):
            p = float(m.p)
            live = tr["input"] != 0                  # inputs already zero (after a ReLU) say nothing
            dropped = (tr["output"] == 0) & live
            kept = live & ~dropped
            ratio = (tr["output"][kept] / tr["input"][kept]) if kept.any() else torch.empty(0)
            r.update(p=p, expected_scale=(1.0 / (1.0 - p)) if p < 1 else float("inf"),
                     train_dropped_fraction=(dropped.sum() / live.sum().clamp(min=1)).item(),
                     train_kept_scale=ratio.mean().item() if ratio.numel() else None,
                     eval_max_change=(ev["output"] - ev["input"]).abs().max().item() if ev["input"].numel() else 0.0)
        else:
            dims = [0] + list(range(2, tr["output"].dim()))
            r.update(
                train_output_mean=tr["output"].mean(dims).abs().max().item(),
                train_output_std=tr["output"].std(dims, unbiased=False).mean().item(),
                eval_output_mean=ev["output"].mean(dims).abs().max().item(),
                eval_output_std=ev["output"].std(dims, unbiased=False).mean().item(),
                train_vs_eval_max_diff=(tr["output"] - ev["output"]).abs().max().item(),
                momentum=m.momentum)
            if n in before:
                mean0, var0 = before[n]
                r.update(running_mean_change=(m.running_mean - mean0).abs().max().item(),
                         running_var_change=(m.running_var - var0).abs().max().item())
    report = {
        "layers": list(results.values()),
        "output_max_diff": (out_train.float() - out_eval.float()).abs().max().item(),
        "internal_dropout": _internal_dropout(work),
    }
    if out_eval.dim() == 2 and out_eval.shape[1] > 1 and x.dim() == 4:
        report["prediction_agreement"] = (out_train.argmax(1) == out_eval.argmax(1)).float().mean().item()
    return report


def _internal_dropout(model: nn.Module) -> list[dict]:
    """Dropout that lives inside a layer as a number, not as a Dropout module."""
    found = []
    for n, m in model.named_modules():
        if isinstance(m, nn.RNNBase) and m.dropout and m.num_layers > 1:
            found.append({"layer": n, "type": type(m).__name__, "p": m.dropout, "where": "between stacked layers"})
        if isinstance(m, nn.MultiheadAttention) and m.dropout:
            found.append({"layer": n, "type": type(m).__name__, "p": m.dropout, "where": "on the attention weights"})
    return found


def compare_precisions(model: nn.Module, x: torch.Tensor, precisions=("fp32", "fp16", "bf16", "fp64")) -> list[dict]:
    """The model cast to each precision (a copy): bytes of its parameters and how far its output
    is from the fp32 output on the same batch, in eval mode."""
    device, _ = model_place(model)
    x = x.detach().to(device)
    reference_model = copy.deepcopy(model).to(torch.float32).eval()
    with torch.no_grad():
        reference = _first_tensor(reference_model(x.float())).double()
    rows = []
    for name in precisions:
        dtype = PRECISION_DTYPES[name]
        copy_ = copy.deepcopy(model).to(dtype).eval()
        row = {"precision": name, "bytes_per_element": PRECISION_BYTES[name],
               "param_bytes": sum(p.numel() * p.element_size() for p in copy_.parameters()),
               "params": sum(p.numel() for p in copy_.parameters())}
        try:
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = _first_tensor(copy_(x.to(dtype))).double()
        except (RuntimeError, NotImplementedError) as exc:
            row["error"] = f"{name} is not supported here: {str(exc).splitlines()[0]}"
            rows.append(row)
            continue
        diff = (out - reference).abs()
        row.update(max_abs_diff=diff.max().item(), mean_abs_diff=diff.mean().item(),
                   max_rel_diff=(diff.max() / reference.abs().max().clamp(min=1e-30)).item(),
                   finite=bool(torch.isfinite(out).all()))
        if reference.dim() == 2 and reference.shape[1] > 1 and x.dim() == 4:
            row["prediction_agreement"] = (out.argmax(1) == reference.argmax(1)).double().mean().item()
        rows.append(row)
    return rows


# ---------------------------------------------------------------- hooks lab

def hookable_layers(model: nn.Module) -> list[str]:
    """Qualified names of the submodules one can hook (weight_norm's internals left out)."""
    return [n for n, _ in model.named_modules() if n and not _is_parametrization_internal(n)]


def weighted_layers(model: nn.Module) -> list[str]:
    """The layers that hold weights (Linear, Conv, RNN, norm...), in definition order."""
    return [n for n, m in _leaf_layers(model) if any(True for _ in m.parameters())]


@dataclass
class Capture:
    layers: list[str]
    activations: dict[str, torch.Tensor]   # first `keep` samples of each layer's output, CPU copies
    activation_stats: list[dict]
    gradients: list[dict]                  # per hooked layer: norms of grad_output / grad_input
    param_grads: list[dict]                # per parameter: the norm of its gradient for this batch
    loss: float
    mode: str
    backward_method: str                   # "full backward hooks" or "tensor hooks" (fallback)
    hooks_during: dict[str, dict]          # hook counts while the hooks were attached
    hooks_after: dict[str, dict]           # ... and after they were removed
    notes: list[str] = field(default_factory=list)


def _batch_loss(out: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    if out.dim() == 2 and y is not None and not y.is_floating_point():
        return F.cross_entropy(out.float(), y)
    if y is not None:
        return F.mse_loss(out.float(), y.to(out.device).float())
    if out.dim() == 2 and out.shape[1] > 1:
        return F.cross_entropy(out.float(), out.argmax(1))  # no labels: explain the model's own choice
    return out.float().pow(2).mean()


def _norm(t) -> float | None:
    return None if t is None else t.detach().double().norm().item()


def capture(model: nn.Module, x: torch.Tensor, layers: list[str] | None = None, *, y: torch.Tensor | None = None,
            mode: str = "eval", keep: int = 8) -> Capture:
    """Hooks lab: forward hooks keep the chosen layers' outputs; full backward hooks record the norm
    of the gradient at each layer's output and input; the batch's loss (cross-entropy against `y`,
    or MSE for series) is backpropagated once and every parameter's gradient norm is read.

    Every hook is removed afterwards (also on an error), the model keeps its mode, its buffers
    (train mode updates BatchNorm's running stats) and the `.grad` it had before. Inplace flags are
    off while the hooks are attached; if a forward still modifies a hooked tensor in place
    (functional `relu_` in a custom forward), the gradients are taken with tensor hooks instead.
    """
    if mode not in ("eval", "train"):
        raise SpecError(f"mode {mode!r} is unknown; use eval or train.")
    modules = dict(model.named_modules())
    layers = list(layers) if layers is not None else [n for n, m in _leaf_layers(model)]
    for name in layers:
        if name not in modules or not name:
            raise SpecError(f"the model has no layer {name!r}; pick from {', '.join(hookable_layers(model)[:12])}"
                            f"{', ...' if len(hookable_layers(model)) > 12 else ''}.")
    try:
        return _capture(model, modules, x, layers, y, mode, keep, "module")
    except RuntimeError as exc:
        if "BackwardHookFunction" not in str(exc):
            raise
    result = _capture(model, modules, x, layers, y, mode, keep, "tensor")
    result.notes.append("A hooked layer's output is modified in place by the forward code, which full backward "
                        "hooks do not allow; gradients were taken with tensor hooks on the outputs instead.")
    return result


def _capture(model, modules, x, layers, y, mode, keep, backward) -> Capture:
    device, dtype = model_place(model)
    x = x.detach().to(device=device, dtype=dtype if x.is_floating_point() else None).clone()
    if x.is_floating_point():
        x.requires_grad_(True)   # so that the first layer's grad_input exists too
    acts: dict[str, torch.Tensor] = {}
    grads: dict[str, dict] = {}
    params = list(model.parameters())
    saved_grads = [p.grad for p in params]

    def forward_hook(name):
        def hook(module, args, output):
            out = _first_tensor(output)
            if out is None:
                return None
            acts[name] = out.detach()[:keep].to("cpu", copy=True)
            if backward == "tensor" and isinstance(output, torch.Tensor) and output.requires_grad:
                output.register_hook(lambda g: grads.setdefault(name, {}).update(grad_output=_norm(g)))
                return output.clone()   # later inplace ops change the clone, not the hooked tensor
            return None
        return hook

    def backward_hook(name):
        def hook(module, grad_input, grad_output):
            grads[name] = {"grad_output": _norm(_first_tensor([g for g in grad_output if g is not None])),
                           "grad_input": _norm(_first_tensor([g for g in grad_input if g is not None]))}
        return hook

    try:
        with preserved(model, buffers=(mode == "train")), inplace_disabled(model), HookSet() as hooks:
            model.train(mode == "train")
            for p in params:
                p.grad = None
            for name in layers:
                hooks.add(modules[name].register_forward_hook(forward_hook(name)))
                if backward == "module":
                    hooks.full_backward(modules[name], backward_hook(name))
            during = {name: hook_counts(modules[name]) for name in layers}
            with torch.enable_grad(), _cudnn_for_backward(model, x):
                out = _first_tensor(model(x))
                loss = _batch_loss(out, y)
                loss.backward()
            param_grads = []
            names = {id(p): n for n, p in model.named_parameters()}
            for p in params:
                n = names.get(id(p), "?")
                layer, _, pname = n.rpartition(".")
                param_grads.append({"layer": layer, "param": pname, "name": n, "numel": p.numel(),
                                    "grad_norm": _norm(p.grad), "weight_norm": _norm(p)})
    finally:
        for p, g in zip(params, saved_grads):
            p.grad = g
    after = {name: hook_counts(modules[name]) for name in layers}

    stats, gradients = [], []
    for name in layers:
        m = modules[name]
        a = acts.get(name)
        if a is not None and a.is_floating_point():
            stats.append({"layer": name, "type": type(m).__name__, "shape": list(a.shape),
                          "mean": a.float().mean().item(), "std": a.float().std().item() if a.numel() > 1 else 0.0,
                          "zero_fraction": (a == 0).float().mean().item()})
        g = grads.get(name)
        gradients.append({"layer": name, "type": type(m).__name__, "fired": g is not None,
                          "grad_output_norm": (g or {}).get("grad_output"),
                          "grad_input_norm": (g or {}).get("grad_input")})
    notes = []
    silent = [g["layer"] for g in gradients if not g["fired"]]
    if silent:
        notes.append(f"No gradient reached the output of {', '.join(silent)}: a full backward hook only sees "
                     "tensors at the top level of a layer's output (an LSTM returns (output, (h, c)) and the "
                     "model may use h), or the output is not used by the loss.")
    return Capture(layers=layers, activations=acts, activation_stats=stats, gradients=gradients,
                   param_grads=param_grads, loss=loss.item(), mode=mode,
                   backward_method="full backward hooks" if backward == "module" else "tensor hooks",
                   hooks_during=during, hooks_after=after, notes=notes)


@contextmanager
def _cudnn_for_backward(model: nn.Module, x: torch.Tensor):
    """cuDNN's RNN backward refuses eval mode; take the native kernels for that one pass."""
    if x.device.type == "cuda" and any(isinstance(m, nn.RNNBase) for m in model.modules()):
        with torch.backends.cudnn.flags(enabled=False):
            yield
    else:
        yield


# ---------------------------------------------------------------- CLI: python -m zoo summary

def shape_for_spec(spec, data_dir=None) -> DataShape:
    """The DataShape a spec's model gets, without reading image files (they are all 1x28x28)."""
    if spec.task == "image":
        from zoo.data.images import IMAGE_DATASETS

        return DataShape(task="image", channels=1, height=28, width=28,
                         num_classes=len(IMAGE_DATASETS[spec.data].classes))
    from zoo.data import load_data

    return load_data(spec, data_dir).shape


def add_cli_arguments(parser) -> None:
    from zoo.cli import add_spec_arguments

    add_spec_arguments(parser, training=False)
    parser.add_argument("--run", default=None, help="summarise a saved run's model instead (a run directory)")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="batch size for the shapes, mult-adds and memory estimate (default 64)")
    parser.add_argument("--precision", default="fp32", choices=tuple(PRECISION_DTYPES),
                        help="bytes per number for the sizes: fp32 4, fp16/bf16 2, fp64 8")


def run_cli(args) -> dict:
    from zoo.registry import build

    if args.batch_size < 1:
        raise SpecError(f"--batch-size {args.batch_size} must be at least 1.")
    if args.run:
        from zoo.runs import load_run

        run = load_run(args.run)
        spec, shape = run.spec, run.shape
        model = build(spec.model, shape, spec.model_params)
    else:
        from zoo.cli import spec_from_args
        from zoo.engine import resolve_device

        spec = spec_from_args(args)
        shape = shape_for_spec(spec, args.data_dir)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(spec.seed)
            model = build(spec.model, shape, spec.model_params)
        model.to(resolve_device(args.device))
    summary = summarize(model, shape, batch_size=args.batch_size, precision=args.precision)
    if not args.json:
        print(f"{spec.model} on {spec.data}: input {list(shape.input_shape())}")
        print(summary.table())
    return {"model": spec.model, "data": spec.data, "model_params": spec.model_params, **summary.to_dict()}
