"""Parsing columns of strings: numbers (thousands separators, decimal commas, currency and percent
signs) and dates (ISO, day first or month first, epoch seconds, time zones), by trying to parse
them rather than trusting a dtype (pandas 3 gives text a string dtype)."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd


_MISSING_TOKENS = {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", "#n/a", "#na", "nat", "missing", "."}

_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_US_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_EU_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
_EU_DECIMAL_RE = re.compile(r"^[+-]?\d*,\d+$")
_TZ_RE = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?|UTC|GMT)$", re.IGNORECASE)


def _looks_numeric(value: str) -> bool:
    v = value.strip().replace(",", "").replace(" ", "")
    return bool(_NUMBER_RE.match(v))


def _looks_like_date(value: str) -> bool:
    v = value.strip()
    if not v or not any(c.isdigit() for c in v) or _looks_numeric(v):
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.notna(pd.to_datetime(v, errors="coerce", utc=True))
        except (ValueError, TypeError, OverflowError):
            return False


def _clean_strings(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(stripped strings, mask of present values: not empty and not a missing-value token)."""
    s = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    missing = s.str.lower().isin(_MISSING_TOKENS).to_numpy(bool)
    return s, ~missing


def _parse_numbers(values: pd.Series, delimiter: str):
    """(float values with NaN for missing/bad, mask of present-but-unparseable, number of present values)."""
    s, present = _clean_strings(values)
    n_present = int(present.sum())
    out = np.full(len(s), np.nan)
    if n_present == 0:
        return out, np.zeros(len(s), bool), 0
    vals = s[present]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_numeric(vals, errors="coerce").astype(float)
    bad = parsed.isna().to_numpy()
    if bad.all() and len(vals) > 200:
        _, sample_bad, sample_present = _parse_numbers(vals.iloc[:200], delimiter)
        if int(sample_bad.sum()) == sample_present:
            return out, present.copy(), n_present   # plainly text (dates, names): skip the slow clean-ups
    if bad.any():
        # Quoted numbers with thousands separators, decimal commas, currency or percent signs.
        cleaned = vals.str.replace(r"[\s\u00a0\u202f$€£¥%_']", "", regex=True)
        has_comma = cleaned.str.contains(",", regex=False).to_numpy(bool)
        has_dot = cleaned.str.contains(".", regex=False).to_numpy(bool)
        options = []
        if has_comma.any() and cleaned[has_comma].str.match(_US_THOUSANDS_RE).all():
            options.append(("us", cleaned.str.replace(",", "", regex=False)))
        if has_comma.any() and cleaned[has_dot].str.match(_EU_THOUSANDS_RE).all() and \
                (cleaned[has_comma].str.match(_EU_THOUSANDS_RE) | cleaned[has_comma].str.match(_EU_DECIMAL_RE)).all():
            options.append(("eu", cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)))
        if not options:
            options.append(("plain", cleaned))
        best = None
        for style, candidate in options:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = pd.to_numeric(candidate, errors="coerce").astype(float)
            ok = int(p.notna().sum())
            # A tie ("1,234" reads both ways) goes to the decimal comma when commas do not separate fields.
            rank = (ok, (style == "eu") == (delimiter != ","))
            if best is None or rank > best[0]:
                best = (rank, p)
        if best[0][0] > int((~bad).sum()):
            parsed = best[1]
            bad = parsed.isna().to_numpy()
    out[present] = parsed.to_numpy(float)
    bad_mask = np.zeros(len(s), bool)
    bad_mask[np.flatnonzero(present)[bad]] = True
    return out, bad_mask, n_present


def _regularity(parsed: pd.Series) -> float:
    """Share of the steps between sorted distinct timestamps that equal the most common step."""
    diffs = pd.Series(np.sort(parsed.dropna().unique())).diff().dropna()
    if diffs.empty:
        return 0.0
    return float((diffs == diffs.mode().iloc[0]).mean())


def _parse_dates(values: pd.Series, dayfirst: bool | None = None):
    """(UTC datetimes with NaT where unparseable, share parsed of the present values, how it was read)."""
    s, present = _clean_strings(values)
    present = present & s.str.contains(r"\d", regex=True).to_numpy(bool)
    n_present = int(present.sum())
    if n_present == 0:
        return None, 0.0, ""
    vals = s[present]
    attempts = [("inferred", {}), ("day first", {"dayfirst": True}), ("ISO 8601", {"format": "ISO8601"}),
                ("mixed formats", {"format": "mixed"})]
    if dayfirst is not None:
        attempts = [(f"{'day' if dayfirst else 'month'} first", {"dayfirst": dayfirst})] + attempts
    best = (None, -1.0, "")
    for how, kwargs in attempts:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = pd.to_datetime(vals, errors="coerce", utc=True, **kwargs)
            except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
                continue
        share = float(parsed.notna().mean())
        if share >= 0.999 and best[1] >= 0.999 and not parsed.equals(best[0]):
            # Both month-first and day-first read every value (no day above 12 so far): keep the
            # reading whose timestamps are more evenly spaced.
            if _regularity(parsed) > _regularity(best[0]):
                best = (parsed, share, how)
            break
        if share > best[1]:
            best = (parsed, share, how)
        if share >= 0.999 and (how != "inferred" or dayfirst is not None):
            break
    parsed, share, how = best
    if parsed is None:
        return None, 0.0, ""
    full = pd.Series(pd.NaT, index=s.index, dtype=parsed.dtype)
    full[present] = parsed
    return full, share * n_present / max(len(s), 1), how
