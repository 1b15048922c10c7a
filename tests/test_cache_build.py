"""The cache build of r2n2_cache.py: a pool builds what one process builds, an interrupted build (SIGKILL, Ctrl-C)
resumes from its records, bad models are skipped by name, encoder features stay out of the fingerprint, the lock
lets one process build while another waits, stale folders are cleared, ShapeNet-like meshes go through.

Builds that must be interrupted run in a subprocess whose `_cache_model` is the real one, except that chosen
models write junk into their rows of the memory maps and then hang, as a model cut off mid-write: the test
interrupts it at a known state instead of racing a timer."""
import glob
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from pytorch3d.io import load_obj

import cli
import r2n2_cache
import r2n2_custom
from r2n2_custom import R2N2
from r2n2_layout import SPLITS_FILE, SYNSET, model_paths, read_png, read_split, view_png
from utils_vox import write_binvox

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N_POINTS = 2000  # per model: a fifth of the default, the same code path

# Run by a subprocess: argv[1] is a JSON config (see `start_build`); prints a digest of what its R2N2 loaded.
BUILD_SCRIPT = r"""
import hashlib, json, os, sys, time
cfg = json.loads(sys.argv[1])
sys.path.insert(0, cfg["repo"])
import numpy as np
import r2n2_cache
import r2n2_custom

real = r2n2_cache._cache_model


def cache_model(m):
    if m in cfg["stall"]:  # junk in this model's rows, then hang: a model cut off mid-write
        first, end = r2n2_cache._JOB["item_start"][m:m + 2]
        r2n2_cache._rows("images")[first:end] = 255
        r2n2_cache._rows("points")[m] = 7.0
        r2n2_cache._rows("normals")[m] = 7.0
        for name in ("images", "points", "normals"):
            r2n2_cache._rows(name).flush()
        open(os.path.join(cfg["marks"], f"stalled-{m}-{os.getpid()}"), "w").close()
        time.sleep(300)
    time.sleep(cfg["delay"])
    return real(m)


r2n2_cache._cache_model = cache_model
if cfg["wait_go"]:  # both processes imported everything: start together
    open(os.path.join(cfg["marks"], f"ready-{os.getpid()}"), "w").close()
    while not os.path.exists(os.path.join(cfg["marks"], "go")):
        time.sleep(0.002)
ds = r2n2_custom.R2N2("train", cfg["data"], n_points=cfg["n_points"])
arrays = dict(images=ds.images, points=ds.points, normals=ds.normals, voxels=ds.voxels, verts=ds.verts, faces=ds.faces,
              R=ds.R.numpy(), T=ds.T.numpy(), item_model=ds.item_model, item_view=ds.item_view)
print(json.dumps(dict({k: hashlib.sha1(np.ascontiguousarray(v).tobytes()).hexdigest() for k, v in arrays.items()},
                      model_ids=ds.model_ids)))
"""


def copy_dataset(src, dst):
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".r2n2_cache"))
    return str(dst)


def all_in_train(data):
    """Put every model of the dataset in the train split (val and test unchanged); returns the train model ids."""
    path = os.path.join(data, SPLITS_FILE)
    splits = json.load(open(path))
    models = {}
    for name in ("train", "val", "test"):
        models.update(splits[name][SYNSET])
    splits["train"][SYNSET] = dict(sorted(models.items()))
    json.dump(splits, open(path, "w"))
    return list(splits["train"][SYNSET])


def build(monkeypatch, data, root, workers=1, **kw):
    """R2N2's train split of `data` with its cache under `root`, built by `workers` processes."""
    monkeypatch.setenv("R2N2_CACHE_DIR", str(root))
    monkeypatch.setenv("R2N2_CACHE_WORKERS", str(workers))
    return R2N2("train", data, n_points=N_POINTS, **kw)


