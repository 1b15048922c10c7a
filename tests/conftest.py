"""Shared fixtures and runners: one tiny generated dataset for the whole session (a few seconds to build),
the writeup's commands (from the repo's own copy, tests/writeup.md), and scripts run as a user runs them.

Scripts run through launcher.Launcher: forked from a process that imported torch and PyTorch3D once, each call
is the script's own process as `python X.py` makes it, at a fork's cost instead of 4-5 s of imports. A test whose
point is a fresh interpreter (import-time checks, thread counts, torchrun) asks for one: script(..., fresh=True)."""
import atexit
import os
import shlex
import subprocess
import sys
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ.setdefault("MPLBACKEND", "Agg")
WRITEUP = os.path.join(REPO, "tests", "writeup.md")

from launcher import Launcher  # noqa: E402 (after the path above)

LAUNCHER = Launcher()
atexit.register(LAUNCHER.close)
SHELL_SYNTAX = set("|&;<>()$`*?[]{}~")


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """10 chairs x 4 views in the R2N2 layout; splits of 8 / 0-1 / 1-2 chairs."""
    from synthetic.dataset import build_dataset

    out = str(tmp_path_factory.mktemp("data") / "tiny")
    build_dataset(out, num_models=10, views=4, seed=123, workers=1, quiet=True)
    return out


def writeup_commands(section_start, section_end):
    """The `python ...` commands of the writeup between two section markers, as typed."""
    text = open(WRITEUP).read()
    part = text[text.index(section_start):text.index(section_end)]
    return [line.strip() for line in part.splitlines() if line.strip().startswith("python ")]


def typed(cmd):
    """A writeup command with `python` replaced by this interpreter and the script by its path in the repo."""
    return cmd.replace("python ", f"{shlex.quote(sys.executable)} {REPO}/", 1)


def run(cmd, env=None, cwd=None):
    """Run a shell command line; it must succeed. Returns its stdout. A plain `python script.py args` line (no
    shell syntax) goes through the launcher, as the shell would have run it."""
    words = shlex.split(cmd)
    if (len(words) > 1 and words[0] == sys.executable and words[1].endswith(".py")
            and not any(c in SHELL_SYNTAX for c in cmd.replace(sys.executable, ""))):
        out = launch(words[1:], cwd, env)
    else:
        out = subprocess.run(cmd, shell=True, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{cmd}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def launch(argv, cwd=None, env=None, timeout=600):
    """[script path, args...] run as `python script args`, forked from the launcher; a CompletedProcess."""
    with tempfile.TemporaryDirectory() as tmp:
        out, err = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        code = LAUNCHER.run(argv, cwd or REPO, env, out, err, timeout=timeout, new_group=True)
        return subprocess.CompletedProcess([sys.executable, *argv], code, open(out).read(), open(err).read())


def script(name, *args, cwd=None, env=None, fresh=False):
    """Run one of the repo's scripts with arguments (no shell); returns the CompletedProcess. fresh: in a new
    interpreter, for tests of what happens at import or of the process as a whole."""
    argv = [os.path.join(REPO, name), *map(str, args)]
    if fresh:
        return subprocess.run([sys.executable, *argv], cwd=cwd or REPO, env=env, capture_output=True, text=True,
                              timeout=600)
    return launch(argv, cwd, env)


def script_ok(name, *args, **kw):
    """Run a script that must succeed; returns its stdout."""
    out = script(name, *args, **kw)
    assert out.returncode == 0, f"{name} {args}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def script_fails(name, *args, message, **kw):
    """Run a script that must stop with one clear line containing `message` (no traceback); returns stderr."""
    out = script(name, *args, **kw)
    assert out.returncode != 0 and message in out.stderr and "Traceback" not in out.stderr, (
        f"{name} {args}: code {out.returncode}\n{out.stdout[-1000:]}\n{out.stderr[-3000:]}")
    return out.stderr


def checkpoint_of(stdout):
    """The checkpoint path a training script printed last ("checkpoint: PATH")."""
    return [line.split("checkpoint: ", 1)[1] for line in stdout.splitlines() if line.startswith("checkpoint: ")][-1]


# The longest files first, so that with one worker per core (make test: --dist loadfile) the report's stages are not
# what the suite waits for at its end; the rest fill the other worker as they come.
FIRST = ("test_report.py", "test_equal_time.py", "test_q3.py", "test_train_eval.py", "test_reproducible.py")


def pytest_collection_modifyitems(items):
    rank = lambda item: FIRST.index(item.path.name) if item.path.name in FIRST else len(FIRST)
    items.sort(key=rank)  # stable: the order inside a file is kept
