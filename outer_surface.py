"""Ground-truth points on the outer surface of a mesh, robust to ShapeNet's mess.

A chair mesh is a union of overlapping parts, and the faces buried inside other parts (6-8 % of the area
of an embedded chair, over 20 % for sofas) can be reached by no voxel grid or implicit surface, so ground
truth sampled there would charge every model for them. A sampled point lies on the outer surface when
space just beside it, on one side or the other, is outside the solid. Two tests tell inside from outside:

  - the generalised winding number (about 1 inside a closed, outward-facing part, 0 outside, more where
    parts overlap), asked just off the surface at p + d n and p - d n along the sampled face's normal n.
    The point is kept when either side is outside (|w| < 3/4); the side with the smaller |w| is its outer
    side, so n turned that way is an outward normal whichever way the face was wound. Exact, and cheap
    (libigl's fast winding number: Barnes-Hut, exact in the near field), but it needs faces wound
    consistently and closed parts: beside an open sheet, or a sheet left inside a solid, it answers 1/2.
  - visibility, which no winding or duplicate can fool: rays leave p + d n and p - d n over the hemisphere
    on their side (VISIBILITY_RAYS fixed directions each, libigl's AABB tree); a point that some ray leaves
    without hitting the mesh can be seen from outside, one that every ray of both sides hits is buried.
    It is what mesh-fusion's depth maps decide for the Occupancy Networks data, without a depth tolerance.
    It misjudges what the winding number gets right (a ray can leave a closed part through a small hole; a
    point deep in a narrow crevice may see out along no direction tried), and it costs more.
The winding number decides every sample it is sure of; visibility decides the others, those whose outer
side sees an ambiguous 1/4 <= |w| < 3/4. The report says how many samples each test decided.

Real ShapeNet meshes are not closed: parts are duplicated on top of themselves, faces are flipped or
written twice (once per side), sections shared by two parts are written once per part, there are holes
and open sheets. So before the winding number is asked, the mesh is repaired:
  - vertices closer than 1e-7 of the mesh's size are welded (so that faces become comparable and parts
    connected, as their authors meant), and degenerate faces dropped;
  - coincident faces (one triangle written several times, either way round) are kept once, then judged
    by what lies on either side of them, not by how they were wound: a face with outside on one side and
    solid on the other is surface and stays (a part duplicated on top of itself, a closed part written
    double-sided); a face with no outside on either side, or none with solid on either side, goes (the
    section two parts share, wherever its copies were flipped; a double-sided open sheet, whose points
    then see outside on both sides, as they should);
  - every orientable patch is given one orientation and turned outwards (libigl's bfs_orient: the one
    enclosing positive volume where the patch is closed, else the one most of its area had), which repairs
    flipped faces of a part.

Checked four ways (tests/test_outer_surface.py): libigl's answer equals the exact sum of solid angles on clean
meshes; on the embedded chairs, whose convex parts make "buried" exact, at most 1 % of decisions are wrong; on
ShapeNet-like copies of them and of every class (faces flipped one by one, duplicated and double-sided parts,
holes) the points cover the clean model's surface (F1@0.02 >= 97 against its points); and by hand.
"""
import numpy as np
import torch

from metrics import sample_surfaces

OFFSET = 1e-4  # how far off the surface a side is asked about, in units of the bounding-box diagonal
WELD = 1e-7  # vertices closer than this (same unit) are one vertex
KEEP_BELOW = 0.75  # |w| on the outer side: 0 outside, 1/2 beside an open sheet, >= 1 inside another part
SURE_BELOW = 0.25  # |w| on the outer side below this, or at least KEEP_BELOW, is the winding number's to decide
VISIBILITY_RAYS = (16, 48)  # rays per side: a first set for every unsure sample, a second for those it did not see out


def _igl():
    """libigl, imported on first use: only cache builds need it."""
    import igl

    return igl


def weld(verts, faces):
    """(V, 3), (F, 3) -> float64 verts (V', 3), int64 faces (F', 3) with each part as written oriented on its own,
    then close vertices welded and degenerate faces dropped: the mesh as its author meant it, every face still
    there (what visibility casts rays at); and counts of what was repaired.

    A part written with its own vertices is closed on them, so its flipped faces are turned back before
    welding (_orient_patches): once parts are welded, the edges where they touch join three or more faces and
    cut them into patches too small to outvote a flipped face (sections written once per part, with
    differing triangulations, become patches of two faces)."""
    v = np.ascontiguousarray(verts, dtype=np.float64)  # (V, 3)
    f = np.ascontiguousarray(faces, dtype=np.int64)  # (F, 3)
    good = (f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 2] != f[:, 0])
    f = f[good]
    oriented = _orient_patches(v, f) if len(f) else f
    flipped = int((~(oriented == f).all(1)).sum())
    diag = float(np.linalg.norm(v.max(0) - v.min(0))) if len(v) else 1.0
    v2, _, _, f2 = _igl().remove_duplicate_vertices(v, oriented, WELD * (diag or 1.0))
    welded = (f2[:, 0] != f2[:, 1]) & (f2[:, 1] != f2[:, 2]) & (f2[:, 2] != f2[:, 0])
    return v2, np.ascontiguousarray(f2[welded]), {"welded_vertices": len(v) - len(v2),
                                                   "degenerate_faces": int((~good).sum() + (~welded).sum()),
                                                   "flipped_faces": flipped}


