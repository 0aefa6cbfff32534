"""The Forecast page's window settings (lookback, horizon, inputs, split, season; the Search page's too),
the caption of their check, the lookback and horizon the series suggests, and the training caption with
the leaderboard's recipe. The data source they apply to is ui/series_source.py.
"""
from __future__ import annotations

import streamlit as st

from ui import drafts, form
from ui.state import take_for_this_run
from ui.text import plain
from zoo import forecast_io as fio
from zoo.data.series.windows import ETT_ROWS
from zoo.forecast.baselines import MIN_CYCLES
from zoo.registry import DataShape, SpecError
from zoo.spec import FITTED_WINDOWS, setting
from zoo.verdict import FEW_STEPS

WINDOW_FIELDS = ("lookback", "horizon", "features", "split", "season")
TRAINING_DEFAULTS = {"epochs": 3, "batch_size": 256}  # a first result on the sample in well under a minute
SPLITS = {
    "0.7,0.1,0.2": "70 / 10 / 20 % (train / validation / test)",
    "0.6,0.2,0.2": "60 / 20 / 20 %",
    "0.8,0.1,0.1": "80 / 10 / 10 %",
    "ett": "ETT protocol: 12 / 4 / 4 months (first 14,400 hourly rows)",
    "custom": "custom shares…",
}
FEATURES = {"target": "target only (univariate)", "all": "all numeric columns (multivariate)"}


def init_defaults(prefill: dict | None = None) -> None:
    """The page's defaults (fast on the sample), and a handed-over spec's values, written to widget state."""
    defaults = {name: setting(name).default for name in WINDOW_FIELDS}   # zoo/spec.py's declarations
    for name, default in defaults.items():
        key = f"forecast-{name}"
        # A run's spec has every field; a leaderboard's prefill only those it has (ui/leaderboard.py's
        # board_prefill): the lookback and split the person set for one model are kept.
        if prefill and name in prefill:
            st.session_state[key] = prefill[name] if prefill[name] is not None else default
        elif key not in st.session_state:
            st.session_state[key] = default
    split = str(st.session_state["forecast-split"])
    if split not in SPLITS:
        st.session_state["forecast-split-custom"] = split
        st.session_state["forecast-split"] = "custom"
    for name, value in TRAINING_DEFAULTS.items():
        st.session_state.setdefault(f"forecast-settings-{name}", value)
    if prefill:   # a run's windows, as they were: kept for the data they came with (fit_to_series)
        given = [name for name in SET_BY_PERSON if prefill.get(name) is not None]
        # ...but those the run had fitted to its series follow it, as they did before the run (its spec says which)
        fitted = prefill.get("windows_fitted") or ()
        st.session_state[PREFILLED] = {"names": [name for name in given if name not in fitted], "data": None}
        for name in given:   # the run's now, not the person's: a flag of another step let the run's season go
            # as "you set" (a review), and a flag the visitor's draft brought back froze a fitted lookback (a review)
            st.session_state.pop(SET_BY_PERSON[name], None)


# Lookback and horizon follow the series until the person sets them (typed, or a suggestion's button), then stay
# as set: each has its own flag, so that a horizon set alone still gets a lookback that fits the series. A run's
# windows filled in (a reload beside it, Train again) are kept for the data they came with, and follow the next
# data unless the person set them (a reload in mid-run froze windows the page had fitted: a browser check); a
# leaderboard's horizon comes without a lookback, which is fitted for it. The defaults are the bundled sample's
# (96 / 24): a new user's first upload of 120 monthly rows opened on a red "too few for one window" and both
# Starts off (a forecast user's check).
# What the person set stays for series of the same step (a file sent again, another year of it), and is let go for
# a series of another step: a Season of 12 set on a monthly file stayed on a daily one, and a horizon of 50 typed
# on a short file opened the next three in red (a forecast user's check). The page says which it let go, and keeps
# them for their step: a series of that step again gets them back, said (30 / 6 / 4 set on a weekly file had come
# back as the hourly file's fitted windows after it, unsaid: a forecast user's check).
SET_BY_PERSON = {"lookback": "forecast-lookback-set", "horizon": "forecast-horizon-set",
                 "season": "forecast-season-set"}   # each flag holds the step of the series it was set on
