"""From a photo to a person detector's input tensor, matching what the model was trained on.

The steps, in order:
  1. open the image and convert it to RGB (whatever its mode: palette, CMYK, grayscale);
  2. resize it to the input's width x height (no crop, aspect ratio not kept) with PIL's
     filter (`resize`, default bilinear);
  3. for a 1-channel input, convert to grayscale (PIL's "L": ITU-R 601 luma) after resizing;
  4. pixels / 255, then mapped linearly to [low, high] (`range`: [0, 1], [-1, 1], [0, 255], ...);
  5. quantized with the input's scale and zero point: round(x / scale) + zero_point (ties to even),
     clipped to the integer type; a float input takes x as it is.
These are the steps that give the reference accuracies in ../shared/models/README.md (110/128 for
mlperf_vww_96_int8, 96/128 for tflm_person_detect_int8 on coco128_person); converting to
grayscale before resizing instead gives 97/128 for the latter.

What is inferred from the model's input tensor (each can be overridden, see parse_overrides):
  - size: the input's H x W (NHWC);
  - color: 1 channel -> gray, 3 channels -> rgb;
  - range: the real values the quantized input can represent, [scale * (qmin - zp), scale *
    (qmax - zp)], are compared with [0, 1], [-1, 1] and [0, 255]; the candidate both of whose
    ends are within 5% of its span is the range. mlperf_vww_96_int8 (scale 1/255, zp -128)
    represents [0, 1] exactly; tflm_person_detect_int8 (scale 2/255, zp -1) represents
    [-0.996, 1.004]: [-1, 1]. A float input has no quantization to go by: [0, 1] is assumed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinygen.errors import TinygenError
from tinygen.ir import Tensor

CANDIDATE_RANGES = ((0.0, 1.0), (-1.0, 1.0), (0.0, 255.0))
RANGE_TOLERANCE = 0.05  # of the candidate's span
COLORS = ("rgb", "gray")
RESIZE_FILTERS = ("bilinear", "nearest", "bicubic", "box", "lanczos")
KEYS = ("range", "color", "resize")


@dataclass(frozen=True)
class Preprocess:
    height: int
    width: int
    color: str  # "rgb" or "gray"
    low: float
    high: float
    resize: str = "bilinear"
    dtype: str = "int8"
    scale: float | None = None  # None: a float input
    zero_point: int = 0
    # Where each setting came from: "inferred ..." or "--preprocess".
    reasons: dict = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        return {"height": self.height, "width": self.width, "color": self.color, "range": [self.low, self.high],
                "resize": self.resize, "dtype": self.dtype, "scale": self.scale, "zero_point": self.zero_point,
                "reasons": dict(self.reasons)}

    def describe(self) -> str:
        quant = (f", quantized with scale {self.scale:.6g} zero point {self.zero_point} ({self.dtype})"
                 if self.scale is not None else f" ({self.dtype})")
        return (f"{self.width}x{self.height} {'grayscale' if self.color == 'gray' else 'RGB'}, {self.resize} resize, "
                f"pixels to [{self.low:g}, {self.high:g}]{quant}")

    def spec(self) -> str:
        """The --preprocess text that gives these settings."""
        return f"range={self.low:g},{self.high:g},color={self.color},resize={self.resize}"

    def image(self, path: Path):
        """The image as the model sees it (resized, in its colors), a PIL image."""
        return read_image(path, self.width, self.height, self.color, self.resize)

    def values(self, path: Path) -> np.ndarray:
        """The real values the model sees for the image at `path`: float32, shape (1, H, W, C)."""
        channels = 1 if self.color == "gray" else 3
        pixels = np.asarray(self.image(path), np.float32).reshape(1, self.height, self.width, channels)
        return np.float32(self.low) + (pixels / np.float32(255)) * np.float32(self.high - self.low)

    def tensor(self, path: Path) -> np.ndarray:
        """The model input for the image at `path`: shape (1, H, W, C), the input's dtype."""
        x = self.values(path)
        if self.scale is None:
            return x.astype(self.dtype)
        info = np.iinfo(self.dtype)
        q = np.round(x / np.float32(self.scale)) + self.zero_point
        return np.clip(q, info.min, info.max).astype(self.dtype)


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".ppm", ".pgm", ".webp", ".tif", ".tiff"}


def read_image(path: Path, width: int, height: int, color: str = "rgb", resize: str = "bilinear"):
    """An image file converted to RGB, resized to width x height, then to grayscale for color
    "gray": a PIL image. Every command that takes photos reads them here."""
    from PIL import Image

    try:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
    except OSError as e:
        raise TinygenError(f"{path}: not a readable image ({e})") from None
    image = image.resize((width, height), getattr(Image, resize.upper()))
    return image.convert("L") if color == "gray" else image


