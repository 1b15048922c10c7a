"""The report page's 3D views: what the evaluators save (evaluation.save_shapes: best, median, worst and pictured
chairs, predicted again alone, with their meshes) and what page/view3d.py makes of it (a fragment whose files all lie in
the report folder, data equal to the saved arrays, decimation within its budgets)."""
import json
import os
import re

import numpy as np
import pytest
import torch
from pytorch3d.utils import ico_sphere
from scipy.spatial import cKDTree

from page import view3d
from conftest import checkpoint_of, script_ok
from evaluation import make_predict, save_shapes
from results import shapes_path
from r2n2_custom import R2N2, collate_batched_R2N2

TINY = ["--pretrained", "no", "--num_workers", "0", "--n_points", "200", "--ico_level", "2", "--device", "cpu"]
VIS_FREQ = 3


@pytest.fixture(scope="module")
def mesh_eval(tiny_dataset, tmp_path_factory):
    """A mesh model trained 2 steps and evaluated on the 7-8 train chairs (test has 1-2: too few for best/median/
    worst), in batches of 4, pictures every VIS_FREQ chairs. Returns (checkpoint, run folder)."""
    out = tmp_path_factory.mktemp("v3d")
    ckpt = checkpoint_of(script_ok("train_model.py", *TINY, "--type", "mesh", "--batch_size", "2", "--max_iter", "2",
                                   "--save_freq", "0", "--vis_freq", "0", "--dataset_dir", tiny_dataset,
                                   "--output_dir", out))
    script_ok("eval_model.py", "--type", "mesh", "--checkpoint_path", ckpt, "--output_dir", out, "--dataset_dir",
              tiny_dataset, "--num_workers", "0", "--device", "cpu", "--split", "train", "--vis_freq", VIS_FREQ,
              "--batch_size", "4")
    return ckpt, out / "q2"