FITTED = FITTED_WINDOWS   # the windows the page fits (lookback, horizon); a season no one set is detected (0)
WINDOWS_FITTED = "forecast-windows-fitted"   # the data and settings the page's own windows were fitted to
PREFILLED = "forecast-windows-prefilled"     # the windows a prefill set, kept while its data is the page's
STEP_ON_PAGE = "forecast-windows-step"       # the step of the series on the page: what a value set now is for
LET_GO = "forecast-windows-let-go"           # {name: value} set for a series of another step, let go (said once)
LET_GO_STEPS = "forecast-windows-let-go-steps"   # (the step they were set for, this series' step): said with them
KEPT_FOR_STEP = "forecast-windows-kept"      # {step: {name: value}} let go, kept for a series of that step
GIVEN_BACK = "forecast-windows-given-back"   # {name: value} kept for this series' step, given back (said once)
MAX_STEPS_KEPT = 6
CUSTOM_SPLIT = "0.7,0.15,0.15"               # the custom shares' box starts with these


def fitted_names() -> list[str]:
    """The windows on the page that follow the series: neither set by the person nor a run's kept for its data
    (a spec's windows_fitted: a run reopened gives them back as fitted, not as set)."""
    state = st.session_state
    kept = (state.get(PREFILLED) or {}).get("names", ())
    return [name for name in FITTED if not state.get(SET_BY_PERSON[name]) and name not in kept]


def _set_by_person(name: str) -> None:
    st.session_state[SET_BY_PERSON[name]] = st.session_state.get(STEP_ON_PAGE) or True


def _step_words(step: str | None) -> str:
    """A step as `_step` gives it, in words: 'weekly steps', 'every 15 minutes steps', 'rows without dates'."""
    from ui.series_source import describe_freq

    if step in (None, "steps"):
        return "rows without dates"
    return f"{describe_freq(step).removesuffix(f' ({step})')} steps"   # (pandas' alias left out)


def _step(sf) -> str:
    """The step between rows (a pandas frequency), or "steps" for a series without dates."""
    return str(sf.freq or "steps")


def _let_go_of_another_steps(sf) -> None:
    """Values the person set on a series of another step than `sf`'s follow this one (a season goes back to 0),
    and are kept for their step (`KEPT_FOR_STEP`); those kept for `sf`'s step and not set since come back."""
    state, step = st.session_state, _step(sf)
    state[STEP_ON_PAGE] = step
    kept = {s: dict(v) for s, v in (state.get(KEPT_FOR_STEP) or {}).items()}
    let_go, set_for = {}, None
    for name, key in SET_BY_PERSON.items():
        flag = state.get(key)
        if flag is True:   # set before a series was read: this one's
            state[key] = step
        elif flag and flag != step:
            state.pop(key)
            let_go[name], set_for = state.get(f"forecast-{name}"), str(flag)
            kept[str(flag)] = {**kept.pop(str(flag), {}), name: let_go[name]}   # (the newest step last: kept longest)
    if "season" in let_go:
        state["forecast-season"] = 0
    if let_go:
        state[LET_GO] = let_go
        state[LET_GO_STEPS] = (set_for, step)   # (the step they were set on: every flag on the page has one)
    # A run's windows handed over (Train again), before its data is first read: the spec asked for, as the rest
    # of the form; what is kept for this step waits (it had been said as "you set ... are back" over the run's
    # values: a forecast user's check), kept for the next series of this step, as the let-go note promised (a
    # review: it had been dropped)
    handed_over = (state.get(PREFILLED) or {}).get("data", "") is None
    given_back = {} if handed_over else {
        name: value for name, value in kept.pop(step, {}).items()
        if name in SET_BY_PERSON and not state.get(SET_BY_PERSON[name]) and value is not None}
    for name, value in given_back.items():
        state[f"forecast-{name}"] = value
        state[SET_BY_PERSON[name]] = step
    if given_back:
        state[GIVEN_BACK] = given_back
    if let_go or given_back:
        state.pop(WINDOWS_FITTED, None)   # fitted again around them, whatever the last fit was for
    if kept or KEPT_FOR_STEP in state:
        state[KEPT_FOR_STEP] = dict(list(kept.items())[-MAX_STEPS_KEPT:])


