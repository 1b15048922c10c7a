"""Ground-truth occupancy for the implicit model: where to ask, and what the answer is.

The query points of a training step (uniform in the cube and near the surface), and their labels:
the exact inside test of a closed mesh (generalised winding number) or the 32^3 voxels. The inside
test also tells which sampled surface points lie hidden inside another part of a mesh.
"""
import math

import torch
import torch.nn.functional as F


def sample_query_points(surface, n, sigma=0.02):
    """Training queries: (B, P, 3) ground-truth surface samples -> (B, n, 3) points.

    The first n - n // 2 are uniform in the cube [-0.5, 0.5]^3 (they teach the coarse shape), the
    last n // 2 are random surface samples moved by N(0, sigma^2) noise (they teach the boundary).
    """
    b, device = surface.shape[0], surface.device
    n_near = n // 2
    idx = torch.randint(surface.shape[1], (b, n_near), device=device)  # (B, n_near)
    near = torch.gather(surface, 1, idx[..., None].expand(-1, -1, 3))  # (B, n_near, 3)
    near = near + sigma * torch.randn_like(near)
    uniform = torch.rand(b, n - n_near, 3, device=device) - 0.5  # (B, n - n_near, 3)
    return torch.cat([uniform, near], dim=1)


def occupancy_labels(voxels, points):
    """Ground-truth occupancy of query points: (B, D, D, D) voxels, (B, Q, 3) points -> (B, Q) in {0, 1}.

    The voxels are in the frame of utils_vox: axes (z, y, x), voxel n centred at -0.5 + (n + 0.5) / D.
    grid_sample takes (x, y, z) coordinates in [-1, 1] over (W, H, D) and, with align_corners=False,
    puts the centre of voxel n at -1 + (2n + 1) / D, which is exactly 2 * (world coordinate). The
    trilinearly interpolated occupancy, thresholded at 0.5, is inside the surface that marching cubes
    extracts from the voxels; outside the grid the occupancy is 0 (as the empty padding of voxels_to_meshes).
    """
    grid = (2.0 * points)[:, :, None, None].to(voxels.dtype)  # (B, Q, 1, 1, 3), (x, y, z) in [-1, 1]
    occ = F.grid_sample(voxels[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)  # (B, 1, Q, 1, 1)
    return (occ[:, 0, :, 0, 0] > 0.5).float()  # (B, Q)


def is_closed(faces):
    """True when every edge of the (F, 3) triangles is shared by exactly two of them (a watertight mesh)."""
    edges = torch.cat([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]).sort(dim=1).values  # (3F, 2)
    _, counts = torch.unique(edges, dim=0, return_counts=True)
    return bool((counts == 2).all())


def winding_inside(points, verts, faces, chunk=256):
    """Exact inside test of a closed mesh: (P, 3) points -> (P,) bool, generalised winding number > 1/2.

    The winding number sums the solid angles of the oriented triangles seen from the point (van
    Oosterom-Strackee formula) over 4 pi; it is 1 inside a closed surface and 0 outside, and a union of
    overlapping closed parts (how the embedded chairs are built) counts >= 1 inside any part. Cost is
    P x F, chunked over the points so memory stays bounded (256 points at a time: the (256, F, 3)
    temporaries stay in cache, twice as fast on CPU as 2048).
    """
    tri = verts[faces]  # (F, 3, 3)
    out = []
    for p in points.split(chunk):
        a, b, c = (tri[None, :, k] - p[:, None] for k in range(3))  # (p, F, 3) each
        la, lb, lc = a.norm(dim=-1), b.norm(dim=-1), c.norm(dim=-1)  # (p, F)
        det = (a * torch.cross(b, c, dim=-1)).sum(-1)
        den = la * lb * lc + (a * b).sum(-1) * lc + (b * c).sum(-1) * la + (c * a).sum(-1) * lb
        out.append(torch.atan2(det, den).sum(1) / (2 * math.pi) > 0.5)
    return torch.cat(out)


_CLOSED = {}  # (model_id, face count) -> is_closed(its faces): a torch.unique over 3F edges, the same answer every epoch


def training_labels(batch, points, mode, device):
    """Occupancy labels (B, Q) of the queries: from the mesh where it is closed (mode auto or mesh), else the voxels.

    Voxel labels are exact only to 1/32 of the box, so thin parts (chair legs about one voxel wide) come
    and go; the mesh gives the true shape, which is what lets the implicit model beat the 32^3 grid at a
    finer --eval_res. Real ShapeNet meshes are rarely closed, so there `auto` falls back to the voxels.
    """
    labels = occupancy_labels(batch["voxels"].to(device, non_blocking=True), points)  # (B, Q)
    if mode == "voxels":
        return labels, 0
    from_mesh = 0
    for i, (model_id, verts, faces) in enumerate(zip(batch["model_id"], batch["verts"], batch["faces"])):
        key = (model_id, len(faces))  # the face count tells apart same-named chairs of two datasets
        if key not in _CLOSED:
            _CLOSED[key] = is_closed(faces)
        if _CLOSED[key]:
            # On CPU 256 points at a time keep the temporaries in cache; on a GPU, chunks of ~2^24 point-face
            # pairs (64 MB per float temporary) fill the card with few launches.
            chunk = 256 if torch.device(device).type == "cpu" else max(256, 2 ** 24 // len(faces))
            labels[i] = winding_inside(points[i], verts.to(device), faces.to(device), chunk).float()
            from_mesh += 1
        elif mode == "mesh":
            raise SystemExit(f"error: --labels mesh, but the mesh of {batch['model_id'][i]} is not closed "
                             f"(some edge is not shared by exactly two triangles); use --labels auto or voxels")
    return labels, from_mesh
