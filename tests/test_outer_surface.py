"""The outer-surface test of the ground-truth points (outer_surface.py), three ways: libigl's fast winding number
against our exact sum of solid angles (occupancy.winding_number) on clean meshes; the filter's decisions against the
analytic truth of the embedded chairs (each part a convex solid with an exact inside test); and on ShapeNet-like
messy copies of them and of every class (duplicated parts, flipped and double-sided faces, holes, quads), whose points
must cover the same surface as the clean model's. Plus hand cases of the mesh repairs."""
import igl
import numpy as np
import pytest
import torch
from pytorch3d.io import load_obj

from metrics import f1_scores, sample_surfaces
from occupancy import winding_number
from outer_surface import KEEP_BELOW, OuterSurface, _one_per_coincident, outer_surface_points, outer_winding_number, prepare_mesh
from r2n2_layout import NAMES
from synthetic.chairs import make_chair
from synthetic.dataset import generator
from synthetic.primitives import normalisation, parts_mesh
from synthetic.shapenet_like import messy_obj, scattered_mess

# Embedded chairs (seed 0): a dining chair, wingbacks and a tulip (curved shells made of cells that share
# sections), an office chair, a cantilever (bent tubes), a stool: 0.1-0.5 of their area buried.
CHAIRS = [0, 1, 2, 5, 8, 9, 6]


def clean_chair(index, seed=0):
    """(parts, centre, scale, verts (V, 3) float32, faces (F, 3) int64) of an embedded chair."""
    _, parts, colours, _ = make_chair(seed, index)
    centre, scale = normalisation(parts)
    verts, faces, _ = parts_mesh(parts, centre, scale, colours)
    return parts, centre, scale, torch.tensor(verts, dtype=torch.float32), torch.tensor(faces)


def buried_truth(parts, centre, scale, points, normals, d=1e-5):
    """(P,) bool: a surface point is buried when space on both sides of it is inside some part (exact, convex parts)."""
    inside = lambda x: np.any([part.contains(x / scale + centre) for part in parts], axis=0)
    return inside(points + d * normals) & inside(points - d * normals)


def rejected_by(verts, faces, points, normals):
    """(P,) bool: the samples the cache's test (the winding number, visibility where it is unsure) calls buried."""
    return OuterSurface(verts, faces).decide(points, normals)[0] >= KEEP_BELOW


def samples(verts, faces, n, seed):
    points, _, normals = sample_surfaces([verts], [faces], n, seed=seed, return_normals=True)
    return points[0].double().numpy(), normals[0].double().numpy()  # (n, 3) each


def test_fast_winding_number_matches_the_exact_one_on_clean_meshes():
    for index in CHAIRS[:4]:
        _, _, _, verts, faces = clean_chair(index)
        points, normals = samples(verts, faces, 600, seed=index)
        v, f, repaired = prepare_mesh(verts, faces)
        assert repaired["flipped_faces"] == 0 and repaired["degenerate_faces"] == 0  # a clean chair is left as it is
        fast = outer_winding_number(v, f, points, normals)  # (600,)
        off = np.concatenate([points + 1e-4 * normals, points - 1e-4 * normals])  # (1200, 3) both sides
        exact = winding_number(torch.from_numpy(off), verts.double(), faces).abs().numpy().reshape(2, -1).min(0)
        # Barnes-Hut in the far field, exact in the near field. Ours is ill-posed on a face's plane (it answers the
        # mean of both sides within 1e-6 of it), where a point 1e-4 off one part lies on a touching part's face.
        close = np.abs(fast - exact) < 0.03  # (600,)
        assert close.mean() >= 0.995, index
        assert (np.abs(exact[~close] - np.round(exact[~close])) > 0.49).all(), index  # the half-integers
        assert ((fast < KEEP_BELOW) == (exact < KEEP_BELOW)).mean() >= 0.995, index
        assert np.abs(fast - np.abs(igl.winding_number(v, f, off)).reshape(2, -1).min(0)).max() < 0.03, index  # libigl's exact sum


