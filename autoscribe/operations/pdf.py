"""Render a signed radiology report (and its addenda) as a PDF with xhtml2pdf.

The HTML is built here from escaped values only; the one resource it names is
the bundled DejaVu Sans font, and the resource policy forbids anything else
(no network at all, local reads only from the font directory).
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from xhtml2pdf import pisa
from xhtml2pdf.config.resources import ResourceAccessPolicy

_FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FONT_FAMILY = "DejaVu Sans"
_FONT_FILES = {"normal": _FONT_DIR / "DejaVuSans.ttf", "bold": _FONT_DIR / "DejaVuSans-Bold.ttf"}
_POLICY = ResourceAccessPolicy(allow_remote=False, base_dir=_FONT_DIR)
_MISSING = "\u2014"  # em dash for a value the snapshot does not have


class PdfRenderError(RuntimeError):
    """xhtml2pdf could not produce the report PDF."""


@dataclass(frozen=True)
class SignedText:
    """One signed report in the chain: the original or an addendum."""

    text: str
    signer_name: str
    npi: str | None
    signed_at: datetime
    is_critical: bool
    is_addendum: bool

    def __post_init__(self) -> None:
        if self.signed_at.tzinfo is None:
            raise ValueError("signed_at must be timezone-aware")


@dataclass(frozen=True)
class ReportDocument:
    clinic_name: str
    report_id: str
    study_instance_uid: str
    study_description: str
    modality: str | None
    clinical_history: str | None
    clinical_indication: str | None
    metadata: dict
    chain: list[SignedText]  # oldest first; the last one is the report this PDF is for


def render_report_pdf(doc: ReportDocument) -> bytes:
    """Render `doc` to PDF bytes. Synchronous and CPU-bound (tens of ms a page)."""
    if not doc.chain:
        raise ValueError("a report PDF needs at least one signed text")
    out = io.BytesIO()
    result = pisa.CreatePDF(
        _build_html(doc), dest=out, encoding="utf-8", resource_policy=_POLICY
    )
    if result.err:
        raise PdfRenderError(f"xhtml2pdf reported {result.err} error(s)")
    # A @font-face that cannot be read is only a warning to xhtml2pdf, and the
    # text then silently falls back to Helvetica, which has no Greek or Cyrillic.
    if _FONT_FAMILY.lower() not in result.fontList:
        raise PdfRenderError(f"the {_FONT_FAMILY} font was not embedded")
    pdf = out.getvalue()
    if not pdf.startswith(b"%PDF"):
        raise PdfRenderError("xhtml2pdf produced no PDF")
    return pdf


# --- formatting helpers -------------------------------------------------------


def _esc(value: object) -> str:
    """Escaped display text; a missing or blank value shows as a dash."""
    if value is None or str(value).strip() == "":
        return _MISSING
    return html.escape(str(value))


def _measure(value: object, units: dict[str, str]) -> str:
    """{"value": 70.0, "unit": "IN"} -> "70 in"."""
    if not isinstance(value, dict) or value.get("value") is None:
        return _MISSING
    unit = units.get(str(value.get("unit")), str(value.get("unit") or ""))
    return _esc(f"{float(value['value']):g} {unit}".strip())


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _paragraphs(text: str) -> str:
    """Blank lines separate paragraphs; single newlines are kept as line breaks."""
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").strip())
    paragraphs = [
        "<br/>".join(html.escape(line) for line in block.splitlines())
        for block in blocks
        if block.strip()
    ]
    return "\n".join(f'<p class="body">{p}</p>' for p in paragraphs or [_MISSING])


def _rows(pairs: list[tuple[str, str]]) -> str:
    """Two label/value pairs per table row; values must already be escaped."""
    cells = [f'<td class="label">{label}</td><td class="value">{value}</td>' for label, value in pairs]
    if len(cells) % 2:
        cells.append('<td class="label"></td><td class="value"></td>')
    return "\n".join(f"<tr>{cells[i]}{cells[i + 1]}</tr>" for i in range(0, len(cells), 2))


# --- document sections --------------------------------------------------------


def _css() -> str:
    faces = "\n".join(
        f'@font-face {{ font-family: "{_FONT_FAMILY}"; font-weight: {weight}; src: url("{path.as_uri()}"); }}'
        for weight, path in _FONT_FILES.items()
    )
    return faces + f"""
