"""The labs: initialisation schemes side by side, train() against eval(), precisions, and the hooks
lab (forward and backward hooks on chosen layers for one batch, all removed afterwards).
"""
from __future__ import annotations

import copy
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Iterator

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrize

from zoo.inspect.guards import (PRECISION_BYTES, PRECISION_DTYPES, HookSet, _cudnn_for_backward, _first_tensor,
                                _is_parametrization_internal, hook_counts, inplace_disabled, model_place, one_at_a_time,
                                preserved, within_demo_room)
from zoo import demo
from zoo.registry import DataShape, SpecError, get_task


def dropout_demo(p: float, n: int = 12, seed: int = 0) -> dict:
    """nn.Dropout(p) on a vector of ones, in train() and in eval(): zeros and 1/(1-p) in training,
    the input unchanged in evaluation (not multiplied by p, as the source material claims: docs/architecture.md)."""
    layer = nn.Dropout(p)
    ones = torch.ones(n)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        train = layer.train()(ones)
    return {"p": p, "input": ones.tolist(), "train": train.tolist(), "eval": layer.eval()(ones).tolist(),
            "scale": 1.0 / (1.0 - p) if p < 1 else float("inf")}


def expected_std(scheme: str, weight: torch.Tensor) -> float | None:
    """The standard deviation an init scheme aims at for this weight (None where it depends on the layer)."""
    if weight.dim() < 2:
        return None
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(weight)
    if scheme in ("xavier_uniform", "xavier_normal"):
        return math.sqrt(2.0 / (fan_in + fan_out))
    if scheme in ("kaiming_uniform", "kaiming_normal"):
        return math.sqrt(2.0 / fan_in)          # zoo.initialisation uses nonlinearity="relu", mode fan_in
    if scheme == "normal":
        return 0.01
    if scheme == "zeros":
        return 0.0
    if scheme == "orthogonal":
        rows = weight.shape[0]
        return math.sqrt(1.0 / max(rows, weight.numel() // rows))
    return None


DROPOUTS = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)
BATCHNORMS = (nn.modules.batchnorm._BatchNorm,)


@dataclass
class InitLab:
    scheme: str
    weights: list[dict]          # per weight matrix: layer, param, shape, fan_in/out, mean, std, expected_std, values
    activations: list[dict]      # per layer in forward order: layer, type, mean, std, zero_fraction
    symmetry: list[dict] = field(default_factory=list)   # after `steps` SGD steps: distinct units per layer
    # the parameters with a non-zero gradient at the first step (with zero init: the output layers' alone,
    # zoo/initialisation.learning_at_the_first_step), and those that had none then but changed in a later step
    learned_at_first_step: list[str] = field(default_factory=list)
    learned_later: list[str] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)      # the loss at each of those steps
    steps: int = 0   # the SGD steps asked for; len(loss) were taken: fewer where the hosted demo's time ran out


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