def assert_same_cache(a, b):
    """Every .npy of two cache folders byte for byte, and the same meta.json and build report (timings aside)."""
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a, "*.npy")))
    assert names == sorted(os.path.basename(p) for p in glob.glob(os.path.join(b, "*.npy")))
    assert {"images.npy", "points.npy", "normals.npy", "voxels.npy", "verts.npy", "R.npy"} <= set(names)
    for name in names:
        with open(os.path.join(a, name), "rb") as fa, open(os.path.join(b, name), "rb") as fb:
            assert fa.read() == fb.read(), name
    assert json.load(open(os.path.join(a, "meta.json"))) == json.load(open(os.path.join(b, "meta.json")))
    report_a, report_b = (json.load(open(os.path.join(c, "build_report.json"))) for c in (a, b))
    for report in (report_a, report_b):
        del report["seconds_per_model"]
    assert report_a == report_b


def records(root):
    """The model indices that have a record in the build folder(s) under `root`."""
    return sorted(int(os.path.basename(p)[:6]) for p in glob.glob(os.path.join(str(root), SYNSET, "train.build-*", "models",
                                                                               "[0-9]" * 6 + ".npz")))


def start_build(data, root, marks, workers, stall=(), delay=0.0, wait_go=False):
    os.makedirs(marks, exist_ok=True)
    cfg = dict(repo=REPO, data=data, marks=str(marks), stall=list(stall), delay=delay, wait_go=wait_go,
               n_points=N_POINTS)
    env = dict(os.environ, R2N2_CACHE_DIR=str(root), R2N2_CACHE_WORKERS=str(workers), OMP_NUM_THREADS="1")
    env.pop("R2N2_MAX_SKIPPED", None)
    return subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT, json.dumps(cfg)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(condition, proc, what, timeout=120):
    end = time.time() + timeout
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the build exited (code {proc.returncode}) before {what}:\n{out}\n{err[-3000:]}")
        if time.time() > end:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def stalled_pids(marks):
    return [int(p.rsplit("-", 1)[1]) for p in glob.glob(os.path.join(str(marks), "stalled-*"))]


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture(scope="module")
def dataset(tiny_dataset, tmp_path_factory):
    """A copy of the tiny dataset (train: 7 chairs x 4 views) that tests only read: their caches go elsewhere."""
    return copy_dataset(tiny_dataset, tmp_path_factory.mktemp("cache_build") / "data")


@pytest.fixture(scope="module")
def reference(dataset, tmp_path_factory):
    """The train cache of `dataset` built by one process, uninterrupted."""
    root = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as mp:
        build(mp, dataset, root, workers=1)
    return str(root / SYNSET / "train")


def test_parallel_build_equals_serial(dataset, reference, tmp_path, monkeypatch):
    ds = build(monkeypatch, dataset, tmp_path, workers=2)
    assert len(ds.model_ids) == 7 and len(ds) == 28
    assert_same_cache(str(tmp_path / SYNSET / "train"), reference)


def test_normals_are_cached_unit_and_outward(dataset, reference, monkeypatch):
    """Each surface point's cached normal is unit and points out of the solid: libigl's exact winding number of the
    mesh as written (clean, outward-facing chairs) is about 0 just off the point along it and about 1 against it."""
    import igl

    ds = build(monkeypatch, dataset, os.path.dirname(os.path.dirname(reference)), return_normals=True)  # the reference cache, loaded
    assert "normals" not in build(monkeypatch, dataset, os.path.dirname(os.path.dirname(reference)))[5]  # training's items: none
    item = ds[5]
    assert item["normals"].shape == (N_POINTS, 3) and item["normals"].dtype == torch.float32
    batch = r2n2_custom.collate_batched_R2N2([ds[i] for i in range(3)])
    assert batch["normals"].shape == (3, N_POINTS, 3) and torch.equal(batch["normals"][1], ds[1]["normals"])
    for m in range(len(ds.model_ids)):
        verts, faces = ds.mesh(m)
        points, normals = np.array(ds.points[m], np.float64), np.array(ds.normals[m], np.float64)  # (P, 3) each
        assert np.abs(np.linalg.norm(normals, axis=1) - 1).max() < 1e-6
        w = igl.winding_number(verts.double().numpy(), faces.numpy(), np.concatenate([points + 1e-3 * normals,
                                                                                      points - 1e-3 * normals]))
        outside, inside = np.abs(w[:N_POINTS]) < 0.5, np.abs(w[N_POINTS:]) > 0.5  # (P,) each
        assert outside.mean() > 0.98 and inside.mean() > 0.98, (m, outside.mean(), inside.mean())  # 99.5-100 %


