"""Run the repo's scripts as `python X.py args` runs them, each in a child forked from a server process that
imported torch, PyTorch3D and the other heavy libraries once.

Why: a fresh interpreter spends 4-5 s of CPU importing those libraries before a script does anything. report.py
runs some 35 stages and the test suite hundreds of script calls; forked from a process that already holds the
imports, a call starts in milliseconds. The child is the script's own process in every way a script can see: its
argv, cwd, environment, its module run as the main one, sys.path[0] the script's folder, stdout and stderr to the files
asked for, its exit code (SystemExit's; an uncaught exception prints its traceback and gives 1; a signal gives
minus its number, as subprocess reports it), and the interpreter's exit handlers run at its end.

What libraries read when they are imported (IMPORT_TIME_ENV: thread counts, CPU instruction sets, CUDA devices)
is the server's: a call that sets any of it differently goes to a server of its own, started with that
environment (so it is what a fresh interpreter with that environment would be). The server imports and runs no tensor operation, so there is no OpenMP thread pool for a child to
inherit half-made (GNU OpenMP is not fork-safe once its pool exists); each child starts from the server's state.

Ctrl-C: in its terminal's process group the child gets SIGINT with its parent and handles it as it would alone
(training saves its steps and exits 130); the server ignores it, and `Launcher.run` waits for the child to end.
"""
import json
import os
import select
import signal
import subprocess
import sys

REPO = os.path.dirname(os.path.abspath(__file__))
PRELOAD = ("numpy", "scipy.spatial", "scipy.ndimage", "PIL.Image", "imageio", "tqdm", "tabulate", "matplotlib.pyplot",
           "torch", "torchvision", "torchvision.models", "pytorch3d.structures", "pytorch3d.ops", "pytorch3d.renderer",
           "pytorch3d.io", "pytorch3d.loss", "pytorch3d.utils", "pytorch3d.datasets", "igl", "pytorch_grad_cam",
           "torch.utils.tensorboard")
# Read once when a library is imported: a call that sets any of them differently needs a server started with its
# values (the thread pools' sizes, the CPU code paths of oneDNN, MKL and ATen, the visible GPUs, the import path).
IMPORT_TIME_ENV = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "KMP_AFFINITY", "GOMP_CPU_AFFINITY",
                   "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS",
                   "MKL_CBWR", "CUDA_VISIBLE_DEVICES", "PYTHONPATH", "PYTHONHASHSEED", "LD_PRELOAD",
                   "LD_LIBRARY_PATH", "MPLBACKEND", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
MAIN = "_".join(["", "", "main", "", ""])  # the main module's name, which `python X.py` gives the script (spelled
# apart: this is a library module, and the literal would make it read as an entry script)

# Linux only: on macOS a fork without exec of a process that has loaded system frameworks (Accelerate, through
# numpy and torch) is unsafe, so there every call is a fresh interpreter, as before.
FORK = sys.platform.startswith("linux")


def _child(request, base_path):
    """In the forked child: become the script's process and run it; never returns."""
    code = 1
    try:
        if request["new_group"]:
            os.setpgid(0, 0)  # its own process group, so that a caller's timeout ends whatever it started
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        err = out if request["stderr"] == request["stdout"] else \
            os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for fd, target in ((null, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
        for fd in {null, out, err}:
            os.close(fd)
        sys.stdin = open(0, "r", closefd=False)
        sys.stdout = open(1, "w", buffering=1, closefd=False)
        sys.stderr = open(2, "w", buffering=1, closefd=False)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        script = os.path.abspath(request["argv"][0])
        sys.argv = list(request["argv"])
        sys.path[:] = [os.path.dirname(script)] + base_path  # as `python X.py` puts the script's folder first
        import runpy
        try:
            runpy.run_path(script, run_name=MAIN)
            code = 0
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                code = e.code or 0
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        import atexit
        atexit._run_exitfuncs()  # what the interpreter runs at exit; os._exit below would skip it
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve():
    """The server's loop (started by Launcher): import PRELOAD, then one request a line on stdin, one fork each.
    Answers {"pid"} when the child has started and {"code"} when it has ended."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the child and the caller, not for the server
    import importlib
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD:
        importlib.import_module(name)
    base_path = [p for p in sys.path[1:] if p != REPO]
    reply = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request, base_path)
        reply.write(json.dumps({"pid": pid}) + "\n")
        reply.flush()
        _, status = os.waitpid(pid, 0)
        reply.write(json.dumps({"code": os.waitstatus_to_exitcode(status)}) + "\n")
        reply.flush()


class Launcher:
    """Runs scripts through server processes, one per environment of IMPORT_TIME_ENV values, each started on its
    first call. One call at a time."""

    def __init__(self):
        self.servers = {}  # IMPORT_TIME_ENV values -> [server process, bytes it wrote past the last line read]

    def run(self, argv, cwd, env=None, stdout=os.devnull, stderr=None, timeout=None, new_group=False):
        """Run `argv` = [script path, args...] as `python script args` in `cwd` with environment `env` (default this
        process's), stdout and stderr to the files named (stderr None: the same file as stdout). Returns the exit
        code; on a timeout the child (and with new_group, all it started) is killed and subprocess.TimeoutExpired
        raised."""
        env = dict(os.environ if env is None else env)
        stderr = stdout if stderr is None else stderr
        argv = [os.fspath(a) for a in argv]
        if not FORK:
            with open(stdout, "w") as out, open(stderr, "a" if stderr == stdout else "w") as err:
                return subprocess.call([sys.executable, *argv], cwd=cwd, env=env, stdout=out, stderr=err,
                                       timeout=timeout, start_new_session=new_group)
        key = tuple(env.get(k) for k in IMPORT_TIME_ENV)
        if key not in self.servers or self.servers[key][0].poll() is not None:
            server = subprocess.Popen(
                [sys.executable, "-c", f"import sys; sys.path.insert(0, {REPO!r}); import launcher; launcher.serve()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=REPO,
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
            self.servers[key] = [server, b""]
        self.server = self.servers[key]
        request = {"argv": argv, "cwd": os.path.abspath(cwd), "env": env, "stdout": os.path.abspath(stdout),
                   "stderr": os.path.abspath(stderr), "new_group": new_group}
        self.server[0].stdin.write(json.dumps(request) + "\n")
        self.server[0].stdin.flush()
        pid = json.loads(self._line(None))["pid"]
        try:
            line = self._line(timeout)
        except subprocess.TimeoutExpired:
            self._kill(pid, new_group)
            self._line(None)
            raise subprocess.TimeoutExpired(argv, timeout)
        except KeyboardInterrupt:  # the child got the same SIGINT: let it save and end, then pass the interrupt on
            while True:
                try:
                    self._line(None)
                    break
                except KeyboardInterrupt:  # a second Ctrl-C: the child has it too; keep waiting for it to end
                    continue
            raise
        return json.loads(line)["code"]

    def _line(self, timeout):
        """The server's next reply line, waiting at most `timeout` seconds (None: as long as it takes)."""
        fd = self.server[0].stdout.fileno()  # read unbuffered, so that select sees every byte not yet read
        while b"\n" not in self.server[1]:
            if timeout is not None and not select.select([fd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("launcher", timeout)
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("the script launcher's server ended unexpectedly")
            self.server[1] += chunk
        line, self.server[1] = self.server[1].split(b"\n", 1)
        return line.decode()

    @staticmethod
    def _kill(pid, group):
        try:
            os.killpg(pid, signal.SIGKILL) if group else os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self):
        for server, _ in self.servers.values():
            if server.poll() is None:
                server.stdin.close()
                server.wait()
        self.servers = {}
