"""The embedded dataset (synthetic/dataset.py, synthetic/chairs.py, make_synthetic_dataset.py) writes real
R2N2: the official PyTorch3D loader reads every split, the PNG silhouettes line up with the loader's
cameras, the binvox files span each model's bounding cube and agree with the meshes (checked against an
inside test computed from the mesh alone), builds are deterministic and atomic, every family is closed,
oriented and in one piece, and the chairs differ enough that no training chair fits a new one."""
import filecmp
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from pytorch3d.datasets import R2N2 as OfficialR2N2
from pytorch3d.datasets.r2n2.utils import BlenderCamera, align_bbox, read_binvox_coords
from pytorch3d.io import load_obj
from pytorch3d.ops import sample_points_from_meshes
from pytorch3d.renderer import MeshRasterizer, RasterizationSettings
from pytorch3d.structures import Meshes
from scipy import ndimage

import cli
from conftest import script
from synthetic import chairs, primitives
from synthetic import dataset as synth
from occupancy import winding_number
from r2n2_layout import SPLITS_FILE, SYNSET
from utils_vox import read_binvox, voxel_centers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPLITS = ("train", "val", "test")


def model_files(root, mid):
    rendering = os.path.join(root, "r2n2", "ShapeNetRendering", SYNSET, mid, "rendering")
    return {
        "obj": os.path.join(root, "shapenet", SYNSET, mid, "model.obj"),
        "binvox": os.path.join(root, "r2n2", "ShapeNetVoxels", SYNSET, mid, "model.binvox"),
        "metadata": os.path.join(rendering, "rendering_metadata.txt"),
        "renderings": os.path.join(rendering, "renderings.txt"),
        "png": lambda v: os.path.join(rendering, "%02d.png" % v),
    }


def test_official_loader_reads_every_model_and_silhouettes_match(tiny_dataset):
    splits = json.load(open(os.path.join(tiny_dataset, SPLITS_FILE)))
    assert list(splits) == list(SPLITS)
    ids = [set(splits[s][SYNSET]) for s in SPLITS]
    assert all(ids) and not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])  # disjoint, none empty
    assert set.union(*ids) == set(json.load(open(os.path.join(tiny_dataset, "families.json"))))
    raster = RasterizationSettings(image_size=137, blur_radius=0.0, faces_per_pixel=1)
    for split in SPLITS:
        ds = OfficialR2N2(split, os.path.join(tiny_dataset, "shapenet"), os.path.join(tiny_dataset, "r2n2"),
                          os.path.join(tiny_dataset, SPLITS_FILE), return_voxels=True,
                          return_all_views=True, load_textures=False)
        assert len(ds) == len(splits[split][SYNSET])
        for i in range(len(ds)):
            item = ds[i]
            views = splits[split][SYNSET][item["model_id"]]
            n = len(views)
            assert item["images"].shape == (n, 137, 137, 3)
            assert item["voxels"].shape[0] == n and item["voxels"].dim() == 4  # (V, D, D, D): it resamples
            assert item["R"].shape == (n, 3, 3) and item["T"].shape == (n, 3) and item["K"].shape == (n, 4, 4)
            assert item["voxels"].sum() > 0
            # The GT mesh seen through the loader's own cameras covers the PNG's alpha silhouette.
            cams = BlenderCamera(R=item["R"], T=item["T"], K=item["K"])
            frags = MeshRasterizer(cameras=cams, raster_settings=raster)(
                Meshes([item["verts"]], [item["faces"]]).extend(n))
            silhouettes = frags.pix_to_face[..., 0] >= 0  # (V, 137, 137)
            files = model_files(tiny_dataset, item["model_id"])
            for k, v in enumerate(views):
                rgba = np.asarray(Image.open(files["png"](v)))
                assert rgba.shape == (137, 137, 4) and rgba.dtype == np.uint8
                alpha = torch.from_numpy(rgba[..., 3] > 0)
                iou = ((alpha & silhouettes[k]).sum() / (alpha | silhouettes[k]).sum()).item()
                assert iou >= 0.95, (item["model_id"], v, iou)
                assert set(np.unique(rgba[..., 3])) <= {0, 255}
                assert (rgba[..., :3][rgba[..., 3] == 0] == 0).all()  # background RGB exactly 0
                assert np.ptp(rgba[..., :3][rgba[..., 3] > 0].max(axis=1)) > 20  # shaded, not one flat colour
                # The loader drops alpha: its image is the PNG's RGB.
                assert np.allclose(item["images"][k].numpy(), rgba[..., :3] / 255.0, atol=1e-6)


