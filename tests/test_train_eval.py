"""Training and evaluation: learning, exact resume, metrics, honest ground-truth scores, volumetric IoU, the
isovalue chosen on val, bad checkpoints (the writeup commands of sections 2.1-2.5 run as typed in
tests/test_report.py)."""
import json
import os

import pytest
import torch
from pytorch3d.structures import Meshes

import evaluation
import utils_vox
from conftest import REPO, checkpoint_of, script_fails, script_ok, writeup_commands
from model import ModelArgs, build_model, model_input
from outer_surface import outer_surface_points
from r2n2_custom import R2N2, collate_batched_R2N2
from representations import prediction_points, single_view_loss

TINY = ["--pretrained", "no", "--num_workers", "0", "--n_points", "200", "--ico_level", "2", "--device", "cpu"]


def tiny_model(kind):
    """The network train_model.py builds at the TINY sizes."""
    return build_model(ModelArgs.from_flags(kind, {"n_points": 200, "ico_level": 2}))


@pytest.mark.parametrize("kind", ["vox", "point", "mesh"])
def test_loss_goes_down_on_a_fixed_batch(tiny_dataset, kind):
    torch.manual_seed(0)
    ds = R2N2("train", tiny_dataset)
    batch = collate_batched_R2N2([ds[i] for i in range(4)])
    model = tiny_model(kind)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(25):
        loss, _ = single_view_loss(model(model_input(batch, False, "cpu")), batch, kind, n_points=200)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) / 3 < 0.7 * losses[0], losses


def test_resume_continues_identically(tiny_dataset, tmp_path):
    common = [*TINY, "--type", "mesh", "--batch_size", "2", "--save_freq", "2", "--vis_freq", "3",
              "--dataset_dir", tiny_dataset]
    full = checkpoint_of(script_ok("train_model.py", *common, "--max_iter", "4", "--output_dir", tmp_path / "a"))
    script_ok("train_model.py", *common, "--max_iter", "2", "--output_dir", tmp_path / "b")
    resumed = checkpoint_of(script_ok("train_model.py", *common, "--max_iter", "4", "--output_dir", tmp_path / "b",
                                      "--load_checkpoint"))
    a, b = (torch.load(p, weights_only=True) for p in (full, resumed))
    assert a["step"] == b["step"] == 4
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    run_dir = tmp_path / "a" / "q2"
    assert (run_dir / "args.json").is_file() and (run_dir / "loss_mesh.png").is_file()
    assert (run_dir / "vis" / "mesh_000003.png").is_file()
    assert len((run_dir / "loss_mesh.csv").read_text().splitlines()) >= 2