def test_a_cache_of_the_previous_version_is_rebuilt(dataset, reference, tmp_path, monkeypatch, capfd):
    """A version 3 cache (points, no normals) is rebuilt, not loaded: the fingerprint holds CACHE_VERSION."""
    monkeypatch.setattr(r2n2_cache, "CACHE_VERSION", 3)
    build(monkeypatch, dataset, tmp_path)
    os.remove(tmp_path / SYNSET / "train" / "normals.npy")  # as version 3 wrote it
    monkeypatch.undo()
    capfd.readouterr()
    ds = build(monkeypatch, dataset, tmp_path)
    assert "caching chair train split" in capfd.readouterr().err
    assert_same_cache(str(tmp_path / SYNSET / "train"), reference)
    assert ds.normals.shape == (7, N_POINTS, 3)


def test_resume_after_sigkill(dataset, reference, tmp_path, monkeypatch, capfd):
    root, marks = tmp_path / "cache", tmp_path / "marks"
    proc = start_build(dataset, root, marks, workers=1, stall=[3])
    wait_for(lambda: stalled_pids(marks), proc, "model 3 hung mid-write")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert records(root) == [0, 1, 2]  # one process: models in order, 3 cut off mid-write
    build_dir, = glob.glob(str(root / SYNSET / "train.build-*"))
    with open(os.path.join(build_dir, "models", "000004.tmp99999.npz"), "wb") as f:
        f.write(b"a record cut off before its rename")
    capfd.readouterr()

    done = []

    def counting(m, real=r2n2_cache._cache_model):
        done.append(m)
        return real(m)

    monkeypatch.setattr(r2n2_cache, "_cache_model", counting)
    build(monkeypatch, dataset, root, workers=1)
    assert done == [3, 4, 5, 6]  # only the models without a record (so the three records were not rewritten)
    assert "resuming the chair train cache: 3 of 7 models done before" in capfd.readouterr().err
    assert_same_cache(str(root / SYNSET / "train"), reference)  # model 3's junk rows were overwritten
    assert sorted(os.listdir(root / SYNSET)) == ["train", "train.lock"]


def test_ctrl_c_stops_the_pool_and_the_rerun_resumes(dataset, reference, tmp_path, monkeypatch, capfd):
    root, marks = tmp_path / "cache", tmp_path / "marks"
    proc = start_build(dataset, root, marks, workers=2, stall=[4, 5])
    try:
        wait_for(lambda: len(stalled_pids(marks)) == 2 and records(root) == [0, 1, 2, 3], proc,
                 "both workers hung on models 4 and 5")
        proc.send_signal(signal.SIGINT)  # the parent only: the workers ignore SIGINT, the parent stops them
        _, err = proc.communicate(timeout=60)
        assert proc.returncode != 0 and "KeyboardInterrupt" in err, err[-3000:]
        end = time.time() + 10
        while any(alive(pid) for pid in stalled_pids(marks)) and time.time() < end:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in stalled_pids(marks)), "workers left running after Ctrl-C"
    finally:
        for pid in [proc.pid] + stalled_pids(marks):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert records(root) == [0, 1, 2, 3]  # kept
    capfd.readouterr()
    build(monkeypatch, dataset, root, workers=2)
    assert "resuming the chair train cache: 4 of 7 models done before" in capfd.readouterr().err
    assert_same_cache(str(root / SYNSET / "train"), reference)
    assert sorted(os.listdir(root / SYNSET)) == ["train", "train.lock"]