# Views the float32 renderer drew apart on AVX2 and AVX-512 (a pixel or a channel value in each; found at 1293d36)
RENDER_CASES = [(0, 150), (1, 0), (1, 90)]  # (chair index with seed 0, azimuth), elevation 27.5, dist_ratio 0.8
RENDER = f"""
import hashlib, torch
from r2n2_layout import r2n2_camera
from synthetic import dataset, primitives
torch.set_num_threads(1)
images = []
for index, azim in {RENDER_CASES}:
    family, parts, colours, material = dataset.generator("chair")(0, index)
    centre, scale = primitives.normalisation(parts)
    mesh = primitives.parts_mesh(parts, centre, scale, colours, for_render=True)
    images.append(dataset.render_views(*mesh, material, [r2n2_camera(azim, 27.5, 0.8)])[0])
"""


@pytest.fixture(scope="module")
def rendered():
    """The RENDER_CASES views drawn here, (3, 137, 137, 4) uint8."""
    scope = {}
    exec(RENDER, scope)
    return np.stack(scope["images"])


def test_renders_are_the_same_bytes_on_avx2_and_avx512(rendered):
    """One seed, one dataset: the views drawn with torch's kernels held to AVX2 (runtime.AVX2_ENV, a fresh
    interpreter) are byte for byte the ones drawn here (AVX-512 on this project's machines)."""
    import hashlib

    import runtime

    code = RENDER + "print(hashlib.sha256(b''.join(i.tobytes() for i in images)).hexdigest())"
    avx2 = subprocess.run([sys.executable, "-c", code], env={**os.environ, **runtime.AVX2_ENV}, cwd=REPO,
                          capture_output=True, text=True, check=True).stdout.strip()
    assert avx2 == hashlib.sha256(b"".join(i.tobytes() for i in rendered)).hexdigest()


def test_renders_are_pytorch3ds_mesh_renderer_up_to_rounding(rendered):
    """render_views projects and shades in float64 around PyTorch3D's rasterizer; PyTorch3D's own MeshRenderer in
    float32 (a MeshRasterizer and a HardPhongShader through BlenderCameras) draws the same pictures up to rounding:
    the same silhouettes but for a pixel on an edge, colours 1/255 apart at most elsewhere."""
    from pytorch3d.renderer import (BlendParams, HardPhongShader, Materials, MeshRenderer, PointLights,
                                    TexturesVertex)
    from r2n2_layout import r2n2_camera

    ours = rendered.astype(int)  # (3, 137, 137, 4)
    theirs = []
    for index, azim in RENDER_CASES:
        family, parts, colours, material = synth.generator("chair")(0, index)
        centre, scale = primitives.normalisation(parts)
        verts, faces, colours = primitives.parts_mesh(parts, centre, scale, colours, for_render=True)
        R, T, K = (x[None] for x in r2n2_camera(azim, 27.5, 0.8))
        cams = BlenderCamera(R=R, T=T, K=K)
        lights = PointLights(location=cams.get_camera_center() + torch.tensor([0.4, 1.0, 0.3]),
                             ambient_color=((0.35,) * 3,), diffuse_color=((0.65,) * 3,), specular_color=((material[1],) * 3,))
        mesh = Meshes([torch.tensor(verts, dtype=torch.float32)], [torch.tensor(faces)],
                      textures=TexturesVertex(torch.tensor(colours, dtype=torch.float32)[None]))
        renderer = MeshRenderer(MeshRasterizer(cameras=cams, raster_settings=RasterizationSettings(image_size=137)),
                                HardPhongShader(cameras=cams, lights=lights, materials=Materials(shininess=material[0]),
                                                blend_params=BlendParams(background_color=(0.0, 0.0, 0.0))))
        with torch.no_grad():
            img = (renderer(mesh)[0].clamp(0, 1) * 255).round().int().numpy()  # (137, 137, 4)
        img[..., :3] *= img[..., 3:] > 0  # background RGB 0, as the dataset's
        theirs.append(img)
    theirs = np.stack(theirs)
    silhouette = ours[..., 3] > 0  # (3, 137, 137)
    assert silhouette.sum() > 3000 and (silhouette != (theirs[..., 3] > 0)).sum() <= 3
    same_face = silhouette & (np.abs(ours - theirs).max(-1) <= 1)
    assert same_face.sum() >= silhouette.sum() - 3, (silhouette.sum(), same_face.sum())