def test_filter_against_the_analytic_truth_of_the_embedded_chairs():
    errors = []
    for index in CHAIRS:
        parts, centre, scale, verts, faces = clean_chair(index)
        points, normals = samples(verts, faces, 8000, seed=index)
        rejected = rejected_by(verts, faces, points, normals)
        truth = buried_truth(parts, centre, scale, points, normals)
        assert 0.02 < truth.mean() < 0.6  # there is something to find
        errors.append((rejected != truth).mean())
    assert max(errors) <= 0.01, errors  # the target: at most 1 % of decisions wrong per chair
    assert np.mean(errors) <= 0.002, errors


def test_kept_points_are_on_the_outer_surface():
    parts, centre, scale, verts, faces = clean_chair(1)  # a wingback: half of its area is buried
    report = {}
    points = outer_surface_points(verts, faces, 5000, seed=3, report=report)
    assert points.shape == (5000, 3) and points.dtype == torch.float32
    assert 0.4 < report["rejected"] < 0.6 and report["visibility"] < 0.02
    strictly_inside = np.any([p.contains(points.double().numpy() / scale + centre, margin=1e-4) for p in parts], axis=0)
    assert strictly_inside.mean() < 0.002
    assert torch.equal(points, outer_surface_points(verts, faces, 5000, seed=3))  # seeded
    # Kept points are sampled ones (each triangle once), in their order: a first round of 1.25 n + 64.
    _, _, _, verts, faces = clean_chair(6)  # a stool: 3 % buried, one round is enough
    mesh = OuterSurface(verts, faces)
    drawn, _ = sample_surfaces(*([x] for x in mesh.sampling_mesh()), 314, seed=3)
    keep = ~rejected_by(verts, faces, *samples(*mesh.sampling_mesh(), 314, seed=3))
    assert 200 <= keep.sum() < 314
    assert torch.equal(outer_surface_points(verts, faces, 200, seed=3), drawn[0][torch.from_numpy(keep)][:200])


def messy(index, seed=0, target=6000, tmp_path=None):
    """The chair's ShapeNet-like OBJ as PyTorch3D's load_obj reads it: verts, faces, the mess written."""
    _, parts, _, _ = make_chair(seed, index)
    centre, scale = normalisation(parts)
    text, mess = messy_obj(parts, centre, scale, np.random.default_rng([seed, index, 3]), target)
    path = tmp_path / f"messy{seed}_{index}.obj"
    path.write_text(text)
    verts, faces, _ = load_obj(str(path), load_textures=False)
    return verts, faces.verts_idx, mess


def test_messy_meshes_keep_the_clean_outer_surface(tmp_path):
    """F1@0.02 >= 98 between the points of a messy copy and of the clean chair (two samples of one surface score
    99.4-100 at 0.02), and the decisions against the analytic truth: every kind of mess is met."""
    seen = set()
    for index in range(8):  # every kind of mess is among the first eight
        verts, faces, mess = messy(index, tmp_path=tmp_path)
        kinds = {k for k in ("duplicated_part", "flipped_parts", "double_sided_part", "hole_part") if k in mess}
        seen |= kinds
        parts, centre, scale, clean_v, clean_f = clean_chair(index)
        report = {}
        ours = outer_surface_points(verts, faces, 6000, seed=1, report=report)
        reference = outer_surface_points(clean_v, clean_f, 6000, seed=2)
        f1 = f1_scores(ours[None], torch.tensor([6000]), reference[None], thresholds=(0.02,))["f1"][0, 0].item()
        assert f1 >= 98, (index, kinds, f1, report)
        assert report["visibility"] < 0.1, (index, kinds, report)
        if "flipped_parts" in mess:  # repaired, except where a flipped part shares edges with others (non-manifold)
            assert report["flipped_faces"] >= mess["flipped_faces"] * 0.6, (report, mess)
        if "duplicated_part" in mess or "double_sided_part" in mess:
            assert report["duplicate_faces"] > 0
        points, normals = samples(verts, faces, 4000, seed=index)
        rejected = rejected_by(verts, faces, points, normals)
        truth = buried_truth(parts, centre, scale, points, normals)
        # A double-sided part is a solid again: what errors remain (at holes) keep buried points, outer surface is not lost.
        assert (rejected & ~truth).mean() < 0.002, (index, kinds)
        assert (~rejected & truth).mean() < 0.01, (index, kinds)
    assert seen == {"duplicated_part", "flipped_parts", "double_sided_part", "hole_part"}


