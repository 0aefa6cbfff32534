"""The CSV loader and the windows: the corpus of awkward files, leakage, boundaries, the ETT split."""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zoo.data.series import (ETT_ROWS, SeriesFrame, load_series_data, make_windows, parse_split, read_series,
                             sample_series_path)
from zoo.registry import SpecError

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "csv_corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
SHARED_ETT = ROOT.parent.parent / "shared" / "data" / "ett" / "ETTh1.csv"
L, H = 8, 4


def _one_line(exc: SpecError) -> str:
    message = str(exc)
    assert message and "\n" not in message and "Traceback" not in message, message
    assert len(message) < 400, message
    return message


# ---------------------------------------------------------------------------------------------
# the corpus


def test_corpus_is_large_and_listed():
    files = sorted(p.name for p in CORPUS.iterdir() if p.suffix == ".csv")
    assert len(files) >= 25
    assert sorted(EXPECTED) == files
    assert set(EXPECTED.values()) == {"ok", "error"}
    assert sum(v == "ok" for v in EXPECTED.values()) >= 10 and sum(v == "error" for v in EXPECTED.values()) >= 10


def test_corpus_matches_its_generator():
    sys.path.insert(0, str(CORPUS))
    try:
        import make_corpus
    finally:
        sys.path.remove(str(CORPUS))
    built = make_corpus.build()
    assert {name: exp for name, (exp, _) in built.items()} == EXPECTED
    for name, (_, content) in built.items():
        assert (CORPUS / name).read_bytes() == content, f"{name} differs from make_corpus.py; rerun it"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_loads_or_is_refused_in_one_line(name):
    path = CORPUS / name
    try:
        sf = read_series(path)
        ws = make_windows(sf, L, H)
    except SpecError as exc:
        message = _one_line(exc)
        assert EXPECTED[name] == "error", f"{name} was refused: {message}"
        return
    assert EXPECTED[name] == "ok", f"{name} loaded but should be refused"
    assert isinstance(sf, SeriesFrame)
    assert sf.target == sf.frame.columns[-1]
    assert all(dt == np.float64 for dt in sf.frame.dtypes)
    assert np.isfinite(sf.frame.to_numpy()).all()
    if sf.date_col is not None:
        assert isinstance(sf.frame.index, pd.DatetimeIndex)
        assert sf.frame.index.is_monotonic_increasing and sf.frame.index.is_unique
        assert sf.frame.index.tz is None
    else:
        assert isinstance(sf.frame.index, pd.RangeIndex)
    for split in ("train", "val", "test"):
        x, y, starts = ws.split(split)
        assert x.dtype == np.float32 and y.dtype == np.float32
        assert x.shape[1:] == (L, 1) and y.shape[1:] == (H,) and len(x) == len(y) == len(starts) > 0
        assert np.isfinite(x).all() and np.isfinite(y).all()
    future = sf.future_index(H)
    assert len(future) == H and future.is_monotonic_increasing and future[0] > sf.frame.index[-1]


@pytest.mark.parametrize("name", [n for n, e in sorted(EXPECTED.items()) if e == "ok"])
def test_upload_bytes_read_like_the_path(name):
    by_path = read_series(CORPUS / name)
    by_bytes = read_series((CORPUS / name).read_bytes())
    pd.testing.assert_frame_equal(by_path.frame, by_bytes.frame)
    assert (by_path.target, by_path.date_col, by_path.freq) == (by_bytes.target, by_bytes.date_col, by_bytes.freq)


@pytest.mark.parametrize("name, words", [
    ("empty.csv", ["empty"]),
    ("header_only.csv", ["no data rows"]),
    ("binary.csv", ["binary"]),
    ("html_page.csv", ["HTML"]),
    ("zip_xlsx_renamed.csv", ["ZIP", "CSV"]),
    ("ragged_rows.csv", ["line 101", "fields"]),
    ("all_text.csv", ["no numeric column", "'name'"]),
    ("too_short.csv", ["6", "at least 10"]),
    ("constant_target.csv", ["'temp'", "constant"]),
    ("inf_target.csv", ["'temp'", "infinite", "line 79"]),
    ("mostly_missing_target.csv", ["'temp'", "missing", "20%"]),
])
def test_refusals_name_the_problem(name, words):
    with pytest.raises(SpecError) as info:
        make_windows(read_series(CORPUS / name), L, H)
    message = _one_line(info.value)
    for word in words:
        assert word in message, message


