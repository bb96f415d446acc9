"""The evaluation contract, run as a user runs it: a subprocess on files it has never seen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from recommender.evaluation.synthetic import interaction_matrix

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("als", "bpr", "item_knn", "popularity", "random")
KEYS = {"precision", "recall", "ndcg", "map", "coverage", "train_seconds"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recommender.evaluate", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


@pytest.fixture(scope="module")
def csv_with_string_ids(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = interaction_matrix(300, 120, 9_000, clusters=6, seed=4)
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("eval") / "shop.csv"
    lines = ["customer,product,weight,timestamp"]
    for u, i in zip(data.users, data.items):
        lines.append(f"cust-{u},SKU/{i:04d},{rng.integers(1, 4)},{1_700_000_000 + rng.integers(0, 10_000_000)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_contract_on_a_new_csv(csv_with_string_ids: Path) -> None:
    done = run("--interactions", str(csv_with_string_ids), "--k", "5", "--seed", "1", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    for name in MODELS:
        assert KEYS <= set(result[name])
        assert all(0.0 <= result[name][key] <= 1.0 for key in KEYS - {"train_seconds"})
    assert result["split"]["method"] == "random" and result["split"]["seed"] == 1 and result["split"]["k"] == 5
    assert result["als"]["precision"] > result["popularity"]["precision"] > result["random"]["precision"]


def test_time_split_and_movielens_format(csv_with_string_ids: Path, tmp_path: Path) -> None:
    done = run("--interactions", str(csv_with_string_ids), "--split", "time", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["split"]["holdout"] == "leave-last-out"
    udata = tmp_path / "u.data"
    rng = np.random.default_rng(1)
    udata.write_text(
        "".join(
            f"{u}\t{i}\t{rng.integers(1, 6)}\t{880000000 + k}\n"
            for k, (u, i) in enumerate({(int(rng.integers(1, 60)), int(rng.integers(1, 80))) for _ in range(1500)})
        ),
        encoding="utf-8",
    )
    done = run("--interactions", str(udata), "--format", "movielens", "--json")
    assert done.returncode == 0, done.stderr
    assert set(MODELS) <= set(json.loads(done.stdout))


def test_bad_input_fails_cleanly(tmp_path: Path) -> None:
    no_times = tmp_path / "plain.csv"
    no_times.write_text("a,x\na,y\nb,x\n", encoding="utf-8")
    done = run("--interactions", str(no_times), "--split", "time", "--json")
    assert done.returncode == 2 and "timestamp" in done.stderr and not done.stdout
    done = run("--interactions", str(tmp_path / "missing.csv"), "--json")
    assert done.returncode == 2 and "no such file" in done.stderr