@one_at_a_time
def init_lab(model_name: str, shape: DataShape, params: dict | None, x: torch.Tensor, scheme: str, *,
             y: torch.Tensor | None = None, steps: int = 0, lr: float = 0.05, seed: int = 0,
             max_values: int = 20000, train_batch: int = 32) -> InitLab:
    """A fresh `model_name` initialised with `scheme` (zoo.initialisation.weight_init, through Module.apply):
    its weights' distributions, and the std of each layer's output on the batch `x`, in eval mode but for
    BatchNorm, which normalises with the batch's own statistics as in the first training step. In eval mode a
    fresh BatchNorm's running statistics (mean 0, variance 1) pass the signal through unchanged, and N(0, 0.01)
    read as dying through a CNN whose BatchNorm rescues it in training (a learner's check). Dropout stays off:
    its noise is not the initialisation's. The model is thrown away, so its running statistics may move.

    With `steps` > 0 it then takes that many SGD steps on the first `train_batch` samples of (x, y)
    and counts, per weight matrix, how many units (rows) are still distinct (with zero init they
    stay identical, but where a model's hidden output is not 0 with zero weights: a transformer's
    positional encoding), which parameters had a gradient at the first step, and which changed only later.
    A fresh model is built so that a trained one is never overwritten.
    """
    from zoo.initialisation import INITS, weight_init, with_a_gradient
    from zoo.registry import build

    if scheme != "default" and scheme not in INITS:
        raise SpecError(f"init scheme {scheme!r} is unknown; use one of {', '.join(INITS)}.")
    x = x.detach()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build(model_name, shape, params)
        init = weight_init(scheme)
        if init is not None:
            model.apply(init)
    model.to(device=x.device, dtype=x.dtype if x.is_floating_point() else torch.float32).eval()
    for module in model.modules():
        if isinstance(module, BATCHNORMS):
            module.train()
    within_demo_room(model, x)

    weights = []
    picker = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer, pname, _, w in _weight_tensors(model):
            # a copy, not a view the symmetry check's SGD steps change in place (a small layer's histogram, kept
            flat = w.detach().flatten().float().cpu().clone()   # whole, showed them after: a learner's check)
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

    lab = InitLab(scheme=scheme, weights=weights, activations=activations, steps=steps)
    if steps > 0:
        if y is None:
            raise SpecError("the symmetry check trains a few steps and needs targets y.")
        model.train()
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        params = [p for _, p in named]
        start = [p.detach().clone() for p in params]
        x, y = x[:train_batch], y[:train_batch]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            deadline = demo.inspection_deadline()   # the hosted demo's time for a look inside a model
            for _ in range(steps):
                if deadline is not None and time.monotonic() >= deadline:
                    break
                out = model(x)
                loss = get_task(shape.task).loss(out, y)
                grads = torch.autograd.grad(loss, params, allow_unused=True)
                if not lab.loss:
                    lab.learned_at_first_step = with_a_gradient(named, grads)
                with torch.no_grad():   # plain SGD by hand: torch.optim's first use imports torch._dynamo (seconds)
                    for p, g in zip(params, grads):
                        if g is not None:
                            p -= lr * g
                lab.loss.append(loss.item())
        with torch.no_grad():
            for layer, pname, _, w in _weight_tensors(model):
                rows = w.detach().flatten(1).float()
                # Rounded relative to the weight's own largest value: equal rows computed in another order differ
                # in their last bits, and a fixed 1e-6 counted a zero-init transformer's embedding rows, all
                # different at 1e-8 after a few steps, as one (a learner's check)
                scale = rows.abs().max()
                distinct = torch.unique(torch.round(rows / scale * 1e6), dim=0).shape[0] if scale > 0 else 1
                lab.symmetry.append({"layer": layer, "param": pname, "units": rows.shape[0], "distinct": distinct})
            lab.learned_later = [n for (n, p), p0 in zip(named, start)
                                 if n not in lab.learned_at_first_step and not torch.equal(p, p0)]
    return lab


# ---------------------------------------------------------------- modes and precision


@one_at_a_time
def compare_modes(model: nn.Module, x: torch.Tensor, *, seed: int = 0) -> dict:
    """One batch through a copy of `model` in eval() and then in train(): what Dropout and
    BatchNorm really do in each (PyTorch's semantics, not the source material's).

    Dropout in train mode zeroes each element with probability p and multiplies the kept ones by
    1/(1-p), so the expected value is unchanged; in eval mode it is the identity. BatchNorm in
    train mode normalises with this batch's mean and variance and updates its running stats; in
    eval mode it uses the running stats. The caller's model is not touched (its running stats
    would change), so this works on a deep copy.
    """
    within_demo_room(model, x)
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


def float_bits(dtype: torch.dtype) -> dict:
    """How a floating dtype stores a number, from torch.finfo: its exponent bits (its range), the fraction bits it
    stores (the leading 1 is implicit) and the decimal digits those give, and its largest value."""
    import math

    info = torch.finfo(dtype)
    fraction = round(-math.log2(info.eps))
    return {"exponent": info.bits - fraction - 1, "fraction": fraction, "digits": (fraction + 1) * math.log10(2),
            "max": info.max}


