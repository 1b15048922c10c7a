"""Training and evaluation: learning, exact resume, metrics, honest ground-truth scores, bad checkpoints,
and every writeup command of sections 2.1-2.5 run as typed at a tiny budget."""
import json
import os
import shlex
import subprocess
import sys

import pytest
import torch

import eval_model
import train_model
from metrics import sample_surfaces
from model import SingleViewto3D, model_input
from r2n2_custom import R2N2, collate_batched_R2N2

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--pretrained", "no", "--num_workers", "0", "--n_points", "200", "--ico_level", "2", "--device", "cpu"]


def parse(*extra):
    return train_model.get_args_parser().parse_args(TINY + list(extra))


@pytest.mark.parametrize("kind", ["vox", "point", "mesh"])
def test_loss_goes_down_on_a_fixed_batch(tiny_dataset, kind):
    args = parse("--type", kind, "--lr", "1e-3")
    torch.manual_seed(0)
    ds = R2N2("train", tiny_dataset)
    batch = collate_batched_R2N2([ds[i] for i in range(4)])
    model = SingleViewto3D(args)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    losses = []
    for _ in range(25):
        loss, _ = train_model.calculate_loss(model(model_input(batch, False, "cpu")), batch, args)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-3:]) / 3 < 0.7 * losses[0], losses


def test_resume_continues_identically(tiny_dataset, tmp_path):
    common = ["--type", "mesh", "--batch_size", "2", "--save_freq", "2", "--vis_freq", "3",
              "--dataset_dir", tiny_dataset]
    full = train_model.train_model(parse(*common, "--max_iter", "4", "--output_dir", str(tmp_path / "a")))
    train_model.train_model(parse(*common, "--max_iter", "2", "--output_dir", str(tmp_path / "b")))
    resumed = train_model.train_model(parse(*common, "--max_iter", "4", "--output_dir", str(tmp_path / "b"),
                                            "--load_checkpoint"))
    a, b = (torch.load(p, weights_only=True) for p in (full, resumed))
    assert a["step"] == b["step"] == 4
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    run = tmp_path / "a" / "q2"
    assert (run / "args.json").is_file() and (run / "loss_mesh.png").is_file() and (run / "vis" / "mesh_000003.png").is_file()
    assert len((run / "loss_mesh.csv").read_text().splitlines()) >= 2


