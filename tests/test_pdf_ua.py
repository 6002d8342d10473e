"""Every printed document is a tagged PDF (PDF/UA-1): a structure tree screen readers follow,
MarkInfo saying so, the document's language and its title shown instead of the file name. The
printed documents are the treatment summary (clinical and patient versions) and the referral
letter; all go through tracker/reports/pdf.render."""
import io

import pytest
from pypdf import PdfReader

from tests.test_reevaluation_acts import course, sign_last_visit  # noqa: F401  (a fixture)
from tests.test_reports import demo, summary_url  # noqa: F401  (a fixture)


def assert_tagged(response) -> None:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root.get("/Lang", "")).lower().startswith("en")
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert "pdfuaid" in reader.xmp_metadata.rdf_root.toxml()  # the PDF/UA identification
    structure = root["/StructTreeRoot"].get_object()
    assert structure.get("/K") is not None  # the tree holds the document's elements


@pytest.mark.parametrize("version", ["clinical", "patient"])
def test_summary_pdf_is_tagged_for_screen_readers(client, auth, demo, version):  # noqa: F811
    auth.login("practitioner", "mei@example.org")
    assert_tagged(client.get(summary_url(demo, ".pdf", version=version)))


def test_referral_letter_pdf_is_tagged_for_screen_readers(client, course):  # noqa: F811
    session_id, _ = sign_last_visit(client, course, "refer", "Night pain: please assess.")
    assert_tagged(client.get(
        f"/reports/patients/{course['patient']}/referral.pdf?session={session_id}"))
