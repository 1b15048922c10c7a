"""Saliency for 3D outputs (gradcam.py): the targets, the maps of every visualizer, a model whose answer is known,
and the writeup's section 2.6 commands run as typed at a tiny budget."""
import json
import os

import numpy as np
import pytest
import torch
import torch.nn as nn

import saliency
from checkpoint import load_model
from conftest import checkpoint_of, run, script_ok, typed, writeup_commands
from losses import chamfer_loss
from r2n2_custom import R2N2

TINY = ["--pretrained", "no", "--num_workers", "0", "--n_points", "200", "--ico_level", "2", "--device", "cpu",
        "--batch_size", "2", "--max_iter", "3"]


@pytest.fixture(scope="module")
def checkpoints(tiny_dataset, tmp_path_factory):
    """A briefly trained checkpoint per representation. The voxel model trains at a high learning rate so
    that its prediction is empty and quick to draw (an untrained grid is a ~90k-face marching-cubes blob)."""
    out = str(tmp_path_factory.mktemp("gradcam_ckpt"))
    extra = {"vox": ["--lr", "3e-3"], "point": [], "mesh": []}
    return {kind: checkpoint_of(script_ok("train_model.py", *TINY, "--type", kind, "--dataset_dir", tiny_dataset,
                                          "--output_dir", out, *extra[kind])) for kind in extra}


def load(path):
    return load_model(path, "cpu")[0]


def test_targets_match_the_losses_and_parts_partition_the_chair():
    torch.manual_seed(0)
    pred, gt = torch.rand(50, 3) - 0.5, torch.rand(80, 3) - 0.5
    target = saliency.ShapeTarget("point", "shape", gt)
    assert target(pred).item() == pytest.approx(-chamfer_loss(pred[None], gt[None]).item(), rel=1e-6)
    everything = torch.ones(50, dtype=torch.bool), torch.ones(80, dtype=torch.bool)
    assert saliency.part_chamfer(pred, gt, *everything).item() == pytest.approx(chamfer_loss(pred[None], gt[None]).item(), rel=1e-6)
    y = torch.linspace(-0.5, 0.5, 101)
    masks = [saliency.part_mask(y, p, 0.05) for p in ("legs", "seat", "back")]
    assert (sum(m.int() for m in masks) == 1).all()  # every height is in exactly one part
    # A chair drawn as points: a dense seat slab at y = 0.1, sparse legs below and a sparse back above.
    seat = torch.rand(3000, 3) * torch.tensor([0.5, 0.02, 0.5]) + torch.tensor([-0.25, 0.09, -0.25])
    legs = torch.rand(400, 3) * torch.tensor([0.5, 0.5, 0.5]) + torch.tensor([-0.25, -0.45, -0.25])
    back = torch.rand(600, 3) * torch.tensor([0.5, 0.35, 0.02]) + torch.tensor([-0.25, 0.12, -0.25])
    assert saliency.seat_height(torch.cat([seat, legs, back])) == pytest.approx(0.1, abs=0.02)


def test_voxel_target_reads_the_predicted_shape_or_the_missing_part():
    gt = torch.zeros(32, 32, 32)  # axes (z, y, x)
    gt[:, :8] = 1  # the ground truth fills the lowest quarter (y < -0.25)
    logits = torch.full((32, 32, 32), -3.0)
    logits[:, 20:] = 2.0  # the prediction is occupied above y = 0.125 only
    logits.requires_grad_(True)
    points = torch.cat([torch.zeros(10, 3), torch.tensor([[0.0, -0.4, 0.0], [0.0, 0.4, 0.0]])])  # seat at y = 0.01
    grad_shape, = torch.autograd.grad(saliency.ShapeTarget("vox", "shape", points, gt)(logits), logits)
    grad_legs, = torch.autograd.grad(saliency.ShapeTarget("vox", "legs", points, gt)(logits), logits)
    assert torch.equal(grad_shape, (logits > 0).float())  # the voxels predicted occupied
    assert torch.equal(grad_legs, gt)  # no legs predicted: the ground truth's legs, "what would make them"


