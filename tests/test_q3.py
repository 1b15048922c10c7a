"""Writeup section 3: the implicit and parametric networks learn, their labels and meshes are right, eval_q3
scores ground truth high through the shared evaluation path, and refuses wrong checkpoints (the four section-3
commands run as typed in tests/test_report.py)."""
import argparse
import json
import math

import numpy as np
import pytest
import torch
from pytorch3d.datasets.r2n2.utils import BlenderCamera
from pytorch3d.structures import Meshes
from pytorch3d.utils import ico_sphere
from torch.utils.data import DataLoader

import occupancy
from checkpoint import save_checkpoint
from conftest import checkpoint_of, script_fails, script_ok
from evaluation import evaluate, make_predict
from losses import chamfer_to_samples, occupancy_loss
from model import (Encoding, GridOccupancyDecoder, ModelArgs, OccupancyNetwork, ParametricNetwork, PixelOccupancyDecoder, PixelRefine, model_input,
                   project, view_matrix)
from r2n2_custom import R2N2, collate_batched_R2N2
from r2n2_layout import BLENDER_K
from utils_vox import voxel_centers

TINY = ["--pretrained", "no", "--num_workers", "0", "--device", "cpu"]


@pytest.fixture(scope="module")
def batch(tiny_dataset):
    ds = R2N2("train", tiny_dataset)
    return collate_batched_R2N2([ds[i] for i in range(0, len(ds), len(ds) // 4)][:4])


def test_labels_agree_with_the_voxels(batch):
    vox = batch["voxels"]  # (B, 32, 32, 32), axes (z, y, x)
    b = len(vox)
    centres = voxel_centers(32).reshape(1, -1, 3).expand(b, -1, -1)  # (B, 32^3, 3) xyz
    assert torch.equal(occupancy.occupancy_labels(vox, centres).view_as(vox), vox)
    # Anywhere in the cube the label is mostly the voxel the point falls in (they differ only near the boundary).
    torch.manual_seed(0)
    p = torch.rand(b, 5000, 3) - 0.5
    idx = ((p + 0.5) * 32).floor().long().clamp(0, 31)  # (B, Q, 3) xyz voxel indices
    nearest = vox[torch.arange(b)[:, None], idx[..., 2], idx[..., 1], idx[..., 0]]
    assert (occupancy.occupancy_labels(vox, p) == nearest).float().mean() > 0.98
    # Points outside the cube, or beyond the last voxel centre towards the border, are empty.
    far = torch.tensor([[0.9, 0.0, 0.0], [0.0, -0.7, 0.0], [0.0, 0.0, 3.0], [0.499, 0.499, 0.499]]).expand(b, -1, -1)
    assert occupancy.occupancy_labels(vox, far).sum() == 0
    # An axis-order check on a hand-made grid: one filled voxel at x index 30, y 1, z 5.
    one = torch.zeros(1, 32, 32, 32)
    one[0, 5, 1, 30] = 1
    centre = torch.tensor([[[-0.5 + 30.5 / 32, -0.5 + 1.5 / 32, -0.5 + 5.5 / 32]]])
    assert occupancy.occupancy_labels(one, centre).item() == 1
    assert occupancy.occupancy_labels(one, centre[..., [2, 1, 0]]).item() == 0


def test_query_pool_holds_what_a_fresh_step_would_make_and_label(tiny_dataset):
    ds = R2N2("train", tiny_dataset)
    state = torch.get_rng_state()
    pool = occupancy.QueryPool(ds, 0.01, "auto", size=2000)
    assert torch.equal(torch.get_rng_state(), state)  # making it leaves the run's random stream alone
    models = [0, len(ds.model_ids) - 1]
    stored = torch.from_numpy(pool.points[models].astype("float32"))  # (2, 2000, 3)
    uniform, near = stored[:, :1000], stored[:, 1000:]
    assert uniform.abs().max() <= 0.5 and abs(uniform.std().item() - 12 ** -0.5) < 0.01  # U(-0.5, 0.5): std 0.289
    surface = torch.from_numpy(ds.points[models])  # (2, P, 3)
    gap = torch.cdist(near, surface).min(-1).values  # (2, 1000) distance to the nearest surface sample
    assert gap.median() < 0.015 and gap.max() < 0.08  # noise of sigma 0.01 (and the samples' spacing)
    # The stored labels are the fresh-step labels (exact inside test of the closed mesh) of the stored points.
    first = [int(np.searchsorted(ds.item_model, m)) for m in models]
    batch = collate_batched_R2N2([ds[i] for i in first])
    fresh, from_mesh = occupancy.training_labels(batch, stored, "auto", "cpu")
    assert from_mesh == 2 and torch.equal(fresh, torch.from_numpy(pool.labels[models].astype("float32")))
    # A draw takes its first n - n // 2 queries from the uniform half and the rest from the near half, with their labels.
    points, labels, n_mesh = pool.sample(models, 101)
    assert points.shape == (2, 101, 3) and labels.shape == (2, 101) and n_mesh == 2
    match = (points[:, :, None] == stored[:, None]).all(-1)  # (2, 101, 2000): which stored query each one is
    assert match.any(-1).all() and match[:, :51, 1000:].sum() == 0 and match[:, 51:, :1000].sum() == 0
    assert torch.equal(labels > 0.5, (match.float() * fresh[:, None]).sum(-1) > 0)
    # The same settings reuse the pool; another sigma is another pool.
    assert occupancy.QueryPool(ds, 0.01, "auto", size=2000).points.filename == pool.points.filename
    assert occupancy.QueryPool(ds, 0.02, "auto", size=2000).points.filename != pool.points.filename


def test_grid_decoder_reads_its_volume_in_the_voxel_frame(batch):
    decoder = GridOccupancyDecoder()
    with torch.no_grad():  # wire decode(points, volume) to channel 0 of the interpolated volume
        for layer in [decoder.point_proj, decoder.grid_proj] + [m for m in decoder.mlp if isinstance(m, torch.nn.Linear)]:
            layer.weight.zero_()
            layer.bias.zero_()
        decoder.grid_proj.weight[0, 0] = 1
        for layer in [m for m in decoder.mlp if isinstance(m, torch.nn.Linear)]:
            layer.weight[0, 0] = 1
    vox = batch["voxels"]  # (B, 32, 32, 32)
    volume = torch.zeros(len(vox), 16, 32, 32, 32)
    volume[:, 0] = vox
    torch.manual_seed(0)
    p = torch.rand(len(vox), 3000, 3) - 0.5  # (B, Q, 3)
    assert torch.equal(decoder.decode(p, volume) > 0.5, occupancy.occupancy_labels(vox, p) > 0.5)
    assert decoder.voxel_logits(decoder.condition(Encoding(torch.randn(2, 512)))).shape == (2, 32, 32, 32)


def test_an_evaluation_makes_the_decoders_volume_once_per_batch(batch):
    """The grid and the IoU points are queried from one Encoding: the volume (the decoder's 3D up-convolutions) is
    made by the first query and read by the next, and the logits in chunks are the network's forward pass."""
    torch.manual_seed(0)
    model = OccupancyNetwork(ModelArgs("occupancy", decoder="pixel")).eval()
    made, condition = [], model.decoder.condition
    model.decoder.condition = lambda enc: made.append(len(enc.feat)) or condition(enc)
    with torch.no_grad():
        make_predict(model, "vox", "cpu", chunk=5000)(batch, 0)  # the 32^3 grid, then N_IOU_POINTS points
        assert made == [len(batch["images"])]
        points = torch.rand(made[0], 3000, 3) - 0.5  # (B, Q, 3)
        enc = model.encode_batch(batch, "cpu")
        whole = model(model_input(batch, False, "cpu"), points, view_matrix(batch, "cpu"))  # (B, Q)
        assert torch.allclose(model.query_logits(enc, points, chunk=1000), whole, atol=1e-5)
        assert len(made) == 3  # forward's own, and the new encoding's once for its chunks


def test_view_matrix_projects_as_the_cameras_that_rendered_the_views(batch):
    torch.manual_seed(0)
    points = torch.cat([batch["points"][:, :1000], torch.rand(len(batch["R"]), 500, 3) - 0.5], 1)  # (B, Q, 3)
    uv = project(points, view_matrix(batch, "cpu"))  # (B, Q, 2)
    ndc = BlenderCamera(R=batch["R"], T=batch["T"], K=batch["K"]).transform_points(points)[..., :2]  # x left, y up
    assert torch.allclose(uv, -ndc, atol=1e-5)
    # The chair's surface lands on its silhouette (the background is exactly black) in grid_sample's convention.
    silhouette = (batch["images"].sum(-1) > 0).float()[:, None]  # (B, 1, 137, 137)
    on = torch.nn.functional.grid_sample(silhouette, uv[:, :1000, None], mode="nearest", align_corners=False)
    assert on.mean((1, 2, 3)).min() > 0.9, on.mean((1, 2, 3))


def test_pixel_decoder_reads_the_pixel_the_camera_sees_the_query_at():
    """hand_camera's red pixel: wired to the red channel, the decoder answers 1 at the point the camera sees
    there and 0 at the mirrored points."""
    decoder = PixelOccupancyDecoder()
    with torch.no_grad():
        for layer in [decoder.point_proj, decoder.grid_proj, decoder.pixel_proj] + [m for m in decoder.mlp if isinstance(m, torch.nn.Linear)]:
            layer.weight.zero_()
            layer.bias.zero_()
        decoder.pixel_proj.weight[0, 0] = 1  # the image's red channel
        for layer in [m for m in decoder.mlp if isinstance(m, torch.nn.Linear)]:
            layer.weight[0, 0] = 1
    view, maps = hand_camera()
    out = decoder.decode(HAND_POINTS, (torch.zeros(1, 16, 32, 32, 32), maps, view))
    assert torch.allclose(out, torch.tensor([[1.0, 0.0, 0.0, 0.0]]), atol=1e-6), out


def test_pixel_refine_moves_the_point_the_camera_sees_on_the_red_pixel():
    """hand_camera's red pixel wired to the x of the move: the point seen there moves by (1, 0, 0), the
    mirrored points stay where they are."""
    refine = PixelRefine()
    linears = [refine.point_proj, refine.feat_proj, refine.pixel_proj] + [m for m in refine.mlp if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for layer in linears:
            layer.weight.zero_()
            layer.bias.zero_()
        refine.pixel_proj.weight[0, 0] = 1  # the image's red channel
        for layer in linears[3:]:
            layer.weight[0, 0] = 1
    view, maps = hand_camera()
    moved = refine(HAND_POINTS, torch.zeros(1, 512), maps, view)  # (1, 4, 3)
    assert torch.allclose(moved - HAND_POINTS, torch.tensor([[[1.0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]]), atol=1e-6)


def test_pixel_refine_starts_as_the_patches_and_refines_the_mesh_it_triangulates(batch):
    """Untrained, the refined network decodes exactly the patches' points (its last layer starts at zero);
    with any move, grid_mesh's vertices are decode's refined points and the faces are the patches' own."""
    torch.manual_seed(0)
    plain = ParametricNetwork(ModelArgs("parametric", n_patches=3, refine="none"))
    refined = ParametricNetwork(ModelArgs("parametric", n_patches=3, refine="pixel"))
    refined.load_state_dict(plain.state_dict(), strict=False)  # the same encoder and patches
    plain.eval(), refined.eval()
    images, view = model_input(batch, False, "cpu"), view_matrix(batch, "cpu")
    with torch.no_grad():
        torch.manual_seed(1)
        a = plain(images, 300)
        torch.manual_seed(1)
        b, coarse = refined(images, 300, view, with_coarse=True)
        assert torch.equal(a, b) and torch.equal(b, coarse)
        torch.nn.init.normal_(refined.refine.mlp[-1].weight, std=0.1)
        enc = refined.encode_batch(batch, "cpu")  # Encoding: feature, maps, view
        verts, faces = refined.grid_mesh(enc, 300)
        plain_verts, plain_faces = plain.grid_mesh(plain.encode_batch(batch, "cpu"), 300)
    assert torch.equal(faces, plain_faces) and verts.shape == plain_verts.shape
    moved = (verts - plain_verts).norm(dim=-1)  # (B, V)
    assert moved.min() > 0  # every vertex refined ...
    expected = refined.refine(plain_verts, enc.feat, enc.maps, enc.view)  # ... by the refinement of its patch point
    torch.testing.assert_close(verts, expected)


def test_winding_number_is_an_exact_inside_test():
    sphere = ico_sphere(3)
    verts, faces = sphere.verts_packed() * 0.4, sphere.faces_packed()  # a closed sphere of radius ~0.4
    torch.manual_seed(0)
    p = torch.rand(4000, 3) - 0.5
    r = p.norm(dim=1)
    clear = (r < 0.38) | (r > 0.41)  # away from the faceted surface
    inside = occupancy.mesh_labels("sphere", verts, faces, p, "mesh", "cpu").bool()  # the labels training uses
    assert torch.equal(inside[clear], (r < 0.39)[clear])
    # Chunking is a memory bound only: small chunks give the same winding numbers.
    assert torch.equal(occupancy.winding_number(p, verts, faces, pairs_per_chunk=512 * len(faces)),
                       occupancy.winding_number(p, verts, faces))
    # Two overlapping closed boxes: inside either one counts, the overlap too.
    box = Meshes([torch.tensor([[x, y, z] for x in (0.0, 1.0) for y in (0.0, 1.0) for z in (0.0, 1.0)])],
                 [torch.tensor([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                                [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])])
    v = box.verts_packed() * 0.2
    two_v, two_f = torch.cat([v, v + 0.1]), torch.cat([box.faces_packed(), box.faces_packed() + 8])
    q = torch.tensor([[0.05, 0.05, 0.05], [0.15, 0.15, 0.15], [0.25, 0.25, 0.25], [0.35, 0.05, 0.05], [0.25, 0.05, 0.05]])
    assert occupancy.mesh_labels("two boxes", two_v, two_f, q, "mesh", "cpu").tolist() == [1, 1, 1, 0, 0]
    assert occupancy.is_closed(two_f) and occupancy.is_closed(faces)
    assert not occupancy.is_closed(faces[1:])  # one triangle missing: a hole


def test_mesh_labels_are_the_shape_the_voxels_approximate(batch):
    torch.manual_seed(0)
    points = occupancy.sample_query_points(batch["points"], 4000)  # (B, Q, 3)
    labels, from_mesh = occupancy.training_labels(batch, points, "auto", torch.device("cpu"))
    assert from_mesh == len(points)  # every embedded chair is closed
    vox_labels = occupancy.occupancy_labels(batch["voxels"], points)
    # Farther than one voxel diagonal from the surface, the 32^3 voxels and the mesh agree.
    far = torch.cdist(points, batch["points"]).min(-1).values > 3 ** 0.5 / 32  # (B, Q)
    assert far.float().mean() > 0.3
    assert (labels[far] == vox_labels[far]).float().mean() > 0.99
    # The voxels mark a cell occupied when any part touches it, so they are fatter than the mesh.
    assert vox_labels.sum() > labels.sum()
    voxel_only, _ = occupancy.training_labels(batch, points, "voxels", torch.device("cpu"))
    assert torch.equal(voxel_only, vox_labels)


def test_query_points_are_half_uniform_half_near_the_surface(batch):
    torch.manual_seed(0)
    q = occupancy.sample_query_points(batch["points"], 1001, sigma=0.02)  # (B, 1001, 3)
    assert q.shape == (len(batch["points"]), 1001, 3)
    uniform, near = q[:, :501], q[:, 501:]
    assert uniform.abs().max() <= 0.5 and uniform.std() > 0.25
    dist = torch.cdist(near, batch["points"]).min(-1).values  # (B, 500)
    assert 0.01 < dist.mean() < 0.04


def test_near_queries_scale_with_sigma_and_default_to_half_the_thinnest_parts(batch):
    assert occupancy.NEAR_SIGMA == 0.01
    assert math.isclose(occupancy.sample_query_points.__defaults__[0], occupancy.NEAR_SIGMA)
    dist, inside = {}, {}
    for sigma in (0.01, 0.02):
        torch.manual_seed(0)
        q = occupancy.sample_query_points(batch["points"], 2001, sigma=sigma)  # (B, 2001, 3)
        assert q[:, :1001].abs().max() <= 0.5  # the first n - n // 2 uniform in the cube, the last n // 2 near
        near = q[:, 1001:]
        dist[sigma] = torch.cdist(near, batch["points"]).min(-1).values.mean().item()
        labels, _ = occupancy.training_labels(batch, q, "auto", torch.device("cpu"))
        inside[sigma] = labels[:, 1001:].mean().item()
    assert 0.4 < dist[0.01] / dist[0.02] < 0.65  # the offsets scale with sigma
    # Around thin parts most sigma-0.02 queries land outside; at 0.01 closer to half of the near queries are inside.
    assert inside[0.02] < 0.37 and 0.4 < inside[0.01] < 0.5, inside  # measured 0.31 and 0.42 (embedded: 0.37, 0.44)


def test_balanced_occupancy_loss_on_a_hand_computed_case():
    logits, labels = torch.tensor([[2.0, 0.0, -1.0, 1.0]]), torch.tensor([[1.0, 0.0, 0.0, 0.0]])
    sp = lambda x: math.log1p(math.exp(x))  # BCE of a logit x against label 0 is softplus(x), against 1 softplus(-x)
    plain, _ = occupancy_loss(logits, labels)
    assert math.isclose(plain.item(), (sp(-2) + sp(0) + sp(-1) + sp(1)) / 4, rel_tol=1e-6)
    # positive share 1/4: the positive weighs 0.5 / 0.25 = 2, each negative 0.5 / 0.75 = 2/3 (mean weight 1)
    balanced, terms = occupancy_loss(logits, labels, balanced=True)
    assert math.isclose(balanced.item(), (2 * sp(-2) + 2 / 3 * (sp(0) + sp(-1) + sp(1))) / 4, rel_tol=1e-6)
    assert math.isclose(terms["bce"].item(), balanced.item())
    # The best constant prediction: the base rate 1/4 for plain BCE, probability 1/2 (logit 0) balanced.
    for balanced, best in ((False, math.log(1 / 3)), (True, 0.0)):
        c = torch.tensor(best, requires_grad=True)
        occupancy_loss(c.expand(1, 4), labels, balanced=balanced)[0].backward()
        assert abs(c.grad.item()) < 1e-6


def fixed_batch_losses(model, batch, step_loss, steps=12):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(steps):
        loss = step_loss()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("decoder", ["simple", "cbn", "grid", "pixel"])
def test_implicit_loss_goes_down_on_a_fixed_batch(batch, decoder):
    torch.manual_seed(0)
    model = OccupancyNetwork(ModelArgs("occupancy", decoder=decoder))
    points = occupancy.sample_query_points(batch["points"], 1000)  # (B, 1000, 3)
    labels = occupancy.occupancy_labels(batch["voxels"], points)
    losses = fixed_batch_losses(model, batch, lambda: occupancy_loss(
        model(model_input(batch, False, "cpu"), points, view_matrix(batch, "cpu")), labels)[0], steps=15)
    # Below the entropy of the labels' base rate: what a model that ignores the query points can reach at best.
    rate = labels.mean()
    prior = -(rate * rate.log() + (1 - rate) * (1 - rate).log()).item()
    assert sum(losses[-3:]) / 3 < min(0.9 * losses[0], prior - 0.03), (prior, losses)


@pytest.mark.parametrize("refine", ["none", "pixel"])
def test_parametric_loss_goes_down_on_a_fixed_batch(batch, refine):
    torch.manual_seed(0)
    model = ParametricNetwork(ModelArgs("parametric", n_patches=2, refine=refine))
    view = view_matrix(batch, "cpu") if refine == "pixel" else None
    losses = fixed_batch_losses(model, batch, lambda: chamfer_to_samples(
        model(model_input(batch, False, "cpu"), 500, view), batch["points"]))
    assert sum(losses[-3:]) / 3 < 0.5 * losses[0], losses


def hand_camera():
    """R = I, T = (0, 0, 2), the R2N2 intrinsics: the point (0.3, 0.2, 0) is seen at NDC (2.1875 * 0.3 / 2,
    2.1875 * 0.2 / 2), PyTorch3D's x left and y up, which is pixel column 45.5, row 53.0 of a 137^2 image
    (centre of pixel i at -1 + (2 i + 1) / 137, x flipped). Returns (view_matrix, maps) with the image's red
    channel 1 around that pixel and every other map 0."""
    image = torch.zeros(1, 3, 137, 137)
    image[0, 0, 52:55, 44:48] = 1  # rows 52-54, columns 44-47: around (row 53.0, column 45.5)
    maps = [image, torch.zeros(1, 64, 35, 35), torch.zeros(1, 128, 18, 18)]
    view = view_matrix({"R": torch.eye(3)[None], "T": torch.tensor([[0.0, 0.0, 2.0]]), "K": BLENDER_K[None]}, "cpu")
    return view, maps


HAND_POINTS = torch.tensor([[[0.3, 0.2, 0.0], [-0.3, 0.2, 0.0], [0.3, -0.2, 0.0], [0.2, 0.3, 0.0]]])  # (1, 4, 3)


def test_parametric_grid_mesh_triangulates_each_patch():
    model = ParametricNetwork(ModelArgs("parametric", load_feat=True, n_patches=3, refine="none"))
    for k, patch in enumerate(model.patches):  # patch k: the unit square, lifted to z = k
        patch.forward = lambda uv, feat, k=k: torch.cat([uv, torch.full_like(uv[..., :1], float(k))], -1)
    verts, faces = model.grid_mesh(Encoding(torch.zeros(2, 512)), n_points=300)  # g = round(sqrt(100)) = 10 per side
    assert model.grid_side(300) == 10 and verts.shape == (2, 300, 3) and faces.shape == (3 * 2 * 81, 3)
    tri = verts[0][faces]  # (F, 3, 3)
    area = torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]).norm(dim=-1) / 2
    assert torch.allclose(area, torch.full_like(area, 0.5 / 81))  # no degenerate or overlapping triangles
    assert torch.equal(tri[..., 2].min(1).values, tri[..., 2].max(1).values)  # no triangle spans two patches
    assert len(torch.unique(faces)) == 300


class VoxelOracle(torch.nn.Module):
    """An occupancy 'decoder' that answers with the ground-truth labels: the feature is the voxel grid."""

    def condition(self, enc):
        return enc.feat

    def decode(self, points, feat):
        labels = occupancy.occupancy_labels(feat.view(-1, 32, 32, 32), points)  # (B, Q)
        return torch.logit(labels.clamp(1e-4, 1 - 1e-4))


@pytest.mark.parametrize("res", [32, 64])
def test_oracle_occupancy_scores_high_through_the_eval_path(tiny_dataset, res):
    model = OccupancyNetwork(ModelArgs("occupancy", load_feat=True, decoder="simple"))
    model.decoder = VoxelOracle()

    def collate(items):  # hand the oracle each chair's voxels as its 'feature'
        out = collate_batched_R2N2(items)
        out["feats"] = out["voxels"].flatten(1)
        return out

    loader = DataLoader(R2N2("test", tiny_dataset, views="one"), batch_size=2, collate_fn=collate)
    predict = make_predict(model.eval(), "vox", "cpu", eval_res=res, chunk=5000)
    results, _ = evaluate(predict, loader, "cpu")
    assert results["f1"][:, -1].min() >= 90, results["f1"]


class SphereField(torch.nn.Module):
    """Occupancy logits 10 (0.3 - |p|): probability 0.5 on the sphere of radius 0.3, and probability t on
    the sphere of radius 0.3 - logit(t) / 10 (0.4386 for t = 0.2)."""

    def condition(self, enc):
        return enc.feat

    def decode(self, points, feat):
        return 10 * (0.3 - points.norm(dim=-1))


@pytest.mark.parametrize("isovalue, radius", [(0.5, 0.3), (0.2, 0.3 + math.log(4) / 10), (0.8, 0.3 - math.log(4) / 10)])
def test_isovalue_cuts_the_field_at_that_probability(isovalue, radius):
    model = OccupancyNetwork(ModelArgs("occupancy", load_feat=True, decoder="simple"))
    model.decoder = SphereField()
    predict = make_predict(model.eval(), "vox", "cpu", eval_res=64, isovalue=isovalue, with_iou=False)
    points, lengths, _, shapes, volume = predict({"feats": torch.zeros(1, 512)}, 0)
    assert volume == {}
    r = points[0, :lengths[0]].norm(dim=-1)  # (N,)
    assert abs(r.mean().item() - radius) < 1 / 128 and r.std() < 1 / 64  # within a quarter of a voxel of 1/64


def test_pixel_decoder_on_precomputed_features_is_refused(tiny_dataset, tmp_path):
    script_fails("q3_train_implicit.py", *TINY, "--decoder", "pixel", "--load_feat", "--dataset_dir", tiny_dataset,
                 "--output_dir", tmp_path, message="--decoder pixel samples the images")
    script_fails("q3_train_parametric.py", *TINY, "--refine", "pixel", "--load_feat", "--dataset_dir", tiny_dataset,
                 "--output_dir", tmp_path, message="--refine pixel samples the images")
    assert not list(tmp_path.iterdir())  # refused before the run folder exists


def test_pixel_refine_resumes_identically_and_is_scored(tiny_dataset, tmp_path):
    """A refining AtlasNet run continues as an uninterrupted one, logs the patches' own chamfer, refuses to
    resume without --refine, and eval_q3 scores its mesh (which needs each view's camera)."""
    common = TINY + ["--batch_size", "2", "--n_points", "100", "--n_patches", "4", "--refine", "pixel", "--save_freq", "2",
                     "--log_freq", "1", "--vis_freq", "3", "--dataset_dir", tiny_dataset]
    full = checkpoint_of(script_ok("q3_train_parametric.py", *common, "--max_iter", "4", "--output_dir", tmp_path / "a"))
    script_ok("q3_train_parametric.py", *common, "--max_iter", "2", "--output_dir", tmp_path / "b")
    resumed = checkpoint_of(script_ok("q3_train_parametric.py", *common, "--max_iter", "4", "--output_dir", tmp_path / "b",
                                      "--load_checkpoint"))
    a, b = (torch.load(p, weights_only=True) for p in (full, resumed))
    assert a["step"] == b["step"] == 4 and a["args"]["refine"] == "pixel"
    assert any(k.startswith("refine.") for k in a["model"])
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    log = (tmp_path / "a" / "q3_parametric" / "loss_parametric.csv").read_text().splitlines()
    assert len(log) == 5 and all("coarse_chamfer=" in line for line in log[1:])
    assert (tmp_path / "a" / "q3_parametric" / "vis" / "parametric_000003.png").is_file()
    script_fails("q3_train_parametric.py", *[a for a in common if a not in ("--refine", "pixel")], "--max_iter", "6",
                 "--output_dir", tmp_path / "b", "--load_checkpoint", message="pass --refine pixel")
    script_ok("eval_q3.py", "--model_type", "parametric", "--type", "mesh", "--checkpoint_path", full, "--vis_freq", "0",
              "--id", "q3", "--output_dir", tmp_path / "eval", "--dataset_dir", tiny_dataset, "--num_workers", "0",
              "--device", "cpu")
    metrics = json.load(open(tmp_path / "eval" / "q3" / "metrics_parametric_mesh.json"))
    assert metrics["n_points"] == 100 and len(metrics["avg_f1"]) == 5


def test_isovalue_outside_0_1_or_on_a_parametric_model_is_refused(tmp_path):
    for extra, message in [(["--model_type", "occupancy", "--type", "vox", "--isovalue", "1.5"], "strictly between 0 and 1"),
                           (["--model_type", "parametric", "--type", "point", "--isovalue", "0.3"], "applies to --model_type occupancy")]:
        script_fails("eval_q3.py", "--checkpoint_path", tmp_path / "none.pth", *extra, message=message)


@pytest.fixture(scope="module")
def checkpoints(tiny_dataset, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("q3ckpt"))
    common = TINY + ["--batch_size", "2", "--max_iter", "1", "--dataset_dir", tiny_dataset, "--output_dir", out]
    implicit = checkpoint_of(script_ok("q3_train_implicit.py", *common, "--num_points_to_sample", "200"))
    parametric = checkpoint_of(script_ok("q3_train_parametric.py", *common, "--n_points", "100"))
    return implicit, parametric


def test_implicit_resume_continues_identically(tiny_dataset, tmp_path):
    """With a moving average of the weights (--ema): the average, its batch norm statistics and the raw weights
    all continue as in an uninterrupted run; resuming under another --ema is refused."""
    common = TINY + ["--batch_size", "2", "--num_points_to_sample", "300", "--save_freq", "2",
                     "--vis_freq", "3", "--dataset_dir", tiny_dataset, "--ema", "0.9"]
    full = checkpoint_of(script_ok("q3_train_implicit.py", *common, "--max_iter", "4", "--output_dir", tmp_path / "a"))
    script_ok("q3_train_implicit.py", *common, "--max_iter", "2", "--output_dir", tmp_path / "b")
    resumed = checkpoint_of(script_ok("q3_train_implicit.py", *common, "--max_iter", "4", "--output_dir", tmp_path / "b",
                                      "--load_checkpoint"))
    a, b = (torch.load(p, weights_only=True) for p in (full, resumed))
    assert a["step"] == b["step"] == 4 and a["args"]["model_type"] == "occupancy" and a["ema_updates"] == 4
    for part in ("model", "train_model"):
        for key in a[part]:
            assert torch.equal(a[part][key], b[part][key]), (part, key)
    script_fails("q3_train_implicit.py", *common, "--ema", "0", "--max_iter", "6", "--output_dir", tmp_path / "b",
                 "--load_checkpoint", message="was trained with --ema 0.9, not --ema 0.0")
    run_dir = tmp_path / "a" / "q3_implicit"
    assert (run_dir / "vis" / "implicit_000003.png").is_file() and (run_dir / "loss_implicit.png").is_file()


def test_a_parametric_checkpoint_from_before_refine_resumes_and_is_scored(tiny_dataset, checkpoints, tmp_path):
    """Checkpoints written before --refine existed have no such argument; they mean --refine none."""
    old = torch.load(checkpoints[1], weights_only=True)
    del old["args"]["refine"]
    run_dir = tmp_path / "q3_parametric"
    run_dir.mkdir()
    torch.save(old, run_dir / "checkpoint_parametric.pth")
    common = TINY + ["--batch_size", "2", "--n_points", "100", "--dataset_dir", tiny_dataset, "--output_dir", tmp_path]
    resumed = checkpoint_of(script_ok("q3_train_parametric.py", *common, "--max_iter", "2", "--load_checkpoint"))
    ckpt = torch.load(resumed, weights_only=True)
    assert ckpt["step"] == 2 and ckpt["args"]["refine"] == "none"
    script_fails("q3_train_parametric.py", *common, "--max_iter", "3", "--load_checkpoint", "--refine", "pixel",
                 message="pass --refine none")
    torch.save(old, run_dir / "checkpoint_parametric.pth")
    script_ok("eval_q3.py", "--model_type", "parametric", "--type", "point", "--checkpoint_path",
              run_dir / "checkpoint_parametric.pth", "--vis_freq", "0", "--id", "q3", "--output_dir", tmp_path / "eval",
              "--dataset_dir", tiny_dataset, "--num_workers", "0", "--device", "cpu")


def test_eval_writes_metrics_and_refuses_wrong_checkpoints(tiny_dataset, checkpoints, tmp_path):
    implicit, parametric = checkpoints
    base = ["--output_dir", tmp_path, "--dataset_dir", tiny_dataset, "--num_workers", "0", "--device", "cpu"]
    out = script_ok("eval_q3.py", "--model_type", "parametric", "--type", "mesh", "--checkpoint_path", parametric,
                    "--vis_freq", "1", "--id", "q3", *base)
    metrics = json.load(open(tmp_path / "q3" / "metrics_parametric_mesh.json"))
    assert f"avg F1@0.05 = {metrics['avg_f1@0.05']:.3f}" in out
    assert metrics["n_points"] == 100 and len(metrics["avg_f1"]) == 5
    assert (tmp_path / "q3" / "eval_parametric_mesh.png").is_file()
    assert len(list((tmp_path / "q3" / "vis").glob("*.png"))) == metrics["n_examples"]

    script_fails("eval_q3.py", "--model_type", "occupancy", "--type", "vox", "--checkpoint_path", parametric, *base,
                 message="model_type='parametric', but model_type='occupancy' was asked for")
    script_fails("eval_q3.py", "--model_type", "parametric", "--type", "vox", "--checkpoint_path", parametric, *base,
                 message="scored as --type point or mesh, not vox")
    script_fails("eval_q3.py", "--model_type", "occupancy", "--type", "vox", "--checkpoint_path", implicit,
                 "--n_points", "10", *base, message="--n_points applies to --model_type parametric")
    # A train_model.py checkpoint is refused by eval_q3, and q3 checkpoints by eval_model.py, in one line.
    section2 = tmp_path / "point.pth"
    save_checkpoint(str(section2), torch.nn.Linear(1, 1), None, 1, argparse.Namespace(type="point", n_points=10))
    script_fails("eval_q3.py", "--model_type", "occupancy", "--type", "vox", "--checkpoint_path", section2, *base,
                 message="written by another training script")
    script_fails("eval_model.py", "--type", "point", "--checkpoint_path", parametric, *base,
                 message="read it with eval_q3.py --model_type parametric")
    script_fails("extract_feats.py", "--checkpoint_path", section2, "--dataset_dir", tiny_dataset,
                 message="does not hold a model this repo can rebuild")
