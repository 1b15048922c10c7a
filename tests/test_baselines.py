"""baselines.py and the bootstrap intervals: the three metrics files, the constant's choice against a brute
force, the oracle as the per-example maximum, retrieval picking the expected chair, one-line errors."""
import argparse
import json
import os

import numpy as np
import pytest
import torch
from pytorch3d.structures import Meshes
from torch.utils.data import DataLoader

from baselines import nearest_by_cosine, retrieval_choice
from conftest import checkpoint_of, script_fails, script_ok
from representations import prediction_points
from metrics import THRESHOLDS, f1_scores
from r2n2_custom import R2N2, collate_batched_R2N2
from results import bootstrap_ci

AT = THRESHOLDS.index(0.05)


@pytest.fixture(scope="module")
def run(tiny_dataset, tmp_path_factory):
    """A tiny point checkpoint and one baselines.py run with retrieval; (output folder, checkpoint, stdout)."""
    out = tmp_path_factory.mktemp("baselines")
    ckpt = checkpoint_of(script_ok("train_model.py", "--type", "point", "--pretrained", "no", "--num_workers", "0",
                                   "--n_points", "200", "--device", "cpu", "--batch_size", "2", "--max_iter", "2",
                                   "--dataset_dir", tiny_dataset, "--output_dir", out / "train"))
    # --subsample 10000: the constant's choice on every cached point, so a brute force must agree exactly;
    # --shortlist 8: every training chair is rescored, so the oracle is the exhaustive maximum.
    stdout = script_ok("baselines.py", "--output_dir", out, "--dataset_dir", tiny_dataset, "--checkpoint_path", ckpt,
                       "--device", "cpu", "--num_workers", "0", "--subsample", "10000", "--shortlist", "8")
    return out / "baselines", ckpt, stdout


def metrics(folder, name):
    return json.load(open(folder / f"metrics_{name}.json"))


def full_f1(train, chair, example_index, gt_points):
    """(T,) F1 of a training chair's mesh as the prediction for one test example, sampled as the evaluators do."""
    verts, faces = train.mesh(chair)
    points, lengths, _ = prediction_points(Meshes([verts], [faces]), "mesh", example_index)
    return f1_scores(points, lengths, torch.as_tensor(gt_points)[None])["f1"][0]


def test_three_metrics_files_with_the_evaluators_fields(run, tiny_dataset):
    folder, _, stdout = run
    test = R2N2("test", tiny_dataset, views="one")
    train = R2N2("train", tiny_dataset)
    for name in ("constant", "oracle", "retrieval"):
        m = metrics(folder, name)
        assert m["name"] == name and m["split"] == "test" and m["n_examples"] == len(test) >= 1
        assert m["thresholds"] == list(THRESHOLDS)
        per = np.array(m["per_example_f1"])  # (N, T)
        assert per.shape == (len(test), len(THRESHOLDS))
        np.testing.assert_allclose(per.mean(0), m["avg_f1"], rtol=1e-6, atol=1e-6)
        assert m["per_example_f1@0.05"] == per[:, AT].tolist()
        assert all(lo <= avg <= hi for (lo, hi), avg in zip(m["f1_ci95"], m["avg_f1"]))
        assert len(m["per_example_model_id"]) == len(test) and set(m["per_example_model_id"]) <= set(train.model_ids)
        assert f"{name}: avg F1@0.05 = {m['avg_f1@0.05']:.3f} [" in stdout
        assert os.path.isfile(folder / f"eval_{name}.png")
    assert metrics(folder, "oracle")["oracle"] is True


def test_constant_is_the_training_chair_closest_to_the_others_and_scored_as_a_mesh(run, tiny_dataset):
    folder = run[0]
    train = R2N2("train", tiny_dataset)
    pts = torch.from_numpy(np.array(train.points))  # (A, M, 3)
    a = len(pts)
    mean = []
    for i in range(a):  # brute force: chair i predicted for every other training chair, full point sets
        others = [j for j in range(a) if j != i]
        n = torch.full((len(others),), pts.shape[1])
        mean.append(f1_scores(pts[i:i + 1].expand(len(others), -1, -1), n, pts[others])["f1"][:, AT].mean().item())
    m = metrics(folder, "constant")
    assert m["model_id"] == train.model_ids[int(np.argmax(mean))]
    assert m["mean_f1@0.05_to_train"] == pytest.approx(max(mean), abs=1e-3)
    assert set(m["per_example_model_id"]) == {m["model_id"]}
    # its score is the evaluators' score of that mesh: 10k points sampled with the example's seed
    test = R2N2("test", tiny_dataset, views="one")
    chair = train.model_ids.index(m["model_id"])
    for g in range(len(test)):
        expected = full_f1(train, chair, g, test[g]["points"])
        np.testing.assert_allclose(m["per_example_f1"][g], expected.numpy(), rtol=1e-6)


