"""Draw the loss-landscape pictures with NumPy and Pillow (the plane with the path on it, the 1-D line); write them.

Drawn without matplotlib for the reason `boundary_image.py` gives: these are
drawn during the run, and importing matplotlib and laying out two figures
would cost more than the default XOR run's whole training (a few tens of ms
here). The sweep's shared-plane picture (`analysis/landscape_paths.py`) is drawn
after the runs, with matplotlib.
"""

import functools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from backprop_lab.callbacks.boundary_image import upsample

# Viridis at nine evenly spaced stops: low loss dark purple, high loss yellow.
VIRIDIS = np.array(
    [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
     [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]], dtype=float,
)  # fmt: skip
LEVELS = 12  # contour bands of log10(loss) across the picture
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


def colour(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] to RGB uint8 on the viridis scale."""
    return LOOKUP[(np.clip(values, 0.0, 1.0) * 255).astype(np.uint8)]


def log_scale(losses: np.ndarray) -> tuple[np.ndarray, float, float]:
    """log10 of the losses (non-finite ones at the largest finite value), and its range."""
    finite = np.isfinite(losses)
    top = losses[finite].max() if finite.any() else 1.0
    logs = np.log10(np.maximum(np.where(finite, losses, top), 1e-12))
    return logs, float(logs.min()), float(max(logs.max(), logs.min() + 1e-6))


def render_plane(
    grid: np.ndarray,
    alphas: np.ndarray,
    betas: np.ndarray,
    path: np.ndarray,
    axis_names: tuple[str, str],
    caption: str,
    size: int = 360,
) -> np.ndarray:
    """RGB image: log10(loss) over the (alpha, beta) grid (rows: beta) with the path, its start and its end."""
    logs, lo, hi = log_scale(grid)
    smooth = upsample((logs - lo) / (hi - lo), size)[::-1]
    field = colour(smooth)
    bands = np.floor(smooth * LEVELS)
    edge = np.zeros(bands.shape, dtype=bool)
    edge[:-1] |= bands[:-1] != bands[1:]
    edge[:, :-1] |= bands[:, :-1] != bands[:, 1:]
    field[edge] = (field[edge] * 0.6).astype(np.uint8)

    left, top, bar = 60, 44, 86  # bar: the colour scale and labels such as 3.69e-05
    canvas = Image.new("RGB", (left + size + bar, top + size + 40), "white")
    canvas.paste(Image.fromarray(field), (left, top))
    draw = ImageDraw.Draw(canvas)
    small = font(12)

    def pixel(a: float, b: float) -> tuple[float, float]:
        x = left + (a - alphas[0]) / (alphas[-1] - alphas[0]) * (size - 1)
        y = top + (betas[-1] - b) / (betas[-1] - betas[0]) * (size - 1)
        return x, y

    points = [pixel(a, b) for a, b in path]
    if len(points) > 1:
        draw.line(points, fill=PATH, width=2, joint="curve")
    for x, y in points:
        draw.ellipse((x - 1.5, y - 1.5, x + 1.5, y + 1.5), fill=PATH)
    for (x, y), fill, label in ((points[0], START, "start"), (points[-1], END, "end")):
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=fill, outline="black", width=2)
        draw.text((x + 8, y - 16), label, fill="white", font=small, stroke_width=2, stroke_fill="black")

    draw.multiline_text((6, 4), caption, fill=TEXT, font=small, spacing=2)
    draw.text((left, top + size + 4), f"{alphas[0]:.3g}", fill=TEXT, font=small)
    right = f"{alphas[-1]:.3g}"
    draw.text((left + size - draw.textlength(right, font=small), top + size + 4), right, fill=TEXT, font=small)
    draw.text((left + size / 2 - 40, top + size + 20), axis_names[0], fill=TEXT, font=small)
    draw.text((4, top), f"{betas[-1]:.3g}", fill=TEXT, font=small)
    draw.text((4, top + size - 14), f"{betas[0]:.3g}", fill=TEXT, font=small)
    draw.text((4, top + size / 2 - 7), axis_names[1], fill=TEXT, font=small)

    scale = colour(np.linspace(1, 0, size))[:, None, :].repeat(14, axis=1)
    canvas.paste(Image.fromarray(scale), (left + size + 8, top))
    draw.text((left + size + 26, top), f"{10**hi:.3g}", fill=TEXT, font=small)
    draw.text((left + size + 26, top + size - 14), f"{10**lo:.3g}", fill=TEXT, font=small)
    draw.text((left + size + 26, top + size / 2 - 7), "loss", fill=TEXT, font=small)
    return np.asarray(canvas)


def render_line(ts: np.ndarray, losses: np.ndarray, caption: str, width: int = 430, height: int = 260) -> np.ndarray:
    """RGB image: the loss along initial -> final weights (t = 0 -> 1), log scale, both ends marked."""
    logs, lo, hi = log_scale(losses)
    left, top, right, bottom = 60, 40, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    small = font(12)

    def pixel(t: float, value: float) -> tuple[float, float]:
        x = left + (t - ts[0]) / (ts[-1] - ts[0]) * plot_w
        return x, top + (hi - value) / (hi - lo) * plot_h

    draw.rectangle((left, top, left + plot_w, top + plot_h), outline=GRID_LINE)
    for t, fill, label in ((0.0, START, "initial"), (1.0, END, "final")):
        x, _ = pixel(t, lo)
        draw.line((x, top, x, top + plot_h), fill=fill, width=1)
        draw.text((x - 16, top + plot_h + 4), f"{label}", fill=TEXT, font=small)
    draw.line([pixel(t, v) for t, v in zip(ts, logs, strict=True)], fill=(40, 40, 160), width=2, joint="curve")
    for t in (0.0, 1.0):
        x, y = pixel(t, float(np.interp(t, ts, logs)))
        draw.ellipse((x - 4, y - 4, x + 4, y + 4), fill=START if t == 0 else END, outline="black")
    draw.multiline_text((6, 4), caption, fill=TEXT, font=small, spacing=2)
    draw.text((4, top), f"{10**hi:.3g}", fill=TEXT, font=small)
    draw.text((4, top + plot_h - 14), f"{10**lo:.3g}", fill=TEXT, font=small)
    draw.text((left + plot_w / 2 - 50, top + plot_h + 20), "t (weights = initial + t * (final - initial))", fill=TEXT,
              font=small)  # fmt: skip
    return np.asarray(canvas)


def write_landscape(folder: Path, result: dict[str, np.ndarray], pictures: dict[str, np.ndarray]) -> None:
    """<name>.png per picture and landscape.npz, each written to a temporary name and renamed: never half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, image in pictures.items():
        Image.fromarray(image).save(folder / f".{name}.png.tmp", format="PNG")
        (folder / f".{name}.png.tmp").replace(folder / f"{name}.png")
    with open(folder / ".landscape.npz.tmp", "wb") as file:
        np.savez(file, **result)
    (folder / ".landscape.npz.tmp").replace(folder / "landscape.npz")
