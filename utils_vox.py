"""Voxel grids: binvox files, the voxel frame, voxels -> surface, and a grid read between its centres.

The voxel frame used everywhere in this repo (loader, models, losses, evaluation):

    vox[k, j, i]  (a (D, D, D) tensor, D = 32)  is the voxel whose centre is at the world point
    (x, y, z) = origin + (i + 0.5, j + 0.5, k + 0.5) * voxel_size

i.e. the tensor axes are (z, y, x), the layout that `pytorch3d.ops.marching_cubes` expects for a
(N, D, H, W) volume, so a surface extracted from the grid lands on the mesh in world coordinates
without any re-centring or rotation. The loader's grids all use origin = (-0.5, -0.5, -0.5) and
voxel_size = 1 / 32: the cube [-0.5, 0.5]^3 that holds every ShapeNet-normalised model (bounding-box
diagonal 1, centred at the origin). A binvox file's own header is not trusted to place its voxels
(R2N2's are not in the mesh's frame): `canonical_grid_from_binvox` aligns them to the mesh, as
PyTorch3D's R2N2 loader does.

binvox stores voxels run-length encoded with y varying fastest, then z, then x
(index = x * D * D + z * D + y), see https://www.patrickmin.com/binvox/binvox.html.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

VOX_SIZE = 32
DEFAULT_TRANSLATE = (-0.5, -0.5, -0.5)
DEFAULT_SCALE = 1.0


def read_binvox(path):
    """Read a binvox file.

    Returns:
        occ: bool ndarray of shape (D, D, D) in the (z, y, x) voxel frame.
        translate: tuple of 3 floats, world position of the grid's min corner.
        scale: float, side length of the grid's cube in world units.
    Raises ValueError naming the file when it is not a valid binvox file.
    """
    try:
        with open(path, "rb") as f:
            if f.readline().strip() != b"#binvox 1":
                raise ValueError("not a binvox file (first line is not '#binvox 1')")
            dims = translate = scale = None
            while True:
                line = f.readline()
                if not line:
                    raise ValueError("header has no 'data' line")
                words = line.strip().split()
                if not words:
                    continue
                if words[0] == b"dim":
                    dims = [int(w) for w in words[1:]]
                elif words[0] == b"translate":
                    translate = tuple(float(w) for w in words[1:])
                elif words[0] == b"scale":
                    scale = float(words[1])
                elif words[0] == b"data":
                    break
            if dims is None or len(dims) != 3 or len(set(dims)) != 1:
                raise ValueError(f"bad 'dim' line {dims}")
            raw = np.frombuffer(f.read(), dtype=np.uint8)
    except OSError as e:
        raise ValueError(f"cannot read voxel file {path}: {e.strerror}") from None
    except ValueError as e:
        raise ValueError(f"invalid voxel file {path}: {e}") from None
    d = dims[0]
    values, counts = raw[::2], raw[1::2].astype(np.int64)
    if counts.sum() != d ** 3:
        raise ValueError(f"invalid voxel file {path}: data holds {counts.sum()} voxels, expected {d ** 3}")
    flat = np.repeat(values.astype(bool), counts)
    occ = flat.reshape(d, d, d).transpose(1, 2, 0)  # binvox (x, z, y) -> (z, y, x)
    translate = translate if translate is not None else DEFAULT_TRANSLATE
    scale = scale if scale is not None else DEFAULT_SCALE
    return np.ascontiguousarray(occ), translate, scale


def write_binvox(path, occ, translate=DEFAULT_TRANSLATE, scale=DEFAULT_SCALE):
    """Write a (D, D, D) occupancy grid in the (z, y, x) voxel frame as a binvox file, atomically."""
    occ = np.asarray(occ, dtype=bool)
    d = occ.shape[0]
    assert occ.shape == (d, d, d), occ.shape
    flat = occ.transpose(2, 0, 1).reshape(-1).astype(np.uint8)  # (z, y, x) -> binvox (x, z, y)
    # Run-length encode with runs of at most 255.
    change = np.flatnonzero(np.diff(flat)) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [flat.size]]))
    out = bytearray()
    for s, n in zip(starts, lengths):
        v = flat[s]
        while n > 0:
            k = min(n, 255)
            out += bytes((v, k))
            n -= k
    header = (
        f"#binvox 1\ndim {d} {d} {d}\n"
        f"translate {translate[0]:.6f} {translate[1]:.6f} {translate[2]:.6f}\n"
        f"scale {scale:.6f}\ndata\n"
    ).encode()
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(header + bytes(out))
    os.replace(tmp, path)


def voxel_surface_f1(grid, gt_points, seed=0, threshold=0.05):
    """F1 (percent) at `threshold` between the marching-cubes surface of a (D, D, D) grid and (P, 3) mesh points.

    How far a ground-truth grid is from its mesh, through the same path that scores predicted voxels
    (a perfect 32^3 grid of a chair scores well above 90 at 0.05), so the cache can flag models whose
    voxels and mesh disagree.
    """
    from metrics import f1_scores, sample_surfaces

    (verts, faces), = voxels_to_meshes(torch.as_tensor(grid, dtype=torch.float32)[None])
    points, lengths = sample_surfaces([verts], [faces], len(gt_points), seed=seed)  # (1, P, 3), (1,)
    return f1_scores(points, lengths, torch.as_tensor(gt_points)[None], thresholds=(threshold,))["f1"][0, 0].item()


def voxel_centers(d=VOX_SIZE, translate=DEFAULT_TRANSLATE, scale=DEFAULT_SCALE):
    """World coordinates of all voxel centres, shape (D, D, D, 3) in the (z, y, x) frame, xyz last."""
    c = (torch.arange(d, dtype=torch.float32) + 0.5) * (scale / d)
    z, y, x = torch.meshgrid(c + translate[2], c + translate[1], c + translate[0], indexing="ij")
    return torch.stack([x, y, z], dim=-1)


def voxels_to_meshes(probs, isovalue=0.5, translate=DEFAULT_TRANSLATE, scale=DEFAULT_SCALE):
    """Extract surfaces from a batch of occupancy probabilities with PyTorch3D's marching cubes.

    Args:
        probs: (B, D, D, D) probabilities in [0, 1] in the voxel frame (not logits: the 0.5
            isovalue is meant on probabilities).
    Returns:
        list of B (verts (V, 3), faces (F, 3)) pairs in world coordinates; a grid with nothing
        above the isovalue gives empty tensors.
    """
    from pytorch3d.ops.marching_cubes import marching_cubes

    b, d = probs.shape[0], probs.shape[-1]
    # Pad by one empty voxel so shapes touching the grid border still give closed surfaces.
    padded = torch.nn.functional.pad(probs.float(), (1, 1, 1, 1, 1, 1), value=0.0)  # (B, D+2, D+2, D+2)
    verts_list, faces_list = marching_cubes(padded, isolevel=isovalue, return_local_coords=False)
    out = []
    origin = torch.tensor(translate, dtype=torch.float32, device=probs.device)
    for verts, faces in zip(verts_list, faces_list):
        if len(faces) == 0:  # marching_cubes gives [] for a volume without surface
            out.append((torch.zeros(0, 3, device=probs.device), torch.zeros(0, 3, dtype=torch.long, device=probs.device)))
            continue
        # verts are (x, y, z) indices into the padded grid: remove the pad, then voxel centre -> world.
        world = origin + (verts.float() - 1.0 + 0.5) * (scale / d)
        out.append((world, faces.long()))
    assert len(out) == b
    return out


def canonical_grid_from_binvox(occ, mesh_verts, d=VOX_SIZE):
    """The canonical (d, d, d) grid of a model from its binvox voxels and its mesh, header ignored.

    R2N2's binvox headers do not put the voxels on the ShapeNet mesh (each file is written over the
    model's own bounding cube, and the header does not say where that cube sits on the OBJ), so
    PyTorch3D's R2N2 loader (`align_bbox`, from Mesh R-CNN) and the course starter ignore the header
    and align the occupied voxels' bounding box to the mesh's, per axis. We do the same, with the
    convention PyTorch3D defines: the integer index of a voxel is its centre, so the centres of the
    extreme occupied voxels land exactly on the mesh's bounding box (a box mesh therefore comes out as
    every canonical voxel it touches). Each aligned source voxel is then written into the canonical
    grid (voxel n centred at -0.5 + (n + 0.5) / d, the frame `voxel_centers` and `voxels_to_meshes`
    map back with): the canonical voxel holding its centre, as PyTorch3D's `voxelize` rounds to the
    nearest voxel (so parts thinner than a canonical voxel are kept when the source grid is finer),
    plus every canonical voxel whose centre its cell covers (so a coarser source grid leaves no holes),
    never past the canonical voxels that hold the bounding box's faces. Like any solid grid of the voxels
    a shape touches, its marching-cubes surface lies up to one voxel outside the mesh. An axis with a
    single occupied layer sits at the middle of the mesh's extent.

    Args:
        occ: (D', D', D') bool in the (z, y, x) frame, as `read_binvox` gives.
        mesh_verts: (V, 3) xyz vertices of the model's mesh (tensor or array).
    Returns:
        (d, d, d) bool in the (z, y, x) frame over the cube [-0.5, 0.5]^3.
    Raises ValueError when the grid is empty (there is no bounding box to align).
    """
    idx = np.argwhere(np.asarray(occ, dtype=bool))[:, ::-1].astype(np.float64)  # (N, 3) xyz indices
    if len(idx) == 0:
        raise ValueError("the voxel grid is empty")
    verts = np.asarray(mesh_verts, dtype=np.float64)  # (V, 3)
    lo, hi = verts.min(0), verts.max(0)  # (3,) mesh bounding box
    src_lo, src_span = idx.min(0), np.ptp(idx, axis=0)  # (3,)
    step = np.where(src_span > 0, (hi - lo) / np.maximum(src_span, 1), 0.0)  # (3,) world size of a source voxel
    world = np.where(src_span > 0, lo + (idx - src_lo) * step, (lo + hi) / 2)  # (N, 3) aligned centres
    # In canonical index units (centre n at u = n): the source voxel's centre u and its cell [u - h, u + h).
    u = (world + 0.5) * d - 0.5  # (N, 3)
    h = step * d / 2  # (3,)
    first = np.ceil(u - h)  # (N, 3) first and last canonical centre inside the cell
    last = np.ceil(u + h) - 1
    none = last < first  # a cell narrower than a canonical voxel may hold no centre: take the nearest
    nearest = np.floor(u + 0.5)
    # ... and never past the voxels holding the bounding box's faces (a coarse extreme cell pokes out).
    bbox_first, bbox_last = np.floor((lo + 0.5) * d), np.floor((hi + 0.5) * d)  # (3,) the voxels holding lo and hi
    first = np.maximum(np.where(none, nearest, first), bbox_first).astype(np.int64)
    last = np.minimum(np.where(none, nearest, last), bbox_last).astype(np.int64)
    out = np.zeros((d, d, d), dtype=bool)
    width = (last - first).max(0) + 1  # (3,) at most this many canonical voxels per source voxel and axis
    for offset in np.stack(np.meshgrid(*(np.arange(w) for w in width), indexing="ij"), -1).reshape(-1, 3):
        n = first + offset  # (N, 3) xyz canonical indices
        keep = np.all((n <= last) & (n >= 0) & (n < d), axis=1)
        out[n[keep, 2], n[keep, 1], n[keep, 0]] = True
    return out


def grid_probability(probs, points):
    """Trilinear interpolation of (B, 32, 32, 32) voxel probabilities at (B, Q, 3) points -> (B, Q).

    The 0.5 level of this interpolant is the surface marching cubes extracts, so the point IoU of a voxel
    prediction measures the same shape its F1 does. Beyond the outer voxel centres the border value holds.
    """
    # utils_vox's cube [-0.5, 0.5]^3 is grid_sample's [-1, 1]^3 with align_corners=False, and grid_sample
    # reads (x, y, z) against the volume's (W, H, D) = our (x, y, z) axes.
    grid = (points * 2.0)[:, :, None, None]  # (B, Q, 1, 1, 3)
    out = F.grid_sample(probs[:, None].float(), grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out[:, 0, :, 0, 0]  # (B, Q)