@page {{
    size: letter;
    margin: 1.6cm 1.8cm 2.4cm 1.8cm;
    @frame footer {{ -pdf-frame-content: footer; bottom: 1cm; height: 1cm; left: 1.8cm; right: 1.8cm; }}
}}
body {{ font-family: "{_FONT_FAMILY}"; font-size: 9.5pt; color: #1a1a1a; line-height: 1.35; }}
.clinic {{ font-size: 17pt; font-weight: bold; color: #12355b; }}
.facility {{ font-size: 10.5pt; color: #444444; }}
.doctitle {{ font-size: 13pt; font-weight: bold; color: #12355b; text-align: right; }}
.docsub {{ font-size: 8.5pt; color: #555555; text-align: right; }}
.masthead {{ border-bottom: 2px solid #12355b; padding-bottom: 4pt; margin-bottom: 8pt; }}
.critical {{ border: 2px solid #b00020; background-color: #fdecee; color: #b00020;
            font-size: 12pt; font-weight: bold; padding: 6pt; margin-bottom: 8pt; text-align: center; }}
h2 {{ font-size: 10.5pt; color: #12355b; border-bottom: 1px solid #9fb3c8; padding-bottom: 1pt;
      margin-top: 10pt; margin-bottom: 4pt; -pdf-keep-with-next: true; }}
table.grid {{ width: 100%; }}
table.grid td {{ padding: 2pt 3pt; vertical-align: top; }}
td.label {{ width: 20%; color: #555555; font-size: 8.5pt; }}
td.value {{ width: 30%; }}
p {{ margin: 0 0 4pt 0; }}
p.body {{ margin: 0 0 6pt 0; }}
.signature {{ border-top: 1px solid #bbbbbb; margin-top: 6pt; padding-top: 4pt; font-size: 9pt;
              color: #333333; page-break-inside: avoid; }}
#footer {{ font-size: 7.5pt; color: #666666; border-top: 1px solid #cccccc; padding-top: 3pt; }}
"""


def _masthead(doc: ReportDocument) -> str:
    kind = f"Addendum {len(doc.chain) - 1}" if len(doc.chain) > 1 else "Final report"
    return f"""
<table class="masthead"><tr>
  <td width="62%"><div class="clinic">{_esc(doc.clinic_name)}</div>
      <div class="facility">{_esc(doc.metadata.get("facilityName"))}</div></td>
  <td width="38%"><div class="doctitle">Radiology Report</div>
      <div class="docsub">{kind}</div>
      <div class="docsub">Report ID {_esc(doc.report_id)}</div></td>
</tr></table>"""


def _patient_and_study(doc: ReportDocument) -> str:
    m = doc.metadata
    sex = m.get("sex")
    patient = _rows([
        ("Patient", f"<b>{_esc(m.get('patientName'))}</b>"),
        ("MRN", _esc(m.get("mrn"))),
        ("Date of birth", _esc(m.get("dateOfBirth"))),
        ("Age", _esc(m.get("age"))),
        ("Sex", _esc(sex.capitalize() if isinstance(sex, str) else sex)),
        ("Height", _measure(m.get("height"), {"IN": "in", "CM": "cm"})),
        ("Weight", _measure(m.get("weight"), {"LBS": "lb", "KG": "kg"})),
        ("Referring physician", _esc(m.get("referringPhysicianName"))),
    ])
    when = " ".join(str(v) for v in (m.get("studyDate"), m.get("studyTime")) if v)
    study = _rows([
        ("Description", _esc(doc.study_description)),
        ("Modality", _esc(doc.modality)),
        ("Procedure", _esc(m.get("procedure"))),
        ("Study date", _esc(when)),
    ])
    clinical = "".join(
        f"<p><b>{label}:</b> {html.escape(value)}</p>"
        for label, value in (("History", doc.clinical_history), ("Indication", doc.clinical_indication))
        if value and value.strip()
    )
    return f"""
<h2>Patient</h2>
<table class="grid">{patient}</table>
<h2>Study</h2>
<table class="grid">{study}
<tr><td class="label">Study UID</td><td class="value" colspan="3">{_esc(doc.study_instance_uid)}</td></tr>
</table>
{f"<h2>Clinical information</h2>{clinical}" if clinical else ""}"""


def _signed_section(title: str, signed: SignedText) -> str:
    npi = f"<br/>NPI {html.escape(signed.npi)}" if signed.npi else ""
    return f"""
<h2>{title}</h2>
{_paragraphs(signed.text)}
<div class="signature">Electronically signed by <b>{_esc(signed.signer_name)}</b>{npi}<br/>
Signed {_utc(signed.signed_at)}</div>"""


def _build_html(doc: ReportDocument) -> str:
    original, addenda = doc.chain[0], doc.chain[1:]
    sections = [_signed_section("Original report" if addenda else "Report", original)]
    sections += [_signed_section(f"Addendum {n}", text) for n, text in enumerate(addenda, 1)]
    banner = (
        '<div class="critical">CRITICAL RESULT \u2014 this report contains a critical finding</div>'
        if doc.chain[-1].is_critical
        else ""
    )
    m = doc.metadata
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<title>Radiology report {_esc(doc.report_id)}</title>
<style>{_css()}</style></head>
<body>
<div id="footer"><table><tr>
  <td width="75%">{_esc(m.get("patientName"))} \u00b7 MRN {_esc(m.get("mrn"))} \u00b7 Report {_esc(doc.report_id)}</td>
  <td width="25%" align="right">Page <pdf:pagenumber/> of <pdf:pagecount/></td>
</tr></table></div>
{_masthead(doc)}
{banner}
{_patient_and_study(doc)}
{"".join(sections)}
</body></html>"""