def test_eval_saves_best_median_worst_and_pictured_chairs(tiny_dataset, mesh_eval):
    from checkpoint import load_model
    ckpt, run = mesh_eval
    per = json.load(open(run / "metrics_mesh.json"))["per_example_f1@0.05"]  # (N,)
    ds = R2N2("train", tiny_dataset, views="one")
    assert len(per) == len(ds) >= 5
    with np.load(shapes_path(run, "mesh")) as z:
        saved = {key: z[key] for key in z.files}
    index, roles = saved["index"].tolist(), saved["role"].tolist()
    assert saved["f1"].tolist() == [per[i] for i in index]  # the metrics file's numbers, bit for bit
    by_role = {r: i for r, i in zip(roles, index) if r != "shown"}
    assert per[by_role["best"]] == max(per) and per[by_role["worst"]] == min(per)
    assert per[by_role["median"]] == sorted(per)[(len(per) - 1) // 2]
    pictured = [i for i in range(0, len(per), VIS_FREQ) if i not in by_role.values()][:4]
    assert [i for i, r in zip(index, roles) if r == "shown"] == pictured
    assert set(roles) <= {"best", "median", "worst", "shown"} and len(set(index)) == len(index)
    assert all(os.path.isfile(run / "vis" / f"q2_mesh_{i:04d}.png") for i in pictured)

    model, _, _ = load_model(ckpt, "cpu")
    predict = make_predict(model, "mesh", "cpu", with_iou=False)
    for k, i in enumerate(index):
        item = ds[i]
        assert saved["model_id"][k] == item["model_id"] and saved["kind"][k] == "mesh"
        assert np.array_equal(saved[f"gt{k}_verts"], item["verts"].numpy())
        assert np.array_equal(saved[f"gt{k}_faces"], item["faces"].numpy())
        with torch.no_grad():
            _, (verts, faces) = predict(collate_batched_R2N2([item]), i)[3][0]
        assert np.allclose(saved[f"pred{k}_verts"], verts.numpy(), atol=1e-6)
        assert np.array_equal(saved[f"pred{k}_faces"], faces.numpy())


def test_voxels_are_saved_as_the_surface_at_the_isovalue(tiny_dataset, tmp_path):
    """A vox prediction is saved as the marching-cubes surface of the probabilities where they cross the isovalue:
    read the raw logits back at the saved vertices (trilinearly, as marching cubes interpolates along edges)."""
    from model import ModelArgs, build_model
    from utils_vox import grid_probability
    torch.manual_seed(0)
    model = build_model(ModelArgs.from_flags("vox", {"n_points": 200, "ico_level": 2})).eval()
    ds = R2N2("train", tiny_dataset, views="one")
    with torch.no_grad():
        raw = model.prediction(model.encode_batch(collate_batched_R2N2([ds[i] for i in range(3)]), "cpu"),
                               "vox", 32)  # (3, 32, 32, 32) logits
    isovalue = torch.sigmoid(raw.median()).item()  # a level every grid crosses
    results = {"f1": torch.tensor([10.0, 30.0, 20.0])[:, None].repeat(1, 5)}  # (3, T): best 1, median 2, worst 0
    path = str(tmp_path / "shapes_vox.npz")
    assert save_shapes(make_predict(model, "vox", "cpu", isovalue=isovalue, with_iou=False), ds, results, path,
                       0) == [(1, "best"), (2, "median"), (0, "worst")]
    with np.load(path) as z:
        for k, i in enumerate(z["index"].tolist()):
            assert z["kind"][k] == "mesh" and len(z[f"pred{k}_faces"]) > 100
            verts = torch.from_numpy(z[f"pred{k}_verts"])  # (V, 3)
            inside = verts.abs().max(1).values < 0.5 - 1 / 64 - 1e-6  # not on the pad around the grid
            at = grid_probability(torch.sigmoid(raw[i]).unsqueeze(0), verts[inside].unsqueeze(0))[0]  # (V',)
            spread = torch.sigmoid(raw[i]).max() - torch.sigmoid(raw[i]).min()  # untrained: a narrow range
            assert inside.sum() > 100 and (at - isovalue).abs().max() < 0.01 * spread


def test_fragment_files_lie_in_the_report_folder_and_hold_the_saved_arrays(mesh_eval, tmp_path):
    _, run = mesh_eval
    report = tmp_path / "report"
    page = view3d.plotly_script_tag(report) + view3d.view_fragment(shapes_path(run, "mesh"), report, "q2_mesh")
    refs = re.findall(r'(?:src|href|data-src)="([^"]*)"', page)
    assert "js/plotly.min.js" in refs and "view3d/q2_mesh.js" in refs
    for ref in refs:
        assert not re.match(r"^[a-z]+:|^/", ref), ref  # relative, no scheme
        target = os.path.realpath(report / ref)
        assert target.startswith(os.path.realpath(report) + os.sep) and os.path.isfile(target), ref
    text = (report / "view3d" / "q2_mesh.js").read_text()
    prefix = 'window.VIEW3D = window.VIEW3D || {};\nwindow.VIEW3D["q2_mesh"] = '
    assert text.startswith(prefix) and text.endswith(";\n")
    examples = json.loads(text[len(prefix):-2])["examples"]
    with np.load(shapes_path(run, "mesh")) as z:
        assert [e["index"] for e in examples] == z["index"].tolist()
        assert [e["role"] for e in examples] == z["role"].tolist()
        assert [e["model_id"] for e in examples] == z["model_id"].tolist()
        assert [e["f1"] for e in examples] == z["f1"].tolist()
        for k, e in enumerate(examples):
            for side, name in (("pred", f"pred{k}"), ("gt", f"gt{k}")):
                shape, verts, faces = e[side], z[f"{name}_verts"], z[f"{name}_faces"]
                assert shape["n"] == len(faces) <= view3d.FACE_BUDGET  # small: drawn whole
                assert np.abs(np.stack([shape["x"], shape["y"], shape["z"]], 1) - verts).max() <= 0.5e-4 + 1e-7
                assert np.array_equal(np.stack([shape["i"], shape["j"], shape["k"]], 1), faces)
    assert f'<option value="0">{view3d.label(examples[0])}</option>' in page


def test_decimation_keeps_within_budgets_and_small_shapes_whole(tmp_path):
    sphere = ico_sphere(6)
    verts, faces = sphere.verts_packed().numpy(), sphere.faces_packed().numpy()  # (40962, 3), (81920, 3)
    v, f = view3d.decimate_mesh(verts, faces)
    assert 5000 < len(f) <= view3d.FACE_BUDGET and f.min() >= 0 and f.max() == len(v) - 1
    assert np.abs(np.linalg.norm(v, axis=1) - 1).max() < 0.01  # merged vertices stay on the sphere ...
    assert cKDTree(v).query(verts)[0].max() < 0.1  # ... and cover it
    assert (f[:, 0] != f[:, 1]).all() and (f[:, 1] != f[:, 2]).all() and (f[:, 0] != f[:, 2]).all()
    assert len(np.unique(np.sort(f, 1), axis=0)) == len(f)
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), 1)
    assert (np.unique(edges, axis=0, return_counts=True)[1] == 2).mean() > 0.99  # closed almost everywhere
    outward = np.einsum("fd,fd->f", np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), v[f].mean(1))
    assert (outward > 0).mean() > 0.99  # the winding kept

    small = ico_sphere(2)
    sv, sf = small.verts_packed().numpy(), small.faces_packed().numpy()
    assert all(np.array_equal(a, b) for a, b in zip(view3d.decimate_mesh(sv, sf), (sv, sf)))
    points = np.random.default_rng(0).random((10000, 3)).astype(np.float32)
    kept = view3d.decimate_points(points)
    assert len(kept) == view3d.POINT_BUDGET and np.array_equal(kept, view3d.decimate_points(points))
    assert len(np.unique(np.concatenate([points, kept]), axis=0)) == len(points)  # a subset
    assert view3d.decimate_points(points[:100]) is not None and len(view3d.decimate_points(points[:100])) == 100

    npz = tmp_path / "shapes_point.npz"  # a big prediction and ground truth through the data file
    np.savez(npz, index=[0], model_id=["m"], f1=[50.0], role=["best"], kind=["point"], pred0_points=points,
             gt0_verts=verts, gt0_faces=faces)
    example, = view3d.view_data(npz)["examples"]
    assert len(example["pred"]["x"]) == view3d.POINT_BUDGET and example["pred"]["n"] == 10000
    assert len(example["gt"]["i"]) <= view3d.FACE_BUDGET and example["gt"]["n"] == len(faces)


def test_plotly_js_is_copied_once(tmp_path):
    rel = view3d.write_plotly_js(tmp_path)
    path = tmp_path / rel
    assert rel == "js/plotly.min.js" and path.stat().st_size == os.path.getsize(view3d.plotly_js_source())
    stamp = path.stat().st_mtime_ns
    view3d.write_plotly_js(tmp_path)
    assert path.stat().st_mtime_ns == stamp  # not copied again
    path.write_text("truncated")
    view3d.write_plotly_js(tmp_path)
    assert path.stat().st_size == os.path.getsize(view3d.plotly_js_source())
