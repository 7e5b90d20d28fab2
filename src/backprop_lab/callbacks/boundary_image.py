"""Draw a decision-boundary picture with NumPy alone: P(y=1) as colour, the 0.5 line, the data points.

Drawn with array operations rather than a matplotlib figure because it runs
during training: a figure with axes and text costs more to draw than an XOR
epoch, these arrays a small fraction of that (docs/performance.md).
The README's filmstrip (`backprop_lab.analysis.filmstrip`) adds axes and titles with
matplotlib afterwards, where time does not matter.
"""

import numpy as np

# A diverging scale: blue for P(y=1) = 0, near-white at 0.5, red at 1 (ColorBrewer RdBu's ends and middle).
BLUE, WHITE, RED = np.array([33, 102, 172.0]), np.array([247, 247, 247.0]), np.array([178, 24, 43.0])
POINT_COLOURS = np.array([(5, 48, 97), (103, 0, 13)], dtype=np.uint8)  # class 0, 1: darker than their background
BOUNDARY = (0, 0, 0)
# Points drawn at most: more only hide one another, and each costs a few index operations (a million
# points took over a minute a picture). A larger set is thinned to an evenly spaced selection of its rows.
MAX_POINTS = 500


def colour(probs: np.ndarray) -> np.ndarray:
    """Map probabilities (H, W) to RGB uint8 (H, W, 3) on the blue-white-red scale."""
    p = np.clip(probs, 0.0, 1.0)[..., None]
    low = BLUE + (WHITE - BLUE) * (2 * p)
    high = WHITE + (RED - WHITE) * (2 * p - 1)
    return np.where(p < 0.5, low, high).round().astype(np.uint8)