def break_models(data, ids):
    """Break one file of each of the first six `ids`; returns {model id: (file, words of the expected reason)}."""
    bad = {}
    p = model_paths(data, ids[0])  # a NaN vertex (the first one, used by faces)
    text = open(p["obj"]).read().split("\n")
    first = next(i for i, line in enumerate(text) if line.startswith("v "))
    text[first] = "v nan nan nan"
    open(p["obj"], "w").write("\n".join(text))
    bad[ids[0]] = (p["obj"], "NaN or inf")
    p = model_paths(data, ids[1])  # a face past the last vertex
    with open(p["obj"], "a") as f:
        f.write("f 1 2 100000\n")
    bad[ids[1]] = (p["obj"], "outside")
    png = view_png(data, ids[2], 2)
    open(png, "wb").write(b"not a png")
    bad[ids[2]] = (png, "cannot read image")
    p = model_paths(data, ids[3])
    write_binvox(p["binvox"], np.zeros((32, 32, 32), bool))
    bad[ids[3]] = (p["binvox"], "no occupied voxel")
    p = model_paths(data, ids[4])
    open(p["binvox"], "wb").write(b"#binvox 2\ngarbage\n")
    bad[ids[4]] = (p["binvox"], "not a binvox file")
    p = model_paths(data, ids[5])
    lines = open(p["metadata"]).read().splitlines()
    open(p["metadata"], "w").write("\n".join(lines[:3]) + "\n")  # view 3 has no line
    bad[ids[5]] = (p["metadata"], "no line for view 3")
    return bad


def test_bad_models_are_skipped_by_name(tiny_dataset, tmp_path, monkeypatch, capfd):
    clean = copy_dataset(tiny_dataset, tmp_path / "clean")
    ids = all_in_train(clean)  # 10 chairs
    data = copy_dataset(clean, tmp_path / "broken")
    bad = break_models(data, ids[1:7])
    good = [m for m in ids if m not in bad]
    ref = build(monkeypatch, clean, tmp_path / "clean_cache", return_normals=True)
    capfd.readouterr()

    monkeypatch.setenv("R2N2_MAX_SKIPPED", "0.65")
    ds = build(monkeypatch, data, tmp_path / "cache", workers=2, return_normals=True)
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
    lines = err.replace("\r", "\n").splitlines()
    for model_id, (path, reason) in bad.items():
        named = [line for line in lines if line.startswith(f"skipped model {model_id}: ")]
        assert len(named) == 1 and path in named[0] and reason in named[0], (model_id, named)
    report = json.load(open(tmp_path / "cache" / SYNSET / "train" / "build_report.json"))
    assert report["models"] == 10 and report["kept"] == 4 == len(ds.model_ids)
    assert set(report["skipped"]) == set(bad)
    assert all(bad[m][0] in why for m, why in report["skipped"].items())
    assert ds.model_ids == good and len(ds) == 16

    ref_index = {m: i for i, m in enumerate(ref.model_ids)}
    ref_item = {(ref[i]["model_id"], ref[i]["view"]): i for i in range(len(ref))}
    for i in range(len(ds)):
        item = ds[i]
        model_id, view = item["model_id"], item["view"]
        assert model_id in good
        assert torch.equal((item["images"] * 255).round().byte(),
                           torch.from_numpy(read_png(view_png(data, model_id, view)).copy()))
        verts, faces, _ = load_obj(model_paths(data, model_id)["obj"], load_textures=False)
        assert torch.equal(item["verts"], verts) and torch.equal(item["faces"], faces.verts_idx)
        other = ref[ref_item[(model_id, view)]]  # the clean build of the same model and view
        for key in ("R", "T", "voxels", "points", "normals"):
            assert torch.equal(item[key], other[key]), (model_id, key)
        assert torch.equal(item["voxels"], ref.voxel_grid(ref_index[model_id]))

    monkeypatch.delenv("R2N2_MAX_SKIPPED")  # 0.01 of 10 models: none may be skipped
    with pytest.raises(cli.InputError) as stop:
        build(monkeypatch, data, tmp_path / "strict_cache", workers=2)
    assert "cannot be used" in str(stop.value) and any(path in str(stop.value) for path, _ in bad.values())
    assert "Traceback" not in capfd.readouterr().err
    assert not os.path.exists(tmp_path / "strict_cache" / SYNSET / "train")


