"""launcher.py: a script forked from the preloaded server is the process `python X.py` makes (checked against a
real fresh interpreter), each environment of import-time values gets its own server, and Ctrl-C in a terminal lets
the script finish what it does on Ctrl-C before the caller stops."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import REPO
from launcher import Launcher

PROBE = textwrap.dedent("""
    import os, sys
    print("name", __name__)
    print("argv", sys.argv[1:])
    print("cwd", os.getcwd())
    print("path0", sys.path[0])
    print("env", os.environ.get("PROBE_VALUE"))
    if "torch" in sys.argv:  # only where asked: a fresh interpreter takes seconds to import it
        import torch
        print("threads", torch.get_num_threads())
    print("to stderr", file=sys.stderr)
    what = sys.argv[1]
    if what == "raise":
        raise ValueError("boom")
    if what == "message":
        sys.exit("error: one line")
    if what == "kill":
        os.kill(os.getpid(), 9)
    sys.exit(int(what))
""")


@pytest.fixture(scope="module")
def launcher():
    launch = Launcher()
    yield launch
    launch.close()


def fresh(script, args, cwd, env):
    """The reference: the script in a new interpreter, as a user runs it."""
    out = subprocess.run([sys.executable, script, *args], cwd=cwd, env=env, capture_output=True, text=True)
    return out.returncode, out.stdout, out.stderr


def forked(launcher, script, args, cwd, env, tmp_path):
    out, err = tmp_path / "out", tmp_path / "err"
    code = launcher.run([script, *args], cwd, env, out, err)
    return code, out.read_text(), err.read_text()


@pytest.mark.parametrize("what", ["0", "3", "raise", "message", "kill"])
def test_a_forked_script_is_the_process_python_makes(launcher, tmp_path, what):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, PROBE_VALUE="seen")
    ref = fresh(str(script), [what, "b c"], work, env)
    got = forked(launcher, str(script), [what, "b c"], work, env, tmp_path)
    assert got[0] == ref[0] and got[1] == ref[1], (got, ref)
    assert ref[1].startswith("name __main__\n") or what == "kill"
    if what == "raise":  # the traceback, as the interpreter prints it
        assert "Traceback" in got[2] and got[2].strip().endswith("ValueError: boom")
    else:
        assert got[2] == ref[2]
    assert {"0": 0, "3": 3, "raise": 1, "message": 1, "kill": -9}[what] == got[0]


def test_each_thread_count_has_its_own_server(launcher, tmp_path):
    """OMP_NUM_THREADS is read when torch is imported: a call that sets another value is forked from a server
    started with it, so torch has that many threads, as in a fresh interpreter."""
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    for threads in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=threads)
        code, out, _ = forked(launcher, str(script), ["0", "torch"], tmp_path, env, tmp_path)
        assert code == 0 and f"threads {threads}\n" in out
        assert fresh(str(script), ["0", "torch"], tmp_path, env)[1] == out


def test_a_relative_working_folder_is_the_callers(launcher, tmp_path, monkeypatch):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path)
    code, out, _ = forked(launcher, "probe.py", ["0"], ".", None, tmp_path / "work")
    assert code == 0 and f"cwd {tmp_path}\n" in out


def test_a_timeout_ends_the_script_and_what_it_started(launcher, tmp_path):
    script = tmp_path / "slow.py"
    script.write_text("import subprocess, sys, time\n"
                      "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
                      "open(sys.argv[1], 'w').write(str(child.pid))\n"
                      "time.sleep(60)\n")
    mark = tmp_path / "pid"
    t0 = time.time()
    with pytest.raises(subprocess.TimeoutExpired):
        launcher.run([script, mark], tmp_path, None, tmp_path / "out", timeout=3, new_group=True)
    assert time.time() - t0 < 20
    grandchild = int(mark.read_text())
    time.sleep(0.5)
    try:
        with open(f"/proc/{grandchild}/stat") as f:  # killed: gone, or a zombie waiting for its reaper
            assert f.read().split()[2] == "Z"
    except FileNotFoundError:
        pass
    # The server goes on serving.
    assert launcher.run([_write(tmp_path / "ok.py", "pass")], tmp_path, None, tmp_path / "out") == 0


def _write(path, text):
    path.write_text(text)
    return path


def test_ctrl_c_lets_the_script_save_before_the_caller_stops(tmp_path):
    """As in a terminal: SIGINT reaches the caller (report.py) and the script in one process group. The script
    takes its time to save and ends with 130; the caller waits for it, then stops on KeyboardInterrupt."""
    script = _write(tmp_path / "saver.py", textwrap.dedent("""
        import sys, time
        open(sys.argv[1] + ".ready", "w").close()
        try:
            time.sleep(60)
        except KeyboardInterrupt:
            time.sleep(1.5)  # longer than subprocess's 0.25 s grace after Ctrl-C
            open(sys.argv[1], "w").write("saved")
            sys.exit(130)
    """))
    caller = _write(tmp_path / "caller.py", textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {REPO!r})
        from launcher import Launcher
        try:
            code = Launcher().run([{str(script)!r}, {str(tmp_path / 'saved')!r}], {str(tmp_path)!r}, None,
                                  {str(tmp_path / 'log')!r})
        except KeyboardInterrupt:
            print("interrupted")
            sys.exit(130)
        print("ended", code)
    """))
    proc = subprocess.Popen([sys.executable, str(caller)], stdout=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 60
    while not (tmp_path / "saved.ready").exists():
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130 and out.strip() == "interrupted"
    assert (tmp_path / "saved").read_text() == "saved"


def test_where_fork_is_unsafe_every_call_is_a_fresh_interpreter(tmp_path, monkeypatch):
    import launcher as launcher_module
    monkeypatch.setattr(launcher_module, "FORK", False)  # as on macOS
    script = _write(tmp_path / "probe.py", PROBE)
    plain = Launcher()
    env = dict(os.environ, PROBE_VALUE="seen")
    assert forked(plain, str(script), ["3", "b c"], tmp_path, env, tmp_path) == fresh(str(script), ["3", "b c"],
                                                                                        tmp_path, env)
    assert plain.servers == {}
