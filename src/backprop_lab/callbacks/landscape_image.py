"""Draw the loss-landscape pictures with NumPy and Pillow (the plane with the path on it, the 1-D line); write them.

Drawn without matplotlib for the reason `boundary_image.py` gives: these are
drawn during the run, and importing matplotlib and laying out two figures
would cost more than the default XOR run's whole training (a few tens of ms
here). The sweep's shared-plane picture (`analysis/landscape_paths.py`) is drawn
after the runs, with matplotlib.
"""

import functools
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Viridis at nine evenly spaced stops: low loss dark purple, high loss yellow.
VIRIDIS = np.array(
    [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
     [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]], dtype=float,
)  # fmt: skip
LEVELS = 12  # contour bands of log10(loss) across the picture
# TensorBoard's image panel shows a picture about 310 px wide at its default size: text of 26 px on a picture
# about 700 px wide reads at about 12 px there. PLANE_LEFT and PLANE_TOP: where the plane's field starts.
BIG, SMALL, PLANE_LEFT, PLANE_TOP = 28, 25, 120, 100
TEXT, GRID_LINE, PATH, START, END = (20, 20, 20), (160, 160, 160), (255, 255, 255), (0, 200, 255), (255, 60, 60)


@functools.cache
def font(size: int = 13) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable font
    except TypeError:
        return ImageFont.load_default()


def _lookup_table() -> np.ndarray:
    """Viridis at 256 levels, as uint8: colouring a picture is then one indexing operation."""
    position = np.linspace(0, len(VIRIDIS) - 1, 256)
    low = np.minimum(np.floor(position).astype(int), len(VIRIDIS) - 2)
    frac = (position - low)[:, None]
    return (VIRIDIS[low] * (1 - frac) + VIRIDIS[low + 1] * frac).round().astype(np.uint8)


LOOKUP = _lookup_table()


def resized(values: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of a 2-D array of values in [0, 1] to (height, width), through Pillow's float images."""
    image = Image.fromarray(values.astype(np.float32))
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))


def colour(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB uint8 on the viridis scale."""
    return LOOKUP[(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)]


def log_scale(losses: np.ndarray) -> tuple[np.ndarray, float, float]:
    """log10 of the losses (non-finite ones at the largest finite value), and its range."""
    finite = np.isfinite(losses)
    top = losses[finite].max() if finite.any() else 1.0
    logs = np.log10(np.maximum(np.where(finite, losses, top), 1e-12))
    return logs, float(logs.min()), float(max(logs.max(), logs.min() + 1e-6))


def log_ticks(lo: float, hi: float) -> list[float]:
    """Tick positions in log10 units between lo and hi: whole decades, or 1-2-5 steps within a short range."""
    decades = [float(d) for d in range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1)]
    if len(decades) >= 2:
        stride = max(1, math.ceil(len(decades) / 6))
        return decades[::stride]
    ticks = [
        math.log10(m) + d for d in range(math.floor(lo) - 1, math.ceil(hi) + 1) for m in (1, 2, 5)
    ]  # fmt: skip
    inside = [t for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]
    return inside if len(inside) >= 2 else [lo, hi]


def render_plane(
    grid: np.ndarray,
    alphas: np.ndarray,
    betas: np.ndarray,
    path: np.ndarray,
    axis_names: tuple[str, str],
    caption: str,
    size: int = 380,
) -> np.ndarray:
    """RGB image: log10(loss) over the (alpha, beta) grid (rows: beta) with the path, its start and its end.

    Drawn to scale: one unit of alpha and of beta take the same number of
    pixels (`landscape_math.plane_axes` gives both axes one grid spacing), so
    the longer side is `size` pixels and the shorter one in proportion.
    """
    logs, lo, hi = log_scale(grid)
    span_a, span_b = float(alphas[-1] - alphas[0]), float(betas[-1] - betas[0])
    per_unit = size / max(span_a, span_b)
    width, height = max(2, round(span_a * per_unit)), max(2, round(span_b * per_unit))
    smooth = resized((logs - lo) / (hi - lo), width, height)[::-1]
    field = colour(smooth)
    bands = np.floor(smooth * LEVELS)
    edge = np.zeros(bands.shape, dtype=bool)
    edge[:-1] |= bands[:-1] != bands[1:]
    edge[:, :-1] |= bands[:, :-1] != bands[:, 1:]
    field[edge] = (field[edge] * 0.6).astype(np.uint8)

    big, small = font(BIG), font(SMALL)
    left, top, bar = PLANE_LEFT, PLANE_TOP, 190
    bar_h = max(height, 200)
    canvas = Image.new("RGB", (left + max(width, 380) + bar, top + bar_h + 120), "white")
    canvas.paste(Image.fromarray(field), (left, top))
    draw = ImageDraw.Draw(canvas)

    def pixel(a: float, b: float) -> tuple[float, float]:
        return left + (a - alphas[0]) * per_unit, top + (betas[-1] - b) * per_unit

    points = [pixel(a, b) for a, b in path]
    if len(points) > 1:
        draw.line(points, fill=PATH, width=2, joint="curve")
    for x, y in points:
        draw.ellipse((x - 2, y - 2, x + 2, y + 2), fill=PATH)
    for (x, y), fill, label in ((points[0], START, "start"), (points[-1], END, "end")):
        draw.ellipse((x - 9, y - 9, x + 9, y + 9), fill=fill, outline="black", width=2)
        draw.text((x + 11, y - 32), label, fill="white", font=big, stroke_width=2, stroke_fill="black")

    draw.multiline_text((6, 4), caption, fill=TEXT, font=small, spacing=4)
    for value in axis_ticks(float(alphas[0]), float(alphas[-1])):
        x = pixel(value, 0.0)[0]
        draw.line((x, top + height, x, top + height + 5), fill=TEXT)
        draw.text((x, top + height + 8), f"{value:.3g}", fill=TEXT, font=small, anchor="mt")
    for value in axis_ticks(float(betas[0]), float(betas[-1])):
        y = pixel(0.0, value)[1]
        draw.line((left - 5, y, left, y), fill=TEXT)
        draw.text((left - 8, y), f"{value:.3g}", fill=TEXT, font=small, anchor="rm")
    draw.text((left + width / 2, top + height + 40), axis_names[0], fill=TEXT, font=big, anchor="mt")
    draw.text((4, top - 34), axis_names[1], fill=TEXT, font=big)
    draw.text((4, top + height + 80), "axes to scale (equal units per pixel)", fill=TEXT,
              font=small)  # fmt: skip

    bar_x = left + width + 16
    scale = colour(np.linspace(1, 0, bar_h))[:, None, :].repeat(20, axis=1)
    canvas.paste(Image.fromarray(scale), (bar_x, top))
    for tick in log_ticks(lo, hi):
        y = top + (hi - tick) / (hi - lo) * (bar_h - 1)
        draw.line((bar_x + 20, y, bar_x + 26, y), fill=TEXT)
        draw.text((bar_x + 30, y), f"{10**tick:.3g}", fill=TEXT, font=small, anchor="lm")
    draw.text((bar_x - 30, top - 34), "loss (log)", fill=TEXT, font=small)
    return np.asarray(canvas)


def axis_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten apart) within [lo, hi]."""
    span = max(hi - lo, 1e-12)
    raw = span / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 12) for i in range(int((hi - first) / step + 1e-9) + 1)]