def box(lo, hi, offset=0):
    """A closed, outward-facing box: verts (8, 3), faces (12, 3) + offset."""
    v = torch.tensor([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])], dtype=torch.float32)
    f = torch.tensor([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return v, f + offset


def boxes(*specs):
    vs, fs, n = [], [], 0
    for lo, hi in specs:
        v, f = box(lo, hi, n)
        vs.append(v)
        fs.append(f)
        n += len(v)
    return torch.cat(vs), torch.cat(fs)


SEAT, BACK = ((-0.3, -0.05, -0.3), (0.3, 0.05, 0.3)), ((-0.3, -0.2, 0.2), (0.3, 0.45, 0.3))  # the back goes through the seat


def boxes_truth(points, normals, d=1e-5, margin=0.0):
    """(P,) bool: buried in the seat-and-back union, exactly (space on both sides inside one of the boxes, by `margin`)."""
    inside = lambda x: np.any([np.all((x > np.array(lo) + margin) & (x < np.array(hi) - margin), axis=1)
                               for lo, hi in (SEAT, BACK)], axis=0)
    return inside(points + d * normals) & inside(points - d * normals)


def test_the_issues_messes_by_hand():
    """The messes the old filters got wrong: a part duplicated on top of itself (19 % of its points rejected),
    double-sided faces (filter disabled, then a double-sided part seen as no solid), 20 % flipped faces (11 % of
    buried points kept), all faces flipped."""
    verts, faces = boxes(SEAT, BACK)
    back_v, back_f = verts[8:], faces[12:] - 8
    some_flipped = faces.clone()
    some_flipped[[1, 6]] = some_flipped[[1, 6]][:, [0, 2, 1]]  # 2 of the seat's 12 faces
    cases = {
        "clean": (verts, faces, dict(flipped_faces=0, duplicate_faces=0)),
        "seat duplicated": (torch.cat([verts, verts[:8]]), torch.cat([faces, faces[:12] + len(verts)]),
                            dict(duplicate_faces=12, welded_vertices=8, internal_faces=0)),
        "double-sided back": (torch.cat([verts, back_v]), torch.cat([faces, back_f[:, [0, 2, 1]] + len(verts)]),
                              dict(duplicate_faces=12, internal_faces=0)),
        "flipped faces": (verts, some_flipped, dict(flipped_faces=2)),
        "all flipped": (verts, faces[:, [0, 2, 1]], dict(flipped_faces=24)),
    }
    for name, (v, f, expected) in cases.items():
        points, normals = samples(v, f, 6000, seed=0)
        _, _, repaired = prepare_mesh(v, f)
        assert {k: repaired[k] for k in expected} == expected, name
        rejected = rejected_by(v, f, points, normals)
        truth = boxes_truth(points, normals)
        assert 0.05 < truth.mean() < 0.5, name
        assert (rejected != truth).mean() < 0.002, name
        report = {}
        kept = outer_surface_points(v, f, 4000, seed=0, report=report)
        assert report["visibility"] < 0.01 and len(kept) == 4000, name
        assert not boxes_truth(kept.double().numpy(), np.zeros((4000, 3)), d=0, margin=2e-4).any(), name  # none inside


def test_sections_and_sheets_by_hand():
    """A section two boxes share, written once per box, goes whichever way its copies are wound (the issue's bug:
    one copy flipped made a duplicate, kept as a sheet inside the solid); a double-sided open sheet goes and its
    points stay; an open sheet written once is decided by visibility."""
    lower, upper = ((0, 0, 0), (1, 1, 1)), ((0, 0, 1), (1, 1, 2))  # share the square z = 1
    verts, faces = boxes(lower, upper)
    top = [k for k in range(12) if (verts[faces[k]][:, 2] == 1).all()]  # the lower box's two faces at z = 1
    assert len(top) == 2
    for flip in ([], top[:1], top):
        f = faces.clone()
        f[flip] = f[flip][:, [0, 2, 1]]
        v2, f2, repaired = prepare_mesh(verts, f)
        assert repaired["internal_faces"] == 2 and len(f2) == 20, flip  # the section's two coincident pairs
        assert _inconsistent_edges(f2) == 0 and _volume(v2, f2) > 0, flip  # one closed, outward box
        points, normals = samples(verts, f, 4000, seed=1)
        on_section = np.abs(points[:, 2] - 1) < 1e-6
        rejected = rejected_by(verts, f, points, normals)
        assert rejected[on_section].all() and not rejected[~on_section].any(), flip
    sheet = torch.tensor([[1.5, -1.0, -1], [1.5, 2, -1], [1.5, 2, 3], [1.5, -1, 3]])  # beside the boxes
    quad = torch.tensor([[0, 1, 2], [0, 2, 3]])
    for name, sheet_faces, duplicates in (("double-sided", torch.cat([quad, quad[:, [0, 2, 1]]]), 4), ("single", quad, 2)):
        v, f = torch.cat([verts, sheet]), torch.cat([faces, sheet_faces + len(verts)])
        _, _, repaired = prepare_mesh(v, f)
        assert repaired["duplicate_faces"] == duplicates, name
        if name == "double-sided":  # the sheet goes, then the section in the field it left; a sheet written once
            assert repaired["internal_faces"] == duplicates  # stays and skews the field (0.3 here): not asserted
        points, normals = samples(v, f, 6000, seed=2)
        on_sheet, on_section = np.abs(points[:, 0] - 1.5) < 1e-6, np.abs(points[:, 2] - 1) < 1e-6
        buried, _, unsure = OuterSurface(v, f).decide(points, normals)
        assert np.array_equal(buried >= KEEP_BELOW, on_section & ~on_sheet), name
        if name == "single":  # beside a sheet written once the winding number reads about 1/2: visibility decides
            assert unsure[on_sheet].mean() > 0.5


def _volume(verts, faces):
    a, b, c = (np.asarray(verts, np.float64)[faces[:, k]] for k in range(3))
    return np.einsum("ij,ij->", a, np.cross(b, c)) / 6


def test_open_sheets_are_kept_whole_and_reported():
    """A chair of open sheets has no inside: the winding number is about 1/2 beside a sheet, visibility keeps all."""
    sheet_v = torch.tensor([[-0.3, 0, -0.3], [0.3, 0, -0.3], [0.3, 0, 0.3], [-0.3, 0, 0.3]])
    back_v = torch.tensor([[-0.3, -0.2, 0.25], [0.3, -0.2, 0.25], [0.3, 0.4, 0.25], [-0.3, 0.4, 0.25]])
    quad = torch.tensor([[0, 1, 2], [0, 2, 3]])
    verts, faces = torch.cat([sheet_v, back_v]), torch.cat([quad, quad + 4])
    report = {}
    points = outer_surface_points(verts, faces, 3000, seed=0, report=report)
    reference, _ = sample_surfaces([verts], [faces], int(1.25 * 3000) + 64, seed=0)  # the first round's draws
    assert torch.equal(points, reference[0, :3000]) and report["rejected"] == 0.0 and report["visibility"] > 0.5


def canonical(tri):
    """(T, 3) triangles rotated to start at their smallest index: one key per oriented triangle."""
    r = np.argmin(tri, axis=1)[:, None]
    return {tuple(t) for t in np.take_along_axis(tri, (r + np.arange(3)) % 3, axis=1)}


def _inconsistent_edges(faces):
    """How many edges joining exactly two faces are walked the same way by both (one of them is flipped)."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])  # (3F, 2) directed edges
    _, inverse, count = np.unique(np.sort(e, axis=1), axis=0, return_inverse=True, return_counts=True)
    forward = np.bincount(inverse.reshape(-1), e[:, 0] < e[:, 1])  # per undirected edge, how many walk it low -> high
    return int(((count == 2) & (forward != 1)).sum())


def test_mesh_repairs_by_hand():
    f = np.array([[0, 1, 2], [2, 1, 0], [1, 2, 3], [2, 3, 1], [3, 2, 1], [3, 1, 2], [4, 5, 6], [5, 6, 4]])
    # Each triangle once: (0 1 2) and its reverse tie, the first's way; (1 2 3) three times one way, once the
    # other: the majority's way; (4 5 6) twice the same way. Whatever the order, the same triangles.
    once, copies = _one_per_coincident(f)
    assert canonical(once) == {(0, 1, 2), (1, 2, 3), (4, 5, 6)} and copies.tolist() == [2, 4, 2]
    assert canonical(_one_per_coincident(f[[2, 3, 4, 5, 6, 7, 0, 1]])[0]) == {(0, 1, 2), (1, 2, 3), (4, 5, 6)}
    v, f = box((0, 0, 0), (1, 1, 1))
    assert _inconsistent_edges(f.numpy()) == 0
    g = f.numpy().copy()
    g[0] = g[0][::-1]
    assert _inconsistent_edges(g) == 3  # its three edges are walked the same way as by their neighbours
    # Two copies of the box with one face flipped in one or both: welded, the copies merged, the face turned back.
    for other in (g, f.numpy()):
        verts, faces, repaired = prepare_mesh(torch.cat([v, v]), torch.from_numpy(np.concatenate([g, other + 8])))
        assert len(verts) == 8 and repaired["welded_vertices"] == 8 and repaired["duplicate_faces"] == 12
        assert repaired["flipped_faces"] >= 1 and repaired["internal_faces"] == 0
        assert _inconsistent_edges(faces) == 0 and canonical(faces) == canonical(f.numpy())


def flip_a_third(faces, seed=0):
    """(F, 3) faces with a random third of them reversed (as ShapeNet's flipped faces); and which."""
    flipped = torch.from_numpy(np.random.default_rng(seed).permutation(len(faces))[:len(faces) // 3])
    out = faces.clone()
    out[flipped] = out[flipped][:, [0, 2, 1]]
    return out, flipped


def test_normals_point_outwards_on_a_sphere_with_flipped_faces():
    from pytorch3d.utils import ico_sphere

    sphere = ico_sphere(3)
    verts, faces = sphere.verts_packed(), flip_a_third(sphere.faces_packed())[0]  # (642, 3), (1280, 3)
    points, normals = outer_surface_points(verts, faces, 3000, seed=0, return_normals=True)  # (3000, 3) each
    assert points.dtype == normals.dtype == torch.float32 and normals.shape == (3000, 3)
    assert torch.equal(points, outer_surface_points(verts, faces, 3000, seed=0))  # the same points with normals
    assert (normals.norm(dim=1) - 1).abs().max() < 1e-6
    assert ((normals * points).sum(1) / points.norm(dim=1)).min() > 0.99  # outward: along p - centre (a flat face's)
    # Nothing is rejected on a sphere: the points are the first draws on the repaired sphere (its flipped faces turned
    # back), and the normals those of their faces.
    drawn, _, face_normals = sample_surfaces(*([x] for x in OuterSurface(verts, faces).sampling_mesh()),
                                             int(1.25 * 3000) + 64, seed=0, return_normals=True)
    assert torch.equal(points, drawn[0, :3000]) and torch.equal(normals, face_normals[0, :3000])


def box_normals(points, specs):
    """(P, 3) outward normals of the axis-aligned box faces the points lie on (the face plane nearest each point:
    +axis on a box's high side, -axis on its low side; no plane value is high for one box and low for another)."""
    planes = [(axis, bound, sign) for lo, hi in specs for axis in range(3) for bound, sign in ((lo[axis], -1.0), (hi[axis], 1.0))]
    distance = np.stack([np.abs(points[:, axis] - bound) for axis, bound, _ in planes], 1)  # (P, planes)
    nearest = distance.argmin(1)  # (P,)
    assert distance.min(1).max() < 1e-6  # every point on a plane of a box
    out = np.zeros_like(points)
    for k, (axis, _, sign) in enumerate(planes):
        out[nearest == k, axis] = sign
    return out


def test_normals_point_outwards_on_boxes_with_flipped_faces():
    """One box, then the seat and back (which goes through the seat) with a box buried in the seat: one round only,
    so the least buried points fill up, and their normals are turned to the side of the fewer enclosing parts too."""
    inner = ((-0.25, -0.04, -0.25), (0.25, 0.04, 0.25))  # wholly inside the seat
    for specs, n in (([SEAT], 3000), ([SEAT, BACK, inner], 4000)):
        verts, faces = boxes(*specs)
        faces, _ = flip_a_third(faces, seed=len(specs))
        report = {}
        points, normals = outer_surface_points(verts, faces, n, seed=0, max_rounds=1, report=report, return_normals=True)
        assert torch.equal(points, outer_surface_points(verts, faces, n, seed=0, max_rounds=1))
        assert report["visibility"] == 0 and report["flipped_faces"] == len(faces) // 3
        expected = box_normals(points.double().numpy(), specs)  # (n, 3)
        assert (normals.norm(dim=1) - 1).abs().max() < 1e-6
        assert np.abs(normals.double().numpy() - expected).max() < 1e-6
        if len(specs) == 3:
            assert report["rejected"] > 0.25  # more than a round's surplus: filled up with buried points
            in_seat = np.all((points.numpy() > np.array(SEAT[0])) & (points.numpy() < np.array(SEAT[1])), axis=1)
            assert in_seat.sum() > 100


@pytest.mark.parametrize("name", sorted(NAMES.values()))
def test_every_class_messed_face_by_face(name):
    """The issue's proxy for every class: 20 % of the faces flipped one by one, a part double-sided, the first sixth of
    the faces written again (sections included). Samples of it are decided as on the clean model they lie on (its
    closed convex parts: the double-sided part is a solid again), and visibility decides few of them.
    check_outer_surface.py scores the same proxies by F1@0.02 against the clean model's points (98.6 at worst)."""
    index = sorted(NAMES.values()).index(name) % 3  # three families in turn
    _, parts, colours, _ = generator(name)(0, index)
    centre, scale = normalisation(parts)
    clean_v, clean_f, _ = parts_mesh(parts, centre, scale, colours)
    verts, faces, mess = scattered_mess(parts, centre, scale, np.random.default_rng([index, 34]), 15000)
    mesh = OuterSurface(verts, faces)
    points, normals = samples(*mesh.sampling_mesh(), 4000, seed=index)
    buried, _, unsure = mesh.decide(points, normals)
    clean = OuterSurface(torch.tensor(clean_v, dtype=torch.float32), torch.tensor(clean_f)).decide(points, normals)[0]
    assert 0.01 < (clean >= KEEP_BELOW).mean() < 0.7, name  # something to find
    assert ((buried >= KEEP_BELOW) != (clean >= KEEP_BELOW)).mean() < 0.01, (name, mess)
    assert unsure.mean() < 0.1, (name, unsure.mean())
