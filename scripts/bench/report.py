"""What `make bench` reports: each figure against its target, as a table and as a chart."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from scripts.bench.measure import CONNECTIONS, DEEP_ROWS, QUERY_ROWS, SEEDED_ORDERS, cpu_per_request

DEEP_RATIO_TARGET = 1.5
RSS_TARGET_MB = 150.0
# Each endpoint's CPU per request over its floor twin's (issue 20): how close to the least
# work the stack allows. /healthz's twin has no middleware at all, so its ratio is the middleware's cost.
RATIO_TARGETS = {"users_me": 1.25, "order_list": 1.3, "order_detail": 1.3, "order_create": 1.5, "healthz": 1.15}
ENDPOINTS = {
    "users_me": "GET users/me/",
    "order_list": "GET orders/",
    "order_detail": "GET orders/<id>/",
    "order_create": "POST orders/",
    "healthz": "/healthz",
}

Row = tuple[str, str, str, bool | None]


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def ratio_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str, bool]]:
    """The headline: (endpoint, ours, floor, ratio, target, ok), CPU per request of the gunicorn workers."""
    rows = []
    load = results["served"]["load"]
    # In the order, whatever the order of measurement.
    for name in sorted(load, key=lambda name: list(ENDPOINTS).index(name)):
        entry = load[name]
        target = RATIO_TARGETS[name]
        ours, floor = (entry[side]["cpu_ms_per_request"]["app"] for side in ("ours", "floor"))
        label = ENDPOINTS.get(name, name)
        if name == "order_list":
            label += f" (25 rows of {SEEDED_ORDERS:,})"
        ratio = entry["ratio"]
        rows.append((label, f"{ours:.2f} ms", f"{floor:.2f} ms", f"{ratio:.2f}", f"<= {target:g}", ratio <= target))
    return rows


def round_ratios(entry: dict[str, Any]) -> list[float]:
    """Each round's CPU per request over its twin's in the same round, in the order measured.

    Information beside the verdict (which is on all rounds together): their spread shows how
    much the machine's neighbours moved one run's figures.
    """
    rounds = zip(entry["ours"].get("rounds", []), entry["floor"].get("rounds", []), strict=True)
    return [round(cpu_per_request(ours) / cpu_per_request(floor), 2) for ours, floor in rounds]


def evaluate(results: dict[str, Any]) -> list[Row]:
    """Rows of (figure, measured, target, ok); ok None for figures without a target."""
    rows: list[Row] = []
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
        for side in ("ours", "floor"):
            figures = entry[side]
            label = name if side == "ours" else f"{name} floor"
            # p50 and p99 are information: on a shared machine they move with the neighbours.
            rows.append(
                (
                    f"{label} req/s, p50, p99",
                    f"{figures['rps']:.0f}, {figures['p50_ms']} ms, {figures['p99_ms']} ms",
                    "",
                    None,
                )
            )
            rows.append(
                (f"{label} errors", f"{figures['errors']} of {figures['requests']}", "0", figures["errors"] == 0)
            )
            cpu = figures["cpu_ms_per_request"]
            rows.append(
                (f"{label} CPU/request app + db + redis", f"{cpu['app']} + {cpu['db']} + {cpu['redis']} ms", "", None)
            )
            # With every core busy, throughput cannot pass cores / CPU per request, and by Little's
            # law the mean latency at a fixed number of connections cannot fall below connections / that.
            floor = CONNECTIONS * sum(cpu.values()) / (os.cpu_count() or 1)
            rows.append((f"{label} mean latency floor", f"{floor:.1f} ms", "", None))
            rows.append((f"{label} busiest worker's share", f"{figures['busiest_worker_share']:.0%}", "", None))
        by_round = round_ratios(entry)
        if by_round:
            rows.append((f"{name} ratio by round", " ".join(f"{ratio:.2f}" for ratio in by_round), "", None))
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
    rows.extend(
        (f"{label} CPU/request ratio", ratio, target, ok) for label, _, _, ratio, target, ok in ratio_rows(results)
    )
    return rows


def print_ratio_table(rows: list[tuple[str, str, str, str, str, bool]]) -> None:
    """The ratio table as the issue lays it out: endpoint, ours, floor, ratio, target, verdict."""
    header = ("endpoint", "ours", "floor (same middleware)", "ratio", "target", "result")
    table = [header, *[(*row[:5], verdict(row[5])) for row in rows]]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in table[1:]:
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |")


def print_table(rows: list[Row]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    widths = [max(w, len(h)) for w, h in zip(widths, ("figure", "measured", "target"), strict=True)]
    header = ("figure", "measured", "target", "result")
    print("  ".join(h.ljust(w) for h, w in zip(header, [*widths, 6], strict=True)))
    print("  ".join("-" * w for w in [*widths, 6]))
    for figure, measured, target, ok in rows:
        print(f"{figure.ljust(widths[0])}  {measured.rjust(widths[1])}  {target.ljust(widths[2])}  {verdict(ok)}")


def draw_chart(results: dict[str, Any], path: Path) -> None:
    """CPU per request of each endpoint beside its floor twin's, and requests per second, as one PNG."""
    from PIL import Image, ImageDraw, ImageFont

    load = results["served"]["load"]
    names = list(load)
    width, height, margin = 1200, 560, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=15)
    small = ImageFont.load_default(size=12)
    title = ImageFont.load_default(size=18)
    colours = {"ours": (76, 114, 176), "floor": (150, 150, 150)}
    panels = [
        ("CPU per request in the workers (ms)", lambda side: side["cpu_ms_per_request"]["app"], "{:.2f}"),
        ("Throughput (requests per second)", lambda side: side["rps"], "{:.0f}"),
    ]
    panel_width = (width - margin) // 2
    for index, (label, value_of, text_format) in enumerate(panels):
        left = margin + index * panel_width
        right, top, bottom = left + panel_width - margin, 80, height - 90
        draw.text((left, 20), label, fill="black", font=title)
        peak = max(value_of(load[name][side]) for name in names for side in colours) or 1.0
        scale = (bottom - top) / (peak * 1.15)
        draw.line([(left, top), (left, bottom), (right, bottom)], fill="black", width=1)
        slot = (right - left) / len(names)
        bar = slot * 0.8 / len(colours)
        for position, name in enumerate(names):
            x = left + position * slot + slot * 0.1
            for side, colour in colours.items():
                value = value_of(load[name][side])
                draw.rectangle([x, bottom - value * scale, x + bar - 2, bottom], fill=colour)
                text = text_format.format(value)
                draw.text((x + bar / 2, bottom - value * scale - 3), text, fill="black", font=small, anchor="mb")
                x += bar
            caption = f"{name} x{load[name]['ratio']}" if index == 0 else name
            draw.text((left + (position + 0.5) * slot, bottom + 8), caption, fill="black", font=small, anchor="ma")
        legend_x = left
        for side, colour in colours.items():
            draw.rectangle([legend_x, height - 45, legend_x + 14, height - 31], fill=colour)
            draw.text((legend_x + 20, height - 38), side, fill="black", font=font, anchor="lm")
            legend_x += 80
    stamp = f"{results['started']}  load average at start {results['load_average_start']}; ratios are the figure"
    draw.text((width - 10, height - 10), stamp, fill=(90, 90, 90), font=small, anchor="rb")
    image.save(path)
