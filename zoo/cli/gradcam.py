"""`python -m zoo gradcam ...`: Grad-CAM (or saliency) of one test sample of a saved run, as a PNG."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from zoo.cli.common import run_dir_arg
from zoo.explain import METHODS, SALIENCY_PARTS, explain_run, jet, overlay, save_png
from zoo.registry import SpecError


def add_arguments(parser) -> None:
    parser.add_argument("--run", required=True, help="a run: its id, or its directory (Grad-CAM: of an image model; "
                                                     "saliency: of any model)")
    parser.add_argument("--runs-dir", default=None, help="where a run id is looked for (default: $PLAYGROUND_RUNS_DIR "
                                                         "or ./runs)")
    parser.add_argument("--index", type=int, required=True,
                        help="which test sample (0-based): an image, or a series' test window")
    parser.add_argument("--layer", default=None, help="qualified module name (default: the last Conv2d)")
    parser.add_argument("--target", type=int, default=None,
                        help="an image model's class to explain (default: the predicted one)")
    parser.add_argument("--step", type=int, default=None,
                        help="a series model's forecast step to explain: 1 to the horizon, as the Inspect page "
                             "numbers them (default: every step summed)")
    parser.add_argument("--part", default=None, choices=SALIENCY_PARTS,
                        help="a series model's saliency of: the whole forecast, or what its network adds to the "
                             "window's last value. Only for a model that adds that value back to its forecast "
                             "(window_norm last, or linear's nlinear variant), where it is the default, as on the "
                             "Inspect page: the add-back alone outweighs the rest of the map")
    parser.add_argument("--method", default="gradcam", choices=METHODS + ("saliency",),
                        help="gradcam (default), gradcam++, or saliency (input gradients; any model)")
    parser.add_argument("--out", required=True, help="PNG file for the overlay")
    parser.add_argument("--npz", default=None, help="also save the input, cam, target (an image's class; -1 for a "
                                                     "series), step and part (a series'), layer, method and index as .npz")
    parser.add_argument("--scale", type=int, default=8, help="enlarge the PNG this many times (default 8)")
    parser.add_argument("--alpha", type=float, default=0.5, help="opacity of the heatmap over the image")
    parser.add_argument("--data-dir", default=None, help="where torchvision datasets live")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")


def run(args) -> dict:
    if not 1 <= args.scale <= 64:
        raise SpecError(f"--scale {args.scale} must be from 1 to 64.")
    if not 0 <= args.alpha <= 1:
        raise SpecError(f"--alpha {args.alpha} must be from 0 to 1.")
    from zoo.runs import data_file_change, data_file_words, load_run

    run = load_run(run_dir_arg(args.run, args.runs_dir))
    # Said before the explanation, which may fail on the edited file ("index 300 is outside the test set" of a cut
    # CSV said nothing of the cut: a review); its test windows are the file's as it is now
    change = data_file_change(run.result, run.data)
    said = data_file_words(change, run.data, run=f"run {run.run_id}", quote="")
    if change == "gone":
        raise SpecError(f"{said}: put it, or a copy of it as it was then, back at that path.")
    if change == "changed":
        print(f"note: {said}: the test sample explained here is read from the file as it is now.", file=sys.stderr)
    result = explain_run(run, args.index, layer=args.layer, target=args.target,
                         method=args.method, data_dir=args.data_dir, step=args.step, part=args.part)
    if result.display is not None:
        picture = overlay(result.display, result.cam, args.alpha)
    else:
        picture = jet(result.cam.T)   # a series window: features as rows, time steps left to right
    try:
        out = save_png(args.out, picture, args.scale)
        npz = None
        if args.npz:
            npz = Path(args.npz)
            npz.parent.mkdir(parents=True, exist_ok=True)
            with open(npz, "wb") as fh:  # a file object: numpy would add ".npz" to a bare name
                np.savez(fh, input=result.input.astype(np.float32), cam=result.cam.astype(np.float32),
                         target=np.int64(-1 if result.target is None or result.label is None else result.target),
                         step=np.int64(-1 if result.step is None else result.step),
                         part=np.str_(result.part or ""),   # a series' map: of the forecast, or of what the network adds
                         layer=np.str_(result.layer), method=np.str_(result.method), index=np.int64(result.index))
    except OSError as exc:   # with what to do (a folder given for --out said only "[Errno 21] Is a directory")
        where = exc.filename or args.out
        fix = ("give a file name (a .png for --out, a .npz for --npz), not a folder" if Path(where).is_dir() else
               "give a path in a folder you can write to")
        raise SpecError(f"cannot write {where} ({exc.strerror or type(exc).__name__}); {fix}.") from None
    names = result.class_names
    summary = {
        "run_id": result.run_id, "index": result.index, "method": result.method, "layer": result.layer,
        # a series' step is `step` (1-based, as on the page), not a second, 0-based number
        "target": result.target if result.label is not None else None, "predicted": result.predicted, "label": result.label,
        "target_name": names[result.target] if names and result.target is not None else None,
        "probability": result.probability, "step": result.step, "part": result.part, "cam_shape": list(result.cam.shape),
        "data_file_changed": change == "changed",   # its windows are the file's as it is now (an edited CSV's
        # were explained unsaid: a docs check)
        "out": str(out), "npz": str(npz) if npz else None,
    }
    if not args.json:
        if result.label is not None:
            print(f"{result.method} of class {summary['target_name'] or result.target} at layer "
                  f"{result.layer or '(input)'} for test sample {result.index} (label {result.label}, predicted "
                  f"{result.predicted}): {out}")
        else:   # a series: no label, no layer, and its step as the page numbers it (it said "class 2" of the third
            # step: a learner's check)
            what = f"forecast step {result.step}" if result.step is not None else "every forecast step summed"
            part = " (what the network adds to the window's last value)" if result.part == "network" else ""
            print(f"{result.method} of {what}{part} for test window {result.index}: {out}")
    return summary
