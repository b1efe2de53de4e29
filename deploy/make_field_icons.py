"""Draws the field app's home-screen icons (static/field/icons/icon-192.png and
icon-512.png): a white cross on a white-ringed disc on the field pages' blue,
full-bleed so that Android may crop it to any shape ("maskable").
Run once from the repository root: .venv/bin/python deploy/make_field_icons.py"""

from pathlib import Path

from PIL import Image, ImageDraw

BLUE, WHITE = "#0b5cad", "#ffffff"
OUT = Path(__file__).resolve().parent.parent / "static" / "field" / "icons"


def icon(size: int) -> Image.Image:
    scale = 4  # drawn large, then shrunk, for smooth edges
    big = size * scale
    image = Image.new("RGB", (big, big), BLUE)
    draw = ImageDraw.Draw(image)
    c, r = big / 2, big * 0.30  # inside the 40 % safe zone of a maskable icon
    draw.ellipse((c - r, c - r, c + r, c + r), outline=WHITE, width=int(big * 0.035))
    arm, half = big * 0.19, big * 0.06
    draw.rectangle((c - half, c - arm, c + half, c + arm), fill=WHITE)
    draw.rectangle((c - arm, c - half, c + arm, c + half), fill=WHITE)
    return image.resize((size, size), Image.LANCZOS)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)
