"""Voxel grids: binvox files, the voxel frame, and voxels -> surface.

The voxel frame used everywhere in this repo (loader, models, losses, evaluation):

    vox[k, j, i]  (a (D, D, D) tensor, D = 32)  is the voxel whose centre is at the world point
    (x, y, z) = origin + (i + 0.5, j + 0.5, k + 0.5) * voxel_size

i.e. the tensor axes are (z, y, x), the layout that `pytorch3d.ops.marching_cubes` expects for a
(N, D, H, W) volume, so a surface extracted from the grid lands on the mesh in world coordinates
without any re-centring or rotation. `origin` and `voxel_size` come from the binvox header
(translate, scale / D): the grid spans the cube [translate, translate + scale]^3. The embedded
dataset writes translate = (-0.5, -0.5, -0.5), scale = 1, the cube that holds every
ShapeNet-normalised model (bounding-box diagonal 1, centred at the origin).

binvox stores voxels run-length encoded with y varying fastest, then z, then x
(index = x * D * D + z * D + y), see https://www.patrickmin.com/binvox/binvox.html.
"""
import os

import numpy as np
import torch

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


def to_canonical_grid(occ, translate, scale, d=VOX_SIZE):
    """Resample a (D', D', D') grid in the (z, y, x) frame onto the canonical cube [-0.5, 0.5]^3 at `d`^3.

    binvox files written for each model's own bounding cube (a per-file translate/scale) cannot be
    predicted by a network that outputs one fixed grid, so the loader brings them all to one frame.
    A grid already in the canonical frame is returned unchanged. Nearest-neighbour sampling at the
    canonical voxel centres.
    """
    occ = np.asarray(occ, dtype=bool)
    same = occ.shape[0] == d and np.allclose(translate, DEFAULT_TRANSLATE) and np.isclose(scale, DEFAULT_SCALE)
    if same:
        return occ
    src_d = occ.shape[0]
    centres = voxel_centers(d).reshape(-1, 3).numpy()  # (d^3, 3) xyz
    idx = np.floor((centres - np.asarray(translate)) / scale * src_d).astype(np.int64)  # (d^3, 3) xyz
    inside = np.all((idx >= 0) & (idx < src_d), axis=1)
    out = np.zeros(d ** 3, dtype=bool)
    i, j, k = idx[inside].T
    out[inside] = occ[k, j, i]
    return out.reshape(d, d, d)