def _fitted_to(source, sf, windows: dict) -> str:
    """What a fit of the windows depends on: the file, the series read from it (its target, date column and layout:
    a target chosen after the fit had kept the other target's windows as fitted, a demo visitor's check) and the
    settings the suggestion reads."""
    return "|".join(str(v) for v in (source.key, sf.target, sf.date_col, sf.layout, windows["split"],
                                     windows["season"], windows["features"]))


def fit_to_series(source, sf) -> None:
    """Before the window widgets: the lookback and horizon this series suggests (`suggestion`), for each the
    person has not set, when the data, the split, the season or the inputs changed since the last fit (the
    caption of `window_suggestion` says where they came from)."""
    for key in (*SET_BY_PERSON.values(), WINDOWS_FITTED, PREFILLED, STEP_ON_PAGE, KEPT_FOR_STEP):
        drafts.register(key)
    state = st.session_state
    if sf is None:   # a value set now is for the next series read, whatever its step (a review: tagged with the
        state.pop(STEP_ON_PAGE, None)   # last series' step, a horizon typed before an upload was let go at once)
        return
    _let_go_of_another_steps(sf)
    prefilled = state.get(PREFILLED)
    first_look = prefilled is not None and prefilled["data"] is None
    if first_look:
        prefilled["data"] = source.key   # the data the run's windows came with
    elif prefilled is not None and prefilled["data"] != source.key:
        state.pop(PREFILLED)   # other data: they follow it, as the page's own do
        if "season" in prefilled["names"] and not state.get(SET_BY_PERSON["season"]):
            state["forecast-season"] = 0
        prefilled = None
    fixed = {name for name in FITTED if state.get(SET_BY_PERSON[name])} | set((prefilled or {}).get("names", ()))
    split = state.get("forecast-split")
    windows = {"split": str(state.get("forecast-split-custom", CUSTOM_SPLIT) if split == "custom" else split).strip(),
               "season": state.get("forecast-season") or 0, "features": state.get("forecast-features", "target")}
    free = [name for name in FITTED if name not in fixed]
    # A lookback that follows the series follows a horizon the person typed too: it stayed as fitted for the
    # horizon before until the data changed (on 120 monthly rows a typed horizon of 3 kept the lookback 36 fitted
    # as "4 horizons" of 9; it is now 24, what the series suggests for that horizon).
    fitted = _fitted_to(source, sf, windows) + (f"|{state.get('forecast-horizon')}" if free == ["lookback"] else "")
    if not free or (not first_look and state.get(WINDOWS_FITTED) == fitted):
        state[WINDOWS_FITTED] = fitted
        return
    try:
        season = setting("season").read(windows["season"])
        horizon = None if "horizon" in free else setting("horizon").read(state["forecast-horizon"])
        suggested = suggestion(sf, {**windows, "season": season}, horizon=horizon)
        if "lookback" in fixed:
            # A horizon for the person's lookback, or none: the page put a typed lookback of 268 into "too few
            # for one window" by moving the horizon from 7 to 14 with the season (a browser check).
            fio.check_windows(sf, setting("lookback").read(state["forecast-lookback"]), suggested["horizon"],
                              windows["features"], windows["split"], season)
    except (ValueError, TypeError, SpecError):   # a setting the person is still typing: said by the check
        suggested = None
    if suggested is not None and "horizon" in fixed and min(suggested["windows"].values()) < 1:
        # The person's horizon leaves no window at any lookback: the check says to shorten it. The lookback stays;
        # it had gone to 1 on its own (horizon 150 of 200 rows), and the check's error then asked for a smaller one.
        suggested = None
    if suggested is None:   # a split that leaves a part empty: the check says so
        return
    for name in free:
        state[f"forecast-{name}"] = suggested[name]
    state[WINDOWS_FITTED] = fitted


