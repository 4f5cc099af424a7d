"""What `make bench` reports: each figure against its target, as a table and as a chart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scripts.bench.measure import CONNECTIONS, DEEP_ROWS, QUERY_ROWS

P99_TARGET_MS = 100.0
DEEP_RATIO_TARGET = 1.5
RSS_TARGET_MB = 150.0


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def evaluate(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """Rows of (figure, measured, target, ok); ok None for figures without a target."""
    rows: list[tuple[str, str, str, bool | None]] = []
    reference = f"{results['cpu_reference_ms_start']} / {results.get('cpu_reference_ms_end', '-')} ms"
    rows.append(("CPU reference, start / end", reference, "", None))
    suite = results.get("suite")
    if suite:
        rows.append(("bake", f"{suite['bake_s']} s", "", None))
        rows.append(("pip install (fresh venv)", f"{suite['install_s']} s", "", None))
        rows.append(("generated tests (wall)", f"{suite['tests_s']} s", "", None))
        rows.append(("generated suite's own time", f"{suite['suite_own_s']} s", "", None))
        rows.append(("bake to green, total", f"{suite['total_s']} s", "suite green", suite["green"]))
    served = results["served"]
    for name, entry in served["load"].items():
        rows.append((f"{name} req/s", f"{entry['rps']:.0f}", "", None))
        rows.append((f"{name} p50", f"{entry['p50_ms']} ms", "", None))
        rows.append(
            (f"{name} p99", f"{entry['p99_ms']} ms", f"< {P99_TARGET_MS:g} ms", entry["p99_ms"] < P99_TARGET_MS)
        )
        rows.append((f"{name} errors", f"{entry['errors']} of {entry['requests']}", "0", entry["errors"] == 0))
        cpu = entry["cpu_ms_per_request"]
        rows.append((f"{name} CPU/request", f"{cpu['app']} + {cpu['db']} + {cpu['redis']} ms", "", None))
        # With every core busy, throughput cannot pass cores / CPU per request, and by Little's
        # law the mean latency at a fixed number of connections cannot fall below connections / that.
        floor = CONNECTIONS * sum(cpu.values()) / (os.cpu_count() or 1)
        rows.append((f"{name} mean latency floor", f"{floor:.1f} ms", "", None))
        rows.append((f"{name} busiest worker's share", f"{entry['busiest_worker_share']:.0%}", "", None))
    few, many = (served["queries"][str(rows_)] for rows_ in QUERY_ROWS)
    for name in few:
        same = few[name]["queries"] == many[name]["queries"]
        statuses_ok = few[name]["status"] < 400 and many[name]["status"] < 400
        measured = f"{few[name]['queries']} / {many[name]['queries']}"
        rows.append((f"{name} queries @10 / @1000", measured, "equal", same and statuses_ok))
    pagination = served["pagination"]
    ratio = pagination["ratio_p50"]
    rows.append(("first page p50 (1 conn)", f"{pagination['first']['p50_ms']} ms", "", None))
    rows.append((f"page {DEEP_ROWS:,} rows deep p50", f"{pagination['deep']['p50_ms']} ms", "", None))
    rows.append(
        ("deep / first page", f"{ratio}", f"< {DEEP_RATIO_TARGET:g}", ratio is not None and ratio < DEEP_RATIO_TARGET)
    )
    for pid, rss in served["worker_rss_mb"].items():
        rows.append((f"worker {pid} RSS", f"{rss} MB", f"< {RSS_TARGET_MB:g} MB", rss < RSS_TARGET_MB))
    return rows


def print_table(rows: list[tuple[str, str, str, bool | None]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    widths = [max(w, len(h)) for w, h in zip(widths, ("figure", "measured", "target"), strict=True)]
    header = ("figure", "measured", "target", "result")
    print("  ".join(h.ljust(w) for h, w in zip(header, [*widths, 6], strict=True)))
    print("  ".join("-" * w for w in [*widths, 6]))
    for figure, measured, target, ok in rows:
        print(f"{figure.ljust(widths[0])}  {measured.rjust(widths[1])}  {target.ljust(widths[2])}  {verdict(ok)}")


def draw_chart(results: dict[str, Any], path: Path) -> None:
    """p50/p99 per endpoint against the p99 target, and requests per second, as one PNG."""
    from PIL import Image, ImageDraw, ImageFont

    load = results["served"]["load"]
    names = list(load)
    width, height, margin = 1200, 560, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    small = ImageFont.load_default(size=12)
    title = ImageFont.load_default(size=18)
    colours = {"p50": (76, 114, 176), "p99": (221, 132, 82), "rps": (85, 168, 104), "target": (200, 30, 30)}
    panels = [
        ("Latency at 16 connections (ms)", [("p50", "p50_ms"), ("p99", "p99_ms")], P99_TARGET_MS),
        ("Throughput (requests per second)", [("rps", "rps")], None),
    ]
    panel_width = (width - margin) // 2
    for index, (label, series, target) in enumerate(panels):
        left = margin + index * panel_width
        right, top, bottom = left + panel_width - margin, 80, height - 90
        draw.text((left, 20), label, fill="black", font=title)
        peak = max([load[name][key] for name in names for _, key in series] + [target or 0]) or 1.0
        scale = (bottom - top) / (peak * 1.15)
        draw.line([(left, top), (left, bottom), (right, bottom)], fill="black", width=1)
        for tick in range(5):
            value = peak * 1.15 * tick / 4
            y = bottom - value * scale
            draw.line([(left - 4, y), (left, y)], fill="black")
            draw.text((left - 8, y), f"{value:.0f}", fill="black", font=small, anchor="rm")
        slot = (right - left) / len(names)
        bar = slot * 0.8 / len(series)
        for position, name in enumerate(names):
            x = left + position * slot + slot * 0.1
            for key, field in series:
                value = load[name][field]
                draw.rectangle([x, bottom - value * scale, x + bar - 2, bottom], fill=colours[key])
                text = f"{value:.0f}" if field == "rps" else f"{value:.1f}"
                draw.text((x + bar / 2, bottom - value * scale - 3), text, fill="black", font=small, anchor="mb")
                x += bar
            draw.text((left + (position + 0.5) * slot, bottom + 8), name, fill="black", font=small, anchor="ma")
        if target is not None:
            y = bottom - target * scale
            for start in range(int(left), int(right), 12):
                draw.line([(start, y), (min(start + 6, right), y)], fill=colours["target"], width=2)
            draw.text((right, y - 4), f"p99 target {target:g} ms", fill=colours["target"], font=small, anchor="rb")
        legend_x = left
        for key, _ in series:
            draw.rectangle([legend_x, height - 45, legend_x + 14, height - 31], fill=colours[key])
            draw.text((legend_x + 20, height - 38), key, fill="black", font=font, anchor="lm")
            legend_x += 80
    stamp = f"{results['started']}  load average at start {results['load_average_start']}; figures are noisy"
    draw.text((width - 10, height - 10), stamp, fill=(90, 90, 90), font=small, anchor="rb")
    image.save(path)