def test_ctrl_c_saves_the_finished_steps_and_the_run_resumes(tiny_dataset, tmp_path):
    """SIGINT mid-run: exit code 130, a checkpoint of the steps finished so far (with --ema: the average, its batch
    norm statistics recomputed, and the raw weights), and --load_checkpoint carries on from it to the end."""
    import signal
    import subprocess
    import sys
    import time
    args = [*TINY, "--type", "point", "--batch_size", "2", "--save_freq", "0", "--vis_freq", "0", "--log_freq", "1",
            "--ema", "0.9", "--dataset_dir", tiny_dataset, "--output_dir", tmp_path]
    # A shell that starts pytest in the background ignores SIGINT in its children; give the run Python's default.
    proc = subprocess.Popen([sys.executable, os.path.join(REPO, "train_model.py"), *args, "--max_iter", "100000"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    log = tmp_path / "q2" / "loss_point.csv"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and (not log.is_file() or len(log.read_text().splitlines()) < 4):
        time.sleep(0.2)  # until three steps are logged
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()  # a run that ignored the signal must not outlive the test
    assert proc.returncode == 130 and "Traceback" not in err, err[-2000:]
    ckpt = torch.load(tmp_path / "q2" / "checkpoint_point.pth", weights_only=True)
    # A signal between the average's update and the step count leaves the average one step ahead, as the raw weights.
    assert 3 <= ckpt["step"] < 100000 and ckpt["ema_updates"] in (ckpt["step"], ckpt["step"] + 1) and "train_model" in ckpt
    assert f"interrupted: saving the checkpoint after {ckpt['step']} steps" in out
    assert_first_bn_recomputed(ckpt["model"], tiny_dataset, batches=min(ckpt["step"], 256), batch_size=2)
    resumed = torch.load(checkpoint_of(script_ok("train_model.py", *args, "--max_iter", str(ckpt["step"] + 2),
                                                 "--load_checkpoint")), weights_only=True)
    assert resumed["step"] == ckpt["step"] + 2


@pytest.fixture(scope="module")
def point_checkpoint(tiny_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt")
    return checkpoint_of(script_ok("train_model.py", *TINY, "--type", "point", "--batch_size", "4", "--max_iter", "3",
                                   "--dataset_dir", tiny_dataset, "--output_dir", out))


@pytest.mark.parametrize("kind", ["vox", "point", "mesh"])
def test_bench_times_the_step_train_model_takes(tiny_dataset, tmp_path, kind):
    """bench.py keeps its own copy of train_model.py's step (a script imports no script): two steps of bench's
    train_step on train_model.py's batch stream give the weights train_model.py saves, bit for bit, for every
    kind train_model.py trains (each has its own loss). Both sides run on as many threads: a convolution's gradient
    on 1 and on 2 threads may differ in its last bits (the tiny dataset's in-process build used to leave this
    process on one thread)."""
    import bench
    import train_model
    from runtime import seed_everything
    from training import adam, grad_scaler, train_loader
    flags = [*TINY, "--type", kind, "--batch_size", "2", "--max_iter", "2", "--bn_images", "0", "--save_freq", "0",
             "--vis_freq", "0", "--dataset_dir", str(tiny_dataset), "--output_dir", str(tmp_path)]
    saved = torch.load(checkpoint_of(script_ok("train_model.py", *flags)), weights_only=True)["model"]
    args = train_model.get_args_parser().parse_args(flags)
    seed_everything(args.seed)
    model = build_model(ModelArgs.from_flags(kind, vars(args))).train()
    optimizer = adam(model.parameters(), args.lr)
    scaler = grad_scaler(args, torch.device("cpu"))
    _, batches = train_loader(args, torch.device("cpu"), 0)
    for _ in range(2):
        bench.train_step(model, optimizer, scaler, next(batches), args, torch.device("cpu"))
    for key, value in model.state_dict().items():
        assert torch.equal(value, saved[key]), key


def test_fused_adam_gives_the_default_loops_weights_to_the_last_bit():
    """training.adam (the fused kernel the scripts train with) against torch's default Adam (a loop of elementwise
    ops per parameter) over steps of gradients from 1 to 1e-5: the same weights but for a last bit here and there,
    while every weight moved by about the learning rate a step."""
    from training import adam
    torch.manual_seed(0)
    params = [torch.randn(64, 3, 7, 7), torch.randn(512), torch.randn(300, 17)]
    fused = [p.clone().requires_grad_() for p in params]
    loop = [p.clone().requires_grad_() for p in params]
    opt_fused, opt_loop = adam(fused, 1e-3), torch.optim.Adam(loop, lr=1e-3)
    for step in range(6):
        grads = [torch.randn_like(p) * 10.0 ** (-step) for p in params]  # magnitudes 1 .. 1e-5
        for ps, opt in ((fused, opt_fused), (loop, opt_loop)):
            for p, g in zip(ps, grads):
                p.grad = g.clone()
            opt.step()
    for a, b, start in zip(fused, loop, params):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)
        assert ((a.detach() - start).abs() > 1e-3).float().mean() > 0.9  # six steps of lr 1e-3 moved them


def test_old_checkpoints_are_converted_to_model_args_once(point_checkpoint, tmp_path):
    """A checkpoint from before `model_args` (only the run's flags) is read through checkpoint.model_args: the same
    network, loaded by the evaluators and refused for resuming under other flags, as a new one."""
    from checkpoint import check_resumable, load_model, model_args
    from cli import InputError
    new = torch.load(point_checkpoint, weights_only=True)
    assert new["model_args"] == {"kind": "point", "arch": "resnet18", "load_feat": False, "n_points": 200,
                                 "ico_level": None, "decoder": None, "n_patches": None, "refine": None}
    old = {k: v for k, v in new.items() if k != "model_args"}
    assert model_args(old) == model_args(new) == ModelArgs("point", n_points=200)
    torch.save(old, tmp_path / "old.pth")
    model, _, _ = load_model(str(tmp_path / "old.pth"), "cpu")
    for key, value in model.state_dict().items():
        assert torch.equal(value, new["model"][key]), key
    check_resumable("old.pth", old, ModelArgs("point", n_points=200))
    with pytest.raises(InputError, match="n_points=200, but n_points=300 was asked for; pass --n_points 200"):
        check_resumable("old.pth", old, ModelArgs("point", n_points=300))
    with pytest.raises(InputError, match="holds a point model of train_model.py, not a mesh model; pass --type point"):
        check_resumable("old.pth", old, ModelArgs("mesh", ico_level=2))
    old_parametric = {"args": {"model_type": "parametric", "type": "point", "arch": "resnet18", "load_feat": False,
                               "n_patches": 4, "n_points": 100}}  # before --refine existed
    assert model_args(old_parametric) == ModelArgs("parametric", n_patches=4, refine="none")


def test_checkpoint_batch_norm_statistics_are_recomputed_at_its_weights(tiny_dataset, point_checkpoint):
    """The saved running statistics of the encoder's first batch norm are the mean and unbiased variance of its
    input over the fixed batches of training.BN_IMAGES (here one per step run: 3 batches of 4), computed here from
    the checkpoint's conv weights, not the running averages the training steps left (those trail the weights)."""
    assert_first_bn_recomputed(torch.load(point_checkpoint, weights_only=True)["model"], tiny_dataset)


def test_ema_checkpoint_holds_the_average_with_its_own_batch_norm_statistics(tiny_dataset, tmp_path):
    """With --ema the checkpoint's model (what evaluators read) is the average of the weights, normalised with
    statistics recomputed at the averaged weights; the raw weights training goes on from are kept beside it."""
    ckpt = torch.load(checkpoint_of(script_ok("train_model.py", *TINY, "--type", "point", "--batch_size", "4",
                                              "--max_iter", "3", "--ema", "0.5", "--dataset_dir", tiny_dataset,
                                              "--output_dir", tmp_path)), weights_only=True)
    assert ckpt["ema_updates"] == 3 and ckpt["args"]["ema"] == 0.5
    name = "encoder.features.0.weight"
    assert not torch.allclose(ckpt["model"][name], ckpt["train_model"][name])  # the average is not the last step
    assert_first_bn_recomputed(ckpt["model"], tiny_dataset)


def test_ema_is_the_warmed_up_moving_average_written_out():
    """training.ema_update under torch's AveragedModel against the recurrence by hand: the first update copies,
    the n-th (n updates before it) mixes in (1 - d) of the weights with d = min(decay, (1 + n) / (10 + n))."""
    from torch.optim.swa_utils import AveragedModel

    from training import ema_update
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    ema = AveragedModel(net, multi_avg_fn=ema_update(0.45))
    expected = None
    for n in range(12):  # the warm-up passes the cap 0.45 at n = 8
        with torch.no_grad():
            net.weight.add_(torch.randn(2, 3))
        ema.update_parameters(net)
        w = net.weight.detach().clone()
        d = min(0.45, (1 + n) / (10 + n))
        expected = w if expected is None else d * expected + (1 - d) * w
        assert torch.allclose(ema.module.weight, expected, atol=1e-6), n


def assert_first_bn_recomputed(state, tiny_dataset, batches=3, batch_size=4):
    """The encoder's first batch norm in `state` holds the statistics of its input at the state's conv weights
    over the fixed batches of precise BN (one per step run, at most --bn_images / --batch_size)."""
    from r2n2_custom import EpochBatchSampler
    ds = R2N2("train", tiny_dataset)
    conv = torch.nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
    conv.weight.data = state["encoder.features.0.weight"]
    means, variances = [], []
    with torch.no_grad():
        for idx, _ in zip(EpochBatchSampler(len(ds), batch_size, seed=0 + 1), range(batches)):
            images = collate_batched_R2N2([ds[i] for i in idx])["images"].permute(0, 3, 1, 2)  # (b, 3, H, W)
            mean, std = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
            y = conv((images - mean) / std).transpose(0, 1).flatten(1)  # (64, b * H' * W')
            means.append(y.mean(1))
            variances.append(y.var(1, unbiased=True))
    assert torch.allclose(state["encoder.features.1.running_mean"], torch.stack(means).mean(0), rtol=1e-3, atol=1e-4)
    assert torch.allclose(state["encoder.features.1.running_var"], torch.stack(variances).mean(0), rtol=1e-3)


def test_eval_writes_metrics_and_pictures(tiny_dataset, point_checkpoint, tmp_path):
    base = ["--type", "point", "--checkpoint_path", point_checkpoint, "--output_dir", tmp_path, "--dataset_dir",
            tiny_dataset, "--num_workers", "0", "--device", "cpu"]
    out = script_ok("eval_model.py", *base, "--vis_freq", "1", "--batch_size", "1")
    metrics = json.load(open(tmp_path / "q2" / "metrics_point.json"))
    assert f"avg F1@0.05 = {metrics['avg_f1@0.05']:.3f}" in out
    assert metrics["thresholds"] == [0.01, 0.02, 0.03, 0.04, 0.05]
    assert len(metrics["avg_f1"]) == 5 and metrics["n_examples"] == len(R2N2("test", tiny_dataset, views="one"))
    assert (tmp_path / "q2" / "eval_point.png").is_file()
    assert len(list((tmp_path / "q2" / "vis").glob("*.png"))) == metrics["n_examples"]
    # Reproducible: a rerun gives the same numbers; another batch size only changes float rounding in the
    # network (a point at a threshold may flip), not the sampling.
    script_ok("eval_model.py", *base, "--vis_freq", "0", "--batch_size", "1")
    assert json.load(open(tmp_path / "q2" / "metrics_point.json"))["avg_f1"] == metrics["avg_f1"]
    script_ok("eval_model.py", *base, "--vis_freq", "0", "--batch_size", "16")
    assert json.load(open(tmp_path / "q2" / "metrics_point.json"))["avg_f1"] == pytest.approx(metrics["avg_f1"], abs=0.5)


def test_ground_truth_as_prediction_scores_high(tiny_dataset):
    ds = R2N2("test", tiny_dataset, views="one")
    loader = torch.utils.data.DataLoader(ds, batch_size=4, collate_fn=collate_batched_R2N2)

    def gt_points(batch, first):  # outer-surface points sampled afresh (another sample than the reference)
        points = torch.stack([outer_surface_points(v, f, 10000, seed=999 + first + i)
                              for i, (v, f) in enumerate(zip(batch["verts"], batch["faces"]))])
        return points, torch.full((len(points),), 10000), None, [("point", p) for p in points], {}

    def gt_mesh_as_vertices_and_faces(batch, first):
        pred = Meshes(batch["verts"], batch["faces"])
        points, lengths, normals = prediction_points(pred, "mesh", 1000 + first)
        return points, lengths, normals, [None] * len(lengths), {}

    def gt_voxels(batch, first):
        logits = torch.logit(batch["voxels"].clamp(1e-4, 1 - 1e-4))
        points, lengths, normals = prediction_points(logits, "vox", first)
        return points, lengths, normals, [None] * len(lengths), {}

    def gt_voxels_cut_at_0_3(batch, first):  # the --isovalue path: a logit shift, the same 0/1 grid
        logits = torch.logit(batch["voxels"].clamp(1e-4, 1 - 1e-4)) - evaluation.iso_shift(0.3)
        points, lengths, normals = prediction_points(logits, "vox", first)
        return points, lengths, normals, [None] * len(lengths), {}

    # The ground-truth mesh scored as a predicted mesh loses the points of its hidden contact faces (the
    # reference holds the outer surface only; up to a quarter of an armchair's area is hidden), hence 95.
    for predict, floor in ((gt_points, 99), (gt_mesh_as_vertices_and_faces, 95), (gt_voxels, 99), (gt_voxels_cut_at_0_3, 99)):
        results, _ = evaluation.evaluate(predict, loader, "cpu")
        assert results["f1"][:, -1].mean() >= floor, (predict.__name__, results["f1"][:, -1])
    # And an empty prediction scores 0 instead of crashing.
    results, _ = evaluation.evaluate(
        lambda b, f: prediction_points(torch.full_like(b["voxels"], -10.0), "vox", f) + ([None] * len(b["voxels"]), {}),
        loader, "cpu")
    assert results["f1"].abs().max() == 0


def test_bad_checkpoints_are_refused(tiny_dataset, point_checkpoint, tmp_path):
    base = ["--output_dir", tmp_path, "--dataset_dir", tiny_dataset, "--num_workers", "0", "--device", "cpu"]
    script_fails("eval_model.py", "--type", "vox", "--checkpoint_path", point_checkpoint, *base,
                 message="type='point', but type='vox' was asked for")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"definitely not a checkpoint")
    script_fails("eval_model.py", "--type", "vox", "--checkpoint_path", junk, *base, message="not a readable checkpoint")
    script_fails("eval_model.py", "--type", "vox", "--checkpoint_path", tmp_path / "no.pth", *base, message="does not exist")
    script_fails("eval_model.py", "--type", "point", "--checkpoint_path", point_checkpoint, "--n_points", "500", *base,
                 message="--n_points 200")
    script_fails("eval_model.py", "--type", "vox", "--checkpoint_path", tmp_path / "no.pth", "--isovalue", "1", *base,
                 message="--isovalue must be strictly between 0 and 1")
    script_fails("eval_model.py", "--type", "point", "--checkpoint_path", point_checkpoint, "--isovalue", "0.3", *base,
                 message="--isovalue applies to --type vox")


def test_the_scripts_docstrings_hold_the_writeup_commands():
    """Each writeup command appears, as typed, in the docstring of the script it runs (what `--help` users read)."""
    commands = writeup_commands("## 1. Fitting", "## Data layout")
    assert len(commands) == 18, commands
    for cmd in commands:
        name = cmd.split()[1]
        assert cmd in open(os.path.join(REPO, name)).read(), (name, cmd)


def test_volumetric_iou_of_the_ground_truth(tiny_dataset):
    """The ground truth as its own prediction scores IoU 100 on the grid and on the points. Its voxels read
    as a prediction (trilinear, cut at 0.5, as a voxel model is read) score far less on the points (30 and
    60 on the two tiny chairs): a leg thinner than a 1/32 voxel becomes a thicker, rounded bar. That
    ceiling of any 32^3 prediction is why Occupancy Networks measure IoU on points."""
    from occupancy import training_labels

    ds = R2N2("test", tiny_dataset, views="one")
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=4, collate_fn=collate_batched_R2N2)))
    gt_vox, n = batch["voxels"] > 0.5, len(batch["voxels"])
    exact = evaluation.volume_scores(lambda pts: training_labels(batch, pts, "mesh", "cpu")[0] > 0.5, gt_vox, batch, 0, "cpu")
    assert exact["iou_32"].tolist() == [100.0] * n and exact["iou_points"].tolist() == [100.0] * n
    from_voxels = evaluation.volume_scores(lambda pts: utils_vox.grid_probability(batch["voxels"], pts) > 0.5,
                                           gt_vox, batch, 0, "cpu")
    assert (from_voxels["iou_points"] > 20).all() and (from_voxels["iou_points"] < 100).all(), from_voxels
    # An empty prediction scores 0, and the points are the same for a rerun (seeded by the example index).
    empty = evaluation.volume_scores(lambda pts: torch.zeros(pts.shape[:2], dtype=torch.bool), gt_vox & False, batch, 0, "cpu")
    assert empty["iou_32"].tolist() == [0.0] * n and empty["iou_points"].tolist() == [0.0] * n
    assert torch.equal(evaluation.iou_points(3, 2, "cpu"), evaluation.iou_points(3, 2, "cpu"))


