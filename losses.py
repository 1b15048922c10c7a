"""Losses for fitting and training: voxels (BCE), point clouds (chamfer), meshes (Laplacian smoothing), occupancy
(BCE); representations.single_view_loss puts them together for train_model.py's models."""
import torch
import torch.nn.functional as F
from pytorch3d.ops import knn_points


def voxel_loss(voxel_src, voxel_tgt, balanced=False):
    """Binary cross entropy between predicted occupancy logits and a binary target, averaged over voxels.

    Args:
        voxel_src: (B, D, D, D) logits (not probabilities: the sigmoid is fused for stability).
        voxel_tgt: (B, D, D, D) occupancy in {0, 1}.
        balanced: weigh occupied and empty voxels equally (see class_balanced_weight).
    """
    tgt = voxel_tgt.to(voxel_src.dtype)
    weight = class_balanced_weight(tgt) if balanced else None
    return F.binary_cross_entropy_with_logits(voxel_src, tgt, weight=weight)


def class_balanced_weight(labels):
    """Per-element BCE weights that give the inside and the outside class half of the loss each: 1 / (2 pi)
    and 1 / (2 (1 - pi)) for a positive share pi of the batch (they average to 1).

    Unweighted, with few positives (about 4 % of a chair's 32^3 voxels, 20 % of occupancy queries), the
    loss is minimised by a probability below 0.5 wherever the image leaves the exact place of a thin part
    uncertain, so marching cubes at 0.5 drops the legs and slats; the balanced optimum moves those logits
    up by log((1 - pi) / pi), which puts the cut at the class-frequency prior instead of at 0.5.
    """
    pos = labels.mean().clamp(1e-3, 1 - 1e-3)
    return torch.where(labels > 0.5, 0.5 / pos, 0.5 / (1 - pos)).detach()


def chamfer_loss(point_cloud_src, point_cloud_tgt):
    """Symmetric chamfer distance with squared Euclidean distances.

    For each point of one cloud, the squared distance to its nearest neighbour in the other cloud;
    averaged over the points of each cloud, the two directions summed, then averaged over the batch.
    This is the reduction of `pytorch3d.loss.chamfer_distance` with its defaults
    (point_reduction="mean", batch_reduction="mean").

    Args:
        point_cloud_src: (B, N, 3)
        point_cloud_tgt: (B, M, 3)
    Returns:
        scalar tensor
    """
    src_nn = knn_points(point_cloud_src, point_cloud_tgt, K=1)  # dists: (B, N, 1), squared
    tgt_nn = knn_points(point_cloud_tgt, point_cloud_src, K=1)  # dists: (B, M, 1), squared
    per_cloud = src_nn.dists[..., 0].mean(dim=1) + tgt_nn.dists[..., 0].mean(dim=1)  # (B,)
    return per_cloud.mean()


def smoothness_loss(mesh_src):
    """Uniform Laplacian smoothing: the distance of each vertex from the mean of its neighbours.

    Per vertex ||mean(neighbours) - v||, averaged over each mesh's vertices, then over the meshes;
    the same quantity as `pytorch3d.loss.mesh_laplacian_smoothing(meshes, method="uniform")`.

    Args:
        mesh_src: pytorch3d.structures.Meshes with N meshes.
    Returns:
        scalar tensor
    """
    verts = mesh_src.verts_packed()  # (V, 3)
    edges = mesh_src.edges_packed()  # (E, 2), each undirected edge once
    a, b = edges[:, 0], edges[:, 1]
    neighbour_sum = torch.zeros_like(verts)
    neighbour_sum.index_add_(0, a, verts[b])
    neighbour_sum.index_add_(0, b, verts[a])
    degree = torch.zeros(verts.shape[0], dtype=verts.dtype, device=verts.device)
    degree.index_add_(0, a, torch.ones_like(a, dtype=verts.dtype))
    degree.index_add_(0, b, torch.ones_like(b, dtype=verts.dtype))
    lap = neighbour_sum / degree.clamp(min=1).unsqueeze(1) - verts  # (V, 3)
    lap = torch.where(degree.unsqueeze(1) > 0, lap, torch.zeros_like(lap))  # isolated vertices: 0
    num_verts = mesh_src.num_verts_per_mesh().to(verts.dtype)  # (N,)
    per_vertex_weight = 1.0 / num_verts[mesh_src.verts_packed_to_mesh_idx()]  # (V,)
    return (lap.norm(dim=1) * per_vertex_weight).sum() / len(mesh_src)


def chamfer_to_samples(pred_points, surface):
    """Chamfer loss of (B, n, 3) predicted points against n points drawn at random (fresh each call) from
    the (B, P, 3) cached ground-truth surface samples, so the target matches the prediction's density."""
    gt = surface[:, torch.randint(surface.shape[1], (pred_points.shape[1],), device=surface.device)]  # (B, n, 3)
    return chamfer_loss(pred_points, gt)


def occupancy_loss(logits, labels, balanced=False):
    """BCE of (B, Q) occupancy logits against (B, Q) labels in {0, 1}, and the terms for the log
    (bce, and the IoU of the queries' predicted and true occupancy).

    balanced: inside and outside queries each carry half of the loss (see class_balanced_weight).
    """
    weight = class_balanced_weight(labels) if balanced else None  # (B, Q), mean 1
    loss = F.binary_cross_entropy_with_logits(logits, labels, weight=weight)
    with torch.no_grad():
        pred, gt = logits > 0, labels > 0.5
        iou = (pred & gt).sum() / (pred | gt).sum().clamp(min=1)
    return loss, {"bce": loss.detach(), "iou": iou}
