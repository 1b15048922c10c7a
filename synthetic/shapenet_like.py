"""A chair's clean convex parts written as a ShapeNet-like OBJ: ShapeNet's face counts and ShapeNet's mess.

Real ShapeNetCore chairs, what our users train on, have 10k-100k faces in a soup of groups, each with its
own vertices, and the defects of meshes made for display: a part duplicated on top of itself, faces with
flipped winding, double-sided parts (every face written twice, once per side), small holes, quads beside
triangles, texture coordinates and normals, and a material library that is missing. A loader or a
metric that only ever met the embedded dataset's clean closed parts has never been tried on any of that.

`messy_obj` writes all of it over the exact geometry of the clean chair: midpoint subdivision splits each
planar face into coplanar triangles, so the surface does not move and the renderings, voxels and points
derived from the clean chair stay true of the messy mesh (except at the holes). Geometry only (numpy).
"""
import numpy as np

KINDS = ("duplicated_part", "flipped_faces", "double_sided_part", "holes")  # a chair gets 1 to 3 of them


def subdivide(verts, faces, level):
    """Conforming midpoint subdivision, `level` times: each triangle (a, b, c) becomes four, every edge split
    at its midpoint, one midpoint shared by both faces of the edge, so a closed mesh stays closed and
    consistently oriented, and planar faces keep their plane (the surface does not move).

    verts (V, 3), faces (F, 3) -> verts (V', 3) (the old ones first), faces (4^level F, 3).
    """
    for _ in range(level):
        edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)  # (3F, 2): ab, bc, ca of each face
        unique, inverse = np.unique(edges, axis=0, return_inverse=True)
        ab, bc, ca = (len(verts) + inverse.reshape(-1, 3)).T  # (F,) each: the midpoints' indices
        verts = np.concatenate([verts, verts[unique].mean(1)])
        a, b, c = faces.T
        faces = np.concatenate([np.stack(t, 1) for t in ((a, ab, ca), (ab, b, bc), (ca, bc, c), (ab, bc, ca))])
    return verts, faces


def subdivision_level(n_faces, target_faces):
    """The level k >= 0 whose 4^k n_faces is nearest `target_faces` in log (so within a factor 2 of it)."""
    return max(0, int(np.round(np.log(target_faces / n_faces) / np.log(4))))


def subdivided_parts(parts, centre, scale, level):
    """[(verts (V, 3), faces (F, 3)), ...] per part, in the normalised frame world = (raw - centre) * scale, as
    synthetic.primitives.parts_mesh places the clean chair: the clean surface a messy OBJ must equal."""
    return [subdivide((p.verts - centre) * scale, p.faces, level) for p in parts]


