"""Checks shared by the tests of the HTML pages the server serves."""


def assert_not_framable(response) -> None:
    """No other site may frame the page (clickjacking), nor the browser sniff it as another type."""
    assert response.headers["content-type"].startswith("text/html")
    policy = [d.strip() for d in response.headers["content-security-policy"].split(";")]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
