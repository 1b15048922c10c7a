"""The ShapeNet-like option (synthetic/shapenet_like.py, synthetic/dataset.py --shapenet_like): PyTorch3D's load_obj reads
the messy OBJ; its surface is the clean chair's (PyTorch3D's point-to-triangle distance against
synthetic.primitives.parts_mesh, both ways, open only at the holes); the mess recorded in mess.json is in the file,
counted from what load_obj reads (duplicated, reversed, double-sided, missing faces, quads); face counts meet
the target; and the option changes model.obj only, every other file of the dataset being the default build's."""
import filecmp
import json
import os
import re
from collections import Counter

import numpy as np
import pytest
import torch
from pytorch3d.datasets import R2N2 as OfficialR2N2
from pytorch3d.io import load_obj
from pytorch3d.loss.point_mesh_distance import point_face_distance
from pytorch3d.ops import sample_points_from_meshes
from pytorch3d.structures import Meshes
from scipy.spatial import cKDTree

import cli
from synthetic import dataset as synth
from conftest import script_fails, script_ok
from r2n2_layout import SPLITS_FILE, SYNSET
from synthetic.shapenet_like import messy_obj, quads, subdivide, subdivided_parts, subdivision_level
from synthetic.chairs import make_chair
from synthetic.primitives import normalisation, parts_mesh

# (seed, index) of chairs whose draws (rng = default_rng(index)) cover every kind of mess between them
CHAIRS = [(1, 0), (1, 1), (1, 2), (1, 3)]
PART_OF_GROUP = re.compile(r"^part_(\d+)")


def chair(seed, index, target):
    """(parts, centre, scale, colours, obj text, mess) of one chair written ShapeNet-like."""
    _, parts, colours, _ = make_chair(seed, index)
    centre, scale = normalisation(parts)
    text, mess = messy_obj(parts, centre, scale, np.random.default_rng(index), target)
    return parts, centre, scale, colours, text, mess


def groups_of(text):
    """[(name, triangles a loader reads, quads (Q, 4) 0-based vertex indices, textured)] in file order."""
    groups = []
    for line in text.splitlines():
        if line.startswith("g "):
            groups.append([line[2:], 0, [], False])
        elif line.startswith("f "):
            corners = line.split()[1:]
            groups[-1][1] += len(corners) - 2
            groups[-1][3] |= "/" in corners[0]
            if len(corners) == 4:
                groups[-1][2].append([int(c.split("/")[0]) - 1 for c in corners])
    return [(name, n, np.array(q, int).reshape(-1, 4), tex) for name, n, q, tex in groups]


def canonical(tri):
    """(T, 3) triangles rotated to start at their smallest index: one key per oriented triangle."""
    r = np.argmin(tri, axis=1)[:, None]
    return np.take_along_axis(tri, (r + np.arange(3)) % 3, axis=1)


def read_back(path, text, parts, centre, scale, mess):
    """What load_obj reads, in terms of the clean subdivided parts: per part, Counters of the clean faces
    (as clean vertex-index triples) found forward and reversed, and the clean faces missing."""
    verts, faces, aux = load_obj(path, load_textures=False)
    V, F = verts.double().numpy(), faces.verts_idx.numpy()
    clean = subdivided_parts(parts, centre, scale, mess["subdivision"])
    start = 0
    seen = {i: (Counter(), Counter()) for i in range(len(parts))}
    for name, n, _, _ in groups_of(text):
        part = int(PART_OF_GROUP.match(name).group(1))
        tri = F[start:start + n]  # (n, 3) this group's triangles, quads fanned by load_obj
        start += n
        dist, idx = cKDTree(clean[part][0]).query(V[tri.reshape(-1)])
        assert dist.max() < 2e-6, (name, dist.max())  # a vertex of its own part (written with 6 decimals)
        tri = canonical(idx.reshape(-1, 3))
        keys = {tuple(t) for t in canonical(clean[part][1]).tolist()}
        forward = np.array([tuple(t) in keys for t in tri.tolist()], bool)
        backward = np.array([tuple(t) in keys for t in canonical(tri[:, ::-1]).tolist()], bool)
        assert (forward | backward).all(), name  # every triangle is a clean face, either way round
        seen[part][0].update(map(tuple, tri[forward].tolist()))
        seen[part][1].update(map(tuple, canonical(tri[~forward][:, ::-1]).tolist()))
    assert start == len(F)
    missing = {i: [t for t in canonical(f).tolist() if tuple(t) not in seen[i][0] and tuple(t) not in seen[i][1]]
               for i, (_, f) in enumerate(clean)}
    return verts, faces, aux, clean, seen, missing