def test_short_series_refusal_names_the_split_and_a_fix():
    sf = read_series(CORPUS / "short_for_windows.csv")
    with pytest.raises(SpecError) as info:
        make_windows(sf, L, H)
    message = _one_line(info.value)
    assert "validation" in message and "3 rows" in message and "smaller lookback" in message
    with pytest.raises(SpecError, match="train split"):
        make_windows(sf, 40, 4)


def test_fuzzed_files_never_raise_anything_but_spec_error():
    clean = (CORPUS / "clean.csv").read_bytes()
    rng = random.Random(0)
    junk = [b",", b";", b"\t", b'"', b"\n", b"\r", b"\x00", b"\xff", b"inf", b"nan", b"", b"1e999", b"2023-13-45",
            b"\xef\xbb\xbf", b"<html>", b",,,,", b"-", b"1,234"]
    outcomes = {"ok": 0, "refused": 0}
    for _ in range(120):
        data = bytearray(clean)
        for _ in range(rng.randint(1, 6)):
            op = rng.random()
            pos = rng.randrange(len(data) + 1)
            if op < 0.4:
                data[pos:pos] = rng.choice(junk)
            elif op < 0.7:
                del data[pos:pos + rng.randint(1, 200)]
            else:
                data = data[:pos]
        try:
            make_windows(read_series(bytes(data)), L, H)
            outcomes["ok"] += 1
        except SpecError as exc:
            _one_line(exc)
            outcomes["refused"] += 1
    assert outcomes["ok"] > 0 and outcomes["refused"] > 0


# ---------------------------------------------------------------------------------------------
# choices and caps


def test_target_and_date_column_choices():
    path = CORPUS / "clean.csv"
    sf = read_series(path, target="load")
    assert sf.target == "load" and list(sf.frame.columns) == ["temp", "load"]
    assert read_series(path, target="LOAD").target == "load"
    with pytest.raises(SpecError) as info:
        read_series(path, target="price")
    message = _one_line(info.value)
    assert "'price'" in message and "'date'" in message and "'load'" in message and "'temp'" in message
    with pytest.raises(SpecError, match="holds the dates"):
        read_series(path, target="date")
    with pytest.raises(SpecError, match="not numeric"):
        read_series(CORPUS / "text_category_column.csv", target="site")
    with pytest.raises(SpecError, match="does not hold dates"):
        read_series(path, date_col="load")
    with pytest.raises(SpecError, match="no date column 'when'"):
        read_series(path, date_col="when")
    assert read_series(path, date_col="date").date_col == "date"


def test_caps_on_bytes_and_rows():
    path = CORPUS / "clean.csv"
    with pytest.raises(SpecError, match="over the limit"):
        read_series(path, max_bytes=1000)
    with pytest.raises(SpecError, match="over the limit"):
        read_series(path.read_bytes(), max_bytes=1000)
    with pytest.raises(SpecError, match="rows"):
        read_series(path, max_rows=100)
    with pytest.raises(SpecError, match="does not exist"):
        read_series(ROOT / "no_such_file.csv")


