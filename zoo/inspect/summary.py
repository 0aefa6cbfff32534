"""A layer-by-layer summary from torchinfo, with the totals at a chosen precision."""
from __future__ import annotations

import math
import threading
import weakref
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from zoo.inspect.guards import (
    MB,
    PRECISION_BYTES,
    PRECISION_DTYPES,
    _example_input,
    _is_parametrization_internal,
    model_place,
    one_at_a_time,
    preserved,
    within_demo_room,
)
from zoo.registry import DataShape, SpecError


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
                 f"{t['forward_backward_mb']:.3f} MB, estimated total {t['total_mb']:.3f} MB",
                 f"A training step with Adam, measured at {t['measured_dtype']}: {t['training_step_mb']:,.1f} MB "
                 "(what autograd keeps for backward, the weights, their gradients and Adam's two moments)"]
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


@one_at_a_time
def summarize(model: nn.Module, shape: DataShape | None = None, *, example: torch.Tensor | None = None,
              batch_size: int = 1, precision: str = "fp32") -> ModelSummary:
    """Per-layer summary from torchinfo, and totals at `precision` for a batch of `batch_size`.

    The model stays where it is (device, dtype), every submodule keeps its train/eval flag, its
    buffers are not touched (torchinfo's pass runs in eval mode, under no_grad; the measured training
    step's forwards, in train mode with autograd, put flags and buffers back: `training_memory`) and no
    hook stays behind.

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
        # before the batch is made: 8,192 windows of 5,000 steps are a GB themselves (a review)
        within_demo_room(model, sample_shape=tuple(shape.input_shape()), batch_size=batch_size)
        example = _example_input(shape, batch_size, device, dtype)
    else:
        within_demo_room(model, example)
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
    # torchinfo's estimate counts layer outputs only: a Transformer's attention (batch x heads x L x L) and a
    # recurrent layer's gates are not in it (299 MB where autograd kept about 1,720, and the hosted demo's
    # refusal said the latter): the measured step beside it, at the model's own dtype.
    per_sample, fixed = measured_training_memory(model, tuple(example.shape[1:]))
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
        "training_step_mb": (per_sample * batch_size + fixed) / MB,
        "measured_dtype": str(dtype).removeprefix("torch."),
        "torchinfo": torchinfo_totals,
        "torchinfo_counts_otherwise": _counted_otherwise(model, rows),
    }
    return ModelSummary(model_class=type(model).__name__, input_shape=list(example.shape[1:]),
                        batch_size=batch_size, precision=precision, rows=rows, totals=totals)


def _counted_otherwise(model: nn.Module, rows: list) -> list[str]:
    """What of this model torchinfo's mult-adds count otherwise than the table's (each weight times the positions
    it is applied at), of the kinds it holds: the Summary tab had named batch norms and attention for a TCN, which
    has neither (a learner's check). Said where, and only where, the totals differ on every registered model
    (tests/test_inspect.py); torchinfo's rows per kind were compared by hand (2026-12-05: a batch norm's 12 for 6,912
    of a 24 x 24 map; a sequence's Linear 8,320 for 798,720 over 96 steps; attention's row counted alike but left out
    of its total; a weight-normed Conv1d 102,464 for 304,192)."""
    from torch.nn.utils import parametrize

    said = []
    if any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        said.append("a batch norm's weights once a sample, not at every position they scale")
    if any(r.type in ("Linear", "LayerNorm", "NonDynamicallyQuantizableLinear") and len(r.output_shape) >= 3
           for r in rows):
        said.append("a linear layer or layer norm applied at every step of a sequence once a sample")
    if any(isinstance(m, nn.MultiheadAttention) for m in model.modules()):
        said.append("attention's projections not in its total, though its row shows them")
    if any(parametrize.is_parametrized(m) for m in model.modules()):
        said.append("a weight-normed convolution well below its weights times the positions they are applied at")
    return said


def training_bytes(model: nn.Module, shape: DataShape, batch_size: int) -> int:
    """The memory one training step of `model` on batches of `batch_size` holds at its peak, estimated
    (`training_memory`). Measured by hand (a process's peak resident memory over one step with Adam: a
    Transformer, an LSTM, a GRU and a TCN over 512-1,000 steps, batches of 64-256), a step rose by 0.9 to 1.8
    times this: the backward pass's own temporaries are not in it, so the demo's cap is on this estimate."""
    per_sample, fixed = training_memory(model, shape)
    return int(per_sample * batch_size + fixed)


class _OverLimit(Exception):
    pass


def training_memory(model: nn.Module, shape: DataShape | tuple, limit: float | None = None) -> tuple[float, int]:
    """(bytes a sample adds, bytes that do not grow with the batch) to a training step of `model`: the tensors
    autograd keeps for the backward pass, measured on forwards of 2 and 4 samples in train mode (each storage
    once, the weights' own left out; the slope is what a sample adds, and what does not grow, such as a
    weight-normed layer's recomputed weight, stays out of it), plus the weights, their gradients and Adam's two
    moments (4 copies). Measured rather than derived from the layers: attention keeps batch x heads x L x L, a
    recurrent layer every step's gates, and the zoo's models differ in both.

    `limit` (bytes): a forward that keeps more stops there, so that measuring an absurd model (a Transformer over
    5,000 steps) never holds more than about that much. Where 4 samples pass it, the slope is read from 1 and 2,
    and where 2 do, one sample's whole keep is taken (a batch of 1 to 3 may still fit); where 1 does, a sample
    counts as infinite. The model comes back as it was: its train/eval flags and its buffers (batch norm's
    running statistics). `shape`: the data's, or one sample's input shape (zoo/demo.check_inspection)."""
    import math

    sample_shape = tuple(shape.input_shape()) if isinstance(shape, DataShape) else tuple(shape)
    device, dtype = model_place(model)

    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    fixed = 4 * sum(p.numel() * p.element_size() for p in model.parameters())
    buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
    was_training = {m: m.training for m in model.modules()}

    def kept(n: int) -> int:
        saved: dict[int, int] = {}

        def pack(t: torch.Tensor) -> torch.Tensor:
            storage = t.untyped_storage()
            if storage.data_ptr() not in weights:
                saved[storage.data_ptr()] = storage.nbytes()
                if limit is not None and sum(saved.values()) > limit:
                    raise _OverLimit
            return t.detach()   # not `t`: an output saved for its own grad_fn made a cycle that held GBs

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            model(torch.zeros((n, *sample_shape), device=device, dtype=dtype))
        return sum(saved.values())

    def per_sample() -> float:
        for small, large in ((2, 4), (1, 2)):
            try:
                first = kept(small)
                return (kept(large) - first) / (large - small)
            except _OverLimit:
                pass
        return kept(1)   # one sample's whole keep, what does not grow included: an upper bound for a batch of 1

    try:
        model.train()
        sample = per_sample()
    except _OverLimit:
        return math.inf, fixed
    finally:
        for m, flag in was_training.items():
            m.training = flag
        with torch.no_grad():
            for name, b in model.named_buffers():
                b.copy_(buffers[name])
    return max(0.0, sample), fixed


_MEASURED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # model -> {sample shape: (per sample, fixed)}
_MEASURING = threading.Lock()


def measured_training_memory(model: nn.Module, sample_shape: tuple) -> tuple[float, int]:
    """`training_memory` of `model` on samples of `sample_shape` (one sample's input shape), measured once per
    model and shape (a page runs its script again on every click), never past the hosted demo's cap
    (zoo/demo.memory_limit), and without moving the caller's random numbers (its train-mode forwards draw
    dropout masks). The Inspect page's Summary and the demo's check of a look inside a model read it."""
    from zoo import demo

    with _MEASURING:
        known = _MEASURED.setdefault(model, {})
        if sample_shape not in known:
            cuda = [p.device for p in model.parameters() if p.device.type == "cuda"][:1]
            with torch.random.fork_rng(devices=cuda):
                known[sample_shape] = training_memory(model, sample_shape, limit=demo.memory_limit())
        return known[sample_shape]


def shape_for_spec(spec, data_dir=None) -> DataShape:
    """The DataShape a spec's model gets: from the task's catalogue where it knows the shape without
    reading the data (images), else from the loaded data."""
    from zoo.registry import get_task, resolve

    task = get_task(spec.task)
    if task.shape_of is not None:
        return resolve(task.shape_of)(spec)
    from zoo.data import load_data

    return load_data(spec, data_dir).shape