def test_subdivision_keeps_each_part_closed_oriented_and_on_its_planes():
    verts, faces = subdivide(np.array([[0.0, 0, 0], [2, 0, 0], [0, 2, 0]]), np.array([[0, 1, 2]]), 1)
    by_hand = np.array([[(0, 0), (1, 0), (0, 1)], [(1, 0), (2, 0), (1, 1)], [(0, 1), (1, 1), (0, 2)], [(1, 0), (1, 1), (0, 1)]])
    oriented = lambda tris: {tuple(map(tuple, np.roll(t, -np.lexsort(t.T[::-1])[0], axis=0).tolist())) for t in tris}
    assert oriented(verts[faces][:, :, :2]) == oriented(by_hand)  # the four triangles, the same way round as the one split
    assert (subdivision_level(600, 10000), subdivision_level(600, 100000), subdivision_level(600, 500)) == (2, 4, 0)

    _, parts, _, _ = make_chair(1, 2)
    centre, scale = normalisation(parts)
    for p, (v, f) in zip(parts, subdivided_parts(parts, centre, scale, 2)):
        assert len(f) == 16 * len(p.faces)
        directed = {tuple(e) for e in f[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2).tolist()}
        assert len(directed) == 3 * len(f) and all((b, a) in directed for a, b in directed)  # closed, one orientation
        volume = lambda v, f: np.einsum("ij,ij->i", v[f[:, 0]], np.cross(v[f[:, 1]], v[f[:, 2]])).sum() / 6
        assert np.isclose(volume(v, f), volume((p.verts - centre) * scale, p.faces), rtol=1e-9)
        plane = (v / scale + centre) @ p.planes[:, :3].T + p.planes[:, 3]  # (V, P) raw units
        assert np.abs(plane.max(1)).max() * scale < 1e-9  # every vertex on the part's boundary


def test_quads_pair_only_planar_convex_same_side_triangles():
    """Two triangles (a, b, c), (a, c, d) across a-c, by hand: a square pairs, load_obj's fan gives them back;
    an arrowhead (concave at c), a bent pair and a pair of opposite orientation do not."""
    rng = np.random.default_rng(0)
    a, c = [0.0, 0, 0], [1.0, 0, 0]
    for b, d, second, pairs in [([0.5, -0.5, 0], [0.5, 0.5, 0], [0, 2, 3], True),  # a square
                                ([2, -1, 0], [2, 1, 0], [0, 2, 3], False),  # an arrowhead
                                ([0.5, -0.5, 0], [0.5, 0.5, 0.3], [0, 2, 3], False),  # bent along a-c
                                ([0.5, -0.5, 0], [0.5, 0.5, 0], [0, 3, 2], False)]:  # (a, d, c): the other side
        faces = np.array([[0, 1, 2], second])
        q, used = quads(np.array([a, b, c, d]), faces, rng)
        assert len(q) == used.sum() / 2 == int(pairs), (b, d, second)
        if pairs:
            fan = np.array([q[0, [0, 1, 2]], q[0, [0, 2, 3]]])  # how load_obj reads `f a b c d`
            assert {tuple(t) for t in canonical(fan).tolist()} == {tuple(t) for t in canonical(faces).tolist()}


