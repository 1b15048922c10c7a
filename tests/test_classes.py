"""The thirteen R2N2 classes: every generator, a dataset of several classes as PyTorch3D's R2N2 and the course starter
read it, --classes in the loader and its errors, class-balanced sampling, and the per-class numbers of a metrics file
(class means, the mean over classes and its interval) against brute force; one model trained and scored on three
classes end to end, with the per-class baselines and compare.py --per_class."""
import json
import os

import numpy as np
import pytest
import torch
from pytorch3d.datasets import R2N2 as OfficialR2N2

import cli
from conftest import checkpoint_of, script, script_fails, script_ok
from metrics import THRESHOLDS
from protocols import PROTOCOLS
from r2n2_custom import R2N2, EpochBatchSampler, class_weights
from r2n2_layout import ALL_SPLITS_FILE, CLASSES, NAMES, SPLITS_FILE, SYNSET, parse_classes, read_split
from results import bootstrap_ci, class_sections, stratified_ci
from synthetic import dataset as synth
from synthetic.primitives import Convex, normalisation, parts_mesh

THREE = "chair,lamp,table"


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """4 chairs, 4 lamps, 4 tables x 3 views (train 2, val 1, test 1 of each)."""
    out = str(tmp_path_factory.mktemp("classes") / "three")
    synth.build_dataset(out, num_models=12, views=3, seed=5, workers=1, quiet=True, classes=THREE)
    return out


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_class_generator_makes_closed_varied_objects(name):
    """Each class: a pure function of (seed, index), closed convex parts with a colour each, a normalised mesh of at
    most 3,000 faces, and more than one family among a few models."""
    make = synth.generator(name)
    families = set()
    for index in range(6):
        family, parts, colours, material = make(0, index)
        again = make(0, index)
        assert again[0] == family and all(np.array_equal(a.verts, b.verts) for a, b in zip(parts, again[1]))
        assert parts and all(isinstance(p, Convex) and p.part in colours for p in parts)
        assert len(material) == 2 and all(np.isfinite(material))
        verts, faces, rgb = parts_mesh(parts, *normalisation(parts), colours)
        assert len(faces) <= 3000, (name, index, len(faces))
        assert abs(np.linalg.norm(verts.max(0) - verts.min(0)) - 1) < 1e-9 and np.abs(verts.max(0) + verts.min(0)).max() < 1e-9
        assert rgb.min() >= 0 and rgb.max() <= 1
        for p in parts:  # closed: every edge of every part is shared by exactly two of its faces, once each way
            edges = np.concatenate([p.faces[:, [0, 1]], p.faces[:, [1, 2]], p.faces[:, [2, 0]]])
            assert len({tuple(e) for e in edges}) == len(edges) and {tuple(e) for e in edges} == {(b, a) for a, b in edges}
        families.add(family)
    assert len(families) > 1, name


def test_class_sizes_equal_and_real_shares():
    synsets = parse_classes("all")
    equal = synth.class_sizes(synsets, 780, "equal")
    assert set(equal.values()) == {60}
    real = synth.class_sizes(synsets, 2000, "real")
    assert sum(real.values()) == 2000 and real[CLASSES["table"]] > real[CLASSES["chair"]] > real[CLASSES["telephone"]]
    assert real[CLASSES["car"]] == round(2000 * 7497 / 43784)
    assert min(synth.class_sizes(synsets, 45, "real").values()) == 3  # one model per split at least
    assert sum(synth.REAL_SIZES.values()) == 43784