def test_fixes_are_stated_and_correct():
    tz = read_series(CORPUS / "timezones_dst.csv")
    assert tz.freq == "h" and any("UTC" in n for n in tz.notes)
    assert tz.frame.index.equals(pd.date_range("2023-03-20", periods=240, freq="h"))

    dup = read_series(CORPUS / "duplicate_timestamps.csv")
    clean = read_series(CORPUS / "clean.csv")
    assert len(dup.frame) == 240 and any("averaged" in n and "6 duplicate" in n for n in dup.notes)
    assert dup.frame["temp"].iloc[5] == pytest.approx(clean.frame["temp"].iloc[5] + 0.5)

    gaps = read_series(CORPUS / "gaps.csv")
    assert len(gaps.frame) == 240 and gaps.freq == "h" and any("7 missing timestamp" in n for n in gaps.notes)
    assert gaps.frame["temp"].iloc[10] == pytest.approx(
        clean.frame["temp"].iloc[9] + (clean.frame["temp"].iloc[12] - clean.frame["temp"].iloc[9]) / 3)

    unsorted = read_series(CORPUS / "unsorted_dates.csv")
    pd.testing.assert_frame_equal(unsorted.frame, clean.frame)
    assert any("sorted" in n for n in unsorted.notes)

    semi = read_series(CORPUS / "semicolon_decimal_comma.csv")
    np.testing.assert_allclose(semi.frame.to_numpy(), clean.frame.to_numpy())
    assert semi.frame.index.equals(clean.frame.index)

    quoted = read_series(CORPUS / "quoted_numbers_thousands.csv")
    np.testing.assert_allclose(quoted.frame["revenue"], clean.frame["temp"] * 1000, rtol=1e-9)

    missing = read_series(CORPUS / "some_missing_values.csv")
    assert any("filled" in n and "interpolation" in n for n in missing.notes)

    assert read_series(CORPUS / "monthly.csv").freq == "MS"
    assert read_series(CORPUS / "daily_dayfirst.csv").frame.index[11] == pd.Timestamp("2023-01-13")
    assert read_series(CORPUS / "fifteen_minutes_iso_t.csv").freq == "15min"
    assert read_series(CORPUS / "no_date_column.csv").future_index(3).tolist() == [240, 241, 242]
    assert read_series(CORPUS / "latin1.csv").target == "Température"
    assert "'site'" in " ".join(read_series(CORPUS / "text_category_column.csv").notes)


def test_missing_target_limit_is_twenty_percent():
    clean = (CORPUS / "clean.csv").read_text().splitlines()

    def with_gaps(k):
        rows = [ln if not (1 <= i <= k) else ln.rsplit(",", 1)[0] + "," for i, ln in enumerate(clean)]
        return ("\n".join(rows) + "\n").encode()

    assert read_series(with_gaps(48)).frame["temp"].notna().all()   # exactly 20%: filled
    with pytest.raises(SpecError, match="20%"):
        read_series(with_gaps(49))


# ---------------------------------------------------------------------------------------------
# windows, splits, leakage


def _synthetic(n=300, seed=0) -> SeriesFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    frame = pd.DataFrame({"a": rng.normal(size=n).cumsum(), "b": np.cos(t / 5) * 3 + 1,
                          "y": np.sin(2 * np.pi * t / 24) * 10 + 0.05 * t + rng.normal(0, 0.3, n)},
                         index=pd.date_range("2024-01-01", periods=n, freq="h", name="date"))
    return SeriesFrame(frame=frame, target="y", date_col="date", freq="h")


def test_scaler_uses_training_rows_only():
    sf = _synthetic()
    ws = make_windows(sf, 24, 6, features="all")
    a, b, n = ws.split_rows
    train = sf.frame.iloc[:a]
    np.testing.assert_allclose(ws.mean, train.mean().to_numpy())
    np.testing.assert_allclose(ws.std, train.std(ddof=0).to_numpy())

    changed = sf.frame.copy()
    changed.iloc[b:] = changed.iloc[b:] * 1000 + 1e6            # wreck the test part
    ws2 = make_windows(SeriesFrame(changed, "y", "date", "h"), 24, 6, features="all")
    np.testing.assert_array_equal(ws2.mean, ws.mean)
    np.testing.assert_array_equal(ws2.std, ws.std)
    for name in ("x_train", "y_train", "x_val", "y_val"):
        np.testing.assert_array_equal(getattr(ws2, name), getattr(ws, name))
    assert not np.allclose(ws2.y_test, ws.y_test)