def window_settings(sf=None) -> dict:
    """Lookback, horizon, features, split and seasonal period; returns them as spec fields. `sf`: the series
    they are for, when it is read."""
    # The boxes take any text (ui/form.number_box): a number outside the spec's range stays as typed (Streamlit's
    # own min and max kept showing a lookback of 99999 while the page went on with the last one inside, 40 trained),
    # and fio.check_windows refuses it, or a text that is no whole number ("1.000": _typed), with a message, Start
    # off.
    form.first_drawing("series")   # also on the Search page: what is set here is not refilled from a run
    c1, c2 = st.columns(2)
    lookback, horizon = setting("lookback"), setting("horizon")
    lookback = form.number_box(c1, "Lookback (input steps)", "forecast-lookback", fallback=lookback.default,
                               on_change=_set_by_person, args=("lookback",),
                               help=f"how many past steps each forecast sees ({lookback.low} to {lookback.high})")
    horizon = form.number_box(c2, "Horizon (steps ahead)", "forecast-horizon", fallback=horizon.default,
                              on_change=_set_by_person, args=("horizon",),
                              help=f"how many future steps are predicted at once ({horizon.low} to {horizon.high})")
    features = c1.radio("Inputs", list(FEATURES), format_func=FEATURES.get,
                        **drafts.kept("forecast-features", options=FEATURES),
                        help="univariate: the target's past only; multivariate: every numeric column's past "
                             "(the model still predicts the target)")
    # The ETT protocol's split only where it fits (14,400 hourly rows), or while it is set (a run's, or set before
    # another file came: the check says so, and nothing set is changed unseen). It was offered on a 120-row upload
    # and gave a red error, and on 15,000 days, which it cut to 24 / 8 / 8 years (browser checks).
    splits = [name for name in SPLITS if name != "ett" or sf is None or st.session_state.get("forecast-split") == "ett"
              or (len(sf) >= ETT_ROWS[-1] and str(sf.freq or "").lower() == "h")]
    split = c2.selectbox("Split (chronological)", splits, format_func=SPLITS.get,
                         **drafts.kept("forecast-split", options=splits),
                         help="train, validation (early stopping, interval calibration) and test (the scores) in "
                              "time order; the scaler is fitted on the training part only")
    if split == "custom":
        st.session_state.setdefault("forecast-split-custom", CUSTOM_SPLIT)
        split = c2.text_input("Shares (train,val,test)", **drafts.kept("forecast-split-custom", default="value"))
    season = form.number_box(c1, "Season (0: detect)", "forecast-season", fallback=0,
                             on_change=_set_by_person, args=("season",),
                             help="the season of the seasonal-naive baseline and of MASE, in steps (24 for a daily "
                                  "cycle in hourly data); 0 detects it from the training part's autocorrelation")
    return {"lookback": _typed("lookback", lookback), "horizon": _typed("horizon", horizon), "features": features,
            "split": str(split).strip(), "season": _typed("season", season)}


def _typed(name: str, text: str) -> int | str:
    """A window box's text as its whole number, or the text itself where it is none ("1.000", "96.5", ""): the
    page's check (fio.check_window_settings, through the spec's setting) then says what it is, and no window is
    cut nor model built with it."""
    try:
        return setting(name).read(text)
    except SpecError:
        return text


def model_shape(windows: dict, check: dict, sf) -> DataShape | None:
    """The shape a series model is built for with these windows, or None while a lookback, horizon or
    season is out of its range (the windows' error says so; no model is built for a lookback of 0), or while
    no data is read and every column is an input (their count is the file's: a reload of the page keeps the
    settings of an upload and not its file, and the line showed one input then)."""
    try:
        fio.check_window_settings(windows["lookback"], windows["horizon"], windows["season"])
    except SpecError:
        return None
    if sf is None and windows["features"] == "all":   # (check is {} without data)
        return None
    n_features = check.get("n_features", len(sf.columns) if sf is not None and windows["features"] == "all" else 1)
    return DataShape(task="series", lookback=windows["lookback"], horizon=windows["horizon"], n_features=n_features)