def test_messy_obj_holds_the_recorded_mess(tmp_path):
    drawn, quad_share = set(), []
    for seed, index in CHAIRS:
        parts, centre, scale, _, text, mess = chair(seed, index, 4000)
        path = tmp_path / f"{index}.obj"
        path.write_text(text)
        verts, faces, aux, clean, seen, missing = read_back(path, text, parts, centre, scale, mess)
        groups = groups_of(text)
        kinds = {k for k in ("duplicated_faces", "flipped_faces", "double_sided_faces", "holes") if k in mess}
        assert 1 <= len(kinds) <= 3, mess  # some mess, never all of it
        drawn |= kinds
        # face count: the f lines, fanned; the clean faces less the holes plus the copies
        n = len(faces.verts_idx)
        assert n == sum(g[1] for g in groups) == mess["faces"]
        assert n == sum(len(f) for _, f in clean) - mess.get("holes", 0) + mess.get("duplicated_faces", 0) + \
            mess.get("double_sided_faces", 0)
        # duplicated faces: a clean face read twice the same way round
        assert sum(c - 1 for s in seen.values() for c in s[0].values()) == mess.get("duplicated_faces", 0)
        # reversed faces: the flipped ones and the double-sided copies
        assert sum(s[1].total() for s in seen.values()) == mess.get("flipped_faces", 0) + mess.get("double_sided_faces", 0)
        for i in mess.get("flipped_parts", []):
            assert abs(seen[i][1].total() / len(clean[i][1]) - 0.2) < 0.01  # 20 % of the part
        # double-sided: faces read both ways round
        assert sum(len(s[0].keys() & s[1].keys()) for s in seen.values()) == mess.get("double_sided_faces", 0)
        # holes: the clean faces never read form one edge-connected cluster in one part, well under 1 %
        lost = {i: m for i, m in missing.items() if m}
        assert sum(map(len, lost.values())) == mess.get("holes", 0)
        if lost:
            assert list(lost) == [mess["hole_part"]] and mess["holes"] < 0.01 * n
            cluster = [set(map(frozenset, ((a, b), (b, c), (c, a)))) for a, b, c in lost[mess["hole_part"]]]
            reached = [cluster.pop()]
            while cluster:
                near = [e for e in cluster if any(e & r for r in reached)]
                assert near, "the hole is not one cluster"
                reached += near
                cluster = [e for e in cluster if e not in near]
        # quads: as many as recorded, planar and convex (any triangulation covers the same clean surface)
        quad_lines = np.concatenate([q for _, _, q, _ in groups])
        assert len(quad_lines) == mess["quads"] == sum(1 for line in text.splitlines() if line.startswith("f ") and
                                                 len(line.split()) == 5)
        a, b, c, d = (verts[quad_lines[:, i]].double() for i in range(4))
        normal = torch.linalg.cross(b - a, c - a)
        for u, w in ((c - a, d - a), (c - b, d - b), (a - d, b - d)):
            cos = (torch.linalg.cross(u, w) * normal).sum(1) / torch.linalg.cross(u, w).norm(dim=1) / normal.norm(dim=1)
            assert (cos > 1 - 1e-4).all()  # same side: planar (to the 6 decimals written) and convex
        quad_share.append(2 * len(quad_lines) / n)
        # ShapeNet's file furniture: a material library that is not there, a material per group, v/vt/vn faces
        lines = text.splitlines()
        assert "mtllib model.mtl" in lines and sum(line.startswith("usemtl ") for line in lines) == len(groups) == mess["groups"]
        textured = sum(g[1] for g in groups if g[3])
        assert sum(g[3] for g in groups) == mess["textured_groups"] >= 1
        assert (faces.textures_idx >= 0).all(1).sum() == textured == (faces.normals_idx >= 0).all(1).sum()
        has_vn = (faces.normals_idx >= 0).all(1)
        tri = verts[faces.verts_idx[has_vn]]
        written = torch.nn.functional.normalize(torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), dim=1)
        assert ((aux.normals[faces.normals_idx[has_vn, 0]] * written).sum(1) > 0.999).all()  # vn = the winding's side
    assert drawn == {"duplicated_faces", "flipped_faces", "double_sided_faces", "holes"}
    assert np.mean(quad_share) > 0.3, quad_share