def test_voxels_agree_with_meshes(tiny_dataset):
    families = json.load(open(os.path.join(tiny_dataset, "families.json")))
    ious_touch = []
    for mid in sorted(families):
        files = model_files(tiny_dataset, mid)
        verts, faces, _ = load_obj(files["obj"], load_textures=False)
        faces = faces.verts_idx
        lo, hi = verts.min(0).values, verts.max(0).values
        assert torch.allclose((lo + hi) / 2, torch.zeros(3), atol=1e-5) and abs((hi - lo).norm() - 1) < 1e-5
        assert 24 <= len(faces) <= 1500  # low-poly, renders fast
        occ, translate, scale = read_binvox(files["binvox"])
        # ShapeNet's binvox frame: the cube anchored at the bounding box's minimum, as wide as its largest extent
        assert occ.shape == (32, 32, 32)
        assert np.allclose(translate, lo, atol=2e-6) and abs(scale - (hi - lo).max()) < 2e-6, (translate, scale)
        vs = scale / 32  # voxel side
        centres = voxel_centers(32, translate, scale).reshape(-1, 3).double()  # (32^3, 3) xyz, grid order (z, y, x)
        occ = torch.from_numpy(occ)
        # (a) the surface lies in occupied voxels
        torch.manual_seed(0)
        mesh = Meshes([verts], [faces])
        to_index = lambda p: ((p - torch.tensor(translate)) / vs).floor().long().clamp(0, 31)  # (N, 3) x, y, z
        pts = sample_points_from_meshes(mesh, 10000)[0]  # (10000, 3)
        idx = to_index(pts)
        assert occ[idx[:, 2], idx[:, 1], idx[:, 0]].float().mean() >= 0.99, mid
        # (b) against the mesh alone: every voxel whose centre the mesh encloses is occupied, and the grid
        # is the set of voxels the solid touches. A voxel touches the solid when the surface crosses it
        # (dense surface samples find it) or when it lies wholly inside (its centre is inside).
        near = ((centres >= lo - vs) & (centres <= hi + vs)).all(1)  # (32^3,) skip far voxels
        inside = torch.zeros(32 ** 3, dtype=torch.bool)
        inside[near] = winding_number(centres[near], verts.double(), faces) > 0.5
        assert inside.sum() > 0 and occ.reshape(-1)[inside].float().mean() >= 0.99, mid
        dense = sample_points_from_meshes(mesh, 200000)[0]
        didx = to_index(dense)
        touch = inside.reshape(32, 32, 32).clone()
        touch[didx[:, 2], didx[:, 1], didx[:, 0]] = True
        ious_touch.append(((occ & touch).sum() / (occ | touch).sum()).item())
        # (c) the official loader's voxel coordinates, aligned to the mesh's bounding box as it does,
        # land within one voxel of our header's frame: the binvox axes and frame are the ones R2N2 uses.
        with open(files["binvox"], "rb") as f:
            coords = read_binvox_coords(f)  # (N, 3) integer x, y, z indices
        aligned = align_bbox(coords, verts)
        ours = torch.tensor(translate) + (coords + 0.5) * vs
        assert (aligned - ours).abs().max() <= vs + 1e-5, mid
    assert min(ious_touch) >= 0.95, ious_touch  # measured >= 0.99 on this dataset


