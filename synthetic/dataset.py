"""Writing the embedded dataset: procedural objects of the R2N2 classes (synthetic/chairs.py, airplanes.py, ...) in the
real R2N2 layout. The default is the writeup's: 500 chairs.

For every model it writes what R2N2 has (<synset> 03001627 for the chairs, r2n2_layout.CLASSES for the others):
  shapenet/<synset>/<id>/model.obj                  the mesh, ShapeNetCore v1 normalisation (bounding box
                                                    centred at the origin, diagonal 1), +y up, front +z
  r2n2/ShapeNetRendering/<synset>/<id>/rendering/   V 137x137 RGBA PNGs (alpha = silhouette, background
                                                    RGB 0), rendering_metadata.txt, renderings.txt
  r2n2/ShapeNetVoxels/<synset>/<id>/model.binvox    a solid 32^3 grid (every voxel that touches the solid)
                                                    over the model's own bounding cube, as ShapeNet's
                                                    binvox files: translate = bbox minimum, scale = the
                                                    largest extent
and split_03001627.json (80 / 5 / 15 % train / val / test of each class) plus families.json (the family of each
model). Several classes go into splits.json (every class, as PyTorch3D's R2N2 reads it) and, when the chairs are
among them, split_03001627.json too (the chairs, as the course starter reads them). A class set has PER_CLASS models
per class by default, shared equally or as the real R2N2 split shares them (REAL_SIZES, at least 3 a class).
With `shapenet_like`, model.obj is instead the object as synthetic/shapenet_like.py writes it: ShapeNet's face counts
(10k-100k) and mess (a soup of groups, duplicated and double-sided parts, flipped faces, holes, quads, a
missing model.mtl), on the same surface; mess.json records each model's mess. Every other file is the
default build's, byte for byte: the renderings, voxels and cameras come from the clean object.
The views are rendered with PyTorch3D through the very cameras that pytorch3d.datasets.R2N2 rebuilds
from rendering_metadata.txt (R2N2's ranges: azimuth [0, 360), elevation [25, 30), dist_ratio
[0.65, 0.95), fov written as 25 and, as in R2N2, not applied).

The same seed gives the same dataset, byte for byte on AVX2 and AVX-512 CPUs (render_views says how). The
dataset is built in a temporary folder and renamed when complete, so an interrupted build never looks like a
dataset. The command line is make_synthetic_dataset.py.
"""
import hashlib
import importlib
import json
import multiprocessing as mp
import os
import shutil

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from cli import InputError
from r2n2_layout import ALL_SPLITS_FILE, CLASSES, NAMES, SPLITS_FILE, SYNSET, dataset_synsets, is_dataset, model_paths, \
    parse_classes, r2n2_camera, split_size
from runtime import remove_stale_tmp
from synthetic.primitives import normalisation, parts_mesh
from synthetic.shapenet_like import messy_obj
from utils_vox import VOX_SIZE, write_binvox

# Each class's generator: synthetic.<module>.<function>(seed, index) -> (family, parts, colours per part, material).
GENERATORS = {"airplane": ("airplanes", "make"), "bench": ("benches", "make"), "cabinet": ("cabinets", "make"),
              "car": ("cars", "make"), "chair": ("chairs", "make_chair"), "display": ("displays", "make"),
              "lamp": ("lamps", "make"), "loudspeaker": ("loudspeakers", "make"), "rifle": ("rifles", "make"),
              "sofa": ("sofas", "make"), "table": ("tables", "make"), "telephone": ("telephones", "make"),
              "vessel": ("vessels", "make")}
assert set(GENERATORS) == set(CLASSES)
# Models per class in the standard R2N2 split (train + val + test, as Pix2Vox's ShapeNet.json and Mesh R-CNN's
# split lay it out; 43,784 in all): the shares of `shares="real"` and bench_cache.py's projection.
REAL_SIZES = {"airplane": 4045, "bench": 1816, "cabinet": 1572, "car": 7497, "chair": 6778, "display": 1095,
              "lamp": 2318, "loudspeaker": 1618, "rifle": 2372, "sofa": 3173, "table": 8509, "telephone": 1052,
              "vessel": 1939}
