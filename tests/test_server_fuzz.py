"""Property-based fuzzing of the server's query and body (hypothesis).

Whatever arrives, the answer is a 2xx or a 4xx (a 4xx always with a JSON ``{"error": ...}``),
and the server keeps answering.  First against :class:`hwd.server.App` directly (fast, many
examples), then through a live server on loopback.
"""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import quote

import pytest
from helpers import serving_in_thread
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import hwd
from hwd import models
from hwd.server import MAX_BODY, App, Server

COUNT = 784


def fuzz(examples: int) -> settings:
    """No deadline (a loaded 2-core machine), ``examples`` runs."""
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def app() -> App:
    return App(hwd.load(models.resolve("quick")), "quick")


@pytest.fixture(scope="module")
def live(app: App):
    with serving_in_thread(app, timeout=5.0) as httpd:
        yield httpd


# --- strategies ---------------------------------------------------------------------------------

numbers = st.one_of(st.floats(), st.floats(-1, 1), st.integers(), st.just(-1), st.just(1),
                    st.integers(-(10**400), 10**400))
junk = st.one_of(st.none(), st.booleans(), st.text(max_size=10),
                 st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False,
                                                                          allow_infinity=False),
                                     st.integers(), st.text(max_size=20)),
                           lambda children: st.lists(children, max_size=5)
                           | st.dictionaries(st.text(max_size=8), children, max_size=5),
                           max_leaves=30)


@st.composite
def imgdata_lists(draw) -> list:
    """Mostly-valid wire vectors with a few values replaced and the length sometimes wrong."""
    base = draw(st.sampled_from([[-1] * COUNT, [1] * COUNT, [0.5] * COUNT,
                                 [(-1) ** i * 0.53 for i in range(COUNT)]]))
    values = list(base)
    for index, value in draw(st.lists(st.tuples(st.integers(0, COUNT - 1),
                                                st.one_of(numbers, junk)), max_size=4)):
        values[index] = value
    cut = draw(st.one_of(st.just(0), st.integers(-COUNT, 3)))
    return values[:cut] if cut < 0 else values + [0] * cut


def to_text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@st.composite
def queries(draw) -> str:
    """Query strings: wire text with tampered values, separators and encodings, or plain junk."""
    kind = draw(st.sampled_from(["wire", "text", "params"]))
    if kind == "text":
        return quote(draw(st.text(max_size=200)), safe=draw(st.sampled_from(["", "=&,", "=&"])))
    if kind == "params":
        pairs = draw(st.lists(st.tuples(st.sampled_from(["imgdata", "_", "x", ""]),
                                        st.text(max_size=30)), max_size=4))
        return "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)
    text = ",".join(to_text(v) for v in draw(imgdata_lists()))
    comma = draw(st.sampled_from([",", "%2C", "%2c"]))
    return "imgdata=" + quote(text, safe=",-.").replace(",", comma) + draw(
        st.sampled_from(["", "&_=1700000000000", "&imgdata=1"]))


@st.composite
def bodies(draw) -> bytes:
    """POST bodies: JSON requests with tampered imgdata or strokes, any JSON, or any bytes."""
    kind = draw(st.sampled_from(["imgdata", "strokes", "json", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "imgdata":
        request = {"imgdata": draw(imgdata_lists())}
    else:
        point = st.lists(st.one_of(numbers, junk), min_size=0, max_size=3) | st.tuples(
            st.floats(-1000, 1000), st.floats(-1000, 1000)).map(list)
        request = {"strokes": draw(st.lists(st.lists(point, max_size=20), max_size=4))}
    if draw(st.booleans()):
        request.update(draw(st.dictionaries(st.sampled_from(["imgdata", "strokes", "x"]),
                                            json_values, max_size=2)))
    return json.dumps(request).encode()  # NaN/Infinity/huge integers appear as Python writes them


methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"])
paths = st.sampled_from(["/recognize", "/healthz", "/", "/recognize/", "/x"])


def check(status: int, content_type: str, body: bytes) -> None:
    """A 2xx or a 4xx; errors carry a JSON message and no traceback."""
    event(f"status {status}")  # pytest --hypothesis-show-statistics shows the mix
    assert 200 <= status < 300 or 400 <= status < 500, (status, body[:200])
    if status >= 400:
        assert content_type == "application/json"
        assert isinstance(json.loads(body)["error"], str)
    assert b"Traceback" not in body


# --- without sockets -------------------------------------------------------------------------

@fuzz(300)
@given(query=queries())
def test_query_fuzz(app: App, query: str):
    response = app.handle("GET", "/recognize?" + query)
    check(response.status, response.content_type, response.body)
    if response.status == 200:  # exactly one digit (not "" or "789")
        assert re.fullmatch(rb"[0-9]", response.body), response.body


@fuzz(300)
@given(body=bodies())
def test_body_fuzz(app: App, body: bytes):
    response = app.handle("POST", "/recognize", body)
    check(response.status, response.content_type, response.body)
    if response.status == 200:
        answer = json.loads(response.body)
        assert answer["digit"] in range(10) and len(answer["probabilities"]) == 10


@fuzz(200)
@given(method=methods, path=paths, query=queries(), body=bodies())
def test_route_fuzz(app: App, method: str, path: str, query: str, body: bytes):
    response = app.handle(method, f"{path}?{query}", body)
    check(response.status, response.content_type, response.body)


# --- through a live server ------------------------------------------------------------------

def send(httpd: Server, method: str, target: str, body: bytes | None) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", httpd.server_port, timeout=10)
    try:
        connection.request(method, target, body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


@fuzz(100)
@given(method=methods, path=paths, query=queries(), body=bodies())
def test_live_fuzz(live: Server, method: str, path: str, query: str, body: bytes):
    status, content_type, answer = send(live, method, f"{path}?{query}", body)
    if method == "HEAD":
        assert 200 <= status < 500
    else:
        check(status, content_type, answer)
    assert send(live, "GET", "/healthz", None)[0] == 200


@fuzz(30)
@given(size=st.integers(MAX_BODY + 1, 100 * MAX_BODY))
def test_live_oversized_declared_body(live: Server, size: int):
    """A Content-Length over the limit is refused with 413 without sending the body."""
    connection = http.client.HTTPConnection("127.0.0.1", live.server_port, timeout=10)
    connection.putrequest("POST", "/recognize")
    connection.putheader("Content-Length", str(size))
    connection.endheaders()
    response = connection.getresponse()
    check(response.status, response.getheader("Content-Type", ""), response.read())
    assert response.status == 413
    connection.close()
