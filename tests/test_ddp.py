"""Scaling: DDP under torchrun (gloo on CPU), bf16 autocast, and the device checks.

The DDP runs train the point model on precomputed features (--load_feat): with no encoder there is no
batch norm, whose per-rank statistics on CPU (PyTorch's SyncBatchNorm is GPU-only) would make
2 x B/2 differ from 1 x B; what is left is exactly the gradient averaging under test.
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

import cli
import runtime
from conftest import REPO, checkpoint_of, script_fails, script_ok
from losses import chamfer_to_samples, occupancy_loss
from model import ModelArgs, build_model, model_input, view_matrix
from occupancy import occupancy_labels, sample_query_points
from r2n2_custom import R2N2, collate_batched_R2N2
from r2n2_layout import model_paths, read_split
from representations import single_view_loss
from training import autocast, float32

POINT = ["--type", "point", "--load_feat", "--n_points", "200", "--num_workers", "0", "--device", "cpu",
         "--batch_size", "8", "--vis_freq", "0", "--log_freq", "1", "--lr", "1e-3"]


@pytest.fixture(scope="module")
def feat_dataset(tiny_dataset, tmp_path_factory):
    """The tiny dataset plus random feats.npy (any fixed input will do to compare two ways of training)."""
    out = str(tmp_path_factory.mktemp("feat") / "tiny")
    shutil.copytree(tiny_dataset, out, ignore=shutil.ignore_patterns(".r2n2_cache"))
    rng = np.random.default_rng(0)
    for split in ("train", "val", "test"):
        for model_id, views in read_split(out, split):
            np.save(model_paths(out, model_id)["feats"], rng.standard_normal((len(views), 512)).astype(np.float32))
    return out


def torchrun(nproc, *args, script="train_model.py", with_stderr=False):
    """Run a training script under torchrun with `nproc` processes; it must succeed. Returns stdout
    (and stderr)."""
    out = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
                          os.path.join(REPO, script), *map(str, args)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"{args}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return (out.stdout, out.stderr) if with_stderr else out.stdout


def losses(run_dir):
    with open(os.path.join(run_dir, "loss_point.csv")) as f:
        return [(int(r["step"]), float(r["loss"])) for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def one_process(feat_dataset, tmp_path_factory):
    """The reference: one process, batch 8, 6 steps."""
    out = tmp_path_factory.mktemp("one")
    ckpt = checkpoint_of(script_ok("train_model.py", *POINT, "--dataset_dir", feat_dataset, "--max_iter", 6,
                                   "--save_freq", 3, "--output_dir", out))
    return torch.load(ckpt, weights_only=True), losses(out / "q2")


def assert_same_training(ckpt, log, reference):
    ref_ckpt, ref_log = reference
    assert [s for s, _ in log] == [s for s, _ in ref_log]
    np.testing.assert_allclose([v for _, v in log], [v for _, v in ref_log], rtol=1e-4)
    assert ckpt["step"] == ref_ckpt["step"]
    # Summation order differs (two half-batch gradients averaged vs one batch), and Adam divides by
    # sqrt(v): a few weights whose gradient is ~0 move by rounding noise, ~1e-5 after 6 steps at lr 1e-3
    # (a missing or wrong all-reduce moves every weight by ~lr per step, and the losses).
    for key, value in ref_ckpt["model"].items():
        torch.testing.assert_close(ckpt["model"][key], value, rtol=1e-4, atol=2e-5, msg=key)


def test_two_processes_of_half_batch_train_as_one_process(feat_dataset, one_process, tmp_path):
    stdout = torchrun(2, *POINT, "--dataset_dir", feat_dataset, "--max_iter", 6, "--save_freq", 3, "--output_dir", tmp_path)
    run_dir = tmp_path / "q2"
    assert_same_training(torch.load(checkpoint_of(stdout), weights_only=True), losses(run_dir), one_process)
    # Rank 0 alone wrote: one checkpoint, one log, one banner.
    assert sorted(p.name for p in run_dir.iterdir() if p.is_file()) == [
        "args.json", "checkpoint_point.pth", "loss_point.csv", "loss_point.png"]
    assert stdout.count("training point on") == 1 and "on cpu x 2" in stdout


def test_torchrun_resumes_on_another_world_size_and_evaluates(feat_dataset, one_process, tmp_path):
    torchrun(2, *POINT, "--dataset_dir", feat_dataset, "--max_iter", 3, "--save_freq", 3, "--output_dir", tmp_path)
    # 3 steps on 2 processes, 3 more on 1 process of torchrun: the same global batches, the same weights.
    stdout = torchrun(1, *POINT, "--dataset_dir", feat_dataset, "--max_iter", 6, "--save_freq", 3,
                      "--output_dir", tmp_path, "--load_checkpoint")
    assert "resumed from" in stdout
    ckpt = checkpoint_of(stdout)
    assert_same_training(torch.load(ckpt, weights_only=True), losses(tmp_path / "q2"), one_process)
    out = script_ok("eval_model.py", "--type", "point", "--checkpoint_path", ckpt, "--dataset_dir", feat_dataset,
                    "--device", "cpu", "--num_workers", "0", "--output_dir", tmp_path / "eval", "--vis_freq", "0")
    assert "F1" in out or "f1" in out.lower(), out[-1000:]


@pytest.mark.parametrize("script, flags", [("q3_train_implicit.py", ["--decoder", "pixel", "--num_points_to_sample", "256"]),
                                           ("q3_train_parametric.py", ["--n_patches", "4", "--refine", "pixel",
                                                                       "--n_points", "200"])])
def test_pixel_aligned_models_train_under_torchrun(tiny_dataset, tmp_path, script, flags):
    """The models that read the image at each point (the encoder's maps and each view's camera) train under
    DDP: every parameter gets a gradient on every rank (DDP stops at the second step otherwise), rank 0 writes
    the run, the process leaves cleanly, and DDP's spurious 1x1-convolution strides warning is not shown."""
    stdout, stderr = torchrun(2, *flags, "--dataset_dir", tiny_dataset, "--pretrained", "no", "--num_workers", "0",
                              "--device", "cpu", "--batch_size", "4", "--max_iter", "3", "--log_freq", "1",
                              "--vis_freq", "0", "--output_dir", tmp_path, script=script, with_stderr=True)
    ckpt = torch.load(checkpoint_of(stdout), weights_only=True)
    assert ckpt["step"] == 3 and "on cpu x 2" in stdout
    log = next(tmp_path.glob("*/loss_*.csv")).read_text().splitlines()
    assert len(log) == 4, log
    assert "Grad strides" not in stderr


