"""No training example nearly copies a message of the real-message dev sets (devstack/near_copies.py)."""

from __future__ import annotations

from pathlib import Path

from devstack.near_copies import near_copies, normalise, remove


def write_nlu(path: Path, intent: str, lines: list[str]) -> Path:
    body = "".join(f"    - {line}\n" for line in lines)
    path.write_text(f'version: "3.1"\nnlu:\n- intent: {intent}\n  examples: |\n{body}', encoding="utf-8")
    return path


def test_the_training_data_copies_no_dev_message():
    copies = near_copies()
    assert not copies, "training examples too close to dev-set messages (reword or remove them):\n" + "\n".join(
        f"{c.similarity:.0f} {c.training_file}: {c.training!r} ~ {c.dev_set}: {c.dev!r}" for c in copies
    )


def test_a_word_swapped_or_punctuation_changed_is_still_a_copy(tmp_path):
    dev = write_nlu(
        tmp_path / "dev.yml", "track_order", ["Where is my parcel?? it's been 2 weeks", "我的快递怎么还没到啊?", "你好"]
    )
    training = tmp_path / "train"
    training.mkdir()
    write_nlu(
        training / "a.yml",
        "track_order",
        ["where is my package, it's been 2 weeks", "我的[快递](product)怎么还没到呀", "where are my shoes", "你好"],
    )
    found = {c.training for c in near_copies(training, [dev])}
    assert found == {"where is my package, it's been 2 weeks", "我的[快递](product)怎么还没到呀"}


def test_normalisation_matches_the_contamination_check():
    assert normalise("  [KL2025](order_id) 到哪了?! ") == "kl2025到哪了"
    assert normalise('[red]{"entity": "colour"} Shoes') == "redshoes"


def test_remove_deletes_only_the_copied_lines(tmp_path):
    dev = write_nlu(tmp_path / "dev.yml", "track_order", ["Where is my parcel?? it's been 2 weeks"])
    training = tmp_path / "train"
    training.mkdir()
    kept_file = write_nlu(
        training / "a.yml", "track_order", ["where is my package, it's been 2 weeks", "where are my shoes"]
    )
    assert remove(near_copies(training, [dev])) == 1
    assert near_copies(training, [dev]) == []
    assert "where are my shoes" in kept_file.read_text()
