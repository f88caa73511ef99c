"""What a report gives back, whatever reads it: the page, the CSV export, the API, a summary.

Plain data: labels are translated when the result is built (in the reader's language);
values are raw (counts, seconds, percents from 0 to 100, scores), and each row and bar may
carry the link down to the matching queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INT, PERCENT, DURATION, SCORE, TEXT, DATE = "int", "percent", "duration", "score", "text", "date"


@dataclass
class Column:
    key: str
    label: str
    kind: str = INT


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]  # values by column key; "link": where the row leads
    key: str = "table"

    def as_dict(self) -> dict:
        text = {c.key for c in self.columns if c.kind == TEXT}
        return {
            "key": self.key,
            "title": str(self.title),
            "columns": [
                {"key": c.key, "label": str(c.label), "kind": c.kind} for c in self.columns
            ],
            "rows": [
                {k: str(v) if k in text and v is not None else v for k, v in row.items()}
                for row in self.rows
            ],
        }


@dataclass
class Series:
    key: str
    label: str
    values: list[float | None]


@dataclass
class Chart:
    title: str
    kind: str  # the values' kind: INT, PERCENT, DURATION or SCORE
    labels: list[str]
    links: list[str]
    series: list[Series]
    stacked: bool = False


@dataclass
class Figure:
    label: str
    value: Any
    kind: str = INT


@dataclass
class Result:
    name: str
    title: str
    description: str
    summary: list[Figure] = field(default_factory=list)
    chart: Chart | None = None
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready, labels as text: what the API returns and a summary keeps."""
        return {
            "name": self.name,
            "title": str(self.title),
            "description": str(self.description),
            "summary": [
                {"label": str(f.label), "value": f.value, "kind": f.kind} for f in self.summary
            ],
            "chart": None
            if self.chart is None
            else {
                "title": str(self.chart.title),
                "kind": self.chart.kind,
                "labels": [str(label) for label in self.chart.labels],
                "links": self.chart.links,
                "stacked": self.chart.stacked,
                "series": [
                    {"key": s.key, "label": str(s.label), "values": s.values}
                    for s in self.chart.series
                ],
            },
            "tables": [table.as_dict() for table in self.tables],
            "notes": [str(note) for note in self.notes],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Result:
        """A result kept in a summary, to show again as it was."""
        chart = data.get("chart")
        return cls(
            name=data["name"],
            title=data["title"],
            description=data["description"],
            summary=[Figure(f["label"], f["value"], f["kind"]) for f in data["summary"]],
            chart=None
            if chart is None
            else Chart(
                title=chart["title"],
                kind=chart["kind"],
                labels=chart["labels"],
                links=chart["links"],
                stacked=chart["stacked"],
                series=[Series(s["key"], s["label"], s["values"]) for s in chart["series"]],
            ),
            tables=[
                Table(
                    key=t["key"],
                    title=t["title"],
                    columns=[Column(c["key"], c["label"], c["kind"]) for c in t["columns"]],
                    rows=t["rows"],
                )
                for t in data["tables"]
            ],
            notes=data["notes"],
        )
