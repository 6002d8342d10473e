"""The summary as a PDF, rendered by WeasyPrint from the same HTML as the page.

The document references no URL: the stylesheet is read from the package and fonts come from
fontconfig (DejaVu, Debian's fonts-dejavu-core), so rendering never touches the network."""
from pathlib import Path

PDF_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "summary-pdf.css"


def render(html: str) -> bytes:
    from weasyprint import CSS, HTML  # imported late: loading Pango costs start-up time
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=str(PDF_CSS))])
