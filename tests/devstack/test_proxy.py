"""Several Rasa servers behind one port (devstack/proxy.py, devstack/stack.py): the nginx configuration,
reading which servers took requests, and the rule that only shared stores allow several servers.
Nothing here starts nginx; tests/e2e/test_scaled.py runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import proxy
from devstack.config import ROOT, StackConfig
from devstack.stack import shared_stores


def test_the_configuration_balances_rest_and_keeps_socketio_sticky(tmp_path: Path):
    text = proxy.nginx_config("127.0.0.1", 5005, [6001, 6002], tmp_path)
    assert "listen 127.0.0.1:5005;" in text
    rest, sticky = text.split("upstream rasa {")[1], text.split("upstream rasa_sticky {")[1]
    assert rest.index("least_conn;") < rest.index("}") and sticky.index("ip_hash;") < sticky.index("}")
    for block in (rest, sticky):
        servers = block[: block.index("}")]
        assert "server 127.0.0.1:6001;" in servers and "server 127.0.0.1:6002;" in servers
    assert "location /socket.io/ {\n            proxy_pass http://rasa_sticky;" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "daemon off;" in text and f"pid {tmp_path / 'nginx.pid'};" in text
    # every file nginx writes stays in the stack's directory
    paths = [
        line.split()[1].rstrip(";")
        for line in text.splitlines()
        if "_path " in line or line.strip().startswith(("pid", "error_log", "access_log"))
    ]
    assert paths and all(path.startswith(str(tmp_path)) for path in paths)


def test_a_proxy_needs_a_server_behind_it(tmp_path: Path):
    with pytest.raises(ValueError):
        proxy.nginx_config("127.0.0.1", 5005, [], tmp_path)


def test_the_access_log_tells_which_servers_took_requests(tmp_path: Path):
    assert proxy.upstreams_used(tmp_path) == set()
    proxy.access_log(tmp_path).write_text(
        '127.0.0.1 "POST /webhooks/rest/webhook HTTP/1.1" 200 upstream=127.0.0.1:6001 0.412\n'
        '127.0.0.1 "GET /status HTTP/1.1" 200 upstream=127.0.0.1:6002 0.004\n'
        '127.0.0.1 "POST /webhooks/rest/webhook HTTP/1.1" 502 upstream=127.0.0.1:6001, 127.0.0.1:6002 0.1\n'
        '127.0.0.1 "GET /favicon.ico HTTP/1.1" 499 upstream=- 0.000\n'
        "a line without the field\n"
    )
    assert proxy.upstreams_used(tmp_path) == {"127.0.0.1:6001", "127.0.0.1:6002"}


def test_write_config_prepares_the_directories_nginx_writes_into(tmp_path: Path):
    path = proxy.write_config("127.0.0.1", 5005, [6001], tmp_path / "proxy")
    assert path.read_text() == proxy.nginx_config("127.0.0.1", 5005, [6001], tmp_path / "proxy")
    assert all((tmp_path / "proxy" / name).is_dir() for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))


def test_only_the_scaled_endpoints_let_servers_share_conversations(tmp_path: Path):
    assert shared_stores(ROOT / "bot" / "endpoints-scaled.yml")
    assert not shared_stores(ROOT / "bot" / "endpoints.yml")
    memory_lock = tmp_path / "endpoints.yml"
    memory_lock.write_text("tracker_store:\n  type: SQL\n  dialect: postgresql\n")
    assert not shared_stores(memory_lock)


@pytest.mark.parametrize("servers", [0, 9])
def test_the_number_of_servers_is_bounded(servers: int):
    with pytest.raises(ValueError):
        StackConfig(rasa_servers=servers)
