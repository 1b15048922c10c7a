"""Ground-truth points on the outer surface of a mesh, robust to ShapeNet's mess.

A chair mesh is a union of overlapping parts, and the faces buried inside other parts (6-8 % of the area
of an embedded chair, over 20 % for sofas) can be reached by no voxel grid or implicit surface, so ground
truth sampled there would charge every model for them. A sampled point lies on the outer surface when
space just beside it, on one side or the other, is outside the solid. The generalised winding number
tells inside from outside (about 1 inside a closed, outward-facing part, 0 outside, more where parts
overlap), but it is ill-posed on the surface itself, so it is asked just off it: at p + d n and p - d n
along the sampled face's normal n. The point is kept when either side is outside (|w| < 3/4), and the
side with the smaller |w| is its outer side: n turned that way is an outward normal, whichever way the
mesh's face was wound (normal consistency needs them).

Real ShapeNet meshes are not closed: parts are duplicated on top of themselves, faces are flipped or
written twice (once per side), there are holes and open sheets. So before asking:
  - vertices closer than 1e-7 of the mesh's size are welded (so that faces become comparable and parts
    connected, as their authors meant), and degenerate faces dropped;
  - duplicated faces are resolved (libigl): a face and its reverse cancel in the winding number and are
    both removed (double-sided sheets, two cells sharing a section), a face written twice is kept once;
  - every orientable patch is given one orientation and turned outwards (libigl's bfs_orient and
    orient_outward), which repairs flipped faces of a closed part.
Where the winding number still cannot be trusted (open sheets, flipped faces of open patches: more than
`AMBIGUOUS_LIMIT` of the samples see a fractional value of 1/4 to 3/4 on their outer side) no point is
rejected, and the cache's build report counts the mesh as unfiltered.

libigl's fast winding number (Barnes-Hut, exact in the near field) gives the inside / outside answers of the
exact sum of solid angles (occupancy.winding_number) at a hundredth of its cost, so a 100k-face model takes
a fraction of a second instead of a minute.

Checked three ways (tests/test_outer_surface.py): libigl's answer equals the exact sum of solid angles on clean
meshes; on the embedded chairs, whose convex parts make "buried" exact, at most 1 % of decisions are wrong; on
ShapeNet-like copies of them (duplicated, flipped and double-sided parts, holes) the points cover the clean chair's
surface (F1@0.02 >= 98 against its points), and what errors remain keep buried points rather than lose outer ones.
"""
import numpy as np
import torch

from metrics import sample_surfaces

OFFSET = 1e-4  # how far off the surface the winding number is asked, in units of the bounding-box diagonal
WELD = 1e-7  # vertices closer than this (same unit) are one vertex
KEEP_BELOW = 0.75  # |w| on the outer side: 0 outside, 1/2 beside an open sheet, >= 1 inside another part
AMBIGUOUS_LIMIT = 0.1  # share of samples whose outer side sees 1/4 <= |w| < 3/4, beyond which nothing is rejected


def _igl():
    """libigl, imported on first use: only cache builds need it."""
    import igl

    return igl


def prepare_mesh(verts, faces):
    """(V, 3), (F, 3) -> float64 verts (V', 3), int64 faces (F', 3) welded, de-duplicated and oriented, plus
    counts of what was repaired: {"welded_vertices", "degenerate_faces", "duplicate_faces", "flipped_faces"}."""
    v = np.ascontiguousarray(verts, dtype=np.float64)  # (V, 3)
    f = np.ascontiguousarray(faces, dtype=np.int64)  # (F, 3)
    diag = float(np.linalg.norm(v.max(0) - v.min(0))) or 1.0
    v2, _, _, f2 = _igl().remove_duplicate_vertices(v, f, WELD * diag)
    good = (f2[:, 0] != f2[:, 1]) & (f2[:, 1] != f2[:, 2]) & (f2[:, 2] != f2[:, 0])
    f3 = _resolve_duplicates(f2[good])
    repaired = {"welded_vertices": len(v) - len(v2), "degenerate_faces": int((~good).sum()),
                "duplicate_faces": int(good.sum()) - len(f3), "flipped_faces": 0}
    if len(f3) == 0:
        return v2, f3, repaired
    oriented = _orient_patches(v2, f3)
    repaired["flipped_faces"] = int((~(oriented == f3).all(1)).sum())
    return v2, oriented, repaired


