"""TensorBoard logging of the training run folder (training.RunFolder, --tensorboard): the events hold what the loss
log holds at the same steps, the learning rate, the seconds per step and one image per picture; off writes nothing
and loads nothing; a resumed run shows every step once."""
import os
import re
import shutil
import subprocess
import sys

import pytest
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from conftest import REPO, script_ok

TINY = ["--pretrained", "no", "--num_workers", "0", "--n_points", "200", "--ico_level", "2", "--device", "cpu"]
RUN = [*TINY, "--type", "mesh", "--batch_size", "2", "--log_freq", "1", "--vis_freq", "2", "--bn_images", "4"]
LR = 3e-4


def events(run_dir):
    """Every event of {run_dir}/tensorboard/mesh/, all files together, as TensorBoard reads them."""
    acc = EventAccumulator(str(run_dir / "tensorboard" / "mesh"), size_guidance={"scalars": 0, "images": 0})
    return acc.Reload()


def loss_log(run_dir):
    """loss_mesh.csv as {step: (loss, {term: value})}; a later row of a step replaces an earlier one."""
    rows = {}
    for line in (run_dir / "loss_mesh.csv").read_text().splitlines()[1:]:
        step, loss, terms, _ = line.split(",")
        rows[int(step)] = (float(loss), {k: float(v) for k, v in (t.split("=") for t in terms.split())})
    return rows


def test_events_hold_the_loss_log_lr_step_time_and_pictures(tiny_dataset, tmp_path):
    script_ok("train_model.py", *RUN, "--max_iter", "4", "--lr", LR, "--dataset_dir", tiny_dataset,
              "--output_dir", tmp_path)
    run_dir = tmp_path / "q2"
    acc, log = events(run_dir), loss_log(run_dir)
    assert sorted(log) == [1, 2, 3, 4]
    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == [1, 2, 3, 4]
    for e in loss:
        assert e.value == pytest.approx(log[e.step][0], abs=1e-6)
    terms = log[1][1]
    assert set(terms) == {"chamfer", "smooth"}
    for term in terms:
        assert [(e.step, pytest.approx(e.value, abs=1e-6)) for e in acc.Scalars(f"loss/{term}")] == \
            [(s, log[s][1][term]) for s in sorted(log)]
    assert [(e.step, pytest.approx(e.value, rel=1e-6)) for e in acc.Scalars("lr")] == [(s, LR) for s in range(1, 5)]
    step_time = acc.Scalars("step_time_s")
    assert [e.step for e in step_time] == [1, 2, 3, 4] and all(0 < e.value < 120 for e in step_time)
    pictures = sorted((run_dir / "vis").glob("mesh_*.png"))
    images = acc.Images("prediction")
    assert [p.name for p in pictures] == ["mesh_000002.png", "mesh_000004.png"]
    assert [e.step for e in images] == [2, 4]
    for e, p in zip(images, pictures):  # the picture itself, as RGB
        assert (e.width, e.height) == Image.open(p).size


def test_off_writes_no_tensorboard_files_and_loads_no_tensorboard(tiny_dataset, tmp_path):
    out = subprocess.run([sys.executable, "-X", "importtime", os.path.join(REPO, "train_model.py"), *RUN,
                          "--max_iter", "2", "--tensorboard", "off", "--dataset_dir", tiny_dataset,
                          "--output_dir", tmp_path], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "q2" / "loss_mesh.csv").is_file() and (tmp_path / "q2" / "vis" / "mesh_000002.png").is_file()
    assert not (tmp_path / "q2" / "tensorboard").exists()
    assert not re.search(r"^import time:.*\|\s*(torch\.utils\.)?tensorboard\b", out.stderr, re.M)  # nor imported


def test_a_resumed_run_shows_every_step_once(tiny_dataset, tmp_path):
    """Run to step 2, go on to 4; then go on to 4 again from the step-2 checkpoint (a run whose events went past its
    checkpoint): TensorBoard shows steps 1..4 once each, the later run's where they overlap."""
    common = [*RUN, "--dataset_dir", tiny_dataset, "--output_dir", tmp_path]
    script_ok("train_model.py", *common, "--max_iter", "2")
    run_dir = tmp_path / "q2"
    shutil.copy(run_dir / "checkpoint_mesh.pth", tmp_path / "step2.pth")
    script_ok("train_model.py", *common, "--max_iter", "4", "--load_checkpoint")
    script_ok("train_model.py", *common, "--max_iter", "4", "--load_checkpoint", tmp_path / "step2.pth")
    assert len(list((run_dir / "tensorboard" / "mesh").glob("events.out.tfevents.*"))) == 3
    acc, log = events(run_dir), loss_log(run_dir)
    for tag in ("loss", "loss/chamfer", "lr", "step_time_s"):
        assert [e.step for e in acc.Scalars(tag)] == [1, 2, 3, 4], tag
    assert [(e.step, pytest.approx(e.value, abs=1e-6)) for e in acc.Scalars("loss")] == \
        [(s, log[s][0]) for s in range(1, 5)]
    assert [e.step for e in acc.Images("prediction")] == [2, 4]
