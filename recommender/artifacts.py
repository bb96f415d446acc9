"""Versioned artifacts with an atomic switch.

    var/recommender/
        20251123T101500Z-3f2a9c1d/   meta.json, products.json, users.json, als.npz, history.npz,
                                     popularity.npy, text.npz
        current -> 20251123T101500Z-3f2a9c1d

A version is written under a hidden temporary name and renamed into place when complete; then
a new `current` symlink is created beside the old one and renamed over it. Both renames are
atomic on POSIX, so a reader sees either the old version or the new one, never a half-written
one. Older versions beyond `keep` are removed.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from recommender.catalogue import Catalogue
from recommender.settings import config_from_dict
from recommender.collaborative import ALSModel
from recommender.records import ProductRecord
from retrieval.text import DenseVectors, SearchStrategy, TextSearchIndex
from recommender.trained import TrainedRecommender

CURRENT = "current"
FORMAT_VERSION = 1


class ArtifactError(RuntimeError):
    pass


def new_version(meta: dict[str, Any]) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    digest = str(meta.get("data", {}).get("snapshot_sha256", ""))[:8] or uuid.uuid4().hex[:8]
    return f"{stamp}-{digest}"


def _save_csr(path: Path, matrix: sparse.csr_matrix) -> None:
    np.savez(path, data=matrix.data, indices=matrix.indices, indptr=matrix.indptr, shape=np.asarray(matrix.shape))


def _load_csr(path: Path) -> sparse.csr_matrix:
    with np.load(path, allow_pickle=False) as data:
        return sparse.csr_matrix((data["data"], data["indices"], data["indptr"]), shape=tuple(data["shape"]))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(trained: TrainedRecommender, root: str | Path, keep: int = 3) -> Path:
    """Write a new version under `root`, point `current` at it, prune old versions."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    version = new_version(trained.meta)
    staging = root / f".staging-{version}"
    staging.mkdir()
    try:
        meta = {**trained.meta, "version": version, "format": FORMAT_VERSION}
        (staging / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        products = [p.to_json() for p in trained.catalogue.products]
        (staging / "products.json").write_text(json.dumps(products, ensure_ascii=False), encoding="utf-8")
        (staging / "users.json").write_text(json.dumps(trained.user_ids), encoding="utf-8")
        np.savez(staging / "als.npz", allow_pickle=True, **trained.als.state(), cold_items=trained.cold_items)
        _save_csr(staging / "history.npz", trained.history)
        _save_csr(staging / "kinds.npz", trained.kinds)
        np.save(staging / "popularity.npy", trained.popularity)
        if trained.text is not None:
            arrays: dict[str, np.ndarray] = {}
            for name, dense in trained.text.dense.items():
                arrays[f"{name}__vectors"] = dense.vectors
                arrays[f"{name}__owners"] = dense.owners
            np.savez(staging / "text.npz", allow_pickle=True, **arrays)
            strategy = trained.text.strategy
            (staging / "text.json").write_text(
                json.dumps(
                    {
                        "en": strategy.en,
                        "zh": strategy.zh,
                        "weights": strategy.weights,
                        "depth": strategy.depth,
                        "rrf_k": strategy.rrf_k,
                    }
                ),
                encoding="utf-8",
            )
        for file in staging.iterdir():
            with file.open("rb") as handle:
                os.fsync(handle.fileno())
        final = root / version
        os.rename(staging, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    switch(root, version)
    prune(root, keep)
    return final


def switch(root: str | Path, version: str) -> None:
    """Atomically point `current` at `version`."""
    root = Path(root)
    if not (root / version / "meta.json").is_file():
        raise ArtifactError(f"{root / version} is not a complete artifact")
    link = root / f".{CURRENT}-{uuid.uuid4().hex}"
    os.symlink(version, link)
    os.replace(link, root / CURRENT)
    _fsync_dir(root)


def versions(root: str | Path) -> list[str]:
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and not p.is_symlink() and not p.name.startswith(".") and (p / "meta.json").is_file()
    )


def current_version(root: str | Path) -> str | None:
    link = Path(root) / CURRENT
    if not link.is_symlink():
        return None
    return os.readlink(link)


def prune(root: str | Path, keep: int) -> None:
    root = Path(root)
    current = current_version(root)
    old = [v for v in versions(root) if v != current]
    for version in old[: max(0, len(old) - (keep - 1))]:
        shutil.rmtree(root / version, ignore_errors=True)


def resolve(path: str | Path) -> Path:
    """A version directory: `path` itself, or the one its `current` points at."""
    path = Path(path)
    if (path / "meta.json").is_file():
        return path
    version = current_version(path)
    if version is None:
        raise ArtifactError(f"{path}: no trained recommender here (run `python -m recommender train`)")
    return path / version


def load(path: str | Path) -> TrainedRecommender:
    directory = resolve(path)
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ArtifactError(f"{directory}: artifact format {meta.get('format')} is not {FORMAT_VERSION}; retrain")
        products = [
            ProductRecord.from_json(p) for p in json.loads((directory / "products.json").read_text(encoding="utf-8"))
        ]
        config = config_from_dict(meta["params"])
        with np.load(directory / "als.npz", allow_pickle=False) as data:
            state = {key: data[key] for key in data.files}
        als = ALSModel.from_state(meta["params"]["als"], state)
        text = None
        if (directory / "text.npz").is_file():
            settings = json.loads((directory / "text.json").read_text(encoding="utf-8"))
            strategy = SearchStrategy(
                en=tuple(settings["en"]),
                zh=tuple(settings["zh"]),
                weights=tuple((name, float(w)) for name, w in settings["weights"]),
                depth=int(settings["depth"]),
                rrf_k=float(settings["rrf_k"]),
            )
            with np.load(directory / "text.npz", allow_pickle=False) as data:
                names = {key.split("__")[0] for key in data.files}
                dense = {n: DenseVectors(data[f"{n}__vectors"], data[f"{n}__owners"]) for n in names}
            documents = [f"{p.text('en')} {p.text('zh')}".strip() for p in products]
            text = TextSearchIndex(documents, dense, strategy)
        return TrainedRecommender(
            catalogue=Catalogue(products),
            user_ids=json.loads((directory / "users.json").read_text(encoding="utf-8")),
            history=_load_csr(directory / "history.npz").astype(np.float32),
            kinds=_load_csr(directory / "kinds.npz"),
            als=als,
            cold_items=state["cold_items"].astype(bool),
            popularity=np.load(directory / "popularity.npy"),
            text=text,
            config=config,
            meta=meta,
        )
    except (OSError, KeyError, ValueError) as exc:
        raise ArtifactError(f"{directory}: cannot load the recommender artifact: {exc}") from exc
