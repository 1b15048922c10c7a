"""The newcomer's messages: --help shows defaults, bad flags stop with one line before any file or download
exists, the ImageNet note is one line with no third-party noise before it, and a long run says how long it takes."""
import argparse
import os
import subprocess
import sys

import pytest
import torch

import eval_q3
import training
from conftest import REPO, script, script_fails, script_ok

TRAINERS = ["train_model.py", "q3_train_implicit.py", "q3_train_parametric.py"]
# No network: a proxy on a closed local port makes every download fail at once, whatever the machine can reach.
OFFLINE = {"https_proxy": "http://127.0.0.1:9", "http_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}


def offline_env(tmp_path, **extra):
    """No network and an empty torch hub cache (TORCH_HOME), so the ImageNet weights cannot be had."""
    home = tmp_path / "torch_home"
    home.mkdir(exist_ok=True)
    return dict(os.environ, TORCH_HOME=str(home), **OFFLINE, **extra)


def assert_nothing_created(out):
    assert not os.path.exists(out), f"{out} was created: {sorted(os.listdir(out))}"


def assert_one_line(stderr, start):
    """An argparse error is its usage line and one error line; our own checks are one line."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines[-1].split("error: ", 1)[-1].startswith(start) or start in lines[-1], stderr
    assert len(lines) <= 2 and all("usage:" in line for line in lines[:-1]), stderr


@pytest.mark.parametrize("name", TRAINERS)
def test_bad_arch_is_one_line_and_creates_nothing(name, tmp_path):
    out = tmp_path / "runs"
    result = script(name, "--arch", "vgg16", "--output_dir", out, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "resnet18" in result.stderr  # names the choices
    assert_one_line(result.stderr, "argument --arch: invalid choice: 'vgg16'")
    assert_nothing_created(out)


@pytest.mark.parametrize("name", TRAINERS)
def test_bad_dataset_dir_is_one_line_before_any_file_or_download(name, tmp_path):
    """Today's failure: run folder, vis/ and a loss log created, the ImageNet download tried, then the error."""
    out = tmp_path / "runs"
    env = offline_env(tmp_path)
    err = script_fails(name, "--dataset_dir", tmp_path / "nowhere", "--output_dir", out, "--max_iter", "3",
                       cwd=tmp_path, env=env, message="does not exist; point --dataset_dir at the folder holding")
    assert_one_line(err, "dataset folder")
    assert "ImageNet" not in err and "Downloading" not in err
    assert_nothing_created(out)
    # A folder that exists but is not a dataset, and the environment variable: the same, naming their source.
    err = script_fails(name, "--output_dir", out, cwd=tmp_path, env=dict(env, R2N2_DATASET_DIR=str(tmp_path)),
                       message="(from R2N2_DATASET_DIR) has no split_03001627.json")
    assert_one_line(err, "dataset folder")
    assert_nothing_created(out)


def test_bad_dataset_dir_in_the_evaluators_creates_nothing(point_file, tmp_path):
    out = tmp_path / "results"
    for name, extra in (("eval_model.py", ["--type", "point"]),
                        ("eval_q3.py", ["--model_type", "parametric", "--type", "point"])):
        err = script_fails(name, *extra, "--checkpoint_path", point_file, "--dataset_dir", tmp_path / "nowhere",
                           "--output_dir", out, cwd=tmp_path, message="does not exist; point --dataset_dir")
        assert_one_line(err, "dataset folder")
        assert_nothing_created(out)


@pytest.fixture
def point_file(tmp_path):
    """Any existing file: the checks that run before a checkpoint is read only ask that it exists."""
    path = tmp_path / "some.pth"
    path.write_bytes(b"")
    return path


def test_bad_type_is_one_line(tiny_dataset, point_file, tmp_path):
    out = tmp_path / "runs"
    err = script_fails("train_model.py", "--type", "voxel", "--output_dir", out, cwd=tmp_path,
                       message="argument --type: invalid choice: 'voxel'")
    assert_one_line(err, "argument --type")
    err = script_fails("eval_q3.py", "--model_type", "occupancy", "--type", "point", "--checkpoint_path", point_file,
                       "--dataset_dir", tiny_dataset, "--output_dir", out, cwd=tmp_path,
                       message="--model_type occupancy is scored as --type vox")
    assert_one_line(err, "--model_type occupancy")
    assert_nothing_created(out)


@pytest.mark.parametrize("flag, value, name", [
    ("--max_iter", "0", "train_model.py"), ("--batch_size", "-2", "train_model.py"), ("--n_points", "0", "train_model.py"),
    ("--num_points_to_sample", "0", "q3_train_implicit.py"), ("--lr", "0", "q3_train_parametric.py"),
    ("--ema", "1", "q3_train_implicit.py"),
])
def test_non_positive_numbers_are_one_line_and_create_nothing(flag, value, name, tiny_dataset, tmp_path):
    out = tmp_path / "runs"
    err = script_fails(name, flag, value, "--dataset_dir", tiny_dataset, "--output_dir", out, cwd=tmp_path,
                       message=f"error: {flag} must be")
    assert_one_line(err, f"{flag} must be")
    assert_nothing_created(out)


def test_gradcam_and_fit_check_their_counts_first(tmp_path):
    err = script_fails("gradcam.py", "--type", "vox", "--checkpoint_path", tmp_path / "x.pth", "--max_iter", "0",
                       cwd=tmp_path, message="--max_iter 0: it is the number of test examples to explain")
    assert_one_line(err, "--max_iter 0")
    err = script_fails("fit_data.py", "--max_iter", "0", "--output_dir", tmp_path / "fit", cwd=tmp_path,
                       message="--max_iter must be at least 1")
    assert_one_line(err, "--max_iter must be")
    assert_nothing_created(tmp_path / "fit")


def test_eval_q3_id_follows_the_model_type(tiny_dataset, point_file):
    parser = eval_q3.get_args_parser()
    common = ["--checkpoint_path", str(point_file), "--dataset_dir", tiny_dataset]
    for model_type, kind, run_id in (("occupancy", "vox", "q3_implicit"), ("parametric", "point", "q3_parametric")):
        args = parser.parse_args(["--model_type", model_type, "--type", kind, *common])
        eval_q3.check_args(args)
        assert args.id == run_id
    args = parser.parse_args(["--model_type", "occupancy", "--type", "vox", "--id", "mine", *common])
    eval_q3.check_args(args)
    assert args.id == "mine"


def parsers():
    """The parsers the scripts build in get_args_parser (the others are checked through --help below)."""
    import eval_model
    import gradcam
    import q3_train_implicit
    import q3_train_parametric
    import train_model
    return {"train_model.py": train_model.get_args_parser(), "q3_train_implicit.py": q3_train_implicit.get_args_parser(),
            "q3_train_parametric.py": q3_train_parametric.get_args_parser(), "eval_model.py": eval_model.get_args_parser(),
            "eval_q3.py": eval_q3.get_args_parser(), "gradcam.py": gradcam.get_args_parser()}


def test_help_shows_every_default():
    """Every flag with a value default shows it; the writeup's output folders are the defaults, per script."""
    found = parsers()
    for name, parser in found.items():
        text = " ".join(parser.format_help().split())  # unwrapped
        for action in parser._actions:
            if action.default not in (None, False, argparse.SUPPRESS) and not action.required:
                assert f"(default: {action.default})" in text, (name, action.dest)
    output_dir = {name: p.get_default("output_dir") for name, p in found.items()}
    assert output_dir["train_model.py"] == "./outputs"
    assert output_dir["q3_train_implicit.py"] == output_dir["q3_train_parametric.py"] == "./output"
    assert output_dir["eval_model.py"] == output_dir["eval_q3.py"] == "./test_outputs"
    assert "(default: ./outputs)" in " ".join(found["train_model.py"].format_help().split())
    assert "examples to explain" in found["gradcam.py"].format_help()


@pytest.mark.parametrize("name, shown", [
    ("fit_data.py", ["(default: ./output)", "--output_dir", "(default: 1000)"]),
    ("compare.py", ["(default: name)"]),
    ("extract_feats.py", ["(default: 48)", "(default: resnet18)"]),
    ("bench.py", ["(default: 32)", "(default: 20)"]),
])
def test_help_of_the_other_scripts_shows_defaults(name, shown):
    text = " ".join(script_ok(name, "--help").split())
    for s in shown:
        assert s in text, (name, s)


def test_fit_data_accepts_output_dir(tiny_dataset, tmp_path):
    script_ok("fit_data.py", "--type", "vox", "--max_iter", "2", "--output_dir", tmp_path / "fit", "--save_predictions",
              "--dataset_dir", tiny_dataset, "--device", "cpu", cwd=tmp_path)
    assert (tmp_path / "fit" / "fit_vox.npy").is_file()


ENCODER = f"import sys; sys.path.insert(0, {REPO!r}); from model import ImageEncoder; ImageEncoder('resnet18', {{!r}})"


def test_pretrained_note_is_one_line_with_nothing_before_it(tmp_path):
    """Offline with an empty torch hub cache: --pretrained auto says one line, no URL or 'Downloading' first."""
    out = subprocess.run([sys.executable, "-c", ENCODER.format("auto")], env=offline_env(tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("note: no ImageNet weights for resnet18"), lines
    assert "http" not in lines[0] and "Downloading" not in lines[0]
    assert "the encoder starts from random weights" in lines[0]


def test_pretrained_yes_without_weights_says_where_the_file_goes(tiny_dataset, tmp_path):
    env = offline_env(tmp_path)
    out = tmp_path / "runs"
    err = script_fails("train_model.py", "--pretrained", "yes", "--dataset_dir", tiny_dataset, "--output_dir", out,
                       cwd=tmp_path, env=env, message="error: --pretrained yes")
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert os.path.join(env["TORCH_HOME"], "hub", "checkpoints", "resnet18-") in lines[0]
    assert_nothing_created(out)


def test_eta_line_words():
    line = training.eta_line(2.1, 9990, "cpu")
    assert line == "at 2.1 s/step the remaining 9990 steps take about 5.8 h on cpu; --max_iter sets the length"
    assert training.eta_line(1.0, 1200, "cpu") == ("at 1 s/step the remaining 1200 steps take about 20 min on cpu; "
                                                   "--max_iter sets the length")
    assert training.eta_line(0.05, 2000, "cuda") is None  # 100 s: not worth a line
    assert training.eta_line(0.2, 1490, "cpu") is None  # just under five minutes


def test_eta_is_printed_once_after_the_first_steps(monkeypatch):
    """_EtaOnce: silent before 10 steps (and 30 s), one line at the 10th step, then never again."""
    clock = [1000.0]
    written = []
    monkeypatch.setattr(training.time, "time", lambda: clock[0])
    monkeypatch.setattr(training.tqdm, "write", lambda s, *a, **k: written.append(s))
    run = argparse.Namespace(completed=0, args=argparse.Namespace(max_iter=10000), state=(torch.nn.Linear(1, 1), None, None), main=True)
    eta = training._EtaOnce(run)
    for _ in range(15):
        clock[0] += 2.0
        run.completed += 1
        eta.check()
    assert written == ["at 2 s/step the remaining 9990 steps take about 5.5 h on cpu; --max_iter sets the length"]
    # A slow step: 30 s is enough to estimate from one step.
    run, written[:] = argparse.Namespace(completed=100, args=argparse.Namespace(max_iter=200),
                                         state=(torch.nn.Linear(1, 1), None, None), main=True), []
    eta = training._EtaOnce(run)
    clock[0] += 40.0
    run.completed += 1
    eta.check()
    assert written == ["at 40 s/step the remaining 99 steps take about 66 min on cpu; --max_iter sets the length"]


def test_make_data_uses_r2n2_dataset_dir_and_builds_nothing(tiny_dataset, tmp_path):
    """`make demo` with R2N2_DATASET_DIR set: its `data` step builds nothing (the venv step is taken as done)."""
    env = dict(os.environ, R2N2_DATASET_DIR=tiny_dataset)
    out = subprocess.run(["make", "-C", REPO, "-o", "venv", "-o", ".venv/.installed", "data"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"dataset: {tiny_dataset} (from R2N2_DATASET_DIR; nothing to build)" in out.stdout
    assert "make_synthetic_dataset" not in out.stdout
    out = subprocess.run(["make", "-C", REPO, "-o", "venv", "-o", ".venv/.installed", "data"],
                         env=dict(env, R2N2_DATASET_DIR=str(tmp_path)), capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "has no split_03001627.json" in out.stdout
