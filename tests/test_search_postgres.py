"""Two `python -m zoo search` workers against a real PostgreSQL share one study.

The test starts its own throwaway server: initdb into a temporary folder, postgres on a free
127.0.0.1 port with its socket in that folder, one database, then stops it and removes the folder.
As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root). It is skipped
only where no PostgreSQL binaries are installed (CI installs Debian's postgresql).
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.browser import free_port
from tests.test_search import check_shared_study, run_workers

pytestmark = pytest.mark.postgres


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture
def postgres_url(postgres_server):
    return postgres_server.url


@pytest.fixture
def postgres_server():
    """A throwaway PostgreSQL server: its `url`, and `stop()` (as `pg_ctl -m immediate stop`: the server gone)."""
    from types import SimpleNamespace

    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL binaries (initdb) found: `apt-get install -y postgresql` (CI installs it)")
    root = Path(tempfile.mkdtemp(prefix="playground-pg-"))  # directly under /tmp: the postgres user can reach it
    as_user: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run the server as")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()

    def run(*args, check=True):
        return subprocess.run(as_user + [str(a) for a in args], capture_output=True, text=True, check=check,
                              timeout=120)

    try:
        run(bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        run(bin_dir / "pg_ctl", "-D", data, "-l", root / "server.log", "-w", "-t", "60", "start", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50")
        run(bin_dir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "optuna")
    except subprocess.CalledProcessError as exc:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr}\n{log}") from None
    try:
        yield SimpleNamespace(url=f"postgresql://postgres@127.0.0.1:{port}/optuna",
                              stop=lambda: run(bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"),
                              postmaster=lambda: int((data / "postmaster.pid").read_text().split()[0]))
    finally:
        run(bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_two_workers_share_one_study_on_postgresql(postgres_url, tmp_path):
    runs = tmp_path / "runs"
    started = time.time()
    results = run_workers(postgres_url, runs, "pg-shared")
    check_shared_study(results, postgres_url, runs, "pg-shared", n_trials=3)
    assert all(r["storage"] == postgres_url for r in results)
    assert time.time() - started < 240


def test_a_delete_the_database_refuses_is_said_and_the_study_stays(postgres_url, tmp_path):
    """A shared-database check: a CLI worker writing a trial while the page deleted its study made PostgreSQL refuse
    the delete (a trial's row pointed at the study), Optuna let the refusal pass, and the page said "Deleted study
    lab7 and its 29 trials" of a study still there. A row that points at the study (a table of the lab's own here,
    as the worker's trial was) gets the same refusal every time: it is said, and the study stays, whole."""
    import optuna
    import sqlalchemy

    from zoo.registry import SpecError
    from zoo.search.storage import delete_study, open_storage, sqlalchemy_url

    storage = open_storage(postgres_url)
    study = optuna.create_study(study_name="lab", storage=storage)
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    engine = sqlalchemy.create_engine(sqlalchemy_url(postgres_url))
    with engine.begin() as db:
        db.execute(sqlalchemy.text("CREATE TABLE notes (study_id integer REFERENCES studies (study_id))"))
        db.execute(sqlalchemy.text("INSERT INTO notes SELECT study_id FROM studies WHERE study_name = 'lab'"))
    with pytest.raises(SpecError, match=r"^study 'lab' was not deleted: its storage refused, as it does while a "
                                        r"worker writes a trial to it .*; stop its workers, then delete it again\.$"):
        delete_study(postgres_url, "lab", tmp_path / "runs")
    assert len(optuna.load_study(study_name="lab", storage=storage).trials) == 2
    with engine.begin() as db:
        db.execute(sqlalchemy.text("DROP TABLE notes"))
    engine.dispose()
    assert delete_study(postgres_url, "lab", tmp_path / "runs") == 2
    assert "lab" not in optuna.get_all_study_names(storage=storage)


def test_a_database_gone_mid_study_ends_the_command_in_a_sentence(postgres_server, tmp_path):
    """A shared-database check: PostgreSQL stopped while `zoo search` ran printed a traceback and "internal error
    (UnboundLocalError ... 'updated_state' ...)": Optuna's own fault while it failed to record the trial. It is one
    sentence: the storage stopped answering, what it kept, and what to do; exit 2."""
    import subprocess
    import sys

    from tests.test_search import ROOT
    from zoo.search.storage import open_storage

    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "zoo", "search", "--model", "mlp", "--set", "depth=1", "--epochs",
                             "3", "--limit-train", "200", "--runs-dir", str(tmp_path / "runs"), "--storage",
                             postgres_server.url, "--study", "lab", "--n-trials", "200", "--pruner", "none",
                             "--search", "lr=1e-3:3e-2", "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        storage, deadline = None, time.time() + 120
        while time.time() < deadline:   # a trial recorded: the study is under way
            time.sleep(0.5)
            try:
                storage = storage or open_storage(postgres_server.url)
                import optuna

                if any(t.state.is_finished() for t in optuna.load_study(study_name="lab", storage=storage).trials):
                    break
            except Exception:   # the study not made yet
                continue
        postgres_server.stop()
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 2, (out, err)
    assert "Traceback" not in err and "internal error" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: the study's storage postgresql://postgres@127.0.0.1:") and \
        " stopped answering (" in last and "exceeding max length" not in last and last.endswith(
            "): the trials it recorded before are kept in it; when it answers again, run more trials (the same "
            "command joins study 'lab')."), err


