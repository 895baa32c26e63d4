"""Reading /metrics as Prometheus does: its text format parsed into samples."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


class Scrape:
    """One scrape of /metrics: each sample's value by its name and labels."""

    def __init__(self, text: str):
        self.text = text
        self.samples: dict[tuple[str, frozenset], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.samples[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def value(self, name: str, **labels) -> float:
        """The sample's value; 0 when it is not there (a series appears with its first count)."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def series(self, name: str) -> list[dict]:
        return [dict(labels) for (sample, labels) in self.samples if sample == name]


async def scrape(http, **headers) -> Scrape:
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version="), response.headers
    return Scrape(response.text)
