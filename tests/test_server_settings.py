"""The server's PLAYGROUND_* settings (zoo/server_settings.py): each declared once, and one set wrong is said, where an
operator's check found each read in its own way and none said anything: a misspelt PLAYGROUND_DEMO served the demo in
local mode, a max age of -1 had the sweep delete every run, PLAYGROUND_MAX_JOBS=abc showed strangers a traceback."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.test_cli import zoo_main
from zoo import demo, server_settings
from zoo.registry import SpecError

WRONG = {
    "PLAYGROUND_DEMO": ("ture", "PLAYGROUND_DEMO='ture' is neither on nor off; set it to 1 (on) or 0 (off)."),
    "PLAYGROUND_CAP_EPOCH": ("3", "PLAYGROUND_CAP_EPOCH is not a setting of the playground, so it changes nothing; "
                                  "did you mean PLAYGROUND_CAP_EPOCHS?"),
    "PLAYGROUND_CAP_EPOCHS": ("-5", "PLAYGROUND_CAP_EPOCHS='-5' is out of its range; set a whole number of 0 or more."),
    "PLAYGROUND_CAP_UPLOAD_MB": ("2.9", "PLAYGROUND_CAP_UPLOAD_MB='2.9' is not a whole number; set a whole number of 0 "
                                        "or more."),
    "PLAYGROUND_CAP_MAX_AGE_HOURS": ("-1", "PLAYGROUND_CAP_MAX_AGE_HOURS='-1' is out of its range; set a number above "
                                           "0."),
    "PLAYGROUND_CAP_MODEL_MB": ("1e1", "PLAYGROUND_CAP_MODEL_MB='1e1' is a whole number written otherwise; write it "
                                       "in digits (10), as Streamlit's own options take it."),
    "PLAYGROUND_CAP_TRIALS": ("lots", "PLAYGROUND_CAP_TRIALS='lots' is not a number; set a whole number of 0 or more."),
    "PLAYGROUND_MAX_JOBS": ("abc", "PLAYGROUND_MAX_JOBS='abc' is not a number; set a whole number of 1 or more."),
    "PLAYGROUND_START_METHOD": ("thread", "PLAYGROUND_START_METHOD='thread' is not one of forkserver, spawn, fork; set "
                                          "one of them."),
    "PLAYGROUND_SOMETHING": ("1", "PLAYGROUND_SOMETHING is not a setting of the playground, so it changes nothing; see "
                                  "the README's list of settings."),
    "playground_demo": ("1", "playground_demo is not a setting of the playground: their names are in capitals, "
                             "PLAYGROUND_DEMO."),
}


@pytest.fixture(autouse=True)
def no_unreadable_secrets_files():
    """Each test starts with none (the process's list of secrets files it could not read: zoo/server_settings.py),
    and the process's is put back after."""
    held = dict(server_settings.UNREADABLE_FILES)
    server_settings.UNREADABLE_FILES.clear()
    yield
    server_settings.UNREADABLE_FILES.clear()
    server_settings.UNREADABLE_FILES.update(held)


@pytest.mark.parametrize("name", list(WRONG))
def test_a_setting_set_wrong_is_said_with_what_to_set(name):
    raw, said = WRONG[name]
    assert server_settings.problems({name: raw}) == [said]


def test_settings_set_right_are_read_as_their_kind_and_unset_or_empty_as_their_default():
    right = {"PLAYGROUND_DEMO": "On", "PLAYGROUND_CAP_EPOCHS": "12", "PLAYGROUND_CAP_MAX_AGE_HOURS": "0.5",
             "PLAYGROUND_MAX_JOBS": "3", "PLAYGROUND_RAY_SHIP_CODE": "", "PLAYGROUND_RUNS_DIR": "/data/runs",
             "PLAYGROUND_CAP_TRAIN_MEMORY_MB": "0"}   # (a cap of 0 allows nothing: the operator's to choose)
    assert server_settings.problems(right) == []
    read = {name: server_settings.value(name, right) for name in right}
    assert read == {"PLAYGROUND_DEMO": True, "PLAYGROUND_CAP_EPOCHS": 12, "PLAYGROUND_CAP_MAX_AGE_HOURS": 0.5,
                    "PLAYGROUND_MAX_JOBS": 3, "PLAYGROUND_RAY_SHIP_CODE": True, "PLAYGROUND_RUNS_DIR": "/data/runs",
                    "PLAYGROUND_CAP_TRAIN_MEMORY_MB": 0}
    assert server_settings.value("PLAYGROUND_MAX_JOBS", {}) == 2


def test_every_setting_the_code_reads_is_declared():
    """The declarations are the one list: a setting read somewhere and not declared would be called a typo."""
    read = set()
    for path in [ROOT / "app.py", *(ROOT / "zoo").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        if path.name != "server_settings.py":   # (whose words name typos)
            read |= set(re.findall(r"PLAYGROUND_[A-Z_]*[A-Z]", path.read_text()))
    declared = set(server_settings.declared())
    assert read - {"PLAYGROUND_CAP"} <= declared, read - declared
    assert {f"PLAYGROUND_CAP_{name.upper()}" for name in demo.Caps.__dataclass_fields__} <= declared


def test_the_readers_refuse_a_value_set_wrong(monkeypatch):
    from zoo.jobs import JobManager

    monkeypatch.setenv("PLAYGROUND_DEMO", "ture")
    with pytest.raises(SpecError, match="neither on nor off"):   # not local mode, unsaid
        demo.demo_mode()
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    monkeypatch.setenv("PLAYGROUND_CAP_MAX_AGE_HOURS", "-1")
    with pytest.raises(SpecError, match="above 0"):   # not a sweep that deletes every run
        demo.caps()
    monkeypatch.setenv("PLAYGROUND_CAP_MAX_AGE_HOURS", "0.5")
    assert demo.caps().max_age_hours == 0.5
    monkeypatch.setenv("PLAYGROUND_MAX_JOBS", "0")
    with pytest.raises(SpecError, match="PLAYGROUND_MAX_JOBS='0' is out of its range"):   # not a queue that never runs
        JobManager()


def test_the_command_line_refuses_a_value_set_wrong_and_warns_of_a_name_no_setting_has(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_MAX_JOBS", "abc")
    proc = zoo_main("models", "--json")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == f"error: {WRONG['PLAYGROUND_MAX_JOBS'][1]}"
    # a name: said, and run (a machine's environment may hold a newer checkout's setting: a review)
    monkeypatch.delenv("PLAYGROUND_MAX_JOBS")
    monkeypatch.setenv("PLAYGROUND_CAP_EPOCH", "3")
    proc = zoo_main("models", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == f"warning: {WRONG['PLAYGROUND_CAP_EPOCH'][1]}"


def logged(capfd) -> str:
    """The process's stderr once the server's log has written every line so far (zoo/server_log.py writes them from a
    thread of its own)."""
    from zoo import server_log

    server_log.drain()
    return capfd.readouterr().err


def test_the_app_serves_no_page_with_a_setting_set_wrong_and_says_which(monkeypatch, capfd):
    from ui import state

    monkeypatch.setattr(state, "_logged", set())   # (each line is logged once per process: this one may have before)
    monkeypatch.setenv("PLAYGROUND_DEMO", "ture")
    monkeypatch.setenv("PLAYGROUND_MAX_JOBS", "abc")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    said = [e.value for e in at.error]
    assert len(said) == 1 and said[0].startswith("This server's settings are wrong, so it serves no page until they "
                                                 "are put right, and restarted:")
    assert WRONG["PLAYGROUND_DEMO"][1] in said[0] and WRONG["PLAYGROUND_MAX_JOBS"][1] in said[0]
    assert not at.title and not at.button   # no page: not the demo in local mode, nor a traceback
    log = logged(capfd)
    assert "playground ERROR: a setting is wrong, no page is served until it is put right: " \
           f"{WRONG['PLAYGROUND_DEMO'][1]}" in log and "serving" not in log
    monkeypatch.setenv("PLAYGROUND_DEMO", "1")
    monkeypatch.delenv("PLAYGROUND_MAX_JOBS")
    state._say_how_it_serves.cache_clear()   # (once per process: this process may have served a page before)
    at.run()
    assert not at.error and at.title   # put right: served, and the log says how
    log = logged(capfd)
    assert log.count("playground INFO: serving the hosted demo (PLAYGROUND_DEMO on), runs in ") == 1, log
    assert "caps: epochs=30, trials=20, " in log


def test_on_the_demo_a_stranger_sees_an_errors_type_not_its_traceback(monkeypatch, runs_dir):
    """An operator's check: Streamlit's default shows an unexpected error's traceback, server paths and all, to
    whoever is at the page; on the demo it shows the error's type (the server's log has it whole)."""
    import streamlit as st

    from ui.state import ERROR_DETAILS   # what the configuration says, read before the app set it

    try:
        AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert st.get_option("client.showErrorDetails") == ERROR_DETAILS == "full"   # locally, as configured
        monkeypatch.setenv("PLAYGROUND_DEMO", "1")
        AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert st.get_option("client.showErrorDetails") == "type"
        monkeypatch.delenv("PLAYGROUND_DEMO")   # (and back, in a process that also serves local pages: the tests')
        AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        assert st.get_option("client.showErrorDetails") == "full"
    finally:
        st.set_option("client.showErrorDetails", ERROR_DETAILS)


def test_a_secrets_file_that_is_not_toml_is_said_not_skipped(tmp_path, monkeypatch):
    """An operator's check: `PLAYGROUND_DEMO = True` (TOML's booleans are lower case) in .streamlit/secrets.toml made
    the file unreadable, and the demo ran in local mode, every visitor's runs shown to everyone, said in one line of
    Streamlit's log. The file is a problem like a setting set wrong: the pages and the command line refuse to run."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text("PLAYGROUND_DEMO = True\n")
    assert demo.secrets_in_files(tmp_path) == {}
    said = server_settings.problems({})
    assert len(said) == 1 and said[0].startswith(f"{secrets} is not readable as TOML (Invalid value (at line 1, ") \
        and said[0].endswith("), so none of its settings is in force; put it right or remove it.")
    secrets.write_text("PLAYGROUND_DEMO = true\n")
    assert demo.secrets_in_files(tmp_path) == {"PLAYGROUND_DEMO": True} and server_settings.problems({}) == []
    secrets.write_text("PLAYGROUND_DEMO = True\n")
    demo.secrets_in_files(tmp_path)
    secrets.unlink()   # removed, as the sentence offers: no longer a problem
    assert demo.secrets_in_files(tmp_path) == {} and server_settings.problems({}) == []


def test_a_secrets_file_wins_over_the_environment_as_streamlit_makes_it(tmp_path, monkeypatch):
    """Streamlit puts a secret's text or number into the environment when its server starts, over what was there:
    the README had said the environment won, and the command line did so (an operator's check). Both now take the
    secrets file's, booleans too; set empty, a setting is unset (the runs directory had been the server's folder)."""
    monkeypatch.setenv("PLAYGROUND_CAP_EPOCHS", "10")
    monkeypatch.setenv("PLAYGROUND_DEMO", "0")
    demo.apply_secrets({"PLAYGROUND_CAP_EPOCHS": 3, "PLAYGROUND_DEMO": True, "OTHER": "x"})
    assert (os.environ["PLAYGROUND_CAP_EPOCHS"], os.environ["PLAYGROUND_DEMO"]) == ("3", "true")
    assert demo.caps().epochs == 3 and "OTHER" not in os.environ
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", "")
    from zoo.runs import runs_root

    assert runs_root() == Path("runs")
