"""Files of events for the client's integration tests."""

from pathlib import Path

ROWS = 250


def write_csv(path: Path, bad_line: int | None = None) -> None:
    """``ROWS`` engagement rows without event ids (two identical rows among them)."""
    lines = ["qsmo,measure,value,occurred_at,agency,attributes.channel"]
    for n in range(ROWS):
        value = 99 if bad_line == n + 2 else 1 + n % 3
        measure = "customer-satisfaction" if bad_line == n + 2 else "customer-engagement"
        day = 1 + (n // 10) % 28
        lines.append(
            f"cybersecurity,{measure},{value},2025-03-{day:02d}T{n % 10 + 8:02d}:00:00-05:00,DOI,briefing"
        )
    lines.append(lines[-1])
    path.write_text("\n".join(lines) + "\n")