def test_rerun_after_too_many_skips_stops_again(dataset, tmp_path, monkeypatch):
    data = copy_dataset(dataset, tmp_path / "data")
    png = view_png(data, read_split(data, "train")[2][0], 1)
    open(png, "wb").write(b"not a png")
    for attempt in range(2):  # the file is not fixed, the threshold not raised: the same answer each time
        with pytest.raises(cli.InputError, match="cannot read image"):
            build(monkeypatch, data, tmp_path / "cache")


def test_interrupt_while_assembling_resumes(dataset, reference, tmp_path, monkeypatch):
    data = copy_dataset(dataset, tmp_path / "data")
    png = view_png(data, read_split(data, "train")[2][0], 1)
    open(png, "wb").write(b"not a png")
    monkeypatch.setenv("R2N2_MAX_SKIPPED", "0.5")
    real, calls = r2n2_cache._keep_rows, []

    def keep_rows(path, rows):  # Ctrl-C once images.npy is rewritten, while points.npy is
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(path, rows)

    monkeypatch.setattr(r2n2_cache, "_keep_rows", keep_rows)
    with pytest.raises(KeyboardInterrupt):
        build(monkeypatch, data, tmp_path / "cache")
    monkeypatch.setattr(r2n2_cache, "_keep_rows", real)
    ds = build(monkeypatch, data, tmp_path / "cache")
    assert len(ds.model_ids) == 6


def test_zero_area_mesh_is_skipped_by_name(dataset, tmp_path, monkeypatch):
    data = copy_dataset(dataset, tmp_path / "data")
    model_id = read_split(data, "train")[2][0]
    open(model_paths(data, model_id)["obj"], "w").write("v 0 0 0\nv 0 0 0\nv 0 0 0\nf 1 2 3\n")
    monkeypatch.setenv("R2N2_MAX_SKIPPED", "0.5")
    ds = build(monkeypatch, data, tmp_path / "cache")
    assert model_id not in ds.model_ids and len(ds.model_ids) == 6


def test_feats_are_gathered_without_rebuilding(dataset, tmp_path, monkeypatch, capfd):
    data = copy_dataset(dataset, tmp_path / "data")
    ds = build(monkeypatch, data, tmp_path / "cache")
    cache = tmp_path / "cache" / SYNSET / "train"
    stamps = lambda: [(os.stat(cache / n).st_ino, os.stat(cache / n).st_mtime_ns) for n in ("points.npy", "meta.json")]
    before = stamps()
    rng = np.random.default_rng(0)
    for attempt in range(2):  # features written, then written again (new values): each time the file's values
        feats = {m: rng.standard_normal((4, 8)).astype(np.float32) for m in ds.model_ids}
        for m, f in feats.items():
            np.save(model_paths(data, m)["feats"], f)
        capfd.readouterr()
        with_feats = build(monkeypatch, data, tmp_path / "cache", return_feats=True)
        assert "caching" not in capfd.readouterr().err and stamps() == before  # no rebuild
        assert with_feats.feats.shape == (len(ds), 8)
        for i in range(len(with_feats)):
            item = with_feats[i]
            assert torch.equal(item["feats"], torch.from_numpy(feats[item["model_id"]][item["view"]]))
        time.sleep(0.05)  # the next write gets a later mtime than this one (as a later extract_feats.py run does)
    os.remove(model_paths(data, ds.model_ids[3])["feats"])
    with pytest.raises(cli.InputError, match="extract_feats.py") as stop:
        build(monkeypatch, data, tmp_path / "cache", return_feats=True)
    assert model_paths(data, ds.model_ids[3])["feats"] in str(stop.value)


