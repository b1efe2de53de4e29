"""The text a PDF made by fpdf2 shows, for tests: no PDF library is needed.

fpdf2 writes text in an embedded (subset) font as 2-byte glyph numbers, and
with each font a ToUnicode map from glyph to character. Each font numbers its
glyphs on its own, so the page's strings are decoded once with each map; the
text a person reads is in the decoding with the right map."""

import re
import zlib

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_TEXT_BLOCK = re.compile(rb"\bBT\b(.*?)\bET\b", re.S)
_STRING = re.compile(rb"\(((?:\\.|[^\\)])*)\)", re.S)  # in Tj, and in TJ arrays (justified lines)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(literal: bytes) -> bytes:
    def one(match):
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8)])
        return _ESCAPES.get(code, code)
    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.S)


def _streams(content: bytes):
    for match in _STREAM.finditer(content):
        data = match.group(1)
        try:
            yield zlib.decompress(data)
        except zlib.error:
            yield data


def pdf_texts(content: bytes) -> list[str]:
    """The pages' text decoded with each font's map (whitespace collapsed)."""
    streams = list(_streams(content))
    maps = []
    for stream in streams:
        if b"beginbfchar" in stream:
            maps.append({int(glyph, 16): chr(int(char, 16))
                         for glyph, char in re.findall(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4})>",
                                                       stream.split(b"beginbfchar", 1)[1])})
    # One string per text block (a line), its pieces joined; glyph numbers are small, so the bytes
    # "BT"/"ET" cannot occur inside a string (each glyph's first byte is 0 in a subset).
    strings = [b"".join(_unescape(s) for s in _STRING.findall(block))
               for stream in streams for block in _TEXT_BLOCK.findall(stream)]
    texts = []
    for glyphs in maps:
        words = ["".join(glyphs.get(int.from_bytes(s[i:i + 2], "big"), "\ufffd") for i in range(0, len(s) - 1, 2))
                 for s in strings]
        texts.append(" ".join(" ".join(words).split()))
    return texts


def pdf_shows(content: bytes, text: str) -> bool:
    return any(text in decoded for decoded in pdf_texts(content))
