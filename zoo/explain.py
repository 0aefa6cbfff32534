"""Explanations: Grad-CAM and Grad-CAM++ for image models, gradient saliency for any model.

Grad-CAM (Selvaraju et al., 2017) weights a convolutional layer's feature maps A_k by the mean
gradient of the target class's score y_c, the logit before softmax, with respect to them, sums
them and keeps the positive part: L = ReLU(sum_k w_k A_k), w_k = mean_ij dy_c/dA_k(i, j).
Grad-CAM++ (Chattopadhyay et al., 2018) weights each position's positive gradient by
alpha = g^2 / (2 g^2 + sum(A) g^3), as pytorch-grad-cam does. The map is placed on the input's pixels
(bilinear between its cells' receptive-field centres: `cell_centers`, where pytorch-grad-cam stretches it over
the image) and scaled to [0, 1] per image.

How it is taken matters: a forward hook keeps the layer's output and hands the rest of the network
a clone, so a following `nn.ReLU(inplace=True)` cannot overwrite the feature maps or break the
graph (full backward hooks on modules fail there), and `torch.autograd.grad` gives the gradient
without touching any parameter's `.grad`. The model keeps its train/eval flags, device and dtype,
and the hook is removed even on an error.

For series models (and image models without convolutions) `saliency` gives |d score / d input|
over the input window's time steps x features (or pixels).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from zoo.inspect.guards import (HookSet, _cudnn_for_backward, model_place, one_at_a_time, preserved,
                               within_demo_room)
from zoo.registry import SpecError, get_task

METHODS = ("gradcam", "gradcam++")


def conv_layers(model: nn.Module) -> list[str]:
    """Qualified names of the 2-D convolutions, in the order the model defines them: the layers
    whose (batch, channels, height, width) feature maps Grad-CAM can weight."""
    return [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def no_conv_message(model: nn.Module, model_name: str | None = None) -> str:
    name = model_name or type(model).__name__
    return (f"model {name!r} has no 2-D convolutional layer, so Grad-CAM has no spatial feature map to "
            "weight; use gradient saliency (--method saliency) or a model with convolutions (cnn).")


def default_layer(model: nn.Module) -> str:
    """The last convolution: the most semantic feature maps that still keep a spatial layout."""
    layers = conv_layers(model)
    if not layers:
        raise SpecError(no_conv_message(model))
    return layers[-1]


@dataclass
class CamResult:
    cam: np.ndarray            # (B, H, W) at the input's size, each image scaled to [0, 1]
    low_res: np.ndarray        # (B, h, w) the layer's own resolution, before upsampling and scaling
    target: list[int]          # the class whose logit was explained, per image
    predicted: list[int]
    probabilities: np.ndarray  # (B, classes) softmax of the logits
    layer: str
    method: str
    placed: bool = True        # cam's cells at their receptive fields' centres (cell_centers); False: stretched


def _targets(logits: torch.Tensor, target) -> torch.Tensor:
    classes = logits.shape[1]
    if target is None:
        return logits.argmax(1)
    values = [target] * logits.shape[0] if isinstance(target, (int, np.integer)) else list(target)
    if len(values) != logits.shape[0]:
        raise SpecError(f"give one target class per image ({logits.shape[0]}), or one for all.")
    for v in values:
        if not isinstance(v, (int, np.integer)) or not 0 <= int(v) < classes:
            raise SpecError(f"target class {v!r} is not a class of this model; use 0 to {classes - 1}.")
    return torch.tensor([int(v) for v in values], device=logits.device)


def _as_batch(x: torch.Tensor, dims: int) -> torch.Tensor:
    x = x.detach()
    return x.unsqueeze(0) if x.dim() == dims - 1 else x


@one_at_a_time
def grad_cam(model: nn.Module, x: torch.Tensor, *, target=None, layer: str | None = None,
             method: str = "gradcam") -> CamResult:
    """Grad-CAM (or Grad-CAM++) of `target` (default: each image's predicted class) at `layer`
    (default: the last Conv2d) for the images `x` (B x C x H x W, or one C x H x W image), as the
    model sees them (normalised). Runs in eval mode; the model is given back as it was."""
    if method not in METHODS:
        raise SpecError(f"method {method!r} is unknown; use one of {', '.join(METHODS)}.")
    modules = dict(model.named_modules())
    if layer is None:
        layer = default_layer(model)
    elif not layer or layer not in modules:
        options = conv_layers(model)
        hint = f"pick one of its conv layers: {', '.join(options)}" if options else no_conv_message(model)
        raise SpecError(f"the model has no layer {layer!r}; {hint}.".replace("..", "."))
    device, dtype = model_place(model)
    x = _as_batch(x, 4).to(device=device, dtype=dtype).clone()
    if x.dim() != 4:
        raise SpecError(f"Grad-CAM needs images (batch, channels, height, width), not shape {list(x.shape)}.")
    within_demo_room(model, x)
    kept: dict[str, torch.Tensor] = {}

    def hook(module, args, output):
        if not isinstance(output, torch.Tensor):
            return None
        kept["maps"] = output
        return output.clone()   # the rest of the network works on a copy: inplace ops cannot touch ours

    with preserved(model), HookSet() as hooks:
        model.eval()
        hooks.add(modules[layer].register_forward_hook(hook))
        with torch.enable_grad(), _cudnn_for_backward(model, x):
            x.requires_grad_(True)   # so that gradients flow even into frozen layers
            logits = model(x)
            if not isinstance(logits, torch.Tensor) or logits.dim() != 2:
                raise SpecError("Grad-CAM needs a classifier that returns (batch, classes) logits.")
            targets = _targets(logits, target)
            maps = kept.get("maps")
            if maps is None or maps.dim() != 4:
                shape = "no tensor" if maps is None else f"shape {list(maps.shape)}"
                raise SpecError(f"layer {layer!r} gives {shape}; Grad-CAM needs a (batch, channels, height, "
                                f"width) feature map: pick one of {', '.join(conv_layers(model)) or 'none'}.")
            score = logits.gather(1, targets[:, None]).sum()  # the logits, not softmax
            (grads,) = torch.autograd.grad(score, maps)
    maps, grads = maps.detach().double(), grads.detach().double()
    if method == "gradcam":
        weights = grads.mean(dim=(2, 3))
    else:
        g2, g3 = grads ** 2, grads ** 3
        sum_maps = maps.sum(dim=(2, 3), keepdim=True)
        alpha = g2 / (2 * g2 + sum_maps * g3 + 1e-6)
        alpha = torch.where(grads != 0, alpha, torch.zeros_like(alpha))
        weights = (alpha * grads.clamp(min=0)).sum(dim=(2, 3))
    low = F.relu((weights[:, :, None, None] * maps).sum(dim=1))
    centers = cell_centers(model, layer, tuple(x.shape[-2:]), tuple(low.shape[-2:]))
    up = place_on_input(low, x.shape[-2:], centers)
    return CamResult(cam=_unit_scale(up).float().cpu().numpy(), low_res=low.float().cpu().numpy(),
                     target=targets.tolist(), predicted=logits.argmax(1).tolist(),
                     probabilities=torch.softmax(logits.detach().float(), 1).cpu().numpy(),
                     layer=layer, method=method, placed=centers is not None)


GEOMETRY = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)   # the modules whose kernel, stride and padding move a map's cells
NO_GEOMETRY = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.ELU, nn.BatchNorm2d, nn.Dropout,
               nn.Dropout2d, nn.Identity)


def cell_centers(model: nn.Module, layer: str, image: tuple[int, int], cells: tuple[int, int]):
    """Where each cell of `layer`'s map is centred on the input, per axis: (first, step) pairs, from the receptive
    field arithmetic of the modules before it (each kernel k, stride s, padding p, dilation d: a step of s cells,
    the first cell's centre moved by ((k - 1) d / 2 - p) input steps), in the order the model registers them, which
    is the order the zoo's models run them. None where a module before it is not one whose geometry is known, the
    layer is a container, or the arithmetic does not give the map's own size: the map is then stretched over the
    image, as pytorch-grad-cam does. LeNet's unpadded convolutions centre its last map's 8 cells on pixels 6.5
    to 20.5 of 28; stretched, a digit's lower stroke at row 20 drew its heat at row 26, on the blank border below
    (a learner's check)."""
    first, step, size = [0.0, 0.0], [1.0, 1.0], list(image)
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            if name == layer:
                return None   # a block's output: its own leaves come after it in this walk
            continue   # a container: its leaves come next
        if isinstance(module, GEOMETRY):
            if getattr(module, "ceil_mode", False) or isinstance(getattr(module, "padding", 0), str):
                return None
            for axis in (0, 1):
                k, s, p, d = (_pair(getattr(module, a, 1))[axis] for a in ("kernel_size", "stride", "padding",
                                                                            "dilation"))
                if isinstance(module, nn.AvgPool2d):
                    d = 1
                size[axis] = (size[axis] + 2 * p - d * (k - 1) - 1) // s + 1
                first[axis] += ((k - 1) * d / 2 - p) * step[axis]
                step[axis] *= s
        elif not isinstance(module, NO_GEOMETRY):
            return None
        if name == layer:
            return tuple(zip(first, step)) if tuple(size) == tuple(cells) else None
    return None


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def place_on_input(low: torch.Tensor, image, centers) -> torch.Tensor:
    """The low-resolution maps (B x h x w) on the input's pixels (B x H x W): bilinear between the cells' centres
    (`cell_centers`), a pixel beyond the outer centres taking the outer cell's value (its receptive field reaches
    there); without centres, stretched over the image (bilinear, align_corners=False, as pytorch-grad-cam)."""
    if centers is None:
        return F.interpolate(low[:, None], size=tuple(image), mode="bilinear", align_corners=False)[:, 0]
    axes = []
    for (first, step), pixels, cells in zip(centers, image, low.shape[-2:]):
        at = (torch.arange(pixels, dtype=low.dtype, device=low.device) - first) / step   # a pixel, in cells
        axes.append(2 * at / (cells - 1) - 1 if cells > 1 else torch.zeros_like(at))
    grid = torch.stack(torch.meshgrid(axes[0], axes[1], indexing="ij")[::-1], dim=-1)   # grid_sample wants (x, y)
    grid = grid[None].expand(low.shape[0], -1, -1, -1)
    return F.grid_sample(low[:, None], grid, mode="bilinear", padding_mode="border", align_corners=True)[:, 0]


def _unit_scale(maps: torch.Tensor) -> torch.Tensor:
    """Each map to [0, 1] (min to 0, max to 1); a flat map becomes all zeros."""
    flat = maps.flatten(1)
    low = flat.min(1).values.view(-1, *[1] * (maps.dim() - 1))
    span = (flat.max(1).values - flat.min(1).values).view(-1, *[1] * (maps.dim() - 1))
    return torch.where(span > 0, (maps - low) / span.clamp(min=1e-30), torch.zeros_like(maps))


@dataclass
class SaliencyResult:
    saliency: np.ndarray       # image: (B, H, W) max |gradient| over channels; series: (B, L, C)
    scaled: np.ndarray         # the same, each sample scaled to [0, 1]
    target: list | None        # image: the class per sample; series: the horizon step (None: all)
    output: np.ndarray         # the model's output for the batch


def adds_last_value_back(model: nn.Module) -> bool:
    """Whether a series model's forecast is its network's output plus the window's last value (window_norm `last`,
    NLinear: zoo/models/common.normalise_window): that add-back alone gives the last step a gradient of 1 per
    forecast step, which buries what the network learned in a saliency map (a learner's check)."""
    return getattr(model, "window_norm", None) == "last"


SALIENCY_PARTS = ("forecast", "network")


@one_at_a_time
def saliency(model: nn.Module, x: torch.Tensor, *, target=None, part: str = "forecast") -> SaliencyResult:
    """Gradient saliency (Simonyan et al., 2014): |d score / d input| for each input element.

    Images (B x C x H x W): the score is the target class's logit (default: the predicted class);
    the map is the largest |gradient| over channels, per pixel. Series windows (B x L x C): the
    score is the forecast at horizon step `target` (0-based; default None: the sum of all steps), and the
    map covers every time step and feature of the window. `part="network"` (a series model that adds the window's
    last value back, `adds_last_value_back`) scores the forecast minus that value: what the network added.
    """
    if part not in SALIENCY_PARTS:
        raise SpecError(f"part {part!r} is unknown; use {' or '.join(SALIENCY_PARTS)}.")
    if part == "network" and (x.dim() == 4 or not adds_last_value_back(model)):
        raise SpecError("part 'network' is of a series model that adds the window's last value back to its "
                        "forecast (window_norm last, or linear's nlinear); this model does not: explain its whole "
                        "forecast (part forecast).")
    device, dtype = model_place(model)
    x = x.detach().to(device=device, dtype=dtype).clone()
    image = x.dim() == 4
    if not image and x.dim() == 2:
        x = x.unsqueeze(0)
    within_demo_room(model, x)
    with preserved(model):
        model.eval()
        with torch.enable_grad(), _cudnn_for_backward(model, x):
            x.requires_grad_(True)
            out = model(x)
            # the forecast minus the window's last target value (the last channel): what the network added to it
            scored = out - x[:, -1, -1:] if part == "network" else out
            if image:
                targets = _targets(out, target)
                score = out.gather(1, targets[:, None]).sum()
                chosen = targets.tolist()
            else:
                if target is None:
                    score, chosen = scored.sum(), None
                else:
                    if not isinstance(target, (int, np.integer)) or not 0 <= int(target) < out.shape[1]:
                        raise SpecError(f"horizon step {target!r} is outside the forecast; "
                                        f"use 0 to {out.shape[1] - 1}.")
                    score, chosen = scored[:, int(target)].sum(), int(target)
            (grad,) = torch.autograd.grad(score, x)
    sal = grad.detach().abs()
    if image:
        sal = sal.amax(dim=1)
    peak = sal.flatten(1).amax(1).view(-1, *[1] * (sal.dim() - 1))
    scaled = torch.where(peak > 0, sal / peak.clamp(min=1e-30), torch.zeros_like(sal))
    return SaliencyResult(saliency=sal.float().cpu().numpy(), scaled=scaled.float().cpu().numpy(),
                          target=chosen, output=out.detach().float().cpu().numpy())


# ---------------------------------------------------------------- pictures

def jet(values: np.ndarray) -> np.ndarray:
    """The 'jet' colormap (blue, cyan, yellow, red) for values in [0, 1]: uint8 (..., 3)."""
    v = np.clip(np.asarray(values, dtype=np.float64), 0, 1)
    rgb = np.stack([np.clip(1.5 - np.abs(4 * v - c), 0, 1) for c in (3, 2, 1)], axis=-1)
    return (rgb * 255).round().astype(np.uint8)


def to_display(image: np.ndarray | torch.Tensor, mean: float | None = None, std: float | None = None) -> np.ndarray:
    """A model input (C x H x W or H x W, normalised with mean/std) as an H x W x 3 float image in [0, 1]."""
    img = image.detach().float().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image, np.float64)
    if mean is not None and std is not None:
        img = img * std + mean
    else:
        img = (img - img.min()) / max(float(img.max() - img.min()), 1e-12)
    img = np.clip(img, 0, 1)
    if img.ndim == 3:
        img = img[0] if img.shape[0] == 1 else np.moveaxis(img[:3], 0, -1)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return img


def overlay(image: np.ndarray, cam: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The heatmap blended over the image (H x W x 3 in [0, 1]): uint8 H x W x 3."""
    heat = jet(cam).astype(np.float64) / 255
    blended = np.clip((1 - alpha) * image + alpha * heat, 0, 1)
    return (blended * 255).round().astype(np.uint8)


def save_png(path: str | Path, rgb: np.ndarray, scale: int = 1) -> Path:
    """Write an H x W x 3 uint8 image as PNG (Pillow, which torchvision already needs), enlarged
    `scale` times with nearest-neighbour so that every input pixel stays a visible square."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(np.ascontiguousarray(rgb), mode="RGB") if rgb.ndim == 3 else Image.fromarray(rgb)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    img.save(path, format="PNG")
    return path


# ---------------------------------------------------------------- on a saved run

@dataclass
class RunExplanation:
    run_id: str
    index: int
    label: int | None
    class_names: list[str]
    input: np.ndarray          # the tensor fed to the model, 1 x C x H x W (image) or 1 x L x C (series)
    display: np.ndarray | None  # image: H x W x 3 in [0, 1], un-normalised
    cam: np.ndarray            # H x W (image) or L x C (series saliency), in [0, 1]
    target: int | None
    predicted: int | None
    probability: float | None  # softmax probability of the target class
    layer: str                 # qualified module name ("" for saliency, which has no layer)
    method: str
    step: int | None = None    # series: the forecast step explained, 1 to the horizon (None: every step summed)
    part: str | None = None    # series: what was scored (SALIENCY_PARTS)


def load_test_data(run, data_dir=None):
    """The run's data as it was trained on (same split and normalisation), from `data_dir`, else the datasets'
    folder the run was given (Run.data_dir), else the default; or a SpecError."""
    from zoo.data import load_data

    return load_data(run.spec, data_dir or run.data_dir)


def run_model(run) -> nn.Module:
    try:
        return run.model
    except FileNotFoundError:
        raise SpecError(f"{run.path} has no best.pt checkpoint yet; wait for the run to save one.") from None
    except RuntimeError as exc:
        raise SpecError(f"{run.path}/best.pt does not fit the run's model: {str(exc).splitlines()[0]}") from None


def explain_run(run, index: int, *, layer: str | None = None, target: int | None = None,
                method: str = "gradcam", data_dir=None, data=None, step: int | None = None,
                part: str | None = None) -> RunExplanation:
    """Grad-CAM / Grad-CAM++ / saliency for test sample `index` of a saved run, on its best weights: of class `target`
    (an image model), or of forecast `step` (a series model: 1 to the horizon, as the Inspect page numbers them) and
    its `part` (default: what the network adds where it adds the window's last value back, as on the page). `run`: a
    zoo.runs.Run, or its folder."""
    from zoo.runs import Run, load_run

    if not isinstance(run, Run):
        run = load_run(run)
    classifies = get_task(run.spec.task).classifies
    if method not in METHODS + ("saliency",):
        raise SpecError(f"method {method!r} is unknown; use gradcam, gradcam++ or saliency.")
    # The model first: a leaderboard whose pick is no model of the zoo has nothing to explain by any method
    # (it had said "use --method saliency", which then said so: a CLI user's check).
    model = run_model(run)
    if not classifies and method != "saliency":
        raise SpecError(f"run {run.run_id} is a {run.spec.task} model: Grad-CAM explains a class of an image "
                        "classifier; use --method saliency.")
    if method != "saliency" and layer is None and not conv_layers(model):
        raise SpecError(no_conv_message(model, run.spec.model))
    if classifies and (step is not None or part is not None):
        raise SpecError(f"run {run.run_id} is an image model: --step and --part are of a series model's forecast; "
                        "choose the class to explain with --target.")
    if not classifies:
        if target is not None:   # the forecast's steps were 0-based here and 1-based on the page (a learner's check)
            raise SpecError(f"run {run.run_id} is a series model: --target is an image model's class; choose the "
                            f"forecast step to explain with --step (1 to {run.shape.horizon}).")
        if step is not None and not 1 <= step <= run.shape.horizon:
            raise SpecError(f"--step {step} is outside the forecast; use 1 to {run.shape.horizon}.")
        target = None if step is None else step - 1
        part = part or ("network" if adds_last_value_back(model) else "forecast")
    data = data if data is not None else load_test_data(run, data_dir)
    n = len(data.x_test)
    if not isinstance(index, (int, np.integer)) or not 0 <= index < n:
        raise SpecError(f"index {index} is outside the test set; use 0 to {n - 1}.")
    x = data.x_test[index:index + 1].float()
    label = int(data.y_test[index]) if classifies else None
    extra = getattr(data, "extra", {}) or {}
    if method == "saliency":
        result = saliency(model, x, target=target, **({} if classifies else {"part": part}))
        cam = result.scaled[0]
        chosen = result.target[0] if isinstance(result.target, list) else result.target
        if classifies:
            probs = torch.softmax(torch.from_numpy(result.output), 1)[0]
            predicted, probability = int(probs.argmax()), float(probs[chosen])
        else:
            predicted, probability = None, None
        used_layer = ""
    else:
        result = grad_cam(model, x, target=target, layer=layer, method=method)
        cam, chosen, predicted = result.cam[0], result.target[0], result.predicted[0]
        probability, used_layer = float(result.probabilities[0, chosen]), result.layer
    display = to_display(x[0], extra.get("mean"), extra.get("std")) if classifies else None
    return RunExplanation(run_id=run.run_id, index=int(index), label=label, class_names=list(data.class_names),
                          input=x.numpy(), display=display, cam=cam, target=chosen, predicted=predicted,
                          probability=probability, layer=used_layer, method=method,
                          step=None if classifies else step, part=None if classifies else part)