PER_CLASS = 60  # the default size of a class set: 780 models over the thirteen, 6 min 14 s on 2 Intel Xeon cores (469a8d6)


def generator(name):
    """The function that makes model `index` of class `name` (see GENERATORS)."""
    module, function = GENERATORS[name]
    return getattr(importlib.import_module(f"synthetic.{module}"), function)


def class_sizes(synsets, num_models, shares):
    """{synset: models}: `num_models` over the classes, equally or in the real split's shares (largest remainder),
    at least 3 per class (one per split)."""
    weights = np.array([1.0 if shares == "equal" else REAL_SIZES[NAMES[s]] for s in synsets])
    exact = num_models * weights / weights.sum()
    sizes = np.floor(exact).astype(int)
    sizes[np.argsort(sizes - exact)[:num_models - sizes.sum()]] += 1
    return {s: max(3, int(n)) for s, n in zip(synsets, sizes)}


def voxelize(parts, centre, scale, surface_points, d=VOX_SIZE, sub=4):
    """The solid's voxels as the binvox tool writes ShapeNet's: over the model's own bounding cube.

    The cube is anchored at the normalised mesh's bounding-box minimum and as wide as its largest extent,
    so the grid is as fine as it can be. A voxel is occupied when the solid touches it: its interior
    (tested on sub^3 points per voxel, so parts thinner than a voxel are kept) or a point of the surface
    (so slivers thinner than the sub-sampling are kept too).

    Returns occ (d, d, d) bool in the (z, y, x) order of utils_vox.write_binvox, translate (3,) the
    cube's minimum corner (x, y, z) and size, its side: voxel (i, j, k) spans translate + [i, i+1] * size / d.
    """
    verts = np.concatenate([(p.mesh()[0] - centre) * scale for p in parts])
    translate = verts.min(0)
    size = float((verts.max(0) - translate).max())
    to_index = lambda x: np.floor((x - translate) / size * d).astype(int).clip(0, d - 1)  # (N, 3) x, y, z
    occ = np.zeros((d, d, d), bool)
    idx = to_index(surface_points)
    occ[idx[:, 2], idx[:, 1], idx[:, 0]] = True
    offsets = (np.arange(sub) + 0.5) / sub
    for p in parts:
        v = (p.mesh()[0] - centre) * scale
        lo, hi = to_index(v.min(0)), to_index(v.max(0))
        # sample points of the voxel block [lo, hi] (x, y, z indices), in the normalised frame
        axes = [translate[a] + (np.arange(lo[a], hi[a] + 1)[:, None] + offsets[None]).reshape(-1) * size / d for a in range(3)]
        X, Y, Z = np.meshgrid(*axes, indexing="ij")
        pts = np.stack([X, Y, Z], -1).reshape(-1, 3)
        inside = p.contains(pts / scale + centre)
        n = [hi[a] - lo[a] + 1 for a in range(3)]
        block = inside.reshape(n[0], sub, n[1], sub, n[2], sub).any(axis=(1, 3, 5))  # (nx, ny, nz)
        occ[lo[2]:hi[2] + 1, lo[1]:hi[1] + 1, lo[0]:hi[0] + 1] |= block.transpose(2, 1, 0)
    return occ, translate, size


def sample_surface(verts, faces, n, rng):
    """n points uniformly on the surface of a triangle mesh (area-weighted), plus its vertices."""
    tri = verts[faces]  # (F, 3, 3)
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    face = rng.choice(len(faces), size=n, p=area / area.sum())
    u, v = rng.random(n), rng.random(n)
    flip = u + v > 1
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    t = tri[face]
    points = t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0])
    return np.concatenate([points, verts])