def use_windows(lookback: int, horizon: int) -> None:
    """A button's callback: these lookback and horizon, as the person's choice."""
    st.session_state["forecast-lookback"] = lookback
    st.session_state["forecast-horizon"] = horizon
    for name in FITTED:
        _set_by_person(name)


def use_horizon(horizon: int) -> None:
    """A button's callback: this horizon, as the person's choice (the lookback still follows the series)."""
    st.session_state["forecast-horizon"] = horizon
    _set_by_person("horizon")


def suggestion(sf, windows: dict, horizon: int | None = None) -> dict | None:
    """zoo's suggest_windows for the page's split, season and inputs (and `horizon`, where the person set it);
    None where the split leaves a part empty or the season is not a whole number."""
    from zoo.data.series import suggest_windows

    if not isinstance(windows["season"], int):   # a box's text that is no number ("12.5"): the check says so
        return None
    try:
        return suggest_windows(sf, windows["split"], season=windows["season"], horizon=horizon)
    except SpecError:
        return None


def window_suggestion(sf, windows: dict) -> None:
    """The lookback and horizon this series suggests (its length, frequency and season), with why: set on
    their own until the person sets them (fit_to_series), then offered on a button, never applied."""
    let_go = take_for_this_run(LET_GO)
    was, now = take_for_this_run(LET_GO_STEPS, (None, _step(sf)))
    if let_go:   # the steps named: "another step (daily, monthly, ...)" left the person to guess which (a check)
        one = len(let_go) == 1
        named = " and ".join(f"{name} {value}" for name, value in let_go.items())
        st.caption(f":material/info: The {named} you set {'was' if one else 'were'} for a series of "
                   f"{_step_words(was)}; this one has {_step_words(now)}, so "
                   + ("it is" if one else "they are") + " set from its rows again"
                   + (" (the season detected)" if "season" in let_go else "") + ". Set "
                   + ("it" if one else "them") + f" again to keep your own; a series of {_step_words(was)} gets "
                   + ("it" if one else "them") + " back.")
    given_back = take_for_this_run(GIVEN_BACK)
    if given_back:
        named = " and ".join(f"{name} {value}" for name, value in given_back.items())
        st.caption(f":material/info: The {named} you set for a series of {_step_words(now)} "
                   + ("is" if len(given_back) == 1 else "are") + " back.")
    suggested = suggestion(sf, windows)
    if suggested is None:
        return
    lookback, horizon = suggested["lookback"], suggested["horizon"]
    state = st.session_state
    if state.get(SET_BY_PERSON["horizon"]) and not state.get(SET_BY_PERSON["lookback"]) and not state.get(PREFILLED) \
            and windows["lookback"] != lookback and isinstance(windows["horizon"], int):
        # The lookback follows a horizon the person set (fit_to_series), and moved with it: said (36 became 48 for a
        # typed horizon of 12 beside "lookback 36 and horizon 9 are suggested", not a word of why: a browser check)
        st.caption(f":material/info: Lookback {windows['lookback']} follows the horizon you set ({windows['horizon']}): "
                   "what this series suggests for it. Set the lookback to keep one of your own.")
    with st.container(key="forecast-suggestion"):
        if (lookback, horizon) == (windows["lookback"], windows["horizon"]):
            how = "were set from this series (what you change stays, for series of the same step)" if not any(
                st.session_state.get(key) for key in (*(SET_BY_PERSON[n] for n in FITTED), PREFILLED)) else \
                "are what this series suggests"
            st.caption(f":material/check: Lookback {lookback} and horizon {horizon} {how}: {suggested['reason']}")
            return
        st.caption(f":material/lightbulb: For this series, lookback {lookback} and horizon {horizon} are suggested: "
                   f"{suggested['reason']}")
        st.button(f"Use lookback {lookback}, horizon {horizon}", key="forecast-use-suggestion",
                  icon=":material/auto_fix_high:", on_click=use_windows, args=(lookback, horizon))


