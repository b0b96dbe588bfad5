"""What an audit returns: findings with severities, and the report that holds them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ._errors import InvalidInputError
from ._redact import named, printable

__all__ = ["AUDIT_VERSION", "SEVERITIES", "AuditReport", "Finding", "rank"]

#: Version of the JSON report schema written by :meth:`AuditReport.to_json`.
AUDIT_VERSION = 2
SEVERITIES = ("info", "low", "medium", "high", "critical")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def rank(severity: str) -> int:
    """The order of a severity: info 0 ... critical 4."""
    return _RANK[severity]


@dataclass(frozen=True)
class Finding:
    """One problem found: which check, how bad, where, how much, and what to do.

    ``column`` is the export's column name as it may be shown (masked when the name looks like
    data itself); messages never carry a full value, only masked samples.
    """

    check: str
    severity: str
    column: str | None
    count: int | None
    share: float | None
    message: str
    remedy: str

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "severity": self.severity, "column": self.column,
                "count": self.count, "share": self.share, "message": self.message,
                "remedy": self.remedy}


@dataclass
class AuditReport:
    """Findings of an audit, worst first; ``ok()`` for CI gates, ``to_json()`` for pipelines.

    The findings depend only on the export, its manifest and the arguments: the same file gives
    the same findings on any machine. What was measured while auditing (time per check, this
    machine's hash rate) is kept apart, in ``timings`` and ``measurements``.

    JSON schema (version 2)::

        {"version": 2, "platform": str | null, "rows": int,
         "findings": [{"check": str, "severity": "critical"|"high"|"medium"|"low"|"info",
                       "column": str | null, "count": int | null, "share": float | null,
                       "message": str, "remedy": str}],
         "measurements": {str: number}}
    """

    platform: str | None
    platform_source: str
    rows: int
    findings: list[Finding]
    summary: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    measurements: dict[str, float] = field(default_factory=dict)

    def ok(self, fail_on: str = "high") -> bool:
        """True when no finding is at or above ``fail_on``."""
        if not isinstance(fail_on, str) or fail_on not in _RANK:  # a list was a TypeError
            raise InvalidInputError(f"fail_on must be one of {SEVERITIES}, got {named(fail_on)}")
        return all(_RANK[f.severity] < _RANK[fail_on] for f in self.findings)

    def worst(self) -> str | None:
        """The worst severity found, or None."""
        return max((f.severity for f in self.findings), key=_RANK.__getitem__, default=None)

    def to_dict(self) -> dict[str, Any]:
        return {"version": AUDIT_VERSION, "platform": self.platform, "rows": self.rows,
                "findings": [f.to_dict() for f in self.findings],
                "measurements": dict(self.measurements)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """A readable summary, worst first (control characters escaped)."""
        head = (f"audit of {self.rows:,} rows; platform: {self.platform or 'unknown'} "
                f"({self.platform_source})")
        counts = {s: sum(f.severity == s for f in self.findings) for s in reversed(SEVERITIES)}
        lines = [head, "findings: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
                 if self.findings else "findings: none"]
        for f in self.findings:
            where = f" [{f.column}]" if f.column else ""
            amount = f" ({f.share:.1%})" if f.share is not None else ""
            lines.append(f"  {f.severity.upper():8s} {f.check}{where}{amount}: {f.message}")
            lines.append(f"           remedy: {f.remedy}")
        return "\n".join(printable(line) for line in lines)
