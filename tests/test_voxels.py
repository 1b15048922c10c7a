"""Ground truth of the cache: binvox voxels aligned to the mesh as PyTorch3D's R2N2 does, points on the outer surface."""
import itertools
import json
import os
import shutil

import numpy as np
import pytest
import torch
from pytorch3d.datasets.r2n2.utils import align_bbox, read_binvox_coords

import cli
from occupancy import winding_number
from outer_surface import outer_surface_points
from r2n2_custom import R2N2
from r2n2_layout import SYNSET, model_paths
from utils_vox import canonical_grid_from_binvox, read_binvox, voxel_surface_f1, write_binvox


def box(lo, hi):
    """A closed box mesh with outward triangles: (8, 3) verts, (12, 3) faces."""
    lo, hi = torch.tensor(lo, dtype=torch.float32), torch.tensor(hi, dtype=torch.float32)
    corners = torch.tensor(list(itertools.product([0, 1], repeat=3)), dtype=torch.float32)  # index 4x + 2y + z
    faces = torch.tensor([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                          [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return lo + corners * (hi - lo), faces


def union(*meshes):
    verts = torch.cat([v for v, _ in meshes])
    offsets = np.cumsum([0] + [len(v) for v, _ in meshes])
    return verts, torch.cat([f + int(o) for (_, f), o in zip(meshes, offsets)])


def binvox_tool_grid(boxes, d=32):
    """Solid voxels of a union of boxes the way the binvox tool writes a ShapeNet file: the grid spans the
    model's own bounding cube (translate = bbox min, scale = largest extent), a voxel is set when it touches
    the solid. Returns ((d, d, d) bool in the (z, y, x) frame, translate, scale)."""
    lo = np.min([b[0] for b in boxes], axis=0)
    scale = float(np.max(np.max([b[1] for b in boxes], axis=0) - lo))
    edges = lo[:, None] + np.arange(d + 1)[None] * scale / d  # (3, d + 1) voxel boundaries per axis
    occ = np.zeros((d, d, d), dtype=bool)
    for b_lo, b_hi in boxes:
        touch = [(edges[a, 1:] >= b_lo[a]) & (edges[a, :-1] <= b_hi[a]) for a in range(3)]  # (d,) per axis x, y, z
        occ |= touch[2][:, None, None] & touch[1][None, :, None] & touch[0][None, None, :]
    return occ, tuple(lo), scale


BOX = (np.array([-0.31, -0.17, -0.23]), np.array([0.27, 0.36, 0.12]))


def test_header_is_ignored_and_the_alignment_is_the_official_one(tmp_path):
    verts, _ = box(*BOX)
    occ, translate, scale = binvox_tool_grid([BOX])
    expected = np.zeros((32, 32, 32), dtype=bool)  # every canonical voxel the box touches, by hand
    first, last = np.floor((BOX[0] + 0.5) * 32).astype(int), np.floor((BOX[1] + 0.5) * 32).astype(int)  # x, y, z
    expected[first[2]:last[2] + 1, first[1]:last[1] + 1, first[0]:last[0] + 1] = True
    for name, header in (("tool", (translate, scale)), ("garbage", ((7.0, -3.0, 11.0), 0.01))):
        path = str(tmp_path / f"{name}.binvox")
        write_binvox(path, occ, *header)
        grid = canonical_grid_from_binvox(read_binvox(path)[0], verts)
        assert np.array_equal(grid, expected), name
        # PyTorch3D's own reading: voxel indices aligned to the mesh's bounding box, rounded to our grid.
        coords = align_bbox(read_binvox_coords(open(path, "rb")), verts)  # (N, 3) world xyz
        n = ((coords + 0.5) * 32).floor().long()
        official = np.zeros((32, 32, 32), dtype=bool)
        official[n[:, 2], n[:, 1], n[:, 0]] = True
        assert np.array_equal(grid, official), name
    # A coarser source grid (upsampled into ours) leaves no holes and does not poke out of the box.
    coarse, _, _ = binvox_tool_grid([BOX], d=8)
    assert np.array_equal(canonical_grid_from_binvox(coarse, verts), expected)
    with pytest.raises(ValueError, match="empty"):
        canonical_grid_from_binvox(np.zeros((32, 32, 32), dtype=bool), verts)


def test_aligned_grid_scores_high_against_its_mesh():
    seat = (np.array([-0.3, -0.05, -0.3]), np.array([0.3, 0.05, 0.3]))
    back = (np.array([-0.3, -0.05, 0.2]), np.array([0.3, 0.45, 0.3]))  # overlaps the seat
    verts, faces = union(box(*seat), box(*back))
    occ, _, _ = binvox_tool_grid([seat, back])
    grid = canonical_grid_from_binvox(occ, verts)
    gt = outer_surface_points(verts, faces, 10000, seed=0)
    assert voxel_surface_f1(grid, gt) >= 95
    # The same voxels read with the binvox header instead (the grid put over the cube [-0.5, 0.5]^3) are off.
    assert voxel_surface_f1(occ, gt) < 50


def test_outer_points_of_overlapping_boxes():
    a, b = (np.array([-0.3, -0.2, -0.1]), np.array([0.2, 0.3, 0.25])), (np.array([0.0, -0.1, -0.05]), np.array([0.4, 0.1, 0.05]))
    verts, faces = union(box(*a), box(*b))
    points = outer_surface_points(verts, faces, 5000, seed=3)  # (5000, 3)
    assert points.shape == (5000, 3)
    for lo, hi in (a, b):  # no point strictly inside either box
        strictly = ((points > torch.tensor(lo) + 1e-5) & (points < torch.tensor(hi) - 1e-5)).all(1)
        assert not strictly.any()
    on_b_only = (points[:, 0] > 0.2 + 1e-5).float().mean()  # the part of box b sticking out of a is kept
    assert 0.05 < on_b_only < 0.5
    assert torch.equal(points, outer_surface_points(verts, faces, 5000, seed=3))
    assert not torch.equal(points, outer_surface_points(verts, faces, 5000, seed=4))
    # Boxes touching face to face: the shared patch (x = 0.2, |y| <= 0.1, |z| <= 0.05) is no outer surface.
    c = (np.array([0.2, -0.1, -0.05]), np.array([0.4, 0.1, 0.05]))
    verts, faces = union(box(*a), box(*c))
    points = outer_surface_points(verts, faces, 5000, seed=0)
    patch = ((points[:, 0] - 0.2).abs() < 1e-5) & (points[:, 1].abs() < 0.1 - 1e-5) & (points[:, 2].abs() < 0.05 - 1e-5)
    assert not patch.any() and len(points) == 5000


def test_outer_points_of_one_box_cover_all_faces():
    lo, hi = np.array([-0.3, -0.2, -0.1]), np.array([0.2, 0.3, 0.25])
    verts, faces = box(lo, hi)
    assert torch.allclose(winding_number(verts[faces].mean(1), verts, faces), torch.tensor(0.5), atol=1e-4)  # on the surface
    for f in (faces, faces[:, [0, 2, 1]]):  # a flipped mesh loses nothing either
        points = outer_surface_points(verts, f, 6000, seed=0)
        sizes = hi - lo
        for axis in range(3):
            other = [k for k in range(3) if k != axis]
            area_share = sizes[other].prod() / (sizes[0] * sizes[1] + sizes[1] * sizes[2] + sizes[2] * sizes[0]) / 2
            for plane in (lo[axis], hi[axis]):
                share = ((points[:, axis] - plane).abs() < 1e-5).float().mean().item()
                assert abs(share - area_share) < 0.03, (axis, plane, share, area_share)


def _copy(tiny_dataset, tmp_path):
    data = str(tmp_path / "copy")
    shutil.copytree(tiny_dataset, data, ignore=shutil.ignore_patterns(".r2n2_cache"))
    return data, sorted(json.load(open(os.path.join(data, "split_03001627.json")))["test"][SYNSET])


def test_cache_warns_where_voxels_and_mesh_disagree(tiny_dataset, tmp_path, capsys):
    data, test_ids = _copy(tiny_dataset, tmp_path)
    R2N2("test", data)
    assert "warning" not in capsys.readouterr().err  # the embedded chairs' voxels agree with their meshes
    occ = np.zeros((32, 32, 32), dtype=bool)
    occ[2:6, 2:6, 2:6] = True  # a solid block: aligned, it fills the chair's bounding box
    write_binvox(model_paths(data, test_ids[0])["binvox"], occ)
    R2N2("test", data)
    lines = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(lines) == 1 and test_ids[0] in lines[0] and "F1@0.05 = " in lines[0], lines
    write_binvox(model_paths(data, test_ids[0])["binvox"], np.zeros((32, 32, 32), dtype=bool))
    with pytest.raises(cli.InputError, match=f"voxel file .*{test_ids[0]}.* has no occupied voxel"):
        R2N2("test", data)