def check_caption(check: dict) -> None:
    sizes = check["sizes"]
    a = check["rows"][0]
    season = check["season"]
    how = "set by you" if check["season_set"] else ("detected" if season > 1 else "none detected")
    usual, unconfirmed = check.get("season_undetectable"), check.get("season_unconfirmed")
    if usual:
        how += (f": the {a:,} training rows hold fewer than {MIN_CYCLES} cycles of {usual} steps, the usual season "
                "at this frequency, too few to tell a season from noise; set Season if the series has one")
    elif unconfirmed:   # a forecast user's clear yearly wave, in 42 monthly rows, read as "none detected" alone
        # (only that season: another would not be the Season this names; a board's test part is its own share: a review)
        shown = (f" (the {check['rows'][1]:,} rows before the test part, validation included, do show it; a leaderboard "
                 "detects the season on the rows before its own test part)"
                 if check.get("season_before_test") == unconfirmed else "")
        how += (f": the {a:,} training rows show no season at {unconfirmed} steps, the usual one at this frequency, "
                f"clear enough to tell from noise{shown}; set Season to {unconfirmed} if you know the series repeats "
                f"every {unconfirmed} steps")
    if check.get("board_without_season"):
        how += ("; Find the best model ranks yearly data without one, as the M4 competition does, unless Season is "
                "set")
    st.caption(f"Windows: **{sizes['train']:,}** train · **{sizes['val']:,}** validation · **{sizes['test']:,}** "
               f"test. The scaler is fitted on the {a:,} training rows only. Seasonal period: **{season}** ({how}).")
    if check.get("few_train"):
        st.warning(check["few_train"], icon=":material/warning:")
    for note in check.get("notes", []):
        st.caption(plain(note))   # it may name a column (ui/text.py)