class QuadrantNet(nn.Module):
    """A network that only sees the top-left quadrant of its (B, 3, H, W) input; outputs 10 points."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.relu = nn.ReLU()
        self.head = nn.Linear(8, 30)
        with torch.no_grad():  # every feature moves every point up: a known sign for the gradient
            self.conv.weight.abs_()
            self.head.weight.uniform_(0.5, 1.0)
            self.head.bias.zero_()

    def forward(self, x):
        h, w = x.shape[-2:]
        mask = torch.zeros(h, w)
        mask[:h // 2, :w // 2] = 1
        features = self.relu(self.conv(x * mask))  # (B, 8, H, W), zero outside the quadrant
        return self.head(features.mean((2, 3))).view(-1, 10, 3)  # (B, 10, 3)


@pytest.mark.parametrize("visualizer", saliency.VISUALIZERS)
def test_saliency_concentrates_where_the_model_looks(visualizer):
    torch.manual_seed(0)
    net = QuadrantNet()
    image = torch.rand(3, 64, 64)
    target = saliency.ShapeTarget("point", "shape", torch.full((20, 3), 5.0) + torch.rand(20, 3))  # far above
    heat = saliency.saliency(net, image, target, visualizer, net.relu)
    quadrant = np.zeros((64, 64), bool)
    quadrant[:32, :32] = True
    assert heat.shape == (64, 64) and np.isfinite(heat).all()
    assert saliency.share_inside(heat, quadrant) > 0.95


def test_every_visualizer_gives_finite_maps_and_parts_differ(tiny_dataset, checkpoints):
    item = R2N2("test", tiny_dataset, views="one")[0]
    image = item["images"].permute(2, 0, 1)  # (3, 137, 137)
    maps = {}
    for kind, path in checkpoints.items():
        model = load(path)
        net, layer = saliency.ChannelsFirst(model), saliency.find_layer(model, "encoder.features.7")
        assert layer is model.encoder.features[-2]
        faces = model.decoder.template_faces if kind == "mesh" else None
        for part in saliency.TARGETS:
            target = saliency.ShapeTarget(kind, part, item["points"], item["voxels"], faces)
            for v in saliency.VISUALIZERS:
                heat = saliency.saliency(net, image, target, v, layer)
                assert heat.shape == (137, 137) and np.isfinite(heat).all() and 0 <= heat.min() and heat.max() <= 1
                maps[kind, part, v] = heat
    for v in saliency.VISUALIZERS:
        # The CAM methods keep only positive evidence (GradCAM: a ReLU of the weighted activations), so on
        # models this young a map can be all zero for some targets; each must give a real map for some.
        assert any(h.std() > 1e-3 for (k, p, w), h in maps.items() if w == v), v
    assert all(h.std() > 1e-3 for (k, p, w), h in maps.items() if w == "guided_backprop")
    for kind in ("point", "mesh"):
        assert maps[kind, "shape", "gradcam++"].std() > 1e-3
        assert not np.allclose(maps[kind, "shape", "gradcam++"], maps[kind, "legs", "gradcam++"], atol=1e-2), kind


def test_writeup_section26_commands_run_as_typed(tiny_dataset, checkpoints, tmp_path):
    env = dict(os.environ, R2N2_DATASET_DIR=tiny_dataset)
    commands = writeup_commands("- 2.6", "## 3.")
    assert len(commands) == 3, commands
    for cmd, kind in zip(commands, ("vox", "point", "mesh")):
        cmd = typed(cmd.replace(f"<{kind}_trained_checkpoint_path>", checkpoints[kind])) + " --max_iter 1"
        out = run(cmd, env, tmp_path)
        assert "inside the silhouette" in out, out
        folder = tmp_path / "output" / "gradcam++_visualizations" / kind
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["error_0000.png", "in_out_0000.png", "panel_0000.png", "summary.json"], names
        summary = json.load(open(folder / "summary.json"))
        assert summary["n_examples"] == 1 and summary["type"] == kind and summary["visualizer"] == "gradcam++"
        assert 0 < summary["silhouette_area"] < 1 and 0 <= summary["saliency_inside_silhouette"]["shape"] <= 1
