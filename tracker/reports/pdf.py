"""The summary as a PDF, rendered by WeasyPrint from the same HTML as the page.

The document references no URL: the stylesheet is read from the package and fonts come from
fontconfig (DejaVu, Debian's fonts-dejavu-core), so rendering never touches the network. Should
a URL ever reach the HTML (a patient's text is escaped, but still), the fetcher serves only files
under the app's static folder (and the clinic's logo, embedded as a data: URI) and refuses every
other file, host and protocol."""
import base64
import binascii
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

STATIC = Path(__file__).resolve().parent.parent / "static"
PDF_CSS = STATIC / "css" / "summary-pdf.css"


def static_file(url: str) -> Path:
    """The file a URL names if it is a file: URL under the static folder; ValueError otherwise."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise ValueError(f"refused: {url[:80]}")
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not path.is_relative_to(STATIC.resolve()) or not path.is_file():
        raise ValueError(f"refused: {url[:80]}")
    return path


def logo_image(url: str) -> tuple[str, bytes] | None:
    """The clinic's logo as the letterhead embeds it (a base64 data: URI of a PNG or JPEG that
    settings/logo.py re-encoded); None for any other URL."""
    for kind in ("image/png", "image/jpeg"):
        prefix = f"data:{kind};base64,"
        if url.startswith(prefix):
            try:
                return kind, base64.b64decode(url[len(prefix):], validate=True)
            except binascii.Error:
                raise ValueError("refused: a malformed data: URI") from None
    return None


def fetcher():
    """A WeasyPrint URL fetcher that serves only the app's own static files."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if (image := logo_image(url)) is not None:
                return URLFetcherResponse(url[:40], image[1], {"Content-Type": image[0]})
            path = static_file(url)
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                      {"Content-Type": kind})

    return StaticOnly(allowed_protocols=("file",), allow_redirects=False)


_made = threading.local()


def _stylesheet():
    """The PDF stylesheet and its font configuration, parsed once per thread and reused by
    every document (as WeasyPrint reuses its own stylesheets); parsed again if the file
    changes."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration
    stamp = PDF_CSS.stat().st_mtime_ns
    if getattr(_made, "stamp", None) != stamp:
        fonts = FontConfiguration()
        _made.css = CSS(filename=str(PDF_CSS), url_fetcher=fetcher(), font_config=fonts)
        _made.fonts, _made.stamp = fonts, stamp
    return _made.css, _made.fonts


def render(html: str) -> bytes:
    from weasyprint import HTML  # imported late: loading Pango costs start-up time
    css, fonts = _stylesheet()
    # PDF/UA-1: a tagged PDF (structure tree, MarkInfo, the document's language and title) that
    # screen readers can follow; every printed document comes through here.
    return HTML(string=html, url_fetcher=fetcher()).write_pdf(
        stylesheets=[css], font_config=fonts, pdf_variant="pdf/ua-1")