def test_build_is_deterministic_atomic_and_refuses_to_overwrite(tmp_path):
    root = tmp_path
    # a: through the command line with 2 worker processes; b: in-process, serial; c: another seed
    done = script("make_synthetic_dataset.py", "--out", root / "a", "--num_models", 4, "--views", 2, "--seed", 7,
                  "--workers", 2)
    assert done.returncode == 0, done.stderr
    assert "wrote 4 chairs x 2 views" in done.stdout
    a = str(root / "a")
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        b = synth.build_dataset(str(root / "b"), num_models=4, views=2, seed=7, workers=1, quiet=True)
        assert torch.get_num_threads() == 2  # built on one thread, as a pool process, and the caller's count back
    finally:
        torch.set_num_threads(threads)
    c = synth.build_dataset(str(root / "c"), num_models=4, views=2, seed=8, workers=1, quiet=True)
    assert not [p for p in os.listdir(root) if ".tmp" in p or ".old" in p]  # temporary folders renamed away
    for name in (SPLITS_FILE, "families.json"):
        assert filecmp.cmp(os.path.join(a, name), os.path.join(b, name), shallow=False), name
    ids_a = list(json.load(open(os.path.join(a, "families.json"))))
    ids_c = list(json.load(open(os.path.join(c, "families.json"))))
    for mid in ids_a:
        fa, fb = model_files(a, mid), model_files(b, mid)
        for key in ("obj", "binvox", "metadata", "renderings"):
            assert filecmp.cmp(fa[key], fb[key], shallow=False), (mid, key)
        for v in range(2):
            assert filecmp.cmp(fa["png"](v), fb["png"](v), shallow=False), (mid, v)
    assert set(ids_a).isdisjoint(ids_c)
    assert open(model_files(a, ids_a[0])["obj"]).read() != open(model_files(c, ids_c[0])["obj"]).read()
    assert open(os.path.join(a, SPLITS_FILE)).read() != open(os.path.join(c, SPLITS_FILE)).read()

    # An existing dataset is kept unless --force; a folder that is not a dataset is never deleted.
    with pytest.raises(cli.InputError, match="already holds a dataset"):
        synth.build_dataset(a, num_models=4, views=2, seed=7, workers=1, quiet=True)
    (root / "mine").mkdir()
    (root / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(cli.InputError, match="is not a dataset"):
        synth.build_dataset(str(root / "mine"), num_models=3, views=1, seed=0, workers=1, quiet=True)
    assert (root / "mine" / "notes.txt").read_text() == "keep me"
    synth.build_dataset(c, num_models=3, views=1, seed=9, workers=1, quiet=True, force=True)
    assert len(json.load(open(os.path.join(c, "families.json")))) == 3


def test_interrupted_build_leaves_no_dataset(tmp_path, monkeypatch):
    out = tmp_path / "d"
    # A leftover from a build that was killed: a partial tree without the split file, owned by a dead pid.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"d.tmp-{dead.pid}"
    (stale / "shapenet").mkdir(parents=True)
    assert not os.path.exists(out)  # the loader looks for `out`/split_03001627.json only

    calls = []
    real = synth.build_model

    def failing(job):
        calls.append(job)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(synth, "build_model", failing)
    with pytest.raises(KeyboardInterrupt):
        synth.build_dataset(str(out), num_models=3, views=1, seed=0, workers=1, quiet=True)
    assert not os.path.exists(out)
    assert not [p for p in os.listdir(tmp_path) if p.startswith("d.")]  # own temp folder and the stale one gone
    monkeypatch.setattr(synth, "build_model", real)
    synth.build_dataset(str(out), num_models=3, views=1, seed=0, workers=1, quiet=True)
    assert os.path.isfile(out / SPLITS_FILE)
    for bad in (dict(num_models=2, views=1), dict(num_models=3, views=25)):
        with pytest.raises(cli.InputError, match="must be"):
            synth.build_dataset(str(tmp_path / "e"), seed=0, workers=1, quiet=True, **bad)


def test_metadata_follows_r2n2_ranges(tiny_dataset):
    rows = []
    for mid in json.load(open(os.path.join(tiny_dataset, "families.json"))):
        files = model_files(tiny_dataset, mid)
        lines = open(files["metadata"]).read().splitlines()
        rows += [[float(x) for x in line.split()] for line in lines]
        assert open(files["renderings"]).read().split() == ["%02d.png" % v for v in range(len(lines))]
    rows = np.array(rows)  # (models * views, 5): azim elev yaw dist_ratio fov
    assert rows.shape[1] == 5
    assert (rows[:, 0] >= 0).all() and (rows[:, 0] < 360).all()
    assert (rows[:, 1] >= 25).all() and (rows[:, 1] < 30).all()
    assert (rows[:, 2] == 0).all() and (rows[:, 4] == 25).all()
    assert (rows[:, 3] >= 0.65).all() and (rows[:, 3] < 0.95).all()


def first_betti_number(occ):
    """b1 - b2 = b0 - Euler characteristic of the union of the closed occupied voxels of occ (D, D, D):
    the number of through-holes (handles) when the solid has no enclosed cavities."""
    cells = np.zeros([2 * n + 1 for n in occ.shape], bool)  # doubled grid: cubes at odd indices
    cells[1::2, 1::2, 1::2] = occ
    closure = ndimage.maximum_filter(cells, size=3, mode="constant")  # every face, edge, vertex of a cube
    dim = (np.indices(cells.shape) % 2).sum(0)  # a cell's dimension = its number of odd coordinates
    euler = sum((-1) ** d * int((closure & (dim == d)).sum()) for d in range(4))
    return ndimage.label(occ, structure=np.ones((3, 3, 3)))[1] - euler


def test_euler_characteristic_helper():
    ring = np.zeros((5, 5, 5), bool)
    ring[2, 1:4, 1:4] = True
    assert first_betti_number(ring) == 0  # a 3x3 plate: a disc
    ring[2, 2, 2] = False
    assert first_betti_number(ring) == 1  # a ring: one hole
    ring[4, 4, 4] = True
    assert first_betti_number(ring) == 1  # a second component adds no hole


def first_chair_of_each_family(seed, per_family):
    """{family: [index, ...]}: the first `per_family` chair indices of each family under `seed`."""
    found = {f: [] for f in chairs.FAMILIES}
    i = 0
    while any(len(v) < per_family for v in found.values()):
        family = chairs.make_chair(seed, i)[0]
        if len(found[family]) < per_family:
            found[family].append(i)
        i += 1
    return found


def solid_occupancy(parts, centre, scale, res=96, sub=2):
    """(res, res, res) bool over the normalised cube [-0.5, 0.5]^3, axes (x, y, z): the voxels any part
    touches, each part tested on sub^3 points per voxel of its own bounding block, so thin tubes stay whole."""
    occ = np.zeros((res, res, res), bool)
    offsets = (np.arange(sub) + 0.5) / sub
    for p in parts:
        v = (p.mesh()[0] - centre) * scale
        lo = np.floor((v.min(0) + 0.5) * res).astype(int).clip(0, res - 1)
        hi = np.floor((v.max(0) + 0.5) * res).astype(int).clip(0, res - 1)
        axes = [(np.arange(lo[a], hi[a] + 1)[:, None] + offsets).reshape(-1) / res - 0.5 for a in range(3)]
        pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)  # (K, 3) xyz
        n = hi - lo + 1
        inside = p.contains(pts / scale + centre).reshape(n[0], sub, n[1], sub, n[2], sub).any(axis=(1, 3, 5))
        occ[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1] |= inside
    return occ