def test_the_search_page_says_a_database_gone_and_keeps_working(postgres_server, tmp_path, monkeypatch):
    """A shared-database check: PostgreSQL stopped while the Search page showed its study turned the page into a
    traceback (Optuna's StorageInternalError), its buttons gone. The page says the storage stopped answering, in the
    database's words, and what it keeps; Train with best says why it is off."""
    import optuna

    from tests.test_pages import no_exceptions, open_page
    from zoo.search.storage import open_storage

    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    study = optuna.create_study(study_name="lab", storage=open_storage(postgres_server.url))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=2)
    at = open_page("app_pages/search.py", query={"study": "lab", "storage": postgres_server.url})
    no_exceptions(at)
    assert [m.value for m in at.metric if m.label == "Trials"] == ["2"]
    postgres_server.stop()
    at.run()
    no_exceptions(at)
    said = [w.value for w in at.warning if "stopped answering" in w.value]
    assert len(said) == 1 and said[0].startswith("the study's storage postgresql://postgres@127.0.0.1:"), said
    assert said[0].endswith("): its trials are kept there; this page reads it again every few seconds while a search "
                            "runs, or when reloaded."), said
    best = next(b for b in at.button if b.key == "search_train_best")
    assert best.disabled and "stopped answering" in best.help
    assert [e.value for e in at.error] == [], [e.value for e in at.error]


def test_a_database_that_takes_the_connection_and_does_not_answer_is_given_up_in_a_sentence(postgres_server):
    """A shared-database check: a frozen server (its postmaster stopped: the connection is taken, nothing answers)
    held `zoo search` for eleven minutes with no word, past a SIGTERM. Opening its storage gives up after
    CONNECT_TIMEOUT_S with one sentence."""
    import signal

    from zoo.registry import SpecError
    from zoo.search.storage import CONNECT_TIMEOUT_S, open_storage

    pid = postgres_server.postmaster()
    os.kill(pid, signal.SIGSTOP)
    started = time.time()
    try:
        with pytest.raises(SpecError, match=r"^cannot open storage postgresql://postgres@127\.0\.0\.1:\d+/optuna: .*"
                                            r"timeout expired; check the URL, that the server runs and the database "
                                            r"exists\.$"):
            open_storage(postgres_server.url)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert CONNECT_TIMEOUT_S <= time.time() - started < CONNECT_TIMEOUT_S + 20