def write_obj(path, verts, faces):
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in verts] + [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def render_views(verts, faces, colours, material, cameras_rtk):
    """(V, 137, 137, 4) uint8 RGBA renders through the R2N2 cameras, the same bytes on AVX2 and AVX-512 CPUs.

    Why float64 around the rasterizer: in float32 the camera transform and the shading are ATen's vectorized
    kernels, which round differently on AVX2 and AVX-512, and about 6 % of the embedded dataset's pictures came out
    a pixel apart (a silhouette edge, or a channel 1/255 off), so one seed gave two datasets. The vertices are
    projected in float64 (as MeshRasterizer.transform projects them for a BlenderCamera: view = x R + T, NDC = the
    view through K, divided by w; z = the view depth) and rounded once to float32 for PyTorch3D's rasterizer, whose
    CPU code is the same instructions everywhere; the Phong shading reads those fragments in float64. A float64
    difference of a few ulps then moves no byte, short of a value within 1e-16 of a rounding edge. (Tested with
    torch held to AVX2 on an AVX-512 machine; ARM runs another build of the rasterizer, not checked.)
    """
    from pytorch3d.datasets.r2n2.utils import BlenderCamera
    from pytorch3d.renderer import BlendParams, HardPhongShader, Materials, PointLights, TexturesVertex
    from pytorch3d.renderer.mesh.rasterize_meshes import rasterize_meshes
    from pytorch3d.renderer.mesh.rasterizer import Fragments
    from pytorch3d.structures import Meshes

    R, T, K = (torch.stack(x).double() for x in zip(*cameras_rtk))  # (V, 3, 3), (V, 3), (V, 4, 4)
    n = len(R)
    verts = torch.tensor(verts, dtype=torch.float64)  # (N, 3)
    faces = torch.tensor(faces)  # (F, 3)
    view = verts @ R + T[:, None]  # (V, N, 3) row vectors, as PyTorch3D's world -> view
    clip = torch.nn.functional.pad(view, (0, 1), value=1.0) @ K.transpose(1, 2)  # (V, N, 4)
    ndc = torch.cat([clip[..., :2] / clip[..., 3:], view[..., 2:]], -1)  # (V, N, 3)
    projected = Meshes(list(ndc.float()), [faces] * n)
    # MeshRasterizer's settings for these cameras (not perspective-correct: BlenderCamera.is_perspective() is False)
    fragments = Fragments(*rasterize_meshes(projected, image_size=137, faces_per_pixel=1))

    cams = BlenderCamera(R=R, T=T, K=K)
    centre = cams.get_camera_center()  # (V, 3)
    f64 = lambda *rgb: torch.tensor([rgb], dtype=torch.float64)
    lights = PointLights(location=centre + f64(0.4, 1.0, 0.3), ambient_color=f64(*(0.35,) * 3),
                         diffuse_color=f64(*(0.65,) * 3), specular_color=f64(*(material[1],) * 3))
    materials = Materials(ambient_color=f64(1, 1, 1), diffuse_color=f64(1, 1, 1), specular_color=f64(1, 1, 1),
                          shininess=material[0])
    tex = TexturesVertex(torch.tensor(colours, dtype=torch.float64)[None])
    mesh = Meshes([verts], [faces], textures=tex).extend(n)
    shader = HardPhongShader(cameras=cams, lights=lights, materials=materials,
                             blend_params=BlendParams(background_color=torch.zeros(3, dtype=torch.float64)))
    with torch.no_grad():
        img = shader(fragments, mesh)  # (V, 137, 137, 4) float64, alpha 1 on the object, 0 elsewhere
    rgba = (img.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    rgba[..., :3] *= (rgba[..., 3:] > 0)  # background RGB exactly 0
    return rgba


def model_id(seed, index, name="chair"):
    return hashlib.md5(f"synthetic-{name}-{seed}-{index}".encode()).hexdigest()


def build_model(job):
    """Write every file of one model under `root`; returns (synset, model id, family, mess), mess None unless
    shapenet_like.

    The ShapeNet-like mesh draws from a random stream of its own (its target face count:
    `target_faces`, or log-uniform in [10k, 100k]), so the other files are those of the default build."""
    root, name, seed, index, views, shapenet_like, target_faces = job
    torch.set_num_threads(1)
    family, parts, colours, material = generator(name)(seed, index)
    centre, scale = normalisation(parts)
    verts, faces, _ = parts_mesh(parts, centre, scale, colours)
    mid = model_id(seed, index, name)
    paths = model_paths(root, mid, CLASSES[name])
    ren_dir = paths["rendering"]
    for f in (paths["obj"], paths["binvox"], paths["metadata"]):
        os.makedirs(os.path.dirname(f), exist_ok=True)
    mess = None
    if shapenet_like:
        mess_rng = np.random.default_rng([seed, index, 3])
        target = round(np.exp(mess_rng.uniform(np.log(1e4), np.log(1e5))))
        text, mess = messy_obj(parts, centre, scale, mess_rng, target if target_faces is None else target_faces)
        with open(paths["obj"], "w") as f:
            f.write(text)
    else:
        write_obj(paths["obj"], verts, faces)
    rng = np.random.default_rng([seed, index, 1])
    surface = sample_surface(verts, faces, 50000, rng)
    occ, translate, size = voxelize(parts, centre, scale, surface)
    write_binvox(paths["binvox"], occ, translate, size)
    meta = np.stack([rng.uniform(0, 360, views), rng.uniform(25, 30, views), rng.uniform(0.65, 0.95, views)], 1)
    lines = [f"{a:.6f} {e:.6f} 0 {r:.6f} 25" for a, e, r in meta]  # azim elev yaw dist_ratio fov
    rows = [[float(w) for w in line.split()] for line in lines]  # the rounded values a loader reads back
    cams = [r2n2_camera(azim, elev, dist_ratio) for azim, elev, _, dist_ratio, _ in rows]
    images = render_views(*parts_mesh(parts, centre, scale, colours, for_render=True), material, cams)
    for v in range(views):
        Image.fromarray(images[v], "RGBA").save(os.path.join(ren_dir, "%02d.png" % v))
    with open(paths["metadata"], "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(ren_dir, "renderings.txt"), "w") as f:
        f.write("\n".join("%02d.png" % v for v in range(views)) + "\n")
    return CLASSES[name], mid, family, mess


def _split_members(ids, synset, views, seed):
    """One class's 80 / 5 / 15 % train / val / test, disjoint, a function of the seed; every model lists all its
    views. The chairs' permutation is the one the chair-only dataset has always had."""
    n = len(ids)
    order = np.random.default_rng([seed, 2**31] + ([] if synset == SYNSET else [int(synset)])).permutation(n)
    n_test, n_val = max(1, round(0.15 * n)), max(1, round(0.05 * n))
    members = {"train": order[n_test + n_val:], "val": order[n_test:n_test + n_val], "test": order[:n_test]}
    return {name: {ids[i]: list(range(views)) for i in sorted(idx)} for name, idx in members.items()}


def _write_splits(root, ids_by_synset, views, seed):
    """split_03001627.json for the chairs; splits.json (written last) too when there are other classes."""
    members = {s: _split_members(ids, s, views, seed) for s, ids in ids_by_synset.items()}
    files = {SPLITS_FILE: [SYNSET]} if SYNSET in members else {}
    if list(members) != [SYNSET]:
        files[ALL_SPLITS_FILE] = list(members)
    for name, synsets in files.items():
        splits = {split: {s: members[s][split] for s in synsets} for split in ("train", "val", "test")}
        with open(os.path.join(root, name), "w") as f:
            json.dump(splits, f, indent=1)


def build_dataset(out, num_models=500, views=24, seed=0, workers=2, quiet=False, force=False, shapenet_like=False,
                  faces=None, classes="chair", shares="equal"):
    """Build the dataset into the folder `out` (see the module docstring) and return its absolute path.

    `classes` (a --classes value) with `num_models` in all (None: 500 chairs alone, else PER_CLASS per class),
    shared over the classes equally or as the real split (`shares` "equal" or "real").
    `shapenet_like` writes ShapeNet-like meshes with `faces` faces each (the nearest a subdivision level
    gives, within a factor 2; an int, or {class name: faces} with the others drawn), or a count drawn per model
    log-uniformly in [10k, 100k] when None.

    Everything is written into `out`.tmp-<pid> and renamed to `out` once complete, so a folder named
    `out` always holds a whole dataset. Refuses (InputError) when `out` already holds one, unless
    `force`, and never deletes a folder that is not a dataset.
    """
    synsets = parse_classes(classes)
    if shares not in ("equal", "real"):
        raise InputError(f"--shares must be equal or real, not {shares}")
    if num_models is None:
        num_models = 500 if synsets == [SYNSET] else PER_CLASS * len(synsets)
    if num_models < 3 * len(synsets):
        raise InputError(f"--num_models must be at least 3 per class (one model per split), {3 * len(synsets)} "
                         f"for {len(synsets)} classes, not {num_models}")
    if not 1 <= views <= 24:
        raise InputError(f"--views must be between 1 and 24 (R2N2 has 24), not {views}")
    if faces is not None and not shapenet_like:
        raise InputError("--faces sets the ShapeNet-like meshes' face count; pass --shapenet_like with it")
    per_class_faces = faces if isinstance(faces, dict) else {NAMES[s]: faces for s in synsets}
    for count in per_class_faces.values():
        if count is not None and not 1000 <= count <= 1_000_000:
            raise InputError(f"--faces must be between 1000 and 1000000 (ShapeNet's chairs: 10k-100k), not {count}")
    out = os.path.abspath(out)
    if is_dataset(out) and not force:
        raise InputError(f"{out} already holds a dataset; pass --force to rebuild it")
    if os.path.exists(out) and not is_dataset(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise InputError(f"{out} exists and is not a dataset; remove it or choose another --out")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    remove_stale_tmp(out)
    tmp = f"{out}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        sizes = class_sizes(synsets, num_models, shares)
        jobs = [(tmp, NAMES[s], seed, i, views, shapenet_like, per_class_faces.get(NAMES[s]))
                for s, n in sizes.items() for i in range(n)]
        what = "chair" if synsets == [SYNSET] else "model"
        progress = dict(total=len(jobs), desc=f"building {what}s", unit=what, disable=quiet)
        if workers > 1:
            with mp.get_context("fork").Pool(workers) as pool:
                results = list(tqdm(pool.imap(build_model, jobs, chunksize=2), **progress))
        else:
            threads = torch.get_num_threads()  # build_model holds torch to one thread, as in a pool process;
            try:  # a caller that builds in its own process (the tests' fixtures) gets its thread count back
                results = [build_model(job) for job in tqdm(jobs, **progress)]
            finally:
                torch.set_num_threads(threads)
        ids = [mid for _, mid, _, _ in results]
        assert len(set(ids)) == len(ids), "model ids collide"
        with open(os.path.join(tmp, "families.json"), "w") as f:
            json.dump({mid: family for _, mid, family, _ in results}, f, indent=1)
        if shapenet_like:
            with open(os.path.join(tmp, "mess.json"), "w") as f:
                json.dump({mid: mess for _, mid, _, mess in results}, f, indent=1)
        by_synset = {s: [mid for synset, mid, _, _ in results if synset == s] for s in synsets}
        _write_splits(tmp, by_synset, views, seed)  # last: the split files mark a complete dataset
        old = f"{out}.old-{os.getpid()}"
        if os.path.isdir(out):
            os.replace(out, old)  # a dataset (with force) or an empty folder
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def describe_dataset(root):
    """"500 chairs" or "780 models of 13 classes (airplane 60, ...)": what a built dataset holds."""
    sizes = {NAMES.get(s, s): split_size(root, "train", [s]) + split_size(root, "val", [s]) + split_size(root, "test", [s])
             for s in dataset_synsets(root)}
    if list(sizes) == ["chair"]:
        return f"{sizes['chair']} chairs"
    return f"{sum(sizes.values())} models of {len(sizes)} classes ({', '.join(f'{k} {v}' for k, v in sizes.items())})"
