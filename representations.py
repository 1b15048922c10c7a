"""The three shapes a prediction comes in, as one table: vox (a (B, D, D, D) grid of logits, cut at an isovalue),
point ((B, N, 3) points) and mesh (a Meshes of B meshes).

For each: how a batch of predictions becomes the points the metrics score, how one example becomes a picture
(a (kind, shape) pair for visualize.render_shape), and train_model.py's loss. A model kind (model.KINDS) names the
representations its output is scored as; adding a representation is a row here, its drawing in visualize and
its decoder in model.py.
"""
import dataclasses

import torch
from pytorch3d.ops import sample_points_from_meshes

from losses import chamfer_to_samples, smoothness_loss, voxel_loss
from metrics import N_EVAL_POINTS, sample_surfaces
from utils_vox import voxels_to_meshes


def surface_points(verts, faces, first_index):
    """N_EVAL_POINTS points on each of B surfaces: (B, N, 3) padded, (B,) valid counts (0 for an empty one) and
    (B, N, 3) the unit normals of the faces they lie on (the same draws), seeded by the example's index in the
    split, so a rerun gives the same numbers whatever the batch size."""
    points, lengths, normals = [], [], []
    for i, (v, f) in enumerate(zip(verts, faces)):
        p, n, nrm = sample_surfaces([v], [f], N_EVAL_POINTS, seed=first_index + i, return_normals=True)
        points.append(p)
        lengths.append(n)
        normals.append(nrm)
    return torch.cat(points), torch.cat(lengths), torch.cat(normals)


def _vox_points(logits, first_index):
    """The marching-cubes surface of each grid at logit 0 (probability 0.5), sampled. PyTorch3D's marching cubes
    winds the faces of our (z, y, x) grids inwards, so the normals are turned to face out of the solid."""
    surfaces = voxels_to_meshes(torch.sigmoid(logits))
    points, lengths, normals = surface_points([v for v, _ in surfaces], [f for _, f in surfaces], first_index)
    return points, lengths, -normals


def _vox_loss(pred, batch, n_points, w_chamfer, w_smooth, balanced):
    loss = voxel_loss(pred, batch["voxels"], balanced=balanced)
    return loss, {"bce": loss.detach()}


def _point_loss(pred, batch, n_points, w_chamfer, w_smooth, balanced):
    chamfer = chamfer_to_samples(pred, batch["points"])
    return w_chamfer * chamfer, {"chamfer": chamfer.detach()}


def _mesh_loss(pred, batch, n_points, w_chamfer, w_smooth, balanced):
    chamfer = chamfer_to_samples(sample_points_from_meshes(pred, n_points), batch["points"])
    smooth = smoothness_loss(pred)
    return w_chamfer * chamfer + w_smooth * smooth, {"chamfer": chamfer.detach(), "smooth": smooth.detach()}


@dataclasses.dataclass(frozen=True)
class Representation:
    points: object  # (batch of predictions, first_index) -> points (B, N, 3), valid counts (B,), normals (B, N, 3) or None
    example: object  # (batch of predictions, i) -> (kind, shape) of example i for visualize.render_shape
    truth: object  # (loader batch, i) -> (kind, shape) of example i's ground truth in this representation
    loss: object  # train_model.py's loss, see single_view_loss
    level: bool = False  # a field whose surface is cut at an isovalue (--isovalue)


REPRESENTATIONS = {
    "vox": Representation(
        points=_vox_points,
        example=lambda pred, i: ("vox", torch.sigmoid(pred[i].detach())),
        truth=lambda batch, i: ("vox", batch["voxels"][i]),
        loss=_vox_loss, level=True),
    "point": Representation(
        points=lambda pred, first_index: (pred, torch.full((len(pred),), pred.shape[1], dtype=torch.long, device=pred.device),
                                          None),  # a point cloud has no normals
        example=lambda pred, i: ("point", pred[i].detach()),
        truth=lambda batch, i: ("mesh", (batch["verts"][i], batch["faces"][i])),
        loss=_point_loss),
    "mesh": Representation(
        points=lambda pred, first_index: surface_points(pred.verts_list(), pred.faces_list(), first_index),
        example=lambda pred, i: ("mesh", (pred.verts_list()[i].detach(), pred.faces_list()[i])),
        truth=lambda batch, i: ("mesh", (batch["verts"][i], batch["faces"][i])),
        loss=_mesh_loss),
}


def prediction_points(pred, kind, first_index):
    """Points on a batch of predictions of representation `kind`: (B, N, 3) padded, (B,) valid counts (0 = empty
    prediction) and (B, N, 3) unit normals at them (None for a point cloud); a surface is sampled seeded by each
    example's index in the split."""
    return REPRESENTATIONS[kind].points(pred, first_index)


def pred_shape(pred, i, kind):
    """Example i of a batch of predictions as a (kind, shape) pair for visualize.render_shape: voxel logits
    (B, D, D, D) become probabilities, points (B, N, 3) stay points, a Meshes gives (verts, faces)."""
    return REPRESENTATIONS[kind].example(pred, i)


def gt_shape(batch, i, kind):
    """Ground truth of example i of a loader batch as (kind, shape): its voxels for kind "vox", else its mesh."""
    return REPRESENTATIONS[kind].truth(batch, i)


def single_view_loss(pred, batch, kind, n_points=1000, w_chamfer=1.0, w_smooth=0.1, balanced=False):
    """The training loss of train_model.py's models and its unweighted terms (detached, for the log).

    pred: (B, 32, 32, 32) voxel logits, (B, n_points, 3) points, or a Meshes of B meshes, as `kind` says;
    batch["voxels"] (B, 32, 32, 32) and batch["points"] (B, P, 3) on pred's device. vox: BCE (balanced:
    losses.class_balanced_weight); point: w_chamfer x chamfer; mesh: that on n_points points sampled on the
    mesh plus w_smooth x Laplacian smoothing.
    """
    return REPRESENTATIONS[kind].loss(pred, batch, n_points, w_chamfer, w_smooth, balanced)
