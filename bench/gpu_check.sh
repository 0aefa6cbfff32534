#!/usr/bin/env bash
# The GPU path, proven by one script on a machine with a CUDA GPU, in at most 6 minutes:
#
#   bash bench/gpu_check.sh             # on the GPU machine, from a copy of the repository
#   bash bench/gpu_check.sh --dry-run   # anywhere: the same steps on the CPU, a few batches each
#
# Steps: 1. a Python with requirements-dev.txt: $PYTHON if set, else .venv if it has them, else
# python3 if it has them (torch 2.14.1), else a new .venv filled by pip (torch==2.14.1 from PyPI,
# CUDA included); 2. the data (bench/_data.py: Fashion-MNIST, installed with apt-get if need be, or
# a fallback it names); 3. `pytest -m cuda` (tests/test_cuda.py and the other tests marked cuda);
# 4. bench/train_speed.py --device cuda: the engine, eager and with cuda_graph, against the
# textbook DataLoader loop on the same GPU, alternated; 5. bench/time_to_accuracy.py on CUDA, eager
# and with cuda_graph; 6. one markdown table of the figures against the goals (bench/gpu_report.py).
#
# The dry run skips the installs when the venv (or $PYTHON) has what it needs, does not apt-get,
# runs the same pytest command (the cuda tests are collected and skip, saying why), and runs the
# benches on the CPU for a few batches: it checks the script, not the goals.
#
# Exit status: 0 every cuda test passed and every goal is met (dry run: the script ran through);
# 1 a cuda test failed; 2 it could not run (no GPU without --dry-run, no Python environment);
# 3 a goal is not met. Everything the steps write goes to $GPU_CHECK_OUT (default: a temp folder).
set -uo pipefail
cd "$(dirname "$0")/.."

MODE=gpu
case "${1:-}" in
  --dry-run) MODE=dry ;;
  "") ;;
  *) echo "usage: bash bench/gpu_check.sh [--dry-run]" >&2; exit 2 ;;
esac
OUT=${GPU_CHECK_OUT:-$(mktemp -d -t gpu-check.XXXXXX)}
mkdir -p "$OUT"
START=$(date +%s)
step() { echo; echo "== $* (at $(( $(date +%s) - START )) s)"; }

# ---------------------------------------------------------------- 1. Python
step "1. Python environment"
has_requirements() {   # what the steps below import (the browser tests' Playwright is not among them)
  "$1" - <<'PY' 2>/dev/null
import importlib, sys
for name in ("torch", "torchvision", "streamlit", "pandas", "optuna", "torchinfo", "pytest", "pytest_timeout"):
    importlib.import_module(name)
import torch
sys.exit(0 if torch.__version__.split("+")[0] == "2.14.1" else 1)
PY
}
PY=${PYTHON:-}
if [ -n "$PY" ]; then
  has_requirements "$PY" || { echo "error: PYTHON=$PY lacks requirements-dev.txt (torch 2.14.1 and the rest)"; exit 2; }
elif [ -x .venv/bin/python ] && has_requirements .venv/bin/python; then
  PY=.venv/bin/python
elif command -v python3 >/dev/null && has_requirements python3; then
  PY=python3
else
  echo "installing requirements-dev.txt into .venv with pip (torch==2.14.1 from PyPI: a few minutes at most)"
  { [ -x .venv/bin/python ] || python3 -m venv .venv; } || { echo "error: python3 -m venv failed"; exit 2; }
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1
  .venv/bin/python -m pip install -q -r requirements-dev.txt \
    || { echo "error: pip could not install requirements-dev.txt; set PYTHON to an interpreter that has it"; exit 2; }
  PY=.venv/bin/python
fi
echo "python: $PY"
GPUS=$("$PY" -c "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)")
"$PY" - <<'PY'
import platform
import torch
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, Python {platform.python_version()}")
for i in range(torch.cuda.device_count() if torch.cuda.is_available() else 0):
    print(f"GPU {i}: {torch.cuda.get_device_name(i)}")
PY
if [ "$MODE" = gpu ] && [ "$GPUS" -eq 0 ]; then
  echo "error: no CUDA GPU here (torch.cuda.is_available() is False); bash bench/gpu_check.sh --dry-run walks the"
  echo "       script on the CPU"
  exit 2
fi
DEVICE=cuda
[ "$MODE" = dry ] && DEVICE=cpu

# ---------------------------------------------------------------- 2. data
step "2. data"
if [ "$MODE" = dry ]; then DATA_FLAGS=(--no-install); else DATA_FLAGS=(); fi
DATA=$("$PY" bench/_data.py "${DATA_FLAGS[@]}" 2>"$OUT/data.txt" | tail -n 1)
cat "$OUT/data.txt"
[ -n "$DATA" ] || { echo "error: bench/_data.py found no data set"; exit 2; }

# ---------------------------------------------------------------- 3. the cuda tests
step "3. pytest -m cuda"
"$PY" -m pytest -m cuda -q -rs -p no:cacheprovider --junitxml "$OUT/cuda.xml" tests/
PYTEST_RC=$?

# ---------------------------------------------------------------- 4. engine vs the textbook loop
step "4. bench/train_speed.py --device $DEVICE"
if [ "$MODE" = gpu ]; then
  SPEED_FLAGS=(--rounds 3 --cuda-graph)
else
  SPEED_FLAGS=(--rounds 1 --limit-train 1024)   # the CPU cannot take cuda_graph: refused, not timed
fi
"$PY" bench/train_speed.py --device "$DEVICE" --data "$DATA" "${SPEED_FLAGS[@]}" --json-out "$OUT/speed.json" \
  || echo "bench/train_speed.py failed (exit $?)"

# ---------------------------------------------------------------- 5. time to accuracy
step "5. bench/time_to_accuracy.py --device $DEVICE"
if [ "$MODE" = gpu ]; then
  "$PY" bench/time_to_accuracy.py --device cuda --data "$DATA" --json-out "$OUT/tta.json" \
    || echo "bench/time_to_accuracy.py failed (exit $?)"
  "$PY" bench/time_to_accuracy.py --device cuda --data "$DATA" --cuda-graph --json-out "$OUT/tta_graph.json" \
    || echo "bench/time_to_accuracy.py --cuda-graph failed (exit $?)"
else
  "$PY" bench/time_to_accuracy.py --device cpu --data "$DATA" --epochs 1 --limit-train 2048 \
    --json-out "$OUT/tta.json" || echo "bench/time_to_accuracy.py failed (exit $?)"
fi

# ---------------------------------------------------------------- 6. the table
step "6. the table"
"$PY" bench/gpu_report.py --mode "$MODE" --out "$OUT" --seconds "$(( $(date +%s) - START ))" --pytest-rc "$PYTEST_RC"
RC=$?
echo "(files in $OUT)"
exit $RC