@one_at_a_time
def compare_precisions(model: nn.Module, x: torch.Tensor, precisions=("fp32", "fp16", "bf16", "fp64")) -> list[dict]:
    """The model cast to each precision (a copy): bytes of its parameters and how far its output
    is from the fp32 output on the same batch, in eval mode."""
    within_demo_room(model, x)
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
        bad = int((~torch.isfinite(out)).sum())
        row["finite"] = not bad
        if bad:
            # Said, not differences of inf or NaN (the page showed "None / None / 0%" for fp16 of a model trained at
            # lr 1, as if the app had failed: a learner's check)
            largest = torch.finfo(dtype).max if dtype.is_floating_point else None
            row["note"] = (f"the {name} output is not finite: {bad:,} of {out.numel():,} values are inf or NaN, as "
                           "numbers past its range overflow" + (f" (its largest is {largest:g})" if largest else ""))
            rows.append(row)
            continue
        diff = (out - reference).abs()
        row.update(max_abs_diff=diff.max().item(), mean_abs_diff=diff.mean().item(),
                   max_rel_diff=(diff.max() / reference.abs().max().clamp(min=1e-30)).item())
        if reference.dim() == 2 and reference.shape[1] > 1 and x.dim() == 4:
            row["prediction_agreement"] = (out.argmax(1) == reference.argmax(1)).double().mean().item()
        rows.append(row)
    return rows


# ---------------------------------------------------------------- hooks lab

def hookable_layers(model: nn.Module) -> list[str]:
    """Qualified names of the submodules one can hook (weight_norm's internals left out)."""
    return [n for n, _ in model.named_modules() if n and not _is_parametrization_internal(n)]


def weighted_layers(model: nn.Module) -> list[str]:
    """The layers that hold weights (Linear, Conv, RNN, norm...), in definition order, but those whose parent
    uses their weights without calling them (never_called_layers): no hook on those fires."""
    skipped = set(never_called_layers(model))
    return [n for n, m in _leaf_layers(model) if any(True for _ in m.parameters()) and n not in skipped]


def never_called_layers(model: nn.Module) -> list[str]:
    """Submodules a forward pass never calls: nn.MultiheadAttention hands its `out_proj`'s weight and bias to
    F.multi_head_attention_forward rather than calling it (torch/nn/modules/activation.py), so a hook on
    `...self_attn.out_proj` never fires, though its weights get gradients (the Hooks tab had said "no gradient
    reached" it: a learner's check)."""
    return [f"{n}.out_proj" if n else "out_proj" for n, m in model.named_modules()
            if isinstance(m, nn.MultiheadAttention) and isinstance(getattr(m, "out_proj", None), nn.Module)]


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
    batch_size: int = 0                    # the batch's samples (activations and their stats keep `keep` of them)


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


@one_at_a_time
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
    within_demo_room(model, x)
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

    ran: set[str] = set()

    def forward_hook(name):
        def hook(module, args, output):
            ran.add(name)
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
    uncalled = [name for name in layers if name not in ran]
    used_directly = set(never_called_layers(model))
    if [n for n in uncalled if n in used_directly]:
        notes.append(f"{', '.join(n for n in uncalled if n in used_directly)} never ran as a module in this pass, so "
                     "no hook on it fired: its parent uses its weights directly (nn.MultiheadAttention passes "
                     "out_proj's weight and bias to F.multi_head_attention_forward). Its weights' gradients are in "
                     "the right-hand chart.")
    if [n for n in uncalled if n not in used_directly]:   # a ModuleList holds layers and is never called itself
        notes.append(f"{', '.join(n for n in uncalled if n not in used_directly)} never ran as a module in this pass, "
                     "so no hook on it fired: a container (nn.ModuleList, nn.ModuleDict) is not called itself; "
                     "hook the layers it holds.")
    silent = [g["layer"] for g in gradients if not g["fired"] and g["layer"] in ran]
    if silent:
        notes.append(f"No gradient reached the output of {', '.join(silent)}: a full backward hook only sees "
                     "tensors at the top level of a layer's output (an LSTM returns (output, (h, c)) and the "
                     "model may use h), or the output is not used by the loss.")
    return Capture(layers=layers, activations=acts, activation_stats=stats, gradients=gradients,
                   param_grads=param_grads, loss=loss.item(), mode=mode,
                   backward_method="full backward hooks" if backward == "module" else "tensor hooks",
                   hooks_during=during, hooks_after=after, notes=notes, batch_size=len(x))