def test_another_spelling_of_the_dataset_folder_keeps_its_cache(dataset, tmp_path, monkeypatch, capfd):
    """The dataset reached through a symlink, then moved elsewhere (mtimes kept), reads the cache it built: the
    fingerprint names files within the folder. Two clones linking one dataset used to rebuild it in turn."""
    data = copy_dataset(dataset, tmp_path / "data")
    build(monkeypatch, data, tmp_path / "cache")
    cache = tmp_path / "cache" / SYNSET / "train"
    stamps = lambda: [(os.stat(cache / n).st_ino, os.stat(cache / n).st_mtime_ns) for n in ("points.npy", "meta.json")]
    before = stamps()
    os.symlink(data, tmp_path / "link")
    for spelling in ("link", "moved"):
        if spelling == "moved":
            shutil.move(data, tmp_path / "moved")
        capfd.readouterr()
        assert len(build(monkeypatch, str(tmp_path / spelling), tmp_path / "cache")) > 0
        assert "caching" not in capfd.readouterr().err and stamps() == before, spelling  # no rebuild
    moved = tmp_path / "moved"
    os.utime(model_paths(str(moved), build(monkeypatch, str(moved), tmp_path / "cache").model_ids[0])["obj"])
    build(monkeypatch, str(moved), tmp_path / "cache")
    assert stamps() != before  # a source file touched still rebuilds


def test_lock_lets_one_process_build(dataset, tmp_path):
    root, marks = tmp_path / "cache", tmp_path / "marks"
    procs = [start_build(dataset, root, marks, workers=1, delay=0.1, wait_go=True) for _ in range(2)]
    try:
        wait_for(lambda: len(glob.glob(str(marks / "ready-*"))) == 2, procs[0], "both processes ready")
        (marks / "go").touch()
        outs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert all(p.returncode == 0 for p in procs), [err[-2000:] for _, err in outs]
    errs = [err for _, err in outs]
    builder = [i for i, err in enumerate(errs) if "caching chair train split" in err]
    assert len(builder) == 1, errs
    waiter = errs[1 - builder[0]]
    assert "waiting for another process that is building the chair train cache" in waiter and "caching" not in waiter
    digests = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert digests[0] == digests[1]
    cache = root / SYNSET / "train"
    for name in ("images", "points", "normals", "voxels", "verts", "faces"):
        assert digests[0][name] == hashlib.sha1(np.load(cache / f"{name}.npy").tobytes()).hexdigest()
    assert digests[0]["model_ids"] == json.load(open(cache / "meta.json"))["model_ids"]


def test_stale_folders_are_removed(dataset, reference, tmp_path, monkeypatch):
    root = tmp_path / "cache"
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [root / SYNSET / f"train.tmp-{dead.pid}", root / SYNSET / "train.build-0123456789abcdef" / "models"]
    kept = [root / SYNSET / f"train.tmp-{os.getpid()}", root / SYNSET / "test.build-0123456789abcdef"]  # a live build, another split
    for folder in stale + kept:
        folder.mkdir(parents=True)
        (folder / "x.npy").write_bytes(b"leftover")
    build(monkeypatch, dataset, root)
    assert sorted(os.listdir(root / SYNSET)) == sorted(["train", "train.lock", kept[0].name, kept[1].name])
    assert all((folder / "x.npy").exists() for folder in kept)
    assert_same_cache(str(root / SYNSET / "train"), reference)


def duplicate_faces(verts, faces):
    """Faces a repair removes, counted naively: vertices at the same position are one; among the faces on the
    same three vertices, one is kept when more face one way than the other, none when they balance."""
    _, weld = np.unique(verts, axis=0, return_inverse=True)
    groups = {}
    for a, b, c in weld.reshape(-1)[faces].tolist():
        if len({a, b, c}) == 3:
            key = tuple(sorted((a, b, c)))
            rotations = [key, key[1:] + key[:1], key[2:] + key[:2]]
            groups.setdefault(key, []).append(1 if (a, b, c) in rotations else -1)
    return sum(len(g) - 1 for g in groups.values())  # every copy beyond a triangle's first, whichever way it is wound


