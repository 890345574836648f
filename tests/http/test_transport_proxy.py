# Proxy selection (Go's golang.org/x/net/http/httpproxy rules): HTTP_PROXY/HTTPS_PROXY by scheme,
# upper case before lower case, NO_PROXY domains, ports, IPs and CIDRs, loopback never proxied,
# scheme-less proxy values, the CGI refusal, and proxy_from_environment reading the environment.
from __future__ import annotations

import pytest

from gonet import http
from gonet.errors import HTTPError
from gonet.net.url import parse

PROXY = "http://proxy.corp:3128"


@pytest.mark.parametrize(
    ("no_proxy", "url", "proxied"),
    [
        ("", "http://example.com/", True),
        ("example.com", "http://example.com/", False),
        ("example.com", "http://sub.example.com/", False),
        ("example.com", "http://notexample.com/", True),
        (".example.com", "http://example.com/", True),
        (".example.com", "http://sub.example.com/", False),
        ("*.example.com", "http://example.com/", True),
        ("*.example.com", "http://a.b.example.com/", False),
        ("example.com:8080", "http://example.com:8080/", False),
        ("example.com:8080", "http://example.com/", True),
        ("EXAMPLE.com", "http://Example.COM/", False),
        ("10.0.0.0/8", "http://10.1.2.3/", False),
        ("10.0.0.0/8", "http://11.1.2.3/", True),
        ("192.168.0.1", "http://192.168.0.1:9000/", False),
        ("192.168.0.1:80", "http://192.168.0.1/", False),
        ("192.168.0.1:80", "http://192.168.0.1:81/", True),
        ("[2001:db8::1]:8080", "http://[2001:db8::1]:8080/", False),
        ("2001:db8::/32", "http://[2001:db8::7]/", False),
        ("other.org, example.com", "http://www.example.com/", False),
        ("*", "http://anything.example/", False),
        ("", "http://localhost:8000/", False),
        ("", "http://127.0.0.1/", False),
        ("", "http://[::1]/", False),
        (":80", "http://example.com/", True),
    ],
)
def test_no_proxy_rules(no_proxy: str, url: str, proxied: bool) -> None:
    cfg = http.ProxyConfig(http_proxy=PROXY, https_proxy=PROXY, no_proxy=no_proxy)
    got = cfg.proxy_for_url(parse(url))
    assert (got is not None) == proxied
    if proxied:
        assert str(got) == PROXY


def test_scheme_picks_the_variable() -> None:
    cfg = http.ProxyConfig(http_proxy="http://h:1", https_proxy="")
    assert str(cfg.proxy_for_url(parse("http://example.com/"))) == "http://h:1"
    assert cfg.proxy_for_url(parse("https://example.com/")) is None
    cfg = http.ProxyConfig(https_proxy="https://s:2")
    assert str(cfg.proxy_for_url(parse("https://example.com/"))) == "https://s:2"
    assert cfg.proxy_for_url(parse("http://example.com/")) is None
    assert cfg.proxy_for_url(parse("ftp://example.com/")) is None


def test_a_value_without_scheme_means_http() -> None:
    cfg = http.ProxyConfig(http_proxy="cache.corp:3128")
    assert str(cfg.proxy_for_url(parse("http://example.com/"))) == "http://cache.corp:3128"


def test_cgi_refuses_http_proxy() -> None:
    cfg = http.ProxyConfig(http_proxy=PROXY, https_proxy=PROXY, cgi=True)
    with pytest.raises(HTTPError, match=r"^refusing to use HTTP_PROXY value in CGI environment"):
        cfg.proxy_for_url(parse("http://example.com/"))
    assert str(cfg.proxy_for_url(parse("https://example.com/"))) == PROXY


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for k in (
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "NO_PROXY",
        "no_proxy",
        "REQUEST_METHOD",
    ):
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def test_proxy_from_environment_reads_upper_then_lower_case(clean_env: pytest.MonkeyPatch) -> None:
    req = http.new_request("GET", "http://example.com/")
    assert http.proxy_from_environment(req) is None
    clean_env.setenv("http_proxy", "http://lower:1")
    assert str(http.proxy_from_environment(req)) == "http://lower:1"
    clean_env.setenv("HTTP_PROXY", "http://upper:2")
    assert str(http.proxy_from_environment(req)) == "http://upper:2"
    clean_env.setenv("no_proxy", "example.com")
    assert http.proxy_from_environment(req) is None
    clean_env.setenv("https_proxy", "http://sec:3")
    assert str(http.proxy_from_environment(http.new_request("GET", "https://other.org/"))) == "http://sec:3"


def test_proxy_from_environment_under_cgi(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HTTP_PROXY", "http://p:1")
    clean_env.setenv("REQUEST_METHOD", "GET")
    with pytest.raises(HTTPError, match="refusing to use HTTP_PROXY value in CGI environment"):
        http.proxy_from_environment(http.new_request("GET", "http://example.com/"))


def test_proxy_url_is_fixed() -> None:
    f = http.proxy_url("http://p:8")
    assert str(f(http.new_request("GET", "http://a/"))) == "http://p:8"
    assert str(f(http.new_request("GET", "https://b/"))) == "http://p:8"