def infer_preprocess(t: Tensor, overrides: dict | None = None) -> Preprocess:
    """The preprocessing for input tensor `t` (see the module's docstring), with `overrides`
    (from parse_overrides) taking precedence."""
    overrides = dict(overrides or {})
    if len(t.shape) != 4 or t.shape[0] != 1:
        raise TinygenError(f"input '{t.name}' has shape {list(t.shape)}; an image model takes 1 x H x W x C")
    height, width, channels = t.shape[1:]
    reasons = {}
    if "color" in overrides:
        color = overrides["color"]
        reasons["color"] = "--preprocess"
    elif channels in (1, 3):
        color = "gray" if channels == 1 else "rgb"
        reasons["color"] = f"inferred: {channels} input channel{'s' if channels > 1 else ''}"
    else:
        raise TinygenError(f"input '{t.name}' has {channels} channels; images have 1 (gray) or 3 (RGB)")
    if (color == "gray") != (channels == 1):
        raise TinygenError(f"color={color} does not fit input '{t.name}' with {channels} channel(s)")
    quantized = np.dtype(t.dtype).kind in "iu" and t.quant is not None
    if np.dtype(t.dtype).kind in "iu" and t.quant is None:
        raise TinygenError(f"input '{t.name}' is {t.dtype} without quantization parameters")
    if "range" in overrides:
        low, high = overrides["range"]
        reasons["range"] = "--preprocess"
    elif quantized:
        (low, high), reasons["range"] = infer_range(t)
    else:
        low, high = 0.0, 1.0
        reasons["range"] = f"assumed: a {t.dtype} input has no quantization to infer it from"
    resize = overrides.get("resize", "bilinear")
    reasons["resize"] = "--preprocess" if "resize" in overrides else "default"
    reasons["size"] = f"inferred: input shape {'x'.join(map(str, t.shape))}"
    return Preprocess(height, width, color, float(low), float(high), resize, t.dtype,
                      float(t.quant.s) if quantized else None, t.quant.zp if quantized else 0, reasons)


def representable_range(t: Tensor) -> tuple[float, float]:
    info = np.iinfo(t.dtype)
    s, zp = float(t.quant.s), t.quant.zp
    return s * (info.min - zp), s * (info.max - zp)


def infer_range(t: Tensor) -> tuple[tuple[float, float], str]:
    lo, hi = representable_range(t)
    for low, high in CANDIDATE_RANGES:
        tolerance = RANGE_TOLERANCE * (high - low)
        if abs(lo - low) <= tolerance and abs(hi - high) <= tolerance:
            return (low, high), (f"inferred: scale {float(t.quant.s):.6g} and zero point {t.quant.zp} "
                                 f"represent [{lo:.4g}, {hi:.4g}]")
    raise TinygenError(f"input '{t.name}' (scale {float(t.quant.s):.6g}, zero point {t.quant.zp}) represents "
                       f"[{lo:.4g}, {hi:.4g}], none of [0, 1], [-1, 1], [0, 255]: say which pixel range the "
                       "model was trained on with --preprocess range=LOW,HIGH")


def parse_overrides(texts) -> dict:
    """--preprocess settings, e.g. "range=-1,1,color=gray,resize=bilinear" (several options or
    several settings in one; commas or spaces between settings)."""
    overrides: dict = {}
    for text in texts or ():
        starts = list(re.finditer(r"(?:^|[,;\s])\s*([A-Za-z_]+)\s*=", text))
        if not starts or text[:starts[0].start()].strip(" ,;"):
            raise TinygenError(f"--preprocess {text!r}: expected settings like range=-1,1,color=gray,resize=bilinear")
        for m, following in zip(starts, starts[1:] + [None]):
            key = m.group(1).lower()
            value = text[m.end():following.start() if following else len(text)].strip(" ,;")
            overrides[key] = _setting(key, value, text)
    return overrides


def _setting(key: str, value: str, text: str):
    if key == "range":
        parts = [p for p in re.split(r"[,:\s]+", value.strip("[]() ")) if p]
        try:
            low, high = (float(p) for p in parts)
        except ValueError:
            raise TinygenError(f"--preprocess range={value}: expected two numbers, e.g. range=0,1 or range=-1,1") from None
        if not high > low:
            raise TinygenError(f"--preprocess range={value}: the high end must be above the low end")
        return low, high
    if key == "color":
        aliases = {"rgb": "rgb", "color": "rgb", "colour": "rgb", "gray": "gray", "grey": "gray",
                   "grayscale": "gray", "greyscale": "gray", "l": "gray"}
        if value.lower() not in aliases:
            raise TinygenError(f"--preprocess color={value}: expected rgb or gray")
        return aliases[value.lower()]
    if key == "resize":
        if value.lower() not in RESIZE_FILTERS:
            raise TinygenError(f"--preprocess resize={value}: expected one of {', '.join(RESIZE_FILTERS)}")
        return value.lower()
    raise TinygenError(f"--preprocess {text!r}: unknown setting {key!r} (known: {', '.join(KEYS)})")