def upsample(grid: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of an (n, n) grid to (size, size), n >= 2.

    Element-wise (gather and blend, rows then columns) rather than as matrix
    products: BLAS would start worker threads, which on a busy machine wait
    for a core longer than the whole resize takes.
    """
    n = grid.shape[0]
    position = np.linspace(0, n - 1, size)
    low = np.minimum(np.floor(position).astype(int), n - 2)
    frac = position - low
    rows = grid[low] * (1 - frac)[:, None] + grid[low + 1] * frac[:, None]
    return rows[:, low] * (1 - frac) + rows[:, low + 1] * frac


def render_boundary(
    probs: np.ndarray,
    extent: tuple[float, float, float, float],
    x: np.ndarray,
    y: np.ndarray,
    size: int = 240,
    max_points: int = MAX_POINTS,
) -> np.ndarray:
    """An RGB image (size, size, 3) of `probs` (rows: ascending x1, columns: ascending x0) over `extent`.

    The image's top row is the highest x1, as on a plot. Pixels where the
    probability crosses 0.5 are black (the decision boundary); each data point
    is a disc in its class's colour with a white ring; of more than
    `max_points` points, `max_points` evenly spaced rows are drawn.
    """
    smooth = upsample(probs.astype(float), size)[::-1]
    image = colour(smooth)
    _mark_boundary(image, smooth >= 0.5)
    x, y = _thinned(x, y, max_points)
    _draw_points(image, x, POINT_COLOURS[(y > 0.5).astype(int)], extent)
    return image


# One colour per class for multi-class pictures (ColorBrewer Set1's first ten, colour-blind friendlier order).
PALETTE = np.array(
    [
        [55, 126, 184], [228, 26, 28], [77, 175, 74], [152, 78, 163], [255, 127, 0],
        [166, 86, 40], [247, 129, 191], [153, 153, 153], [255, 255, 51], [0, 0, 0],
    ],
    dtype=float,
)  # fmt: skip


def render_regions(
    probs: np.ndarray,
    extent: tuple[float, float, float, float],
    x: np.ndarray,
    y: np.ndarray,
    size: int = 240,
    max_points: int = MAX_POINTS,
) -> np.ndarray:
    """An RGB image (size, size, 3) of class probabilities `probs` (n, n, C): a coloured region per class.

    Each pixel takes the colour of its most likely class, paler where the
    network is less sure; black where the most likely class changes (the
    decision boundaries); each data point is a disc in its class's colour.
    """
    smooth = np.stack([upsample(probs[..., k].astype(float), size) for k in range(probs.shape[-1])], axis=-1)[::-1]
    best = smooth.argmax(axis=-1)
    colours = PALETTE[best % len(PALETTE)]
    sure = smooth.max(axis=-1, keepdims=True)
    image = (255 - (255 - colours) * (0.25 + 0.5 * sure)).round().astype(np.uint8)
    _mark_boundary(image, best)
    x, y = _thinned(x, y, max_points)
    _draw_points(image, x, (PALETTE[y.astype(int) % len(PALETTE)] * 0.7).astype(np.uint8), extent)
    return image


def render_scatter(true: np.ndarray, predicted: np.ndarray, size: int = 240) -> np.ndarray:
    """An RGB image (size, size, 3) of predicted against true values: a regression's picture.

    Both axes span the same range (the smallest to the largest value of
    either), so a perfect model puts every point on the grey diagonal from
    bottom left to top right; points above it are over-predicted.
    """
    image = np.full((size, size, 3), 255, dtype=np.uint8)
    diagonal = np.arange(size)
    image[size - 1 - diagonal, diagonal] = (160, 160, 160)
    low = float(min(true.min(), predicted.min()))
    high = float(max(true.max(), predicted.max()))
    span = high - low or 1.0
    cols = np.rint((true - low) / span * (size - 1)).astype(int)
    rows = size - 1 - np.rint((predicted - low) / span * (size - 1)).astype(int)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            image[np.clip(rows + dr, 0, size - 1), np.clip(cols + dc, 0, size - 1)] = BLUE.astype(np.uint8)
    return image


def _mark_boundary(image: np.ndarray, labels: np.ndarray) -> None:
    """Paint black the pixels where `labels` (the class each pixel shows) changes to the next row or column."""
    edge = np.zeros(labels.shape, dtype=bool)
    edge[:-1] |= labels[:-1] != labels[1:]
    edge[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    image[edge] = BOUNDARY


def _thinned(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Of more than `max_points` rows, `max_points` evenly spaced ones with their labels.

    Thinned before the points are coloured: a colour per row of a million
    rows took tens of MB, at the run's start, for 500 points drawn.
    """
    if len(x) <= max_points:
        return x, y
    rows_drawn = np.linspace(0, len(x) - 1, max_points).round().astype(int)
    return x[rows_drawn], y[rows_drawn]


def _draw_points(
    image: np.ndarray, x: np.ndarray, colours: np.ndarray, extent: tuple[float, float, float, float]
) -> None:
    """Each row of `x` as a disc of its colour (a row of `colours`) with a white ring."""
    size = image.shape[0]
    x_lo, x_hi, y_lo, y_hi = extent
    cols = np.rint((x[:, 0] - x_lo) / (x_hi - x_lo) * (size - 1)).astype(int)
    rows = np.rint((y_hi - x[:, 1]) / (y_hi - y_lo) * (size - 1)).astype(int)
    radius = 6 if len(x) <= 64 else 3
    offsets = np.arange(-radius, radius + 1)
    dist2 = offsets[:, None] ** 2 + offsets[None, :] ** 2
    for row, col, point_colour in zip(rows, cols, colours, strict=True):
        r, c = row + offsets, col + offsets
        keep_r, keep_c = (r >= 0) & (r < size), (c >= 0) & (c < size)
        patch = image[np.ix_(r[keep_r], c[keep_c])]
        d2 = dist2[np.ix_(keep_r, keep_c)]
        patch[d2 <= radius**2] = (255, 255, 255)
        patch[d2 <= (radius - 2) ** 2] = point_colour
        image[np.ix_(r[keep_r], c[keep_c])] = patch