def test_oracle_is_the_per_example_maximum_and_bounds_the_other_baselines(run, tiny_dataset):
    folder = run[0]
    train = R2N2("train", tiny_dataset)
    test = R2N2("test", tiny_dataset, views="one")
    oracle, constant, retrieval = (metrics(folder, n) for n in ("oracle", "constant", "retrieval"))
    for g in range(len(test)):
        best = oracle["per_example_f1@0.05"][g]
        assert best >= constant["per_example_f1@0.05"][g] and best >= retrieval["per_example_f1@0.05"][g]
        every = [full_f1(train, c, g, test[g]["points"])[AT].item() for c in range(len(train.model_ids))]
        assert best == pytest.approx(max(every), abs=1e-4)
        assert oracle["per_example_model_id"][g] == train.model_ids[int(np.argmax(every))]


def test_retrieval_with_the_images_as_features_finds_each_chair_itself(tiny_dataset):
    train = R2N2("train", tiny_dataset)
    queries = R2N2("train", tiny_dataset, views="one")  # one training view per chair, as queries
    loader = DataLoader(queries, batch_size=3, shuffle=False, num_workers=0, collate_fn=collate_batched_R2N2)
    args = argparse.Namespace(batch_size=5, num_workers=0)
    chosen = retrieval_choice(lambda images: images.flatten(1), train, loader, args, "cpu")
    assert chosen.tolist() == list(range(len(train.model_ids)))


def test_retrieval_compares_directions_not_lengths():
    query = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    keys = torch.tensor([[10.0, 1.0], [0.6, 0.5], [0.1, 0.2]])  # key 1 is nearest to query 0 in Euclidean distance
    assert nearest_by_cosine(query, keys).tolist() == [0, 2]


def test_bootstrap_interval():
    assert np.allclose(bootstrap_ci(np.full((30, 2), 42.0)), 42.0)  # no spread, no width
    rng = np.random.default_rng(1)
    widths = []
    for n in (100, 400):  # half 0, half 100: mean 50, standard error 50 / sqrt(n)
        values = rng.permutation(np.repeat([0.0, 100.0], n // 2))[:, None]  # (n, 1)
        (lo, hi), = bootstrap_ci(values)
        assert lo < 50 < hi
        assert hi - lo == pytest.approx(2 * 1.96 * 50 / np.sqrt(n), rel=0.1)
        widths.append(hi - lo)
    assert widths[0] / widths[1] == pytest.approx(2, rel=0.15)
    values = rng.random((50, 3))
    assert np.array_equal(bootstrap_ci(values), bootstrap_ci(values))  # fixed seed: reproducible


def test_bad_input_is_one_line_and_writes_nothing(run, tiny_dataset, tmp_path):
    _, ckpt, _ = run
    base = ["--output_dir", tmp_path / "out", "--dataset_dir", tiny_dataset, "--device", "cpu", "--num_workers", "0"]
    script_fails("baselines.py", *base, "--split", "train", message="--split must be test or val")
    script_fails("baselines.py", *base, "--checkpoint_path", tmp_path / "no.pth", message="does not exist")
    state = torch.load(ckpt, map_location="cpu", weights_only=True)  # the same model, as if trained on features
    state["args"]["load_feat"] = state["model_args"]["load_feat"] = True
    state["model"] = {k: v for k, v in state["model"].items() if not k.startswith("encoder.")}
    torch.save(state, tmp_path / "feat.pth")
    script_fails("baselines.py", *base, "--checkpoint_path", tmp_path / "feat.pth", message="(--load_feat)")
    assert not os.path.exists(tmp_path / "out")