def test_families_closed_oriented_connected_with_holes():
    holes, heights = [], []
    for family, indices in first_chair_of_each_family(0, 2).items():
        for i in indices:
            fam, parts, colours, material = chairs.make_chair(0, i)
            assert fam == family and set(colours) >= {p.part for p in parts} and material[0] > 0
            centre, scale = primitives.normalisation(parts)
            verts, faces, _ = primitives.parts_mesh(parts, centre, scale, colours)
            lo, hi = verts.min(0), verts.max(0)
            assert np.allclose((lo + hi) / 2, 0, atol=1e-9) and np.isclose(np.linalg.norm(hi - lo), 1)
            assert 24 <= len(faces) <= 1500, (family, len(faces))  # low-poly: the CPU rasteriser's cost grows with faces
            heights.append(hi[1] - lo[1])
            for p in parts:
                v, f = p.mesh()
                edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
                assert (np.unique(edges, axis=0, return_counts=True)[1] == 2).all(), family  # closed: 2 faces per edge
                tri = v[f]  # (F, 3, 3): outward-facing: positive volume, equal to the inside test's
                volume = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6
                lo_p, hi_p = v.min(0), v.max(0)
                probe = np.random.default_rng(i).uniform(lo_p, hi_p, (20000, 3))
                assert volume > 0 and abs(p.contains(probe).mean() * np.prod(hi_p - lo_p) / volume - 1) < 0.2, family
            occ = solid_occupancy(parts, centre, scale)
            assert ndimage.label(occ, structure=np.ones((3, 3, 3)))[1] == 1, (i, family)  # one connected piece
            holes.append(first_betti_number(occ[::2, ::2, ::2]) > 0)
    assert np.mean(holes) >= 0.4, np.mean(holes)  # through-holes a deformed sphere cannot make
    assert np.ptp(heights) > 0.3  # proportions vary (normalised height)