def test_split_files_read_by_pytorch3d_and_the_course_starter(three):
    shared = json.load(open(os.path.join(three, ALL_SPLITS_FILE)))
    chairs = json.load(open(os.path.join(three, SPLITS_FILE)))
    wanted = parse_classes(THREE)
    for split in ("train", "val", "test"):
        assert sorted(shared[split]) == wanted
        assert chairs[split] == {SYNSET: shared[split][SYNSET]}  # the course starter's file: the chairs alone
        ids = [set(shared[split][s]) for s in wanted]
        assert not set.intersection(*ids)
        official = OfficialR2N2(split, os.path.join(three, "shapenet"), os.path.join(three, "r2n2"),
                                os.path.join(three, ALL_SPLITS_FILE), return_voxels=True, load_textures=False)
        ours = R2N2(split, three, classes=THREE)
        assert len(official) == sum(len(shared[split][s]) for s in wanted) == len(ours.model_ids)
        assert len(ours) == sum(len(v) for s in wanted for v in shared[split][s].values())  # an item per view
        assert sorted(set(official.synset_ids)) == wanted
        assert sorted(ours.model_ids) == sorted(official.model_ids)
        item = ours[len(ours) - 1]  # the last class's last view, against PyTorch3D's own reading of it
        k = official.model_ids.index(item["model_id"])
        theirs = official[k, [item["view"]]]
        assert theirs["synset_id"] == item["synset"] == wanted[-1]
        assert torch.allclose(theirs["images"][0], item["images"], atol=1 / 255 + 1e-6)
        assert torch.allclose(theirs["verts"], item["verts"]) and torch.equal(theirs["faces"], item["faces"])


def test_classes_stack_as_their_own_datasets(three):
    both = R2N2("test", three, classes=THREE, views="one")
    assert both.describe() == "3 models of 3 classes" and both.example_synsets() == parse_classes(THREE)
    both = R2N2("test", three, classes=THREE)
    for c, synset in enumerate(both.synsets):
        alone = R2N2("test", three, classes=synset)
        m = int(both.model_start[c])
        a, b = alone[1], both[int(np.searchsorted(both.item_model, m)) + 1]  # the model's second view in each
        assert a["model_id"] == b["model_id"] and a["synset"] == b["synset"] == synset
        for key in ("images", "points", "voxels", "verts", "faces", "R", "T"):
            assert torch.equal(a[key], b[key]), key
        assert np.array_equal(np.asarray(alone.points), np.asarray(both.points)[m:m + 1])
        assert alone.cache_dir != both.cache_dir and os.path.dirname(os.path.dirname(alone.cache_dir)).endswith(".r2n2_cache")


def test_clear_errors_for_classes(three, tiny_dataset):
    with pytest.raises(cli.InputError, match="'lamps' is not an R2N2 class; use all"):
        R2N2("test", three, classes="lamps")
    with pytest.raises(cli.InputError, match=r"class lamp \(03636649\) is not in .*the folder has: chair"):
        R2N2("test", tiny_dataset, classes="chair,lamp")
    with pytest.raises(cli.InputError, match="at least 3 per class"):
        synth.build_dataset("/nonexistent/never", num_models=5, classes="chair,lamp")
    script_fails("eval_model.py", "--type", "point", "--checkpoint_path", __file__, "--dataset_dir", tiny_dataset,
                 "--classes", "car", message="class car (02958343) is not in")


def test_class_balanced_sampling_draws_every_class_alike(three):
    ds = R2N2("train", three, classes=THREE)
    weights = class_weights(ds)  # (I,)
    item_class = ds.model_synset[ds.item_model[ds.items]]
    assert np.allclose([weights[item_class == c].sum() for c in range(3)], 1.0)
    take = lambda start: [i for _, b in zip(range(300), iter(EpochBatchSampler(len(ds), 6, 3, start, weights=weights))) for i in b]
    drawn = np.bincount(item_class[take(0)], minlength=3) / 1800
    assert np.abs(drawn - 1 / 3).max() < 0.04
    assert take(0)[6 * 7:] == take(7)[:6 * 293]  # resumed at step 7: the batches the run would have seen