def render_line(ts: np.ndarray, losses: np.ndarray, caption: str, width: int = 700, height: int = 480) -> np.ndarray:
    """RGB image: the loss along initial -> final weights (t = 0 -> 1), log scale with ticks, both ends marked."""
    logs, lo, hi = log_scale(losses)
    left, top, right, bottom = 110, 110, 24, 84
    plot_w, plot_h = width - left - right, height - top - bottom
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    small = font(SMALL)

    def pixel(t: float, value: float) -> tuple[float, float]:
        x = left + (t - ts[0]) / (ts[-1] - ts[0]) * plot_w
        return x, top + (hi - value) / (hi - lo) * plot_h

    draw.rectangle((left, top, left + plot_w, top + plot_h), outline=GRID_LINE)
    for t in axis_ticks(float(ts[0]), float(ts[-1])):
        x = pixel(t, lo)[0]
        draw.line((x, top + plot_h, x, top + plot_h + 5), fill=TEXT)
        draw.text((x, top + plot_h + 8), f"{t:g}", fill=TEXT, font=small, anchor="mt")
    for tick in log_ticks(lo, hi):
        y = pixel(0.0, tick)[1]
        draw.line((left - 5, y, left, y), fill=TEXT)
        draw.line((left, y, left + plot_w, y), fill=(230, 230, 230))
        draw.text((left - 8, y), f"{10**tick:.3g}", fill=TEXT, font=small, anchor="rm")
    for t, fill in ((0.0, START), (1.0, END)):
        x, _ = pixel(t, lo)
        draw.line((x, top, x, top + plot_h), fill=fill, width=1)
    draw.line([pixel(t, v) for t, v in zip(ts, logs, strict=True)], fill=(40, 40, 160), width=2, joint="curve")
    for t, label in ((0.0, "initial"), (1.0, "final")):
        x, y = pixel(t, float(np.interp(t, ts, logs)))
        draw.ellipse((x - 5, y - 5, x + 5, y + 5), fill=START if t == 0 else END, outline="black")
        draw.text((x + 9, y - 32), label, fill=TEXT, font=small)
    draw.multiline_text((6, 4), caption, fill=TEXT, font=small, spacing=4)
    draw.text((left + plot_w / 2, top + plot_h + 42), "t: initial + t x (final - initial)", fill=TEXT,
              font=small, anchor="mt")  # fmt: skip
    draw.text((6, top - 32), "loss (log scale)", fill=TEXT, font=small)
    return np.asarray(canvas)


def write_landscape(folder: Path, result: dict[str, np.ndarray], pngs: dict[str, bytes]) -> None:
    """<name>.png per picture (its encoded bytes, `images.png_bytes`) and landscape.npz.

    Each is written to a temporary name and renamed: never half a file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for name, png in pngs.items():
        (folder / f".{name}.png.tmp").write_bytes(png)
        (folder / f".{name}.png.tmp").replace(folder / f"{name}.png")
    with open(folder / ".landscape.npz.tmp", "wb") as file:
        np.savez(file, **result)
    (folder / ".landscape.npz.tmp").replace(folder / "landscape.npz")