def prepare_mesh(verts, faces):
    """(V, 3), (F, 3) -> float64 verts (V', 3), int64 faces (F', 3) welded, de-duplicated and oriented, plus
    counts of what was repaired: {"welded_vertices", "degenerate_faces", "duplicate_faces", "internal_faces",
    "flipped_faces"} (internal: coincident faces dropped for having no outside, or no solid, on either side)."""
    mesh = OuterSurface(verts, faces)
    return mesh.verts, mesh.faces, mesh.repaired


def repair(verts, faces, once=None):
    """Welded faces (F, 3) -> faces (F', 3) once each, judged by their sides, oriented; and the repair counts.
    once: _one_per_coincident(faces) when the caller has it already.

    Coincident faces are kept once and judged by the field of everything else where they lie, read as the
    mean of the signed winding numbers just off both sides (the face's own +-1/2 cancels in it, so its
    winding does not matter): about a half-integer, the field steps across the face from one count of
    solids to the next, it is surface and stays (a part duplicated on top of itself, a closed part written
    double-sided); about an integer, there is the same on both sides and it goes (the section two parts
    share, wherever its copies were flipped: about 1; a double-sided open sheet: about 0, whose points then
    see outside on both sides, as they should)."""
    once, copies = once or _one_per_coincident(faces)  # (K, 3), (K,)
    repaired = {"duplicate_faces": len(faces) - len(once), "internal_faces": 0, "flipped_faces": 0}
    if len(once) == 0:
        return once, repaired
    oriented = _orient_patches(verts, once)
    grouped = np.flatnonzero(copies > 1)  # (G,)
    keep = np.ones(len(once), bool)
    ask = grouped
    for _ in range(3):  # a pass in the field the last one left: an open sheet's one copy skews the field near it
        if len(ask) == 0:
            break
        rest = np.abs(_field_of_the_others(verts, oriented, oriented[np.searchsorted(np.flatnonzero(keep), ask)]))
        off = np.abs(rest - np.floor(rest) - 0.5)  # (A,) 0 at a half-integer: a step, surface; 1/2 at an integer
        if not (off >= 0.25).any():
            break
        keep[ask[off >= 0.25]] = False
        oriented = _orient_patches(verts, once[keep])  # the sections gone, the parts they separated are one
        ask = ask[(off > 0.1) & (off < 0.25)]  # what is left unsure is asked again
    repaired["internal_faces"] = int((~keep).sum())
    repaired["flipped_faces"] = int((~(oriented == once[keep]).all(1)).sum())
    return oriented, repaired


def _one_per_coincident(faces):
    """Faces on the same three vertices, as one face facing the way most of its copies face (the first's way
    on a tie): (F, 3) -> faces (K, 3), copies (K,) how many faces each stands for, in the order of their first
    copies. (libigl's resolve_duplicated_faces drops agreeing copies and cancels opposite ones by count alone.)"""
    order = np.argsort(faces, axis=1)  # (F, 3)
    even = ((order[:, 1] - order[:, 0]) % 3) == 1  # (F,) a rotation of the sorted order, not a reflection
    _, first, inverse, copies = np.unique(_key(np.sort(faces, axis=1)), return_index=True, return_inverse=True,
                                          return_counts=True)
    net = np.bincount(inverse.reshape(-1), np.where(even, 1, -1))  # (K,) copies one way minus the other way
    once = faces[first].copy()  # (K, 3)
    turn = (net != 0) & ((net > 0) != even[first])
    once[turn] = once[turn][:, ::-1]
    by_first = np.argsort(first)
    return once[by_first], copies[by_first]