@pytest.fixture(scope="module")
def point_checkpoint(tiny_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt")
    return train_model.train_model(parse("--type", "point", "--batch_size", "4", "--max_iter", "3",
                                         "--dataset_dir", tiny_dataset, "--output_dir", str(out)))


def test_eval_writes_metrics_and_pictures(tiny_dataset, point_checkpoint, tmp_path):
    args = eval_model.get_args_parser().parse_args([
        "--type", "point", "--checkpoint_path", point_checkpoint, "--output_dir", str(tmp_path), "--vis_freq", "1",
        "--dataset_dir", tiny_dataset, "--num_workers", "0", "--batch_size", "1"])
    summary = eval_model.main(args)
    metrics = json.load(open(tmp_path / "q2" / "metrics_point.json"))
    assert metrics["thresholds"] == [0.01, 0.02, 0.03, 0.04, 0.05]
    assert len(metrics["avg_f1"]) == 5 and metrics["n_examples"] == len(R2N2("test", tiny_dataset, views="one"))
    assert (tmp_path / "q2" / "eval_point.png").is_file()
    assert len(list((tmp_path / "q2" / "vis").glob("*.png"))) == metrics["n_examples"]
    # Reproducible: a rerun gives the same numbers; another batch size only changes float rounding in the
    # network (a point at a threshold may flip), not the sampling.
    args.vis_freq = 0
    assert eval_model.main(args)["avg_f1"] == summary["avg_f1"]
    args.batch_size = 16
    assert eval_model.main(args)["avg_f1"] == pytest.approx(summary["avg_f1"], abs=0.5)


def test_ground_truth_as_prediction_scores_high(tiny_dataset):
    ds = R2N2("test", tiny_dataset, views="one")
    loader = torch.utils.data.DataLoader(ds, batch_size=4, collate_fn=collate_batched_R2N2)

    def gt_points(batch, first):  # points sampled afresh on the GT mesh (another sample than the reference)
        points, lengths = sample_surfaces(batch["verts"], batch["faces"], 10000, seed=999)
        return points, lengths, [("point", p) for p in points]

    def gt_mesh_as_vertices_and_faces(batch, first):
        pred = __import__("pytorch3d.structures", fromlist=["Meshes"]).Meshes(batch["verts"], batch["faces"])
        points, lengths = eval_model.prediction_points(pred, "mesh", 1000 + first)
        return points, lengths, [None] * len(lengths)

    def gt_voxels(batch, first):
        logits = torch.logit(batch["voxels"].clamp(1e-4, 1 - 1e-4))
        points, lengths = eval_model.prediction_points(logits, "vox", first)
        return points, lengths, [None] * len(lengths)

    def gt_voxels_cut_at_0_3(batch, first):  # the --isovalue path: a logit shift, the same 0/1 grid
        logits = torch.logit(batch["voxels"].clamp(1e-4, 1 - 1e-4)) - eval_model.iso_shift(0.3)
        points, lengths = eval_model.prediction_points(logits, "vox", first)
        return points, lengths, [None] * len(lengths)

    for predict, floor in ((gt_points, 99), (gt_mesh_as_vertices_and_faces, 99), (gt_voxels, 90), (gt_voxels_cut_at_0_3, 90)):
        results, _ = eval_model.evaluate(predict, loader, "cpu")
        assert results["f1"][:, -1].mean() >= floor, (predict.__name__, results["f1"][:, -1])
    # And an empty prediction scores 0 instead of crashing.
    results, _ = eval_model.evaluate(
        lambda b, f: eval_model.prediction_points(torch.full_like(b["voxels"], -10.0), "vox", f) + ([None] * len(b["voxels"]),),
        loader, "cpu")
    assert results["f1"].abs().max() == 0


def test_bad_checkpoints_are_refused(tiny_dataset, point_checkpoint, tmp_path):
    base = ["--output_dir", str(tmp_path), "--dataset_dir", tiny_dataset, "--num_workers", "0"]
    with pytest.raises(SystemExit, match="type='point', but type='vox' was asked for"):
        eval_model.main(eval_model.get_args_parser().parse_args(["--type", "vox", "--checkpoint_path", point_checkpoint] + base))
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"definitely not a checkpoint")
    with pytest.raises(SystemExit, match="not a readable checkpoint"):
        eval_model.main(eval_model.get_args_parser().parse_args(["--type", "vox", "--checkpoint_path", str(junk)] + base))
    with pytest.raises(SystemExit, match="does not exist"):
        eval_model.main(eval_model.get_args_parser().parse_args(["--type", "vox", "--checkpoint_path", str(tmp_path / "no.pth")] + base))
    with pytest.raises(SystemExit, match="--n_points 200"):
        eval_model.main(eval_model.get_args_parser().parse_args(["--type", "point", "--checkpoint_path", point_checkpoint, "--n_points", "500"] + base))
    with pytest.raises(SystemExit, match="--isovalue must be strictly between 0 and 1"):
        eval_model.main(eval_model.get_args_parser().parse_args(["--type", "vox", "--checkpoint_path", str(tmp_path / "no.pth"), "--isovalue", "1"] + base))
    with pytest.raises(SystemExit, match="--isovalue applies to --type vox"):
        eval_model.main(eval_model.get_args_parser().parse_args(["--type", "point", "--checkpoint_path", point_checkpoint, "--isovalue", "0.3"] + base))


def writeup_commands(section_start, section_end):
    """The commands of ../shared/writeup.md between two section markers, as typed."""
    path = os.path.join(REPO, "..", "shared", "writeup.md")
    if not os.path.isfile(path):
        pytest.skip("shared/writeup.md is not beside the repo")
    text = open(path).read()
    part = text[text.index(section_start):text.index(section_end)]
    return [line.strip() for line in part.splitlines() if line.strip().startswith("python ")]


def run(cmd, env, cwd):
    out = subprocess.run(cmd, shell=True, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, f"{cmd}\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def test_writeup_section2_commands_run_as_typed(tiny_dataset, tmp_path):
    """Train with each command as typed (plus a tiny --max_iter override), then evaluate the checkpoint it wrote."""
    env = dict(os.environ, R2N2_DATASET_DIR=tiny_dataset, PYTHONPATH=REPO)
    commands = writeup_commands("## 2. Reconstructing", "- 2.6")
    assert len(commands) == 8, commands
    for train_cmd, eval_cmd in zip(commands[::2], commands[1::2]):
        train_cmd = train_cmd.replace("python ", f"{shlex.quote(sys.executable)} {REPO}/", 1) + " --max_iter 2"
        out = run(train_cmd, env, tmp_path)
        ckpt = [line.split("checkpoint: ", 1)[1] for line in out.splitlines() if line.startswith("checkpoint: ")][0]
        eval_cmd = eval_cmd.replace("<ckpt_path>", ckpt).replace("python ", f"{shlex.quote(sys.executable)} {REPO}/", 1)
        out = run(eval_cmd, env, tmp_path)
        assert "avg F1@0.05" in out
