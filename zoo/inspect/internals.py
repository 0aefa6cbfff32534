"""A Module's own dictionaries: `_parameters`, `_buffers`, `_modules`, the hooks, the state_dict."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

from zoo.inspect.guards import hook_counts
from zoo.registry import SpecError


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
    """One module's own dictionaries, as the source material lists them: `_parameters`, `_buffers` (and which
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
    parameter or a buffer. Non-persistent buffers are not in it (see `module_internals`). The tensors
    are those `state_dict()` returns, detached (requires_grad False, as torch.save writes them);
    `keep_vars=True` only tells which key is a parameter."""
    params = {id(p) for p in model.parameters()}
    kinds = {key: "parameter" if id(t) in params else "buffer" for key, t in model.state_dict(keep_vars=True).items()}
    return [{"key": key, "kind": kinds[key], **_tensor_info(t)} for key, t in model.state_dict().items()]