def _resolve_duplicates(faces):
    """Faces on the same three vertices, as one face: (F, 3) -> (F', 3).

    A face and its reverse cancel in the winding number (a double-sided sheet, two cells sharing a
    section) and both go; copies that agree (a part duplicated on top of itself) are kept once, facing
    the way most of them face. (libigl's resolve_duplicated_faces drops agreeing copies altogether.)
    """
    order = np.argsort(faces, axis=1)  # (F, 3)
    even = ((order[:, 1] - order[:, 0]) % 3) == 1  # (F,) a rotation of the sorted order, not a reflection
    _, first, inverse = np.unique(_key(np.sort(faces, axis=1)), return_index=True, return_inverse=True)
    net = np.bincount(inverse.reshape(-1), np.where(even, 1, -1))  # (K,) copies one way minus the other way
    keep = faces[first[net != 0]].copy()  # (K', 3)
    turn = (net[net != 0] > 0) != even[first[net != 0]]
    keep[turn] = keep[turn][:, ::-1]
    return keep


def _key(rows):
    """(N, k) non-negative ints -> (N,) int64, equal exactly where the rows are (a 1-D np.unique is 3x faster)."""
    base = int(rows.max()) + 1
    if base ** rows.shape[1] >= 2 ** 63:
        return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1)
    key = np.zeros(len(rows), np.int64)
    for column in rows.T:
        key = key * base + column
    return key


def _orient_patches(verts, faces):
    """Repair flipped faces: each patch of faces joined by manifold edges gets one orientation (libigl's
    bfs_orient), the one that encloses positive volume when the patch is closed, else the one most of its
    area had (a patch is open where a sheet ends or a hole is, and there "outwards" has no meaning)."""
    oriented, patch = _igl().bfs_orient(faces)  # (F, 3), (F,)
    a, b, c = (verts[oriented[:, k]] for k in range(3))  # (F, 3) each
    volume = np.bincount(patch, np.einsum("ij,ij->i", a, np.cross(b, c)))  # (patches,) 6 x signed volume
    area = np.linalg.norm(np.cross(b - a, c - a), axis=1)  # (F,) 2 x area
    kept_area = np.bincount(patch, np.where((oriented == faces).all(1), area, -area))  # agreeing minus turned
    e = np.sort(np.concatenate([oriented[:, [0, 1]], oriented[:, [1, 2]], oriented[:, [2, 0]]]), axis=1)  # (3F, 2)
    _, inverse, count = np.unique(_key(e), return_inverse=True, return_counts=True)
    open_patch = np.bincount(np.tile(patch, 3), count[inverse.reshape(-1)] != 2, minlength=len(volume)) > 0
    turn = np.where(open_patch, kept_area < 0, volume < 0)[patch]  # (F,)
    oriented[turn] = oriented[turn][:, ::-1]
    return oriented


def outer_winding_number(verts, faces, points, normals, return_side=False):
    """|winding number| on the outer side of each surface point: (P, 3), (P, 3) -> (P,) float64, the smaller of the
    values just off the surface along +n and -n (about 0 on the outer surface, >= 1 where both sides are inside).

    verts, faces: a mesh from prepare_mesh; normals: unit normals of the faces the points were sampled on. The -n
    side is asked only where the +n side is not clearly outside (most faces face outwards): a third fewer queries.
    With return_side, also side (P,) float64: -1 where -n is the outer side (asked, and a smaller |w| than +n's),
    else +1, so that side * n points outwards; it comes from the same queries.
    """
    igl = _igl()
    v = np.asarray(verts, np.float64)
    d = OFFSET * (float(np.linalg.norm(v.max(0) - v.min(0))) or 1.0)
    p, n = np.asarray(points, np.float64), np.asarray(normals, np.float64)
    w = np.abs(igl.fast_winding_number(v, faces, np.ascontiguousarray(p + d * n)))  # (P,)
    side = np.ones(len(w))  # (P,)
    other = np.flatnonzero(w >= 0.25)
    if len(other):
        below = np.abs(igl.fast_winding_number(v, faces, np.ascontiguousarray(p[other] - d * n[other])))  # (P',)
        side[other[below < w[other]]] = -1.0
        w[other] = np.minimum(w[other], below)
    return (w, side) if return_side else w