def test_shapenet_like_meshes_cache_as_written(tmp_path, monkeypatch):
    from synthetic import dataset as synthetic_dataset
    from synthetic.chairs import make_chair
    from synthetic.primitives import normalisation

    data = synthetic_dataset.build_dataset(str(tmp_path / "messy"), num_models=4, views=2, seed=123, workers=1, quiet=True,
                         shapenet_like=True, faces=3000)
    ids = all_in_train(data)
    mess = json.load(open(os.path.join(data, "mess.json")))
    stats = {}

    def recording(m, real=r2n2_cache._cache_model):
        out = real(m)
        stats[out[1]] = out[3]
        return out

    monkeypatch.setattr(r2n2_cache, "_cache_model", recording)
    ds = build(monkeypatch, data, tmp_path / "cache")
    report = json.load(open(tmp_path / "cache" / SYNSET / "train" / "build_report.json"))
    assert report["skipped"] == {} and ds.model_ids == ids and set(stats) == set(ids)
    for m, model_id in enumerate(ds.model_ids):
        verts, faces, _ = load_obj(model_paths(data, model_id)["obj"], load_textures=False)  # quads fanned
        cached_verts, cached_faces = ds.mesh(m)
        assert torch.equal(cached_verts, verts) and torch.equal(cached_faces, faces.verts_idx)
        assert len(cached_faces) == mess[model_id]["faces"]
        s, written = stats[model_id], mess[model_id]
        assert s["duplicate_faces"] == duplicate_faces(verts.numpy(), faces.verts_idx.numpy())
        copies = written.get("duplicated_faces", 0) + 2 * written.get("double_sided_faces", 0)
        assert s["duplicate_faces"] >= copies / 2  # each triangle once, however often and whichever way it was written
        # Flipped faces turned back, and a part written reversed (inside out) turned as a whole before welding.
        turned = written.get("flipped_faces", 0) + written.get("double_sided_faces", 0)
        assert (s["flipped_faces"] > 0) == (turned > 0) and s["flipped_faces"] <= turned, (model_id, s, written)
    # The cached normals point out of the analytic solid, a part written double-sided (each face and its reverse) a solid
    # again like the others.
    for m, model_id in enumerate(ds.model_ids):
        index = next(i for i in range(4) if synthetic_dataset.model_id(123, i) == model_id)
        _, parts, _, _ = make_chair(123, index)
        centre, scale = normalisation(parts)
        inside = lambda x: np.any([part.contains(x / scale + centre) for part in parts], axis=0)
        points, normals = np.array(ds.points[m], np.float64), np.array(ds.normals[m], np.float64)  # (P, 3) each
        outward = ~inside(points + 1e-3 * normals) & inside(points - 1e-3 * normals)  # (P,)
        assert outward.mean() > 0.99, (model_id, mess[model_id], outward.mean())
    assert set(report["surface_test"]) == set(ids)  # which test decided, per mesh: no mesh is left unfiltered
    assert any("flipped_parts" in w and "double_sided_part" not in w for w in mess.values())
    assert any("duplicated_part" in w for w in mess.values()) and any("double_sided_part" in w for w in mess.values())
    assert any("flipped_faces" in w for w in mess.values()) and any("flipped_faces" not in w for w in mess.values())
    for name in ("duplicate_faces", "flipped_faces", "welded_vertices"):
        assert report["repairs_mean"][name] == pytest.approx(np.mean([s[name] for s in stats.values()]))


def test_unforeseen_failure_of_a_model_is_skipped_by_name(dataset, tmp_path, monkeypatch, capfd):
    """A library failing on a file that no check foresaw (here: the voxel alignment) skips that model, named, with the
    exception's type; the split finishes."""
    data = copy_dataset(dataset, tmp_path / "data")
    model_id = read_split(data, "train")[1][0]
    real, bad_verts = r2n2_cache.canonical_grid_from_binvox, load_obj(model_paths(data, model_id)["obj"])[0]

    def align(occ, verts):
        if torch.equal(torch.as_tensor(verts), bad_verts):
            raise RuntimeError("something no check foresaw")
        return real(occ, verts)

    monkeypatch.setattr(r2n2_cache, "canonical_grid_from_binvox", align)
    monkeypatch.setenv("R2N2_MAX_SKIPPED", "0.5")
    ds = build(monkeypatch, data, tmp_path / "cache")
    err = capfd.readouterr().err
    assert model_id not in ds.model_ids and len(ds.model_ids) == len(read_split(data, "train")) - 1
    line = [x for x in err.splitlines() if x.startswith(f"skipped model {model_id}")]
    assert len(line) == 1 and "RuntimeError while caching it: something no check foresaw" in line[0], err
    assert model_paths(data, model_id)["obj"] in line[0] and "Traceback" not in err