def test_isovalue_auto_is_chosen_on_val_and_scores_test_as_that_isovalue(tiny_dataset, tmp_path):
    ckpt = checkpoint_of(script_ok("train_model.py", *TINY, "--type", "vox", "--batch_size", "2", "--max_iter", "2",
                                   "--dataset_dir", tiny_dataset, "--output_dir", tmp_path))
    base = ["--type", "vox", "--checkpoint_path", ckpt, "--output_dir", tmp_path, "--dataset_dir", tiny_dataset,
            "--num_workers", "0", "--device", "cpu", "--vis_freq", "0"]
    out = script_ok("eval_model.py", *base)  # the default: the cut chosen on val
    auto = json.load(open(tmp_path / "q2" / "metrics_vox.json"))
    val = {float(t): f for t, f in auto["val_f1@0.05_per_isovalue"].items()}
    assert sorted(val) == list(evaluation.ISO_CANDIDATES) and auto["isovalue_chosen_on"] == "val"
    assert auto["isovalue"] == max(val, key=val.get) and auto["split"] == "test"
    assert f"-> {auto['isovalue']:g}" in out and f"surface cut at isovalue {auto['isovalue']:g}, chosen on val" in out
    # The test numbers are those of the explicit --isovalue it chose, written beside them.
    out = script_ok("eval_model.py", *base, "--isovalue", str(auto["isovalue"]))
    assert f"surface cut at isovalue {auto['isovalue']:g}, fixed" in out
    name = f"metrics_vox_iso{auto['isovalue']:g}.json"
    fixed = json.load(open(tmp_path / "q2" / name))
    assert fixed["avg_f1"] == auto["avg_f1"] and fixed["avg_iou_points"] == auto["avg_iou_points"]