def outer_surface_points(verts, faces, n, seed=0, max_rounds=4, report=None, return_normals=False):
    """`n` points uniform on the outer surface of a mesh: (V, 3), (F, 3) -> (n, 3) float32, reproducible with `seed`.

    Points are sampled uniformly on the whole mesh (metrics.sample_surfaces, the same draws for the same
    seed as the evaluators) and kept where one side is outside; rejection sampling keeps the survivors
    uniform on the outer surface, rounds with further seeds top up until `n` remain. A mesh that loses
    nearly everything is filled up with its least-buried points rather than failing the cache.

    report: a dict to fill with what happened: "trusted" (False: the winding number was too ambiguous and
    nothing was rejected), "rejected" (share of samples rejected), "ambiguous" and the repair counts.
    return_normals: also return normals (n, 3) float32, the unit normal of the face each point was sampled on,
    turned to the outer side (the side of the smaller |winding number|, from the queries the filter asks
    anyway), so that they point outwards even where the mesh's faces are flipped: what normal consistency
    needs. An untrusted mesh still has its first round's winding numbers, which orient its points (on an open
    sheet, which has no outside, the choice is arbitrary); a mesh with no faces left after the repairs has
    none, and keeps the sampled faces' normals as they are. The points are the same with or without normals.
    """
    v, f, repaired = prepare_mesh(verts, faces)
    kept, rejected, have, sampled, n_rejected, n_ambiguous = [], [], 0, 0, 0, 0
    trusted = len(f) > 0
    for round_ in range(max_rounds):
        share = have / sampled if sampled else 1.0  # kept share so far
        want = min(4 * n, int(1.25 * (n - have) / max(share, 1e-3)) + 64)
        points, _, normals = sample_surfaces([verts], [faces], want, seed=seed + 1_000_003 * round_, return_normals=True)
        points, normals = points[0], normals[0]  # (want, 3) each
        if trusted:
            outer, side = outer_winding_number(v, f, points.numpy(), normals.numpy(), return_side=True)  # (want,) each
        else:
            outer, side = np.zeros(want), np.ones(want)
        n_ambiguous += int(((outer >= 0.25) & (outer < KEEP_BELOW)).sum())
        if round_ == 0 and n_ambiguous > AMBIGUOUS_LIMIT * want:
            trusted, outer = False, np.zeros(want)  # side kept: it still tells the outer side where one exists
        normals = normals * torch.from_numpy(side).float()[:, None]  # (want, 3) outwards
        keep = torch.from_numpy(outer < KEEP_BELOW)
        kept.append((points[keep], normals[keep]))
        rejected.append((points[~keep], normals[~keep], torch.from_numpy(outer[~(outer < KEEP_BELOW)])))
        have, sampled, n_rejected = have + int(keep.sum()), sampled + want, n_rejected + int((~keep).sum())
        if have >= n:
            break
    if report is not None:
        report.update(repaired, trusted=trusted, rejected=n_rejected / sampled, ambiguous=n_ambiguous / sampled)
    points, normals = (torch.cat(x) for x in zip(*kept))  # (have, 3) each
    if have < n:  # filled up with the least buried of the rejected
        r_points, r_normals, w = (torch.cat(x) for x in zip(*rejected))
        least = w.argsort()[:n - have]
        points, normals = torch.cat([points, r_points[least]]), torch.cat([normals, r_normals[least]])
    return (points[:n], normals[:n]) if return_normals else points[:n]