def test_per_class_numbers_against_brute_force():
    rng = np.random.default_rng(0)
    labels = ["02691156"] * 3 + ["03001627"] * 7 + ["04379243"] * 2
    n, t = len(labels), len(THRESHOLDS)
    f1 = torch.from_numpy(rng.uniform(0, 100, (n, t)))
    results = {"precision": f1 + 1, "recall": f1 - 1, "f1": f1, "iou_32": torch.from_numpy(rng.uniform(0, 100, n)),
               "n_pred_points": torch.full((n,), 100), "onet/chamfer_l1": torch.from_numpy(rng.uniform(0, 1, n))}
    per_class, mean = class_sections(results, labels)
    assert list(per_class) == sorted(set(labels)) and per_class["03001627"]["name"] == "chair"
    class_means = []
    for synset, section in per_class.items():
        rows = np.array(labels) == synset
        assert section["n_examples"] == rows.sum()
        np.testing.assert_allclose(section["avg_f1"], f1.numpy()[rows].mean(0))
        np.testing.assert_allclose(section["f1_ci95"], bootstrap_ci(f1.numpy()[rows]))
        np.testing.assert_allclose(section["protocols"]["onet"]["avg"]["chamfer_l1"], results["onet/chamfer_l1"].numpy()[rows].mean())
        class_means.append(f1.numpy()[rows].mean(0))
    np.testing.assert_allclose(mean["avg_f1"], np.mean(class_means, 0))  # each class counts once, not by its size
    assert not np.allclose(mean["avg_f1"], f1.numpy().mean(0))
    assert all(lo <= v <= hi for (lo, hi), v in zip(mean["f1_ci95"], mean["avg_f1"]))
    np.testing.assert_allclose(mean["protocols"]["onet"]["avg"]["chamfer_l1"],
                               np.mean([results["onet/chamfer_l1"].numpy()[np.array(labels) == s].mean() for s in per_class]))
    # stratified: a class of one example never varies, so the interval of a set of single-example classes is a point
    assert np.ptp(stratified_ci(np.arange(4.0)[:, None], ["a", "b", "c", "d"])) == 0


def test_a_model_on_three_classes_scored_per_class(three, tmp_path):
    """One point model trained on three classes: its metrics file and the baselines' have a row per class, the means
    over classes and instances; each class's constant is a training model of that class; compare.py prints the
    per-class table beside the papers' rows."""
    common = ["--dataset_dir", three, "--classes", THREE, "--device", "cpu", "--num_workers", "0"]
    ckpt = checkpoint_of(script_ok("train_model.py", "--type", "point", "--pretrained", "no", "--n_points", "200",
                                   "--batch_size", "2", "--max_iter", "2", "--output_dir", tmp_path / "train",
                                   "--class_balanced", *common))
    script_ok("eval_model.py", "--type", "point", "--checkpoint_path", ckpt, "--output_dir", tmp_path, "--id", "all",
              "--vis_freq", "0", *common)
    script_ok("baselines.py", "--output_dir", tmp_path, "--subsample", "500", *common)
    point = json.load(open(tmp_path / "all" / "metrics_point.json"))
    wanted = parse_classes(THREE)
    assert list(point["per_class"]) == wanted and point["classes"] == THREE
    assert point["per_example_synset"] == wanted  # one test model per class, in the classes' order
    for k, synset in enumerate(wanted):
        assert point["per_class"][synset]["avg_f1"] == point["per_example_f1"][k]
    np.testing.assert_allclose(point["class_mean"]["avg_f1"], np.mean(point["per_example_f1"], 0))
    assert set(point["class_mean"]["protocols"]) == set(PROTOCOLS)
    constant = json.load(open(tmp_path / "baselines" / "metrics_constant.json"))
    train = R2N2("train", three, classes=THREE)
    for synset, name in ((s, NAMES[s]) for s in wanted):
        chosen = constant["model_id_per_class"][name]
        assert chosen in [m for m, _ in read_split(three, "train", synset)]
    assert [constant["per_example_model_id"][k] for k in range(3)] == [constant["model_id_per_class"][NAMES[s]] for s in wanted]
    assert len(train.model_ids) == 6
    out = script("compare.py", tmp_path / "all" / "metrics_point.json", tmp_path / "baselines" / "metrics_constant.json",
                 "--per_class", "--protocol", "meshrcnn", "--out", tmp_path / "cmp")
    assert out.returncode == 0, out.stderr
    text = open(tmp_path / "cmp" / "per_class_meshrcnn.md").read()
    block = next(b for b in text.split("### ") if b.startswith("F1@0.1"))
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in block.splitlines()
            if line.startswith("| ") and "---" not in line}
    assert rows["chair"][-1] == "31.7" and rows["**mean over classes**"][-1] == "34.6"  # Mesh R-CNN's, as published
    assert rows["lamp"][-1] == "30.5" and rows["mean over instances"][-1] == "-"
    assert rows["chair"][0].startswith(f"{point['per_class'][SYNSET]['protocols']['meshrcnn']['avg']['f1'][0]:.1f} [")
    script_fails("compare.py", tmp_path / "all" / "metrics_point.json", __file__, "--per_class", "--out", tmp_path / "x",
                 message="cannot read metrics file")