def test_batch_must_split_over_the_processes_and_fp16_needs_cuda(feat_dataset, tmp_path):
    common = [*POINT, "--dataset_dir", feat_dataset, "--output_dir", tmp_path]
    script_fails("train_model.py", *common, "--amp", "fp16", message="--amp fp16 needs CUDA")
    two = dict(os.environ, WORLD_SIZE="2", RANK="0", LOCAL_RANK="0")  # as torchrun sets them
    script_fails("train_model.py", *common, "--batch_size", "7", env=two, message="pass a multiple of 2")


@pytest.mark.parametrize("kind", ["vox", "point", "mesh", "implicit", "parametric", "parametric_pixel"])
def test_bf16_autocast_loss_is_close_to_float32(tiny_dataset, kind):
    """The forward in bfloat16 (8-bit mantissa) moves the loss by well under 5%; the losses run in float32."""
    args = argparse.Namespace(type=kind, arch="resnet18", pretrained="no", load_feat=False, n_points=200, ico_level=2,
                              w_chamfer=1.0, w_smooth=0.1, decoder="pixel", n_patches=2,
                              refine="pixel" if kind == "parametric_pixel" else "none")
    ds = R2N2("train", tiny_dataset)
    batch = collate_batched_R2N2([ds[i] for i in range(4)])
    torch.manual_seed(0)
    model_kind = {"implicit": "occupancy", "parametric_pixel": "parametric"}.get(kind, kind)
    model = build_model(ModelArgs.from_flags(model_kind, vars(args))).train()
    images = model_input(batch, False, "cpu")
    points = sample_query_points(batch["points"], 2000)  # (B, Q, 3)

    def loss(amp):
        torch.manual_seed(1)  # the same random draws (chamfer samples, UV points) both ways
        with autocast(argparse.Namespace(amp=amp), torch.device("cpu")):
            if kind == "implicit":
                pred = model(images, points, view_matrix(batch, "cpu"))
            elif kind.startswith("parametric"):
                pred = model(images, args.n_points, view_matrix(batch, "cpu") if kind == "parametric_pixel" else None)
            else:
                pred = model(images)
        if kind == "implicit":
            return occupancy_loss(float32(pred), occupancy_labels(batch["voxels"], points))[0]
        if kind.startswith("parametric"):
            return chamfer_to_samples(float32(pred), batch["points"])
        return single_view_loss(float32(pred), batch, kind, n_points=args.n_points)[0]

    with torch.no_grad():
        exact, bf16 = loss("off"), loss("bf16")
    assert exact.dtype == bf16.dtype == torch.float32 and bf16.item() != exact.item()  # bf16 did run
    assert abs(bf16.item() - exact.item()) < 0.05 * abs(exact.item()), (exact.item(), bf16.item())


@pytest.fixture
def unusable_card(monkeypatch):
    """One CUDA card of compute capability 3.5, which this build (sm_75 .. sm_120) has no kernels for."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda i=None: (3, 5))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=None: "Tesla K40")
    monkeypatch.setattr(torch.cuda, "get_arch_list", lambda: ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120",
                                                              "compute_120"])
    return monkeypatch


def test_pick_device_refuses_a_card_this_build_cannot_run(unusable_card, capsys):
    assert runtime.pick_device("auto") == torch.device("cpu")
    err = capsys.readouterr().err
    assert "Tesla K40 (compute capability 3.5) is not among this torch build's architectures" in err
    assert err.strip().endswith("using the CPU") and len(err.strip().splitlines()) == 1
    with pytest.raises(cli.InputError, match="--device cuda: Tesla K40 .* use --device cpu"):
        runtime.pick_device("cuda")
    with pytest.raises(cli.InputError, match="--device cuda:3 means cuda:3, but this machine has 1 CUDA device"):
        runtime.pick_device("cuda:3")


def test_pick_device_checks_a_listed_card_with_a_kernel(unusable_card, capsys):
    """An 8.6 card runs the sm_80 kernels; what remains is a kernel launch, which fails here (no driver)."""
    unusable_card.setattr(torch.cuda, "get_device_capability", lambda i=None: (8, 6))
    assert runtime.pick_device("auto") == torch.device("cpu")
    assert "cannot run a kernel" in capsys.readouterr().err
    unusable_card.setattr(torch.cuda, "get_device_capability", lambda i=None: (7, 0))  # below sm_75, no PTX for it
    assert "is not among" in runtime.cuda_problem(0)
