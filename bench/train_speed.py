"""Engine vs the textbook loop: one epoch of the LeNet-style cnn on the full Fashion-MNIST.

    python bench/train_speed.py [--rounds 5] [--device cpu] [--data-dir DIR]

The textbook loop is the source material's idiom (docs/architecture.md): torchvision dataset + ToTensor() + Normalize +
DataLoader(batch_size=64, shuffle=True). The engine holds the whole set as one tensor on the
device and slices it by shuffled indices. Same model, seed, optimizer and batch size; runs are
alternated (engine, textbook, textbook, engine, ...) so that drift of the machine hits both alike. Prints
samples/s of each training pass, each round's ratio and their median, and both test accuracies.

Data: Debian's package `dataset-fashion-mnist` (`apt-get install dataset-fashion-mnist`) puts the
official IDX files in /usr/share/datasets/fashion-mnist; the engine copies them into the data
folder on first use. Elsewhere torchvision downloads them, or put the four files in
<data-dir>/FashionMNIST/raw/.
"""
from __future__ import annotations

import argparse
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


def engine_epoch(device: str, data_dir, seed: int) -> dict:
    spec = ExperimentSpec(data="fashion-mnist", model="cnn", epochs=1, batch_size=64, lr=2e-3, seed=seed,
                          device=device, patience=0)
    from zoo.data import load_data

    data = load_data(spec, data_dir)
    result = fit(spec, data=data)
    row = result.history[0]
    return {"samples_per_s": row["samples_per_s"], "seconds": row["seconds"],
            "test_accuracy": result.test_metrics["test_accuracy"], "train_samples": len(data.x_train)}


def textbook_epoch(device: str, data_dir, seed: int) -> dict:
    import torchvision
    from torchvision import transforms

    root = IMAGE_DATASETS["fashion-mnist"].root(data_dir)
    read_raw("fashion-mnist", data_dir)  # makes sure the raw files are in place, as for the engine
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])
    train = torchvision.datasets.FashionMNIST(root, train=True, download=False, transform=tf)
    test = torchvision.datasets.FashionMNIST(root, train=False, download=False, transform=tf)
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
    args = parser.parse_args()
    device = str(resolve_device(args.device))
    read_raw("fashion-mnist", args.data_dir)

    rows = []
    for r in range(args.rounds):
        loops = (("engine", engine_epoch), ("textbook", textbook_epoch))
        for name, run in (loops if r % 2 == 0 else loops[::-1]):  # ABBA order: drift hits both alike
            out = run(device, args.data_dir, seed=r)
            rows.append({"round": r + 1, "loop": name, **out})
            print(f"round {r + 1} {name:9s} {out['samples_per_s']:9.0f} samples/s  {out['seconds']:6.1f} s  "
                  f"test acc {out['test_accuracy']:.4f}", file=sys.stderr, flush=True)

    def med(loop, key):
        return statistics.median(row[key] for row in rows if row["loop"] == loop)

    engine_sps, textbook_sps = med("engine", "samples_per_s"), med("textbook", "samples_per_s")
    engine_acc, textbook_acc = med("engine", "test_accuracy"), med("textbook", "test_accuracy")
    print(f"\nOne epoch of cnn (LeNet defaults) on Fashion-MNIST, device {device}, batch 64, "
          f"{args.rounds} alternated rounds (median)\n")
    print("| loop | train samples | samples/s | epoch s | test accuracy |")
    print("|---|---:|---:|---:|---:|")
    for loop in ("engine", "textbook"):
        print(f"| {loop} | {med(loop, 'train_samples'):.0f} | {med(loop, 'samples_per_s'):.0f} | "
              f"{med(loop, 'seconds'):.1f} | {med(loop, 'test_accuracy'):.4f} |")
    # This machine's speed drifts by 2-3x from minute to minute (other tenants of the host), so each
    # round's ratio compares the two loops under the same conditions; their median is the result.
    round_ratios = []
    for r in range(1, args.rounds + 1):
        sps = {row["loop"]: row["samples_per_s"] for row in rows if row["round"] == r}
        round_ratios.append(sps["engine"] / sps["textbook"])
    print("\nper-round ratio engine/textbook: " + ", ".join(f"{x:.2f}x" for x in round_ratios))
    print(f"speed ratio engine/textbook: {statistics.median(round_ratios):.2f}x (median of rounds; "
          f"ratio of the medians {engine_sps / textbook_sps:.2f}x)   "
          f"accuracy difference: {100 * (engine_acc - textbook_acc):+.2f} points")


if __name__ == "__main__":
    main()
