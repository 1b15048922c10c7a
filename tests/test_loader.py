"""r2n2_custom against the official PyTorch3D loader, the voxel frame against the mesh, and bad input."""
import json
import os
import shutil

import numpy as np
import pytest
import torch
from pytorch3d.datasets import R2N2 as OfficialR2N2

import cli
from metrics import f1_scores, sample_surfaces
from r2n2_custom import R2N2, collate_batched_R2N2
from r2n2_layout import SYNSET
from utils_vox import voxels_to_meshes


def official(dataset_dir, split):
    return OfficialR2N2(split, os.path.join(dataset_dir, "shapenet"), os.path.join(dataset_dir, "r2n2"),
                        os.path.join(dataset_dir, "split_03001627.json"), return_voxels=False, load_textures=False)


def test_items_match_the_official_loader(tiny_dataset):
    ours = R2N2("train", tiny_dataset)
    ref = official(tiny_dataset, "train")
    assert len(ours.model_ids) == len(ref)
    for idx in range(0, len(ours), 3):
        item = ours[idx]
        m = item["model_index"]
        ref_item = ref[m, [item["view"]]]
        assert ref_item["model_id"] == item["model_id"]
        assert item["images"].shape == (137, 137, 3) and item["images"].dtype == torch.float32
        assert torch.allclose(item["images"], ref_item["images"][0], atol=1e-6)
        assert torch.allclose(item["R"], ref_item["R"][0], atol=1e-6)
        assert torch.allclose(item["T"], ref_item["T"][0], atol=1e-6)
        assert torch.allclose(item["K"], ref_item["K"][0])
        assert torch.allclose(item["verts"], ref_item["verts"]) and torch.equal(item["faces"], ref_item["faces"])
        assert item["voxels"].shape == (32, 32, 32) and set(item["voxels"].unique().tolist()) <= {0.0, 1.0}


def test_voxel_frame_lines_up_with_the_mesh(tiny_dataset):
    """The surface extracted from the ground-truth voxels lands on the ground-truth mesh, no re-centring."""
    ds = R2N2("train", tiny_dataset, views="one")
    batch = collate_batched_R2N2([ds[i] for i in range(len(ds))])
    surfaces = voxels_to_meshes(batch["voxels"])
    points, lengths = sample_surfaces([v for v, _ in surfaces], [f for _, f in surfaces])
    f1 = f1_scores(points, lengths, batch["points"])["f1"]  # (B, T)
    assert f1[:, -1].min() > 90, f1[:, -1]  # F1@0.05: a 32^3 grid is within half a voxel (0.016) of the surface
    # A grid shifted by three voxels (0.094) along x is clearly worse: the metric sees frame errors.
    shifted = voxels_to_meshes(torch.roll(batch["voxels"], 3, dims=3))
    points, lengths = sample_surfaces([v for v, _ in shifted], [f for _, f in shifted])
    assert f1_scores(points, lengths, batch["points"])["f1"][:, -1].mean() < f1[:, -1].mean() - 15


def test_cache_is_reused_and_invalidated(tiny_dataset, tmp_path):
    data = str(tmp_path / "copy")
    shutil.copytree(tiny_dataset, data, ignore=shutil.ignore_patterns(".r2n2_cache"))
    R2N2("test", data)
    meta = os.path.join(data, ".r2n2_cache", SYNSET, "test", "meta.json")
    first = os.stat(meta).st_mtime_ns
    R2N2("test", data)
    assert os.stat(meta).st_mtime_ns == first  # reused
    model_id = json.load(open(os.path.join(data, "split_03001627.json")))["test"][SYNSET]
    model_id = next(iter(model_id))
    png = os.path.join(data, "r2n2", "ShapeNetRendering", SYNSET, model_id, "rendering", "00.png")
    os.utime(png, ns=(first + 10**9, first + 10**9))
    R2N2("test", data)
    assert os.stat(meta).st_mtime_ns != first  # rebuilt after a source changed


def test_one_view_per_model(tiny_dataset):
    ds = R2N2("train", tiny_dataset, views="one")
    assert len(ds) == len(ds.model_ids)
    assert [ds[i]["model_index"] for i in range(len(ds))] == list(range(len(ds)))
    assert len({ds[i]["view"] for i in range(len(ds))}) > 1  # views spread over the models


def _bad_copy(tiny_dataset, tmp_path, edit):
    data = str(tmp_path / "bad")
    shutil.copytree(tiny_dataset, data, ignore=shutil.ignore_patterns(".r2n2_cache"))
    split_path = os.path.join(data, "split_03001627.json")
    splits = json.load(open(split_path))
    edit(data, splits)
    json.dump(splits, open(split_path, "w"))
    return data


def test_clear_errors(tiny_dataset, tmp_path):
    with pytest.raises(cli.InputError, match="nowhere .from --dataset_dir. does not exist"):
        R2N2("train", str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(cli.InputError, match="split_03001627.json"):
        R2N2("train", str(tmp_path / "empty"))
    with pytest.raises(cli.InputError, match="split 'nosuch' is not in"):
        R2N2("nosuch", tiny_dataset)
    data = _bad_copy(tiny_dataset, tmp_path, lambda d, s: s["train"][SYNSET].update({"../../etc": [0]}))
    with pytest.raises(cli.InputError, match="not a plain folder name"):
        R2N2("train", data)
    shutil.rmtree(data)
    data = _bad_copy(tiny_dataset, tmp_path, lambda d, s: s["train"][SYNSET].update({"absent123": [0]}))
    with pytest.raises(cli.InputError, match="missing files.*absent123"):
        R2N2("train", data)
    shutil.rmtree(data)

    def corrupt_png(d, s):
        model_id = next(iter(s["test"][SYNSET]))
        with open(os.path.join(d, "r2n2", "ShapeNetRendering", SYNSET, model_id, "rendering", "00.png"), "wb") as f:
            f.write(b"not a png")
    data = _bad_copy(tiny_dataset, tmp_path, corrupt_png)
    with pytest.raises(cli.InputError, match="cannot read image .*00.png"):
        R2N2("test", data)


def test_binvox_roundtrip(tmp_path):
    from utils_vox import read_binvox, write_binvox

    rng = np.random.default_rng(0)
    occ = rng.random((32, 32, 32)) > 0.7
    occ[0, 0, :] = True  # long runs are split at 255
    path = str(tmp_path / "a.binvox")
    write_binvox(path, occ)
    back, translate, scale = read_binvox(path)
    assert np.array_equal(back, occ) and np.allclose(translate, -0.5) and scale == 1.0
    # The official reader sees the same voxels with (x, y, z) = (i, j, k) of our (z, y, x) frame.
    from pytorch3d.datasets.r2n2.utils import read_binvox_coords

    coords = read_binvox_coords(open(path, "rb")).long()  # (N, 3) x, y, z
    ours = np.stack(np.nonzero(occ)[::-1], axis=1)  # (N, 3) x, y, z
    assert sorted(map(tuple, coords.tolist())) == sorted(map(tuple, ours.tolist()))
    with pytest.raises(ValueError, match="invalid voxel file"):
        open(str(tmp_path / "b.binvox"), "wb").write(b"#binvox 1\ndim 2 2 2\ndata\n\x01\x03")
        read_binvox(str(tmp_path / "b.binvox"))