def f1_at(pred, gt, tree_pred, tree_gt, t=0.05):
    """F1 (percent) of point set pred (N, 3) against gt (M, 3) at distance t."""
    precision = (tree_gt.query(pred, distance_upper_bound=t)[0] < t).mean()
    recall = (tree_pred.query(gt, distance_upper_bound=t)[0] < t).mean()
    return 0.0 if precision + recall == 0 else 200 * precision * recall / (precision + recall)


def test_no_chair_is_a_near_copy_of_another():
    """Nearest-neighbour retrieval must not solve the test split: for 12 chairs, the best of 60 others
    (an oracle that looks at the answer) scores well below a perfect F1@0.05, and one chair predicted for
    all of them scores far lower. 1000 points per chair. Measured here: 81 and 38; on the default build
    (400 training chairs) 88.5 and 55.5, where the earlier generator's chairs gave 99.1 and 69."""
    from scipy.spatial import cKDTree

    points = []
    for i in range(72):
        _, parts, colours, _ = chairs.make_chair(5, i)
        verts, faces, _ = primitives.parts_mesh(parts, *primitives.normalisation(parts), colours)
        points.append(synth.sample_surface(verts, faces, 1000, np.random.default_rng(i))[:1000])  # (1000, 3)
    trees = [cKDTree(p) for p in points]
    best = [max(f1_at(points[j], points[i], trees[j], trees[i]) for j in range(12, 72)) for i in range(12)]
    assert np.mean(best) < 86, best
    assert np.mean([f1_at(points[12], points[i], trees[12], trees[i]) for i in range(12)]) < 55  # one chair for all