def training_caption(settings: dict, train_windows: int | None, *, model: str | None = None, lookback: int = 1,
                     period: int = 1) -> None:
    """The recipe in one line, with the number of optimisation steps it makes on this series; when they are
    few, a button that takes the recipe the leaderboard trains `model` with on these windows."""
    form.said_later(RECIPE_NOTES, None)   # what the recipe's values became in the form

    # the windows a run trains on (training samples): the steps had counted them all (a browser check)
    limited = bool(train_windows) and 0 < int(settings.get("limit_train") or 0) < int(train_windows)
    if limited:
        train_windows = int(settings["limit_train"])
    line = (f"{_epochs(settings['epochs'])} · batch {settings['batch_size']} · {settings['optimizer']} lr "
            f"{settings['lr']:g} · early stopping "
            + (f"after {_epochs(settings['patience'])} without improvement" if settings["patience"] else "off"))
    if train_windows:
        per_epoch = -(-int(train_windows) // int(settings["batch_size"]))
        total = per_epoch * int(settings["epochs"])
        line += (f" · {total:,} optimisation step{'' if total == 1 else 's'} ({per_epoch:,} per epoch"
                 + (f", on the latest {train_windows:,} training windows)" if limited else ")"))
        if total < FEW_STEPS:
            line += (". :orange[That is few steps to fit a model: more epochs or a smaller batch size "
                     "(Training settings) will fit it better.]")
    defaults = page_defaults()
    from_recipe = [name for name, value in (st.session_state.get(TRAINING_FOLLOWED) or {}).items()
                   if value == settings.get(name) and value != defaults[name]]
    if from_recipe and train_windows:
        steps = -(-int(train_windows) // defaults["batch_size"]) * defaults["epochs"]
        whole = len(from_recipe) == len(RECIPE_KEYS)
        line = (f"The leaderboard's recipe for {model} on these windows"
                + ("" if whole else f" ({', '.join(form.label_for(name) for name in from_recipe)})")
                + f", because the page's {_epochs(defaults['epochs'])} of batch {defaults['batch_size']} would make "
                f"{steps} optimisation step{'' if steps == 1 else 's'}; a setting you change stays as you set it: "
                f"{line}")
    st.caption(line)
    if train_windows and total < FEW_STEPS and model:
        recipe_button(model, int(train_windows), lookback, period, settings)


RECIPE_NOTES = "forecast-recipe-notes"
RECIPE_KEYS = fio.RECIPE_KEYS   # what the recipe sets in the form
# The training settings follow the series, as the windows do, until the person changes one: the page's defaults
# where they make enough optimisation steps (the sample), else the leaderboard's recipe for the model on these
# windows. With the defaults alone every first run on a forecast user's own CSVs (3 epochs of batch 256: 6
# steps) "learned nothing useful" and lost to seasonal naive (a forecast user's check).
TRAINING_FOLLOWED = "forecast-training-followed"   # the values the page itself put in the form, while it owns them
TRAINING_FITTED = "forecast-training-fitted"       # what they were fitted to: data, model, windows, season
TRAINING_HANDED = "forecast-training-handed"       # a run's recipe handed over, and the data it came with


def fit_training(source, model: str, windows: dict, check: dict, prefill: dict | None) -> None:
    """Before the training form: those of its recipe's values the page put there and the person has not changed
    since, as they suit this series and `model` (the caption of `training_caption` says which). One the person
    changes is theirs from then on, and the others still follow: epochs set by hand kept the first model's
    lr and patience for every model after it (a browser check). A run's values handed over (a reload beside it,
    Train again) are kept for the data they came with, as its windows are (`fit_to_series`); on other data those
    the person has not changed since follow it: a small series' 200 epochs of batch 32 stayed on for ETTh1, 75,600
    optimisation steps, with no word (a forecast user's check)."""
    from zoo.spec import setting

    for key in (TRAINING_FOLLOWED, TRAINING_FITTED, TRAINING_HANDED):
        drafts.register(key)
    state = st.session_state
    keys = {name: form.widget_key("forecast-settings", name) for name in RECIPE_KEYS}

    def shown() -> dict:
        return {name: state.get(key, setting(name).default) for name, key in keys.items()}

    if prefill and any(name in prefill for name in RECIPE_KEYS):   # (a board's holds none: a review)
        state[TRAINING_FOLLOWED] = {}
        state.pop(TRAINING_FITTED, None)   # fitted again once they follow other data, even the data fitted before
        # the run's values as handed (the form writes them after this, training_form's `values`), and its data
        # (not the page's: a run whose file the page cannot open leaves the page on the sample)
        # Those the run's page had fitted (its spec's training_fitted; all, where it does not say) follow other
        # data; those its person set stay theirs, as its windows do.
        fitted = prefill.get("training_fitted")
        state[TRAINING_HANDED] = {"values": {name: prefill[name] for name in RECIPE_KEYS
                                             if name in prefill and (fitted is None or name in fitted)},
                                  "data": _data_of_spec(prefill.get("data"))}
    handed = state.get(TRAINING_HANDED)
    if handed and source is not None and handed["data"] != _data_of(source):   # (no data yet: they wait for it)
        state.pop(TRAINING_HANDED)
        state.pop(TRAINING_FITTED, None)
        now = shown()
        back = {name: value for name, value in handed["values"].items() if now.get(name) == value}
        state[TRAINING_FOLLOWED] = {**(state.get(TRAINING_FOLLOWED) or {}), **back}
        if back:   # said by training_caption, now or when the form is next drawn with training windows
            state[RECIPE_NOTES] = [LET_GO_NOTE]
    now = shown()
    followed = {name: value for name, value in (state.setdefault(TRAINING_FOLLOWED, now) or {}).items()
                if now.get(name) == value}   # one the person changed is theirs
    state[TRAINING_FOLLOWED] = followed
    train_windows = (check.get("sizes") or {}).get("train")
    if not followed or not train_windows or check.get("error"):
        return
    fitted = "|".join(str(v) for v in (source.key, model, train_windows, windows["lookback"], check.get("season", 1)))
    if state.get(TRAINING_FITTED) == fitted:
        return
    state[TRAINING_FITTED] = fitted
    values = page_training(model, int(train_windows), windows["lookback"], int(check.get("season", 1)))
    notes = form.set_training_values(key_prefix="forecast-settings", values={k: values[k] for k in followed},
                                     task="series")
    state[RECIPE_NOTES] = [n for n in state.get(RECIPE_NOTES) or [] if n == LET_GO_NOTE] + list(notes)   # said by
    # training_caption, as the recipe button's are
    now = shown()
    state[TRAINING_FOLLOWED] = {name: now[name] for name in followed}


def fitted_training() -> list[str]:
    """The training settings the page fitted (its recipe) and the person has not changed, as a run's spec keeps
    them (zoo/spec.py's training_fitted): those following the series, and a run's fitted ones handed over and
    kept for its data."""
    state = st.session_state
    keys = {name: form.widget_key("forecast-settings", name) for name in RECIPE_KEYS}
    handed = (state.get(TRAINING_HANDED) or {}).get("values", {})
    names = set(state.get(TRAINING_FOLLOWED) or {}) | {name for name, value in handed.items()
                                                       if state.get(keys[name]) == value}
    return [name for name in RECIPE_KEYS if name in names]


LET_GO_NOTE = ("The training settings filled in from a run were for its series: for this one they follow the page's "
               "recipe again, except those you changed.")


def _data_of(source) -> str:
    """Which data a source on the page is, as `_data_of_spec` says it of a spec's: the sample, or an upload's
    content (its SHA-256, the key of an upload and the name of its kept copy alike)."""
    return "sample" if source.kind == "sample" else source.key


def _data_of_spec(data) -> str:
    """Which data a spec's `data` is: the sample, an upload's kept copy (by its content), or another path."""
    from pathlib import Path

    if data is None or fio.is_sample(data):
        return "sample"
    path = Path(str(data))
    return path.stem if fio.UPLOADS in path.parts else f"path:{data}"


_epochs = fio.epochs_in_words   # '1 epoch', '5 epochs': the command line's words too


def page_defaults() -> dict:
    """The recipe's settings as the page starts them (TRAINING_DEFAULTS, else zoo/spec.py's)."""
    from zoo.spec import setting

    return {name: TRAINING_DEFAULTS.get(name, setting(name).default) for name in RECIPE_KEYS}


def page_training(model: str, train_windows: int, lookback: int, period: int) -> dict:
    """The training settings the page starts a series with: its defaults where they make FEW_STEPS optimisation
    steps or more, else the leaderboard's recipe for `model` (zoo/forecast_io.recipe_if_few_steps, the command
    line's rule too)."""
    defaults = page_defaults()
    return fio.recipe_if_few_steps(model, train_windows, lookback, period, defaults) or defaults


def leaderboard_recipe(model: str, train_windows: int, lookback: int, period: int) -> dict:
    """The leaderboard's recipe for `model` on these windows (zoo/forecast_io.series_recipe)."""
    return fio.series_recipe(model, train_windows, lookback, period)


def recipe_button(model: str, train_windows: int, lookback: int, period: int, settings: dict) -> None:
    """"Use the leaderboard's recipe": the training settings zoo/leaderboard/plan.zoo_settings gives `model`
    on these windows (about 1,500 steps, early stopping, a cosine schedule), applied only when pressed.
    The default 3 epochs of batch 256 make 3 steps on 40 windows: a new user's linear run scored MASE 2.24
    where the leaderboard's linear, so trained, scored 0.46."""
    import math

    values = leaderboard_recipe(model, train_windows, lookback, period)
    if all(settings.get(k) == v for k, v in values.items()):
        return   # taken already (on the demo, its capped epochs may still be few steps)
    steps = math.ceil(train_windows / values["batch_size"]) * values["epochs"]
    st.button(f"Use the leaderboard's recipe for {model}: batch {values['batch_size']}, {_epochs(values['epochs'])} "
              f"({steps:,} steps), lr {values['lr']:g} on a {values['schedule']} schedule, early stopping after "
              f"{_epochs(values['patience'])} without improvement", key="forecast-use-recipe",
              icon=":material/auto_fix_high:", on_click=_use_recipe, args=(values,))


def _use_recipe(values: dict) -> None:
    st.session_state[RECIPE_NOTES] = form.set_training_values(key_prefix="forecast-settings", values=values,
                                                              task="series")