def _field_of_the_others(verts, mesh_faces, faces):
    """Winding number of the mesh (verts, mesh_faces) less the face itself, at each of `faces` (A, 3) (faces of
    the mesh): (A,) float64. Asked just off its centroid on the +n side, less the face's own solid angle there
    (Van Oosterom and Strackee), so that one query per face suffices and its winding does not matter."""
    a, b, c = (verts[faces[:, k]] for k in range(3))  # (A, 3) each
    normal = np.cross(b - a, c - a)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    q = (a + b + c) / 3 + OFFSET * float(np.linalg.norm(verts.max(0) - verts.min(0))) * normal  # (A, 3)
    w = _igl().fast_winding_number(verts, mesh_faces, q)
    x, y, z = a - q, b - q, c - q
    lx, ly, lz = (np.linalg.norm(t, axis=1) for t in (x, y, z))
    dot = lambda u, v: np.einsum("ij,ij->i", u, v)
    own = np.arctan2(dot(x, np.cross(y, z)), lx * ly * lz + dot(x, y) * lz + dot(x, z) * ly + dot(y, z) * lx) / (2 * np.pi)
    return w - own


def _key(rows):
    """(N, k) non-negative ints -> (N,) int64, equal exactly where the rows are (a 1-D np.unique is 3x faster)."""
    if len(rows) == 0:
        return np.zeros(0, np.int64)
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
    other = np.flatnonzero(w >= SURE_BELOW)
    if len(other):
        below = np.abs(igl.fast_winding_number(v, faces, np.ascontiguousarray(p[other] - d * n[other])))  # (P',)
        side[other[below < w[other]]] = -1.0
        w[other] = np.minimum(w[other], below)
    return (w, side) if return_side else w


def hemisphere(count):
    """(count, 3) unit directions spread evenly over the hemisphere z > 0 (a Fibonacci spiral, equal solid angle each)."""
    k = np.arange(count) + 0.5
    z = 1 - k / count
    phi = k * np.pi * (3 - np.sqrt(5))
    r = np.sqrt(1 - z * z)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], 1)


def _frames(normals):
    """(P, 3) unit normals -> (P, 3, 3) rows t1, t2, n: orthonormal frames with n as their z axis."""
    helper = np.where(np.abs(normals[:, :1]) < 0.9, [[1.0, 0, 0]], [[0, 1.0, 0]])  # (P, 3) an axis not along n
    t1 = np.cross(normals, helper)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    return np.stack([t1, np.cross(normals, t1), normals], 1)


class Visibility:
    """Which surface points some ray can leave from without hitting the mesh: visibility from outside, blind to
    how faces are wound or how often they are written. verts, faces: the welded mesh (weld), every face."""

    def __init__(self, verts, faces):
        self.v, self.f = np.ascontiguousarray(verts, np.float64), np.ascontiguousarray(faces, np.int64)
        self.d = OFFSET * (float(np.linalg.norm(self.v.max(0) - self.v.min(0))) or 1.0)
        self.tree = _igl().AABB()
        self.tree.init(self.v, self.f)
        self.rays = [hemisphere(n) for n in VISIBILITY_RAYS]

    def sees_out(self, points, normals):
        """(P, 3) points, (P, 3) unit normals -> (P,) bool: some ray from p + d n over the hemisphere around n
        leaves the mesh without hitting it. The rays come in sets (VISIBILITY_RAYS), the next one cast only
        for the points no earlier set saw out from."""
        p, n = np.asarray(points, np.float64), np.asarray(normals, np.float64)
        seen = np.zeros(len(p), bool)
        frames = _frames(n)  # (P, 3, 3)
        for dirs in self.rays:
            ask = np.flatnonzero(~seen)
            if len(ask) == 0:
                break
            k = len(dirs)
            origin = np.repeat(p[ask] + self.d * n[ask], k, 0)  # (A k, 3)
            direction = np.einsum("rj,ajc->arc", dirs, frames[ask]).reshape(-1, 3)  # (A k, 3)
            hit, _, _ = self.tree.intersect_ray_first(self.v, self.f, origin, np.ascontiguousarray(direction))
            seen[ask] = (hit.reshape(-1, k) < 0).any(1)  # some ray met nothing
        return seen

    def __call__(self, points, normals):
        """(P, 3), (P, 3) -> seen (P,) bool, side (P,) float64: +1 where the +n side sees out, else -1 where the
        -n side does (so that side * n points outwards), 0 where neither does."""
        n = np.asarray(normals, np.float64)
        side = np.where(self.sees_out(points, n), 1.0, 0.0)
        rest = np.flatnonzero(side == 0)
        side[rest[self.sees_out(np.asarray(points, np.float64)[rest], -n[rest])]] = -1.0
        return side != 0, side


