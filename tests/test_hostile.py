"""Hostile servers and hostile inputs (issue #11): each test reproduces one attack or fault.

The attacks go through `tests/hostile_proxy.py` (a lying reverse proxy in front of the emulator)
and the real client or the real `zsync` command. Tests are named after the issue's items:
test_item<N>_*. The test_proxy_* tests check the fixture itself.
"""

from __future__ import annotations

import time

import pytest
import requests
from hostile_proxy import DELETE, HostileProxy, Rule

from zsync.emulator import Emulator

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}

# --------------------------------------------------------------------------- the fixture itself


def test_proxy_forwards_and_rewrites(hostile_proxy: HostileProxy, emulator: Emulator) -> None:
    plain = requests.get(hostile_proxy.url + "/user/records", headers=AUTH, timeout=10)
    assert plain.status_code == 200 and "hits" in plain.json()
    hostile_proxy.add(
        Rule(
            "GET",
            r"/user/records",
            status=418,
            json={"hits.total": 99, "aggregations": DELETE},
            headers={"X-Evil": "yes"},
            times=1,
        )
    )
    lied = requests.get(hostile_proxy.url + "/user/records", headers=AUTH, timeout=10)
    assert lied.status_code == 418 and lied.json()["hits"]["total"] == 99
    assert "aggregations" not in lied.json() and lied.headers["X-Evil"] == "yes"
    again = requests.get(hostile_proxy.url + "/user/records", headers=AUTH, timeout=10)
    assert again.status_code == 200  # times=1
    assert [r.rule for r in hostile_proxy.requests] == [None, 0, None]
    assert len(emulator.request_log) == 3


def test_proxy_redirects_to_a_foreign_origin(
    hostile_proxy: HostileProxy, foreign_origin: HostileProxy
) -> None:
    foreign_origin.add(Rule("*", r".*", forward=False, status=201, json={"id": "captured"}))
    hostile_proxy.add(Rule("POST", r"/records", redirect=(307, foreign_origin.url + "/records")))
    answer = requests.post(hostile_proxy.url + "/records", json={"a": 1}, headers=AUTH, timeout=10)
    assert answer.json() == {"id": "captured"}
    seen = foreign_origin.requests[0]
    assert seen.method == "POST" and seen.body == b'{"a": 1}'
    assert "authorization" not in seen.headers  # requests drops it across origins


def test_proxy_stalls_drips_and_resets(hostile_proxy: HostileProxy, emulator: Emulator) -> None:
    hostile_proxy.add(Rule("GET", r"/user/records", stall_s=0.5, times=1))
    started = time.monotonic()
    requests.get(hostile_proxy.url + "/user/records", headers=AUTH, timeout=10)
    assert time.monotonic() - started >= 0.5
    hostile_proxy.add(Rule("GET", r"/user/records", drip=(1, 0.2), body=b"abcd", times=1))
    started = time.monotonic()
    slow = requests.get(hostile_proxy.url + "/user/records", timeout=10)
    assert slow.content == b"abcd" and time.monotonic() - started >= 0.6  # 1 byte per 0.2 s
    hostile_proxy.add(Rule("POST", r"/records", reset=True, times=1))
    with pytest.raises(requests.ConnectionError):
        requests.post(hostile_proxy.url + "/records", json={"metadata": {}}, headers=AUTH, timeout=10)
    assert emulator.request_log[-1].method == "POST"  # it reached the emulator; its answer was lost