def quads(verts, faces, rng, rounds=6):
    """Pairs of `faces` that one planar convex quad replaces, as ShapeNet's modellers' quads.

    Two faces pair when they cross an edge in opposite directions (the same orientation), lie in one plane
    and make a convex quad, so any triangulation of it covers the same surface; PyTorch3D's load_obj fans
    the quad (a, b, c, d) into (a, b, c), (a, c, d), exactly the two faces. The pairs are a random matching:
    in each round every candidate whose random key is the lowest at both its faces wins.

    Returns quads (Q, 4) vertex indices and used (F,) bool, the faces the quads replace.
    """
    n = len(faces)
    used = np.zeros(n, bool)
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)  # (3F, 2): row 3f + k is edge (faces[f, k], faces[f, k+1])
    key = directed[:, 0] * len(verts) + directed[:, 1]
    order = np.argsort(key)
    twin_key = directed[:, 1] * len(verts) + directed[:, 0]
    twin = order[np.searchsorted(key[order], twin_key).clip(max=len(key) - 1)]  # (3F,) the row of the reverse edge
    rows = np.arange(len(key))
    cand = rows[(key[twin] == twin_key) & (rows // 3 < twin // 3)]  # each shared edge once
    f, k, g, j = cand // 3, cand % 3, twin[cand] // 3, twin[cand] % 3
    q = np.stack([directed[cand, 1], faces[f, (k + 2) % 3], directed[cand, 0], faces[g, (j + 2) % 3]], 1)  # (C, 4)
    a, b, c, d = (verts[q[:, i]] for i in range(4))
    n1, n2 = np.cross(b - a, c - a), np.cross(c - a, d - a)  # (C, 3) normals of (a, b, c) and (a, c, d)
    l1, l2 = np.linalg.norm(n1, axis=1), np.linalg.norm(n2, axis=1)
    coplanar = np.einsum("ij,ij->i", n1, n2) > (1 - 1e-12) * l1 * l2
    turns = lambda u, w: np.einsum("ij,ij->i", np.cross(u, w), n1) > 1e-3 * (l1 + l2) * l1  # the same way, not ~flat
    keep = coplanar & turns(c - b, d - b) & turns(a - d, b - d)  # convex: at b and d as at a and c
    q, f, g = q[keep], f[keep], g[keep]
    prio = rng.permutation(len(q))
    won = np.zeros(len(q), bool)
    for _ in range(rounds):
        live = ~used[f] & ~used[g]
        if not live.any():
            break
        low = np.full(n, len(q))
        np.minimum.at(low, f[live], prio[live])
        np.minimum.at(low, g[live], prio[live])
        win = live & (low[f] == prio) & (low[g] == prio)
        won |= win
        used[f[win]] = used[g[win]] = True
    return q[won], used


def hole(faces, size, rng):
    """(F,) bool: `size` faces grown across shared edges from a random one: a small hole in a closed part."""
    edges = np.sort(faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    edge_id = np.unique(edges, axis=0, return_inverse=True)[1].reshape(-1, 3)  # (F, 3)
    cut = np.zeros(len(faces), bool)
    cut[rng.integers(len(faces))] = True
    while cut.sum() < size:
        ring = np.flatnonzero(~cut & np.isin(edge_id, edge_id[cut]).any(1))
        cut[ring[:size - cut.sum()]] = True
    return cut


def _group_lines(name, material, verts, tris, quad, textured, base):
    """The OBJ lines of one group with its own vertices: plain `f v` faces, or `f v/vt/vn` with a texture
    coordinate per vertex and a normal per face. base: [v, vt, vn] written before it, updated."""
    lines = [f"g {name}", f"usemtl {material}"]
    lines += ["v %.6f %.6f %.6f" % tuple(r) for r in verts.tolist()]
    iv = base[0] + 1
    if not textured:
        lines += ["f %d %d %d %d" % tuple(r) for r in (quad + iv).tolist()]
        lines += ["f %d %d %d" % tuple(r) for r in (tris + iv).tolist()]
        base[0] += len(verts)
        return lines
    lines += ["vt %.6f %.6f" % tuple(r) for r in (verts[:, :2] + 0.5).tolist()]  # a planar projection, as a modeller's
    polys = [quad, tris]
    normals = [np.cross(verts[p[:, 1]] - verts[p[:, 0]], verts[p[:, 2]] - verts[p[:, 0]]) for p in polys]
    normals = np.concatenate(normals)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)  # (Q + T, 3), the written winding's side
    lines += ["vn %.6f %.6f %.6f" % tuple(r) for r in normals.tolist()]
    it, first_n = base[1] + 1, base[2] + 1
    for p, template in zip(polys, ("f" + " %d/%d/%d" * 4, "f" + " %d/%d/%d" * 3)):
        vn = np.arange(len(p)) + first_n
        first_n += len(p)
        rows = np.stack([p + iv, p + it, np.repeat(vn[:, None], p.shape[1], 1)], 2).reshape(len(p), 3 * p.shape[1])
        lines += [template % tuple(r) for r in rows.tolist()]
    base[0] += len(verts)
    base[1] += len(verts)
    base[2] += len(normals)
    return lines


def messy_obj(parts, centre, scale, rng, target_faces):
    """The chair's parts (synthetic.chairs.make_chair) as the text of a ShapeNet-like model.obj, and its mess.

    Geometry in the normalised frame world = (part vertex - centre) * scale. One subdivision level for the
    whole chair brings the face count nearest `target_faces` (in log). Each part is a group with its own
    vertices; 1 to 3 of the KINDS of mess, drawn from `rng`, each on parts of its own:
      duplicated_part    one part written again on top of itself (own vertex indices, same orientation)
      flipped_faces      one or two parts with 20 % of their faces in reversed winding
      double_sided_part  one part written again with every face reversed (own vertex indices)
      holes              a small cluster of faces removed from one part (well under 1 % of the faces)
    and in every chair: quads (70 % of the parts write their coplanar pairs as one `f a b c d`), `usemtl`
    per group, `mtllib model.mtl` (a file that is not written) and v/vt/vn faces in about half the groups.

    Returns (obj text, mess): mess (JSON-ready) records the target, the subdivision level, `faces` (the
    triangles a loader reads, quads fanned), `quads`, `groups`, `textured_groups` and, for the kinds
    drawn, which parts and how many faces (`duplicated_faces`, `flipped_faces`, `double_sided_faces`,
    `holes`).
    """
    counts = np.array([len(p.faces) for p in parts])  # (P,)
    free = [int(i) for i in rng.permutation(len(parts))]
    drawn = set(rng.choice(KINDS, size=int(rng.integers(1, len(KINDS))), replace=False))
    dup = double = hole_part = None
    flipped = []
    if "duplicated_part" in drawn and free:
        dup = free.pop()
    if "flipped_faces" in drawn and free:
        flipped = [free.pop() for _ in range(min(int(rng.integers(1, 3)), len(free)))]
    if "double_sided_part" in drawn and free:
        double = free.pop()
    if "holes" in drawn and free:
        hole_part = free.pop(rng.choice(len(free), p=counts[free] / counts[free].sum()))  # big parts likelier
    written = counts.sum() + sum(counts[i] for i in (dup, double) if i is not None)
    level = subdivision_level(written, target_faces)
    meshes = subdivided_parts(parts, centre, scale, level)
    total = int(written * 4 ** level)
    done = {}  # the mess drawn: parts and face counts
    groups = []  # (name, part index, verts (V, 3), faces (F, 3), may write quads)
    for i, (v, f) in enumerate(meshes):
        f = f.copy()
        if i in flipped:
            pick = rng.choice(len(f), round(0.2 * len(f)), replace=False)
            f[pick] = f[pick, ::-1]
            done["flipped_faces"] = done.get("flipped_faces", 0) + len(pick)
        if i == hole_part:
            cut = hole(f, max(1, min(int(rng.integers(3, 13)), len(f) // 10, total // 200)), rng)
            f = f[~cut]
            done.update(hole_part=i, holes=int(cut.sum()))
        groups.append((f"part_{i}", i, v, f, rng.random() < 0.7))
    if flipped:
        done["flipped_parts"] = flipped
    if dup is not None:
        groups.append((f"part_{dup}_copy", dup, *meshes[dup], False))
        done.update(duplicated_part=dup, duplicated_faces=len(meshes[dup][1]))
    if double is not None:
        groups.append((f"part_{double}_reversed", double, meshes[double][0], meshes[double][1][:, ::-1], False))
        done.update(double_sided_part=double, double_sided_faces=len(meshes[double][1]))
    textured = rng.random(len(groups)) < 0.5
    textured[rng.integers(len(groups))] = True  # at least one group
    lines = ["# ShapeNet-like chair written by shapenet_like.py (the clean chair, subdivided, with mess)",
             "mtllib model.mtl"]
    base = [0, 0, 0]  # v, vt, vn written so far
    n_quads = n_faces = 0
    for (name, i, v, f, may_quad), tex in zip(groups, textured):
        quad, used = quads(v, f, rng) if may_quad else (np.zeros((0, 4), int), np.zeros(len(f), bool))
        lines += _group_lines(name, parts[i].part, v, f[~used], quad, tex, base)
        n_quads += len(quad)
        n_faces += len(f)
    mess = {"target_faces": int(target_faces), "subdivision": level, "faces": n_faces, "quads": n_quads,
            "groups": len(groups), "textured_groups": int(textured.sum()), **done}
    return "\n".join(lines) + "\n", mess


def scattered_mess(parts, centre, scale, rng, target_faces, flip=0.2):
    """The parts as one triangle soup with the mess spread face by face rather than part by part, as the issue
    that found the section bug wrote its proxy: each part subdivided (one level for the whole model, nearest
    `target_faces`) with its own vertices, one part written again reversed (double-sided), a share `flip` of all
    faces flipped one by one, then the first sixth of the faces written again (a duplicated stretch of parts,
    sections included). verts (V, 3) float32, faces (F, 3) int64 and the mess (which part, how many faces)."""
    level = subdivision_level(sum(len(p.faces) for p in parts), target_faces)
    meshes = subdivided_parts(parts, centre, scale, level)
    double = int(rng.integers(len(meshes)))
    pieces = meshes + [(meshes[double][0], meshes[double][1][:, ::-1])]
    first = np.cumsum([0] + [len(v) for v, _ in pieces])
    verts = np.concatenate([v for v, _ in pieces]).astype(np.float32)
    faces = np.concatenate([f + s for (_, f), s in zip(pieces, first)])
    flipped = rng.random(len(faces)) < flip
    faces[flipped] = faces[flipped][:, ::-1]
    faces = np.concatenate([faces, faces[:len(faces) // 6]])
    return verts, np.ascontiguousarray(faces, dtype=np.int64), {"subdivision": level, "double_sided_part": double,
                                                                "flipped_faces": int(flipped.sum()), "faces": len(faces)}