class OuterSurface:
    """A mesh repaired once (weld, repair) and asked which of any surface samples lie on its outer surface."""

    def __init__(self, verts, faces):
        self.verts, self.soup, self.repaired = weld(verts, faces)
        self.once = _one_per_coincident(self.soup)  # every triangle once (K, 3), and how many copies each had (K,)
        self.faces, more = repair(self.verts, self.soup, self.once)
        self.repaired.update(more, flipped_faces=self.repaired["flipped_faces"] + more["flipped_faces"])
        self.visibility = None  # made on the first sample the winding number is unsure of: most meshes never need it

    def sampling_mesh(self):
        """verts (V, 3) float32, faces (K, 3) int64: every triangle once, however often it was written (a duplicated
        part is no denser in the truth), in the order of their first copies."""
        return torch.from_numpy(self.verts).float(), torch.from_numpy(self.once[0])

    def decide(self, points, normals):
        """(P, 3), (P, 3) sampled points and their faces' unit normals -> buried (P,) float64 (< KEEP_BELOW: on the
        outer surface; the winding number on the outer side, or 0 / KEEP_BELOW where visibility decided), side
        (P,) float64 (side * n points outwards), unsure (P,) bool (decided by visibility)."""
        p, n = np.asarray(points, np.float64), np.asarray(normals, np.float64)
        if len(self.faces):
            buried, side = outer_winding_number(self.verts, self.faces, p, n, return_side=True)  # (P,) each
        else:  # nothing left to wind (a mesh of double-sided sheets): visibility alone
            buried, side = np.full(len(p), 0.5), np.ones(len(p))
        unsure = (buried >= SURE_BELOW) & (buried < KEEP_BELOW)
        if unsure.any() and len(self.soup):
            self.visibility = self.visibility or Visibility(self.verts, self.soup)
            seen, seen_side = self.visibility(p[unsure], n[unsure])
            buried[unsure] = np.where(seen, 0.0, KEEP_BELOW)  # unseen: buried, and last to fill up with
            side[unsure] = np.where(seen_side != 0, seen_side, side[unsure])
        return buried, side, unsure


def outer_surface_points(verts, faces, n, seed=0, max_rounds=4, report=None, return_normals=False):
    """`n` points uniform on the outer surface of a mesh: (V, 3), (F, 3) -> (n, 3) float32, reproducible with `seed`.

    Points are sampled uniformly on the whole mesh (metrics.sample_surfaces, the same draws for the same
    seed as the evaluators) and kept where one side is outside (the winding number where it is sure,
    visibility elsewhere); rejection sampling keeps the survivors uniform on the outer surface, rounds with
    further seeds top up until `n` remain. A mesh that loses nearly everything is filled up with its
    least-buried points rather than failing the cache.

    report: a dict to fill with what happened: "rejected" (share of samples rejected), "visibility" (share the
    winding number was unsure of, decided by visibility; all of them where no face is left to wind) and the
    repair counts.
    return_normals: also return normals (n, 3) float32, the unit normal of the face each point was sampled on,
    turned to the outer side (where the smaller |winding number| is, or where visibility saw out), so that they
    point outwards even where the mesh's faces are flipped: what normal consistency needs. The points are the
    same with or without normals.
    """
    mesh = OuterSurface(verts, faces)
    surface_v, surface_f = mesh.sampling_mesh()
    kept, rejected, have, sampled, n_rejected, n_unsure = [], [], 0, 0, 0, 0
    for round_ in range(max_rounds):
        share = have / sampled if sampled else 1.0  # kept share so far
        want = min(4 * n, int(1.25 * (n - have) / max(share, 1e-3)) + 64)
        points, _, normals = sample_surfaces([surface_v], [surface_f], want, seed=seed + 1_000_003 * round_, return_normals=True)
        points, normals = points[0], normals[0]  # (want, 3) each
        outer, side, unsure = mesh.decide(points.numpy(), normals.numpy())  # (want,) each
        n_unsure += int(unsure.sum())
        normals = normals * torch.from_numpy(side).float()[:, None]  # (want, 3) outwards
        keep = torch.from_numpy(outer < KEEP_BELOW)
        kept.append((points[keep], normals[keep]))
        rejected.append((points[~keep], normals[~keep], torch.from_numpy(outer[~(outer < KEEP_BELOW)])))
        have, sampled, n_rejected = have + int(keep.sum()), sampled + want, n_rejected + int((~keep).sum())
        if have >= n:
            break
    if report is not None:
        report.update(mesh.repaired, rejected=n_rejected / sampled, visibility=n_unsure / sampled)
    points, normals = (torch.cat(x) for x in zip(*kept))  # (have, 3) each
    if have < n:  # filled up with the least buried of the rejected
        r_points, r_normals, w = (torch.cat(x) for x in zip(*rejected))
        least = w.argsort(stable=True)[:n - have]
        points, normals = torch.cat([points, r_points[least]]), torch.cat([normals, r_normals[least]])
    return (points[:n], normals[:n]) if return_normals else points[:n]
