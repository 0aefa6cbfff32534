"""Engine vs the textbook loop: one epoch of the LeNet-style cnn on the full Fashion-MNIST.

    python bench/train_speed.py [--rounds 5] [--device cpu|cuda] [--cuda-graph] [--data-dir DIR]

The textbook loop is the source material's idiom (docs/architecture.md): torchvision dataset + ToTensor() + Normalize +
DataLoader(batch_size=64, shuffle=True), each batch moved to the device. The engine holds the whole
set as one tensor on the device and slices it by shuffled indices. Same model, seed, optimizer, batch
size and device; runs are alternated (engine, textbook, textbook, engine, ...) so that drift of the
machine hits both alike. Prints samples/s of each training pass, each round's ratio and their
median, and both test accuracies. `--cuda-graph` adds a third loop, the engine with the spec's
`cuda_graph` on, to the same alternation. On CUDA one untimed warm-up epoch of each loop on a few
thousand samples comes first (`--warmup`): CUDA's lazy start and cuDNN's autotuning for the batch
shapes are paid once per process, not in round 1 only.

Data: Debian's package `dataset-fashion-mnist` (`apt-get install dataset-fashion-mnist`) puts the
official IDX files in /usr/share/datasets/fashion-mnist; the engine copies them into the data
folder on first use. Elsewhere torchvision downloads them, or put the four files in
<data-dir>/FashionMNIST/raw/. `python bench/_data.py` finds or fetches them (or says what instead).
`--data` and `--limit-train` exist for bench/gpu_check.sh's dry run and its fallback.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from zoo.data.images import IMAGE_DATASETS, read_raw  # noqa: E402
from zoo.devices import resolve_device  # noqa: E402
from zoo.engine import fit  # noqa: E402
from zoo.registry import DataShape, build  # noqa: E402
from zoo.spec import ExperimentSpec  # noqa: E402


def engine_epoch(device: str, data_dir, seed: int, data: str = "fashion-mnist", limit: int = 0,
                 graph: bool = False) -> dict:
    spec = ExperimentSpec(data=data, model="cnn", epochs=1, batch_size=64, lr=2e-3, seed=seed, device=device,
                          patience=0, limit_train=limit, cuda_graph=graph)
    from zoo.data import load_data

    loaded = load_data(spec, data_dir)
    result = fit(spec, data=loaded)
    row = result.history[0]
    return {"samples_per_s": row["samples_per_s"], "seconds": row["seconds"],
            "test_accuracy": result.test_metrics["test_accuracy"], "train_samples": len(loaded.x_train)}


def textbook_epoch(device: str, data_dir, seed: int, data: str = "fashion-mnist", limit: int = 0) -> dict:
    import torchvision
    from torchvision import transforms

    dataset = IMAGE_DATASETS[data]
    root = dataset.root(data_dir)
    raw_train = read_raw(data, data_dir)[0].float().div(255)   # the raw files in place, as for the engine
    mean, std = raw_train.mean().item(), raw_train.std().item()   # Fashion-MNIST: 0.2860, 0.3530
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((mean,), (std,))])
    cls = getattr(torchvision.datasets, dataset.folder)
    train = cls(root, train=True, download=False, transform=tf)
    test = cls(root, train=False, download=False, transform=tf)
    if limit:
        train = torch.utils.data.Subset(train, range(min(limit, len(train))))
    torch.manual_seed(seed)
    loader = torch.utils.data.DataLoader(train, batch_size=64, shuffle=True)
    dev = torch.device(device)
    model = build("cnn", DataShape("image")).to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    start, seen = time.perf_counter(), 0
    for x, y in loader:
        x, y = x.to(dev), y.to(dev)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        seen += len(x)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    correct = 0
    model.eval()
    with torch.no_grad():
        for x, y in torch.utils.data.DataLoader(test, batch_size=1000):
            correct += (model(x.to(dev)).argmax(1).cpu() == y).sum().item()
    return {"samples_per_s": seen / seconds, "seconds": seconds, "test_accuracy": correct / len(test),
            "train_samples": seen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds of (engine, textbook)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--data", default="fashion-mnist", choices=tuple(IMAGE_DATASETS))
    parser.add_argument("--limit-train", type=int, default=0, help="train on the first N samples only (0: all)")
    parser.add_argument("--cuda-graph", action="store_true", help="also time the engine with cuda_graph on (CUDA)")
    parser.add_argument("--warmup", type=int, default=None,
                        help="untimed warm-up epochs of each loop on 4,160 samples (default: 1 on CUDA, 0 elsewhere)")
    parser.add_argument("--json-out", default=None, help="also write the medians and ratios to this JSON file")
    args = parser.parse_args()
    device = str(resolve_device(args.device))
    read_raw(args.data, args.data_dir)
    loops = [("engine", lambda seed, limit: engine_epoch(device, args.data_dir, seed, args.data, limit)),
             ("textbook", lambda seed, limit: textbook_epoch(device, args.data_dir, seed, args.data, limit))]
    if args.cuda_graph:
        loops.insert(1, ("engine+graph",
                         lambda seed, limit: engine_epoch(device, args.data_dir, seed, args.data, limit, graph=True)))
    names = [name for name, _ in loops]

    warmup = args.warmup if args.warmup is not None else int(device.startswith("cuda"))
    for _ in range(warmup):
        for name, run in loops:
            run(0, 4160)   # 65 batches of 64: the full batch's shapes; the short last batch's come in round 1
        print(f"warm-up: one untimed epoch of {', '.join(names)} on 4,160 samples", file=sys.stderr, flush=True)

    rows = []
    for r in range(args.rounds):
        for name, run in (loops if r % 2 == 0 else loops[::-1]):  # ABBA order: drift hits both alike
            out = run(r, args.limit_train)
            rows.append({"round": r + 1, "loop": name, **out})
            print(f"round {r + 1} {name:12s} {out['samples_per_s']:9.0f} samples/s  {out['seconds']:6.2f} s  "
                  f"test acc {out['test_accuracy']:.4f}", file=sys.stderr, flush=True)

    def med(loop, key):
        return statistics.median(row[key] for row in rows if row["loop"] == loop)

    def round_ratios(loop):
        ratios = []
        for r in range(1, args.rounds + 1):
            sps = {row["loop"]: row["samples_per_s"] for row in rows if row["round"] == r}
            ratios.append(sps[loop] / sps["textbook"])
        return ratios

    engine_acc, textbook_acc = med("engine", "test_accuracy"), med("textbook", "test_accuracy")
    print(f"\nOne epoch of cnn (LeNet defaults) on {args.data}, device {device}, batch 64, "
          f"{args.rounds} alternated rounds (median)" + (f", {warmup} warm-up" if warmup else "") + "\n")
    print("| loop | train samples | samples/s | epoch s | test accuracy |")
    print("|---|---:|---:|---:|---:|")
    for loop in names:
        print(f"| {loop} | {med(loop, 'train_samples'):.0f} | {med(loop, 'samples_per_s'):.0f} | "
              f"{med(loop, 'seconds'):.2f} | {med(loop, 'test_accuracy'):.4f} |")
    # This machine's speed drifts by 2-3x from minute to minute (other tenants of the host), so each
    # round's ratio compares the loops under the same conditions; their median is the result.
    summary = {"device": device, "data": args.data, "rounds": args.rounds, "warmup": warmup,
               "limit_train": args.limit_train, "loops": {}}
    for loop in names:
        summary["loops"][loop] = {k: med(loop, k) for k in ("samples_per_s", "seconds", "test_accuracy",
                                                            "train_samples")}
        if loop == "textbook":
            continue
        ratios = round_ratios(loop)
        summary["loops"][loop]["ratio"] = statistics.median(ratios)
        print(f"\nper-round ratio {loop}/textbook: " + ", ".join(f"{x:.2f}x" for x in ratios))
        print(f"speed ratio {loop}/textbook: {statistics.median(ratios):.2f}x (median of rounds; ratio of the "
              f"medians {med(loop, 'samples_per_s') / med('textbook', 'samples_per_s'):.2f}x)"
              + (f"   accuracy difference: {100 * (engine_acc - textbook_acc):+.2f} points" if loop == "engine"
                 else ""))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
