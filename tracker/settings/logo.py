"""The clinic's logo on letters and summaries: checked, re-encoded, sized and stored.

An upload is never kept as sent: Pillow (already here for WeasyPrint) must read it as a PNG or
JPEG, and what is stored is a fresh encoding of its pixels (no metadata, no trailing bytes),
scaled to fit the letterhead. SVG is refused: it can carry scripts and external references. The
image lives in the database (one row), so backups carry it and no file path is ever built from
a name a browser sent; letters embed it as a data: URI (the CSP allows data: images and the PDF
renderer fetches nothing)."""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from io import BytesIO

from flask import g, has_request_context
from sqlalchemy import select

from ..extensions import db
from .models import ClinicLogo

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# What the logo form's request may carry (the app's 1 MB limit would answer a 413 page before
# the form could say the file is too large beside the field).
MAX_REQUEST_BYTES = 8 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000   # a small file that unpacks to a huge image is refused unread
BOX = (600, 200)                 # the largest the letterhead shows, in pixels
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


class LogoError(ValueError):
    """The upload is not a logo we can use; the message is said beside the field."""


@dataclass(frozen=True)
class Encoded:
    mimetype: str
    data: bytes
    width: int
    height: int


def encode(raw: bytes) -> Encoded:
    """The upload as a fresh PNG (keeping transparency) or JPEG no larger than BOX."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(raw) > MAX_UPLOAD_BYTES:
        raise LogoError(f"The file is {len(raw) / 1024 / 1024:.1f} MB; choose an image of at "
                        f"most {MAX_UPLOAD_BYTES // 1024 // 1024} MB.")
    try:
        with Image.open(BytesIO(raw)) as image:
            if image.format not in FORMATS:
                raise LogoError("Choose a PNG or JPEG image (SVG and other formats are not "
                                "accepted).")
            if image.width * image.height > MAX_SOURCE_PIXELS:
                raise LogoError("The image is too large in pixels; choose one under "
                                "6000 × 6000.")
            image.load()
            kind = image.format
            image = ImageOps.exif_transpose(image)
    except LogoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError,
            ValueError) as e:
        raise LogoError("This file is not a PNG or JPEG image.") from e
    image.thumbnail(BOX)
    out = BytesIO()
    if kind == "PNG":
        image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info
                              else "RGB")
        image.save(out, "PNG", optimize=True)
    else:
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    return Encoded(FORMATS[kind], out.getvalue(), image.width, image.height)


def current() -> ClinicLogo | None:
    """The stored logo (read once per request: a letter's page and its PDF both ask)."""
    if has_request_context():
        if "clinic_logo" not in g:
            g.clinic_logo = _load()
        return g.clinic_logo
    return _load()


_ROW = select(ClinicLogo).limit(1)  # built once: the settings page and every letter read it


def remember(row: ClinicLogo | None) -> None:
    """This request's logo, read by another statement (None: the clinic has none)."""
    if has_request_context():
        g.clinic_logo = row


def _load() -> ClinicLogo | None:
    return db.session.scalars(_ROW).first()


def save(raw: bytes) -> ClinicLogo:
    """Check, re-encode and store an upload in place of any earlier logo (LogoError if it is
    not usable: nothing is stored then)."""
    encoded = encode(raw)
    row = _load() or ClinicLogo(id=1)
    row.mimetype, row.data = encoded.mimetype, encoded.data
    row.width, row.height = encoded.width, encoded.height
    row.sha256 = hashlib.sha256(encoded.data).hexdigest()
    db.session.add(row)
    if has_request_context():
        g.pop("clinic_logo", None)
    return row


def remove() -> None:
    row = _load()
    if row is not None:
        db.session.delete(row)
    if has_request_context():
        g.pop("clinic_logo", None)


def data_uri() -> str:
    """The logo as a data: URI for an <img>, or "" when the clinic has none."""
    row = current()
    if row is None:
        return ""
    return f"data:{row.mimetype};base64,{base64.b64encode(row.data).decode('ascii')}"