@pytest.mark.parametrize("split", ["0.7,0.1,0.2", "0.6,0.2,0.2", "0.5,0.3,0.2"])
@pytest.mark.parametrize("lookback, horizon", [(8, 4), (24, 12), (70, 1)])
def test_windows_respect_split_boundaries(split, lookback, horizon):
    sf = _synthetic()
    ws = make_windows(sf, lookback, horizon, split=split)
    a, b, n = ws.split_rows
    assert (a, b, n) == parse_split(split, len(sf.frame))
    assert (ws.train_starts - lookback >= 0).all() and (ws.train_starts + horizon <= a).all()
    assert (ws.val_starts >= a).all() and (ws.val_starts + horizon <= b).all()
    np.testing.assert_array_equal(ws.test_starts, np.arange(b, n - horizon + 1))     # no test window dropped
    np.testing.assert_array_equal(ws.train_starts, np.arange(lookback, a - horizon + 1))
    np.testing.assert_array_equal(ws.val_starts, np.arange(max(a, lookback), b - horizon + 1))
    # Contents: inputs are rows [t-L, t), targets rows [t, t+H), both normalised with the train scaler.
    z = (sf.frame[["y"]].to_numpy() - ws.mean) / ws.std
    for x, y, starts in (ws.split(s) for s in ("train", "val", "test")):
        for i in (0, len(starts) // 2, len(starts) - 1):
            t = starts[i]
            np.testing.assert_allclose(x[i], z[t - lookback:t], rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(y[i], z[t:t + horizon, 0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ws.last_window[0], z[-lookback:], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ws.inverse_target(ws.y_test), sf.frame["y"].to_numpy()[
        ws.test_starts[:, None] + np.arange(horizon)], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(ws.actual_targets("test"), sf.frame["y"].to_numpy()[
        ws.test_starts[:, None] + np.arange(horizon)])
    times = ws.target_times(ws.test_starts, horizon)
    assert times[0] == sf.frame.index[b + horizon - 1]


def test_multivariate_puts_target_last():
    sf = _synthetic()
    sf.frame = sf.frame[["y", "a", "b"]]
    ws = make_windows(sf, 16, 4, features="all")
    assert ws.columns == ["a", "b", "y"] and ws.target_channel == 2 and ws.x_train.shape[2] == 3
    np.testing.assert_allclose(ws.inverse_target(ws.y_train[:, 0]),
                               sf.frame["y"].to_numpy()[ws.train_starts], rtol=1e-5, atol=1e-5)
    assert make_windows(sf, 16, 4).columns == ["y"]


@pytest.mark.parametrize("split, rows", [("0.7,0.1,0.2", (700, 800, 1000)), ("70,10,20", (700, 800, 1000)),
                                         ("0.6/0.2/0.2", (600, 800, 1000)), (" 0.8, 0.1 ,0.1 ", (800, 900, 1000))])
def test_parse_split(split, rows):
    assert parse_split(split, 1000) == rows


@pytest.mark.parametrize("split", ["0.5,0.5", "0.7,0.3,0", "a,b,c", "0.8,0.1,0.2", "-0.1,0.6,0.5", "nan,0.5,0.5", ""])
def test_bad_split_is_refused(split):
    with pytest.raises(SpecError) as info:
        parse_split(split, 1000)
    _one_line(info.value)


def test_ett_refused_on_a_short_series():
    with pytest.raises(SpecError, match="14,400 rows"):
        make_windows(_synthetic(), 8, 4, split="ett")


# ---------------------------------------------------------------------------------------------
# ETTh1 and the engine's entry point


@pytest.fixture(scope="module")
def etth1() -> SeriesFrame:
    return read_series(SHARED_ETT if SHARED_ETT.exists() else sample_series_path())


@pytest.mark.parametrize("horizon", [96, 24])
def test_ett_split_on_real_etth1(etth1, horizon):
    assert len(etth1.frame) == 17420 and etth1.target == "OT" and etth1.freq == "h" and etth1.date_col == "date"
    ws = make_windows(etth1, 336, horizon, split="ett")
    assert ws.split_rows == ETT_ROWS == (8640, 11520, 14400)
    assert len(ws.test_starts) == len(ws.y_test) == 14400 - 11520 - horizon + 1
    assert len(ws.train_starts) == 8640 - 336 - horizon + 1
    assert len(ws.val_starts) == 11520 - 8640 - horizon + 1
    train_ot = etth1.frame["OT"].to_numpy()[:8640]
    assert ws.mean[0] == pytest.approx(train_ot.mean()) and ws.std[0] == pytest.approx(train_ot.std())
    assert ws.target_times(ws.test_starts[-1:], horizon)[0] == etth1.frame.index[14399]


def test_bundled_sample_is_an_unchanged_copy():
    path = sample_series_path()
    assert path.exists() and (path.parent / "LICENSE").exists() and (path.parent / "README.md").exists()
    if SHARED_ETT.exists():
        assert path.read_bytes() == SHARED_ETT.read_bytes()
        assert (path.parent / "LICENSE").read_bytes() == (SHARED_ETT.parent / "LICENSE").read_bytes()
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert "Zhou" in readme and "Informer" in readme and "CC BY-ND" in readme


def test_load_series_data_gives_tensor_data():
    import torch

    from zoo.spec import ExperimentSpec

    spec = ExperimentSpec(task="series", data=str(CORPUS / "clean.csv"), lookback=24, horizon=6, features="all",
                          season=12)
    data = load_series_data(spec)
    assert data.extra["windows"].season == 12
    assert data.task == "series" and data.shape.task == "series"
    assert (data.shape.lookback, data.shape.n_features, data.shape.horizon) == (24, 2, 6)
    assert data.x_train.dtype == torch.float32 and data.y_test.dtype == torch.float32
    assert tuple(data.x_train.shape[1:]) == (24, 2) and tuple(data.y_val.shape[1:]) == (6,)
    ws = data.extra["windows"]
    assert np.array_equal(data.x_test.numpy(), ws.x_test)
    with pytest.raises(SpecError):
        load_series_data(ExperimentSpec(task="series", data=str(CORPUS / "html_page.csv")))


def test_windows_are_views_of_one_array_with_the_values_of_copies():
    """Strided views (no copy per window), equal to windows cut one by one; the tensors share `z` too."""
    import torch

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=300), "y": rng.normal(size=300).cumsum()},
                         index=pd.date_range("2024-01-01", periods=300, freq="h"))
    ws = make_windows(SeriesFrame(frame=frame, target="y", freq="h"), 24, 6, features="all")
    for name in ("train", "val", "test"):
        x, y, starts = ws.split(name)
        assert np.shares_memory(x, ws.z) and np.shares_memory(y, ws.z)
        np.testing.assert_array_equal(x, np.stack([ws.z[t - 24:t] for t in starts]))
        np.testing.assert_array_equal(y, np.stack([ws.z[t:t + 6, ws.target_channel] for t in starts]))
        np.testing.assert_allclose(ws.actual_targets(name), np.stack([frame["y"].to_numpy()[t:t + 6] for t in starts]))
    z = ws.tensors()
    base = z["x_train"].untyped_storage().data_ptr()
    assert all(t.untyped_storage().data_ptr() == base for t in z.values())
    np.testing.assert_array_equal(z["x_test"].numpy(), ws.x_test)
    assert torch.equal(z["y_val"], torch.from_numpy(np.ascontiguousarray(ws.y_val)))
    future_x, _, future_starts = ws.split("future")
    np.testing.assert_array_equal(future_x[0], ws.z[-24:]) and future_starts.tolist() == [300]


def test_backtest_keeps_an_even_sample_and_the_metrics_every_window():
    from zoo.forecast.report import MAX_BACKTEST_ORIGINS, backtest_sample

    assert backtest_sample(10).tolist() == list(range(10))
    keep = backtest_sample(200_000)
    assert len(keep) == MAX_BACKTEST_ORIGINS and keep[0] == 0 and keep[-1] == 199_999
    assert np.all(np.diff(keep) > 0)
