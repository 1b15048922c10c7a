"""Ground-truth occupancy for the implicit model: where to ask, and what the answer is.

The query points of a training step (uniform in the cube and near the surface), and their labels:
the exact inside test of a closed mesh (generalised winding number) or the 32^3 voxels.
"""
import json
import math
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from cli import InputError
from runtime import remove_stale_tmp


NEAR_SIGMA = 0.01  # half the thinnest parts of a chair (legs, slats: 0.02-0.04 across)


def sample_query_points(surface, n, sigma=NEAR_SIGMA):
    """Training queries: (B, P, 3) ground-truth surface samples -> (B, n, 3) points.

    The first n - n // 2 are uniform in the cube [-0.5, 0.5]^3 (they teach the coarse shape), the
    last n // 2 are random surface samples moved by N(0, sigma^2) noise (they teach the boundary).
    Only about 2.5 % of the uniform queries fall inside a chair, so the inside of thin parts is taught
    by the near ones alone; sigma is tied to the part thickness t: a point pushed off a face of a slab
    lands inside it with probability Phi(t / sigma) - 1/2, 0.34 for t = 0.02 at sigma 0.02 (mostly
    outside: the thin part is taught as outside), 0.48 at sigma 0.01 (measured over embedded chairs:
    37 % vs 44 % of the near queries inside).
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


def winding_number(points, verts, faces, pairs_per_chunk=2 ** 18):
    """Generalised winding number of a triangle mesh at points: (P, 3) points -> (P,) float.

    The sum of the solid angles of the oriented triangles seen from each point (van Oosterom-Strackee
    formula) over 4 pi: 1 inside a closed surface and 0 outside; a union of overlapping closed parts (how
    the embedded chairs are built) counts >= 1 inside any part, and for open or broken meshes (most real
    ShapeNet models) it degrades gracefully to a fractional value. On a triangle the solid angle jumps by
    4 pi, so a point lying on one (within 1e-6 of the mesh size: every sampled surface point) takes the
    average of both sides, 0 from that triangle: a point on a closed part's surface sees 1/2 from the part.

    Cost is P x F. Every term of the formula with a = A - p etc. expands into per-triangle constants and
    products p . (something per triangle), so a chunk is a few (p, 3) x (3, F) matrix products and
    elementwise work on (p, F) tensors, no (p, F, 3) ones: twice as fast on one CPU thread as the direct
    form (float64 keeps the expansion exact near vertices and on the triangles' planes). Chunks hold about `pairs_per_chunk` point-triangle
    pairs whatever F, so a 100k-face ShapeNet mesh needs only tens of MB.
    """
    v = verts.double()
    A, B, C = v[faces].unbind(1)  # (F, 3) each
    N = torch.cross(B - A, C - A, dim=-1)  # (F, 3), = A x B + B x C + C x A
    d0 = (A * torch.cross(B, C, dim=-1)).sum(-1)  # (F,) det(A, B, C)
    AB, BC, CA = (A * B).sum(-1), (B * C).sum(-1), (C * A).sum(-1)  # (F,)
    AA, BB, CC = (A * A).sum(-1), (B * B).sum(-1), (C * C).sum(-1)  # (F,)
    on_plane = 1e-6 * (v.max(0).values - v.min(0).values).norm() * N.norm(dim=-1)  # (F,) |det| of points within 1e-6 of the plane
    out = []
    for p in points.double().split(max(1, pairs_per_chunk // len(faces))):
        pp = (p * p).sum(-1, keepdim=True)  # (p, 1)
        pa, pb, pc = p @ A.T, p @ B.T, p @ C.T  # (p, F)
        la, lb, lc = ((s - 2 * q + pp).clamp(min=0).sqrt() for s, q in ((AA, pa), (BB, pb), (CC, pc)))  # (p, F) |a|, |b|, |c|
        det = d0 - p @ N.T  # (p, F) a . (b x c): 6 x signed volume = 2 x area x distance to the plane
        den = la * lb * lc + (AB - pa - pb + pp) * lc + (BC - pb - pc + pp) * la + (CA - pc - pa + pp) * lb  # (p, F)
        # den < 0: the triangle fills more than a quarter of the view sphere, so the point is close over its
        # interior; on its plane the sign of det (and of the +-1/2 the triangle adds) is rounding noise.
        angle = torch.where((den < 0) & (det.abs() <= on_plane), 0.0, torch.atan2(det, den))  # (p, F)
        out.append(angle.sum(1) / (2 * math.pi))
    return torch.cat(out).to(points.dtype)


_CLOSED = {}  # (model_id, face count) -> is_closed(its faces): a torch.unique over 3F edges, the same answer every epoch


def mesh_labels(model_id, verts, faces, points, mode, device):
    """(Q,) occupancy labels of one chair's (Q, 3) queries from its mesh, or None where the voxels must answer:
    mode voxels, or auto and the mesh is not closed (mode mesh then stops with one line)."""
    if mode == "voxels":
        return None
    key = (model_id, len(faces))  # the face count tells apart same-named chairs of two datasets
    if key not in _CLOSED:
        _CLOSED[key] = is_closed(faces)
    if not _CLOSED[key]:
        if mode == "mesh":
            raise InputError(f"--labels mesh, but the mesh of {model_id} is not closed "
                             f"(some edge is not shared by exactly two triangles); use --labels auto or voxels")
        return None
    if torch.device(device).type == "cpu":
        # libigl's fast winding number (Barnes-Hut, exact near the surface) gives the same inside / outside answers
        # as the exact sum of solid angles (not one of 400k IoU and 393k pool labels differed, 32 chairs), 4-15x
        # sooner: a chair's 20k IoU points 0.023 s instead of 0.34, a training pool's 32k queries, half of them near
        # the surface, 0.11 s instead of 0.42 (what held the voxel and occupancy evaluators under 4 examples a second).
        import igl

        w = igl.fast_winding_number(verts.double().numpy(), faces.long().numpy(), points.double().cpu().numpy())
        return (torch.from_numpy(w) > 0.5).float().to(points.device)
    # On a GPU the exact sum, 2^24 point-face pairs a chunk (128 MB per float64 temporary): few launches.
    return (winding_number(points, verts.to(device), faces.to(device), 2 ** 24) > 0.5).float()


def training_labels(batch, points, mode, device):
    """Occupancy labels (B, Q) of the queries: from the mesh where it is closed (mode auto or mesh), else the voxels.

    Voxel labels are exact only to 1/32 of the box, so thin parts (chair legs about one voxel wide) come
    and go; the mesh gives the true shape, which is what lets the implicit model beat the 32^3 grid at a
    finer --eval_res. Real ShapeNet meshes are rarely closed, so there `auto` falls back to the voxels.
    """
    labels = occupancy_labels(batch["voxels"].to(device, non_blocking=True), points)  # (B, Q)
    from_mesh = 0
    for i, (model_id, verts, faces) in enumerate(zip(batch["model_id"], batch["verts"], batch["faces"])):
        exact = mesh_labels(model_id, verts, faces, points[i], mode, device)  # (Q,) or None
        if exact is not None:
            labels[i] = exact
            from_mesh += 1
    return labels, from_mesh


POOL_SIZE = 32768  # labelled queries cached per chair (Occupancy Networks keeps 100k per model)


class QueryPool:
    """Training queries sampled and labelled once per chair, drawn from at every step.

    Labelling is the dearest part of an implicit training step on a CPU: the exact inside test of 16 x 2048
    queries takes about 0.4 s on 2 cores, more than the network's forward and backward pass. Occupancy Networks
    likewise trains on a fixed set of labelled points per model. The pool of each chair holds size / 2 uniform
    queries and size / 2 near-surface ones, made and labelled as sample_query_points and training_labels would
    (coordinates stored in float16 and labelled as stored); it lives beside the split's cache, keyed by the
    cache, sigma, label mode and size, and is rebuilt when any of them changes.
    """

    def __init__(self, dataset, sigma, mode, size=POOL_SIZE):
        if size < 2 or size % 2:
            raise InputError(f"--query_pool must be an even number of queries per chair (or 0), not {size}")
        self.size = size
        folder = os.path.join(dataset.cache_dir, f"queries_{mode}_{sigma:g}_{size}")
        key = f"{dataset.cache_key} {mode} {sigma!r} {size}"
        meta = os.path.join(folder, "meta.json")
        if not (os.path.isfile(meta) and json.load(open(meta)).get("key") == key):
            self._build(dataset, sigma, mode, folder, key)
        self.points = np.load(os.path.join(folder, "points.npy"), mmap_mode="r")  # (M, size, 3) float16
        self.labels = np.load(os.path.join(folder, "labels.npy"), mmap_mode="r")  # (M, size) uint8
        self.from_mesh = np.load(os.path.join(folder, "from_mesh.npy"))  # (M,) bool

    def _build(self, dataset, sigma, mode, folder, key):
        n_models = len(dataset.model_ids)
        remove_stale_tmp(folder)
        tmp = f"{folder}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        points = np.lib.format.open_memmap(os.path.join(tmp, "points.npy"), "w+", np.float16, (n_models, self.size, 3))
        labels = np.lib.format.open_memmap(os.path.join(tmp, "labels.npy"), "w+", np.uint8, (n_models, self.size))
        from_mesh = np.zeros(n_models, bool)
        for m in tqdm(range(n_models), desc="labelling training queries (once)", unit="chair"):
            with torch.random.fork_rng():  # the pool of a chair depends on its index alone, the run's RNG on nothing
                torch.manual_seed(m)
                q = sample_query_points(torch.from_numpy(np.array(dataset.points[m]))[None], self.size, sigma)[0]  # (size, 3)
            q = q.half().float()  # labelled as stored
            verts, faces = dataset.mesh(m)
            exact = mesh_labels(dataset.model_ids[m], verts, faces, q, mode, "cpu")  # (size,) or None
            if exact is None:
                exact = occupancy_labels(dataset.voxel_grid(m)[None], q[None])[0]
            points[m], labels[m], from_mesh[m] = q.half().numpy(), exact.numpy(), exact is not None
        del points, labels  # flush the memory maps
        np.save(os.path.join(tmp, "from_mesh.npy"), from_mesh)
        with open(os.path.join(tmp, "meta.json"), "w") as f:
            json.dump({"key": key}, f)
        shutil.rmtree(folder, ignore_errors=True)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process (a DDP rank) put an identical pool there first
            shutil.rmtree(tmp, ignore_errors=True)

    def sample(self, model_index, n):
        """(B,) chair indices -> (B, n, 3) queries, (B, n) labels, how many chairs have mesh labels.

        As sample_query_points: the first n - n // 2 queries uniform, the last n // 2 near the surface.
        """
        b, half = len(model_index), self.size // 2
        rows = np.asarray(model_index)[:, None]  # (B, 1)
        cols = torch.cat([torch.randint(half, (b, n - n // 2)), half + torch.randint(half, (b, n // 2))], 1).numpy()  # (B, n)
        points = torch.from_numpy(self.points[rows, cols].astype(np.float32))  # (B, n, 3)
        labels = torch.from_numpy(self.labels[rows, cols].astype(np.float32))  # (B, n)
        return points, labels, int(self.from_mesh[rows[:, 0]].sum())