def test_messy_surface_is_the_clean_chair_open_only_at_the_holes(tmp_path):
    seed, index = CHAIRS[0]
    parts, centre, scale, colours, text, mess = chair(seed, index, 6000)
    assert mess.get("holes", 0) > 0  # this chair has a hole
    path = tmp_path / "model.obj"
    path.write_text(text)
    verts, faces, _, clean, _, missing = read_back(path, text, parts, centre, scale, mess)
    cv, cf, _ = parts_mesh(parts, centre, scale, colours)  # the clean chair, as the default build writes it
    clean_tris = torch.tensor(cv[cf], dtype=torch.float32)  # (F, 3, 3)
    messy_tris = verts[faces.verts_idx]

    def distance(points, tris):  # (P,) unsquared distance of each point to the nearest triangle
        first = torch.zeros(1, dtype=torch.long)
        return point_face_distance(points, first, tris, first, len(points), 1e-12).sqrt()

    torch.manual_seed(0)
    on_messy = torch.cat([sample_points_from_meshes(Meshes([verts], [faces.verts_idx]), 5000)[0], verts])
    assert distance(on_messy, clean_tris).max() < 1e-5  # nothing but the clean surface
    on_clean = torch.tensor(synth.sample_surface(cv, cf, 5000, np.random.default_rng(0)), dtype=torch.float32)
    open_ = distance(on_clean, messy_tris) > 1e-5
    hole = clean[mess["hole_part"]][0][np.array(missing[mess["hole_part"]])]  # (H, 3, 3) the faces removed
    hole = torch.tensor(hole, dtype=torch.float32)
    if open_.any():
        assert distance(on_clean[open_], hole).max() < 1e-5  # all of the clean surface, but the hole
    assert distance(hole.mean(1), messy_tris).max() > 1e-4  # and the hole is open


@pytest.mark.parametrize("target", [10000, 30000])
def test_face_count_near_the_target(tmp_path, target):
    _, parts, _, _ = make_chair(0, 5)
    centre, scale = normalisation(parts)
    text, mess = messy_obj(parts, centre, scale, np.random.default_rng(0), target)
    path = tmp_path / "model.obj"
    path.write_text(text)
    n = sum(len(line.split()) - 3 for line in open(path) if line.startswith("f "))  # triangles, quads fanned
    assert n == mess["faces"] and target / 2 <= n <= 2 * target, (n, target)


def test_option_changes_model_obj_only(tmp_path):
    """The same seed with and without --shapenet_like: every other file byte-identical; the meshes differ,
    read back, and meet their targets (drawn in [10k, 100k] unless --faces)."""
    plain = synth.build_dataset(str(tmp_path / "plain"), num_models=3, views=2, seed=4, workers=1, quiet=True)
    messy = str(tmp_path / "messy")
    out = script_ok("make_synthetic_dataset.py", "--out", messy, "--num_models", 3, "--views", 2, "--seed", 4,
                    "--workers", 1, "--shapenet_like")
    assert "wrote 3 chairs x 2 views" in out
    fixed = synth.build_dataset(str(tmp_path / "fixed"), num_models=3, views=2, seed=4, workers=1, quiet=True,
                                shapenet_like=True, faces=3000)
    files = lambda root: sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)
    assert "mess.json" not in files(plain) and files(messy) == files(fixed) == sorted(files(plain) + ["mess.json"])
    families = json.load(open(os.path.join(plain, "families.json")))
    for root in (messy, fixed):
        for name in files(plain):
            same = filecmp.cmp(os.path.join(plain, name), os.path.join(root, name), shallow=False)
            assert same != name.endswith("model.obj"), name
        mess = json.load(open(os.path.join(root, "mess.json")))
        assert list(mess) == list(families)
        for mid, m in mess.items():
            assert (1e4 <= m["target_faces"] <= 1e5) if root == messy else m["target_faces"] == 3000
            _, faces, _ = load_obj(os.path.join(root, "shapenet", SYNSET, mid, "model.obj"), load_textures=False)
            assert len(faces.verts_idx) == m["faces"] and m["target_faces"] / 2 <= m["faces"] <= 2 * m["target_faces"]
    # The official loader reads a messy model (it has no model.mtl, as many ShapeNet models).
    ds = OfficialR2N2("test", os.path.join(fixed, "shapenet"), os.path.join(fixed, "r2n2"),
                      os.path.join(fixed, SPLITS_FILE), load_textures=False)
    assert len(ds[0]["faces"]) == json.load(open(os.path.join(fixed, "mess.json")))[ds[0]["model_id"]]["faces"]


def test_bad_faces_flag_is_one_line(tmp_path):
    err = script_fails("make_synthetic_dataset.py", "--out", tmp_path / "x", "--shapenet_like", "--faces", 500,
                       message="--faces must be between 1000 and 1000000")
    assert len(err.strip().splitlines()) == 1 and not os.path.exists(tmp_path / "x")
    with pytest.raises(cli.InputError, match="pass --shapenet_like"):
        synth.build_dataset(str(tmp_path / "y"), num_models=3, views=1, faces=3000, workers=1, quiet=True)
    assert not os.path.exists(tmp_path / "y")
