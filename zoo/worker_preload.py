"""What the forkserver imports once, so that every job's worker is forked with it already loaded
(zoo/launch.py). Imports only: no tensor operation runs here, so no OpenMP thread pool or CUDA
context exists to be inherited by a fork."""
import numpy  # noqa: F401
import optuna  # noqa: F401  (search workers)
import pandas  # noqa: F401
import torch  # noqa: F401
import torchvision  # noqa: F401

import zoo.data.images  # noqa: F401
import zoo.data.series  # noqa: F401
import zoo.engine  # noqa: F401
import zoo.forecast  # noqa: F401
import zoo.models  # noqa: F401
import zoo.search  # noqa: F401
