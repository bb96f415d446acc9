"""The profiler's command (devstack/profile.py): py-spy samples a server from outside without pausing it
and writes one flame graph per turn and server. Running it is `make profile`."""

from __future__ import annotations

from pathlib import Path

from devstack import profile, turn_bench


def test_py_spy_records_a_flame_graph_without_pausing_the_server(tmp_path: Path):
    command = profile.record_command(4242, tmp_path / "greeting-rasa.svg")
    assert Path(command[0]).name == "py-spy" and Path(command[0]).is_file()  # installed by make setup
    assert command[1:4] == ["record", "--pid", "4242"]
    assert "--nonblocking" in command
    assert command[command.index("--format") + 1] == "flamegraph"
    assert command[command.index("--output") + 1] == str(tmp_path / "greeting-rasa.svg")


def test_every_profiled_turn_is_a_turn_of_the_benchmark_and_gets_a_graph_per_server(tmp_path: Path):
    assert set(profile.PROFILED.values()) <= set(turn_bench.TURNS)
    paths = {profile.graph_path(tmp_path, turn, server) for turn in profile.PROFILED for server in profile.SERVERS}
    assert len(paths) == len(profile.PROFILED) * len(profile.SERVERS)
    assert profile.graph_path(tmp_path, "greeting", "rasa") == tmp_path / "greeting-rasa.svg"
