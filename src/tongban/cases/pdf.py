"""Case documents as PDF (办件文书): 办件回执, 受理通知书, 不予受理通知书, 补正材料通知书.

`render_document_pdf(document)` returns the PDF bytes of a CaseDocument. The text comes only from `document.data`
(fixed when the document was issued), the document's own number and issue time, and the issuing organisation's
region (for the reconsideration body, when the data does not already name it). Rendering is byte-for-byte
reproducible (reportlab's invariant mode: no creation time, a fixed document id), so a re-render after a lost file
gives the same PDF and the same sha256.

A CJK TrueType font is embedded (subset) so the notice reads the same everywhere; scripts/bootstrap.sh installs
WenQuanYi Zen Hei. Fonts with PostScript (CFF) outlines, such as the OTF builds of Noto Sans CJK, cannot be
embedded by reportlab and are skipped. The seal picture (印章) is drawn over the signature when document_files.py
seals the document (then signed with PAdES); without a seal the place is marked "（印章）".
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tongban.cases.documents import reconsideration_body
from tongban.cases.models import CaseDocument, DocumentKind
from tongban.core.fonts import MISSING_MESSAGE, CjkFontMissing, cjk_font_candidates

FONT_NAME = "TongbanCJK"
LAW = "《中华人民共和国行政许可法》"
# Where a notice sends the applicant to follow the case (the same words on every document).
PROGRESS_HINT = "办理进度可登录本平台在“我的办件”中查看，也可以在平台“办件查询”页面凭办件编号和查询密码查询。"

_font_lock = threading.Lock()
_font_registered = False


# ---------------------------------------------------------------------------------------------------------------
# Font


def _try_register(path: str) -> bool:
    try:
        pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
    except Exception:  # a missing file or a CFF-outline font: try the next one
        return False
    return True


def ensure_font() -> str:
    """Register the CJK font once per process and return its name; raise CjkFontMissing when there is none."""
    global _font_registered
    if _font_registered:
        return FONT_NAME
    with _font_lock:
        if not _font_registered:
            for path in cjk_font_candidates():
                if _try_register(path):
                    _font_registered = True
                    break
            else:
                raise CjkFontMissing(MISSING_MESSAGE)
    return FONT_NAME


# ---------------------------------------------------------------------------------------------------------------
# Wording helpers


def chinese_date(value: str | dt.date) -> str:
    """2026-03-09 → 2026年3月9日 (ISO strings as stored in document data, or dates)."""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_datetime(value: str) -> str:
    """ "2026-03-02 09:15" → 2026年3月2日 09:15."""
    day, _, time = value.partition(" ")
    return f"{chinese_date(day)} {time}".strip()


def remedies_sentence(body: str) -> str:
    """The statement of the right to reconsideration or litigation, worded as Chinese notices do."""
    return (
        f"如不服本决定，可以自收到本通知书之日起六十日内向{body}申请行政复议，"
        "或者在六个月内依法向人民法院提起行政诉讼。"
    )


def _item_phrase(data: dict) -> str:
    return f"“{data['item']}”申请（办件编号：{data['case_number']}）"


# ---------------------------------------------------------------------------------------------------------------
# Layout


class _Styles:
    """The paragraph styles of a notice, built on the registered CJK font."""

    def __init__(self, font: str):
        base = ParagraphStyle("body", fontName=font, fontSize=12, leading=22, wordWrap="CJK")
        self.body = ParagraphStyle("body-indent", parent=base, firstLineIndent=24)
        self.plain = base
        self.cell = ParagraphStyle("cell", parent=base, fontSize=11, leading=17)
        self.title = ParagraphStyle("title", parent=base, fontSize=20, leading=30, alignment=TA_CENTER)
        self.number = ParagraphStyle("number", parent=base, fontSize=11, alignment=TA_CENTER)
        self.right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: escaped, so a reason like "<2 m²" cannot be read as markup."""
    return Paragraph(escape(text), style)


def _table(rows: list[list[str]], widths: list[float], styles: _Styles, header: bool = False) -> Table:
    table = Table([[_p(cell, styles.cell) for cell in row] for row in rows], colWidths=widths, hAlign="LEFT")
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")))
    table.setStyle(TableStyle(commands))
    return table


def _heading(document: CaseDocument, styles: _Styles) -> list:
    return [
        _p(document.data["organisation"], styles.title),
        _p(DocumentKind(document.kind).label, styles.title),
        _p(document.number, styles.number),
        Spacer(1, 8 * mm),
    ]


class _SealPicture(Flowable):
    """The organisation's seal picture (印章) stamped over the signature lines: it takes no room in the flow, like
    a seal pressed onto the name and date (document_files.py passes it when the organisation has a seal)."""

    SIZE = 40 * mm

    def __init__(self, png: bytes):
        super().__init__()
        self.png = png

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, 0

    def draw(self):
        picture = ImageReader(io.BytesIO(self.png))
        # Centred on the right-aligned organisation name, as a seal is pressed onto the name and the date.
        left = self.width - self.SIZE - 5 * mm
        self.canv.drawImage(picture, left, -self.SIZE / 2, self.SIZE, self.SIZE, mask="auto")


def _signature(document: CaseDocument, styles: _Styles, seal_png: bytes | None = None) -> list:
    issued_on = timezone.localtime(document.issued_at).date()
    return [
        Spacer(1, 12 * mm),
        _p(document.data["organisation"], styles.right),
        _SealPicture(seal_png) if seal_png else _p("（印章）", styles.right),
        _p(chinese_date(issued_on), styles.right),
    ]


# ---------------------------------------------------------------------------------------------------------------
# The four kinds


def _receipt(document: CaseDocument, styles: _Styles) -> list:
    data = document.data
    rows = [
        ["办件编号", data["case_number"]],
        ["查询密码", data["query_code"]],
        ["申请事项", data["item"]],
        ["申请人", data["applicant"]],
        ["申请方式", data.get("channel", "")],
    ]
    if data.get("hall"):
        rows.append(["受理大厅", data["hall"]])
    rows += [["接件时间", chinese_datetime(data["received_at"])], ["受理期限", chinese_date(data["acceptance_due"])]]
    due = chinese_date(data["acceptance_due"])
    return [
        _table(rows, [32 * mm, 120 * mm], styles),
        Spacer(1, 6 * mm),
        _p("接下来：", styles.plain),
        _p(
            f"办理机构将在{due}前对申请材料进行审查，作出受理、不予受理或者一次性告知需要补正材料的决定，"
            "并通过短信和站内消息通知您。逾期未作出决定的，依法自收到申请材料之日起即为受理。",
            styles.body,
        ),
        _p(PROGRESS_HINT, styles.body),
        _p("请妥善保管本回执和查询密码，不要告诉他人。", styles.body),
    ]


def _salutation(data: dict, styles: _Styles) -> Paragraph:
    return _p(f"{data['applicant']}：", styles.plain)


def _deadlines(data: dict, styles: _Styles) -> list:
    return [
        _p(
            f"本机关承诺于{chinese_date(data['promised_due'])}前办结；"
            f"法定办结期限截止日为{chinese_date(data['statutory_due'])}。"
            "期限按工作日计算，依法需要听证、检验、检测、检疫、鉴定和专家评审的时间不计算在内。",
            styles.body,
        )
    ]


def _acceptance(document: CaseDocument, styles: _Styles) -> list:
    data = document.data
    accepted_on = chinese_date(data["accepted_on"])
    received = chinese_datetime(data["received_at"])
    if data.get("deemed"):
        decision = (
            f"你（单位）于{received}提出的{_item_phrase(data)}，本机关未在五个工作日内作出是否受理的决定，"
            f"也未告知需要补正的内容。根据{LAW}第三十二条第一款第（四）项的规定，"
            f"自收到申请材料之日（{accepted_on}）起即为受理（逾期视为受理）。本机关的逾期情况已纳入督办。"
        )
    else:
        decision = (
            f"你（单位）于{received}提出的{_item_phrase(data)}，经审查，申请材料齐全、符合法定形式。"
            f"根据{LAW}第三十二条第一款第（五）项的规定，本机关决定予以受理，受理日期为{accepted_on}。"
        )
    flowables = [_salutation(data, styles), _p(decision, styles.body), *_deadlines(data, styles)]
    if data.get("instant"):
        flowables.append(_p("本事项为即办件，本机关将即时作出决定。", styles.body))
    if data.get("opinion"):
        flowables.append(_p(f"受理意见：{data['opinion']}", styles.body))
    flowables.append(_p(PROGRESS_HINT, styles.body))
    return flowables


def _refusal(document: CaseDocument, styles: _Styles) -> list:
    data = document.data
    body = data.get("reconsideration_body") or reconsideration_body(document.organisation)
    reasons = [line.strip() for line in data["reasons"].splitlines() if line.strip()]
    return [
        _salutation(data, styles),
        _p(f"你（单位）提出的{_item_phrase(data)}，经审查，本机关决定不予受理。理由如下：", styles.body),
        *(_p(line, styles.body) for line in reasons),
        _p(remedies_sentence(body), styles.body),
    ]


def _supplement(document: CaseDocument, styles: _Styles) -> list:
    data = document.data
    rows = [["序号", "材料名称", "存在问题"]]
    rows += [[str(n), entry["name"], entry["problem"]] for n, entry in enumerate(data["items"], start=1)]
    flowables = [
        _salutation(data, styles),
        _p(
            f"你（单位）提出的{_item_phrase(data)}，经审查，申请材料不齐全或者不符合法定形式。"
            f"根据{LAW}第三十二条第一款第（四）项的规定，现将需要补正的全部内容一次性告知如下：",
            styles.body,
        ),
        _table(rows, [14 * mm, 58 * mm, 80 * mm], styles, header=True),
        Spacer(1, 4 * mm),
    ]
    if data.get("note"):
        flowables.append(_p(f"补充说明：{data['note']}", styles.body))
    flowables += [
        _p("补正方式（任选其一）：", styles.plain),
        _p(
            "（一）网上补正：登录本平台，在“我的办件”中找到本办件，按上表逐项上传补正材料，全部上传后点击“确认补正完成”。",
            styles.body,
        ),
        _p("（二）窗口补正：携带补正材料和本通知书，到任一政务服务大厅综合受理窗口提交。", styles.body),
        _p("本机关自收到全部补正材料之日起五个工作日内重新审查，作出是否受理的决定。", styles.body),
    ]
    return flowables


def _special(document: CaseDocument, styles: _Styles) -> list:
    """特别程序告知书 (cases/special.py): what, why, legal basis, expected end; the time is not counted (art. 45)."""
    data = document.data
    rows = [
        ["特别程序", data["procedure"]],
        ["开始日期", chinese_date(data["started_on"])],
        ["预计结束日期", chinese_date(data["expected_end"])],
        ["法律依据", data["legal_basis"]],
    ]
    return [
        _salutation(data, styles),
        _p(
            f"你（单位）提出的{_item_phrase(data)}，本机关在审查中依法需要{data['procedure']}。理由如下：",
            styles.body,
        ),
        *(_p(line.strip(), styles.body) for line in data["reason"].splitlines() if line.strip()),
        _table(rows, [32 * mm, 120 * mm], styles),
        Spacer(1, 4 * mm),
        _p(
            f"根据{LAW}第四十五条的规定，{data['procedure']}所需时间不计算在办理期限内。"
            "特别程序结束后，本机关将按实际用时顺延承诺办结日期和法定办结日期，并通知你（单位）。",
            styles.body,
        ),
        _p(PROGRESS_HINT, styles.body),
    ]


def _extension(document: CaseDocument, styles: _Styles) -> list:
    """延长办理期限告知书 (cases/extensions.py): the head's approval, the reasons, the new dates (art. 42)."""
    data = document.data
    limit = "四十五日" if data.get("joint") else "二十日"
    flowables = [
        _salutation(data, styles),
        _p(
            f"你（单位）提出的{_item_phrase(data)}，因以下原因不能在{limit}内作出决定：",
            styles.body,
        ),
        *(_p(line.strip(), styles.body) for line in data["reason"].splitlines() if line.strip()),
        _p(
            f"根据{LAW}第四十二条的规定，经本机关负责人批准，办理期限延长{data['days']}个工作日，"
            f"法定办结期限截止日由{chinese_date(data['previous_due'])}延长至{chinese_date(data['new_due'])}。",
            styles.body,
        ),
    ]
    if data.get("promised_due"):
        flowables.append(_p(f"本机关承诺于{chinese_date(data['promised_due'])}前办结。", styles.body))
    flowables.append(_p(PROGRESS_HINT, styles.body))
    return flowables


# ---------------------------------------------------------------------------------------------------------------
# Decision documents (cases/decisions.py, cases/delivery.py): 准予/不予许可决定书, 送达回证, 撤销决定书


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _accepted_phrase(data: dict) -> str:
    accepted = f"本机关于{chinese_date(data['accepted_on'])}受理的" if data.get("accepted_on") else "本机关受理的"
    return f"{accepted}你（单位）提出的{_item_phrase(data)}"


def _grant(document: CaseDocument, styles: _Styles) -> list:
    data = document.data
    flowables = [
        _salutation(data, styles),
        _p(
            f"{_accepted_phrase(data)}，经审查，符合法定条件、标准。根据{LAW}第三十八条第一款的规定，"
            f"本机关决定准予行政许可。许可结果：{data['result_name']}。",
            styles.body,
        ),
    ]
    if data.get("opinion"):
        flowables.append(_p(f"审批意见：{data['opinion']}", styles.body))
    if data.get("deferred"):
        names = "、".join(data["deferred"])
        flowables.append(
            _p(
                f"本决定为容缺通过。你（单位）尚需补交以下容缺材料：{names}。"
                f"请于{chinese_date(data['deferred_due'])}前登录本平台在“我的办件”中补交，或到政务服务大厅窗口提交；"
                "逾期未补交或者补交的材料不符合要求的，本机关将依法撤销本决定。",
                styles.body,
            )
        )
    if data.get("licence"):
        flowables.append(
            _p(f"本机关将依法颁发电子证照“{data['licence']}”，颁发后可在本平台“我的证照”中查看和下载。", styles.body)
        )
    flowables.append(_p(PROGRESS_HINT, styles.body))
    return flowables


def _denial(document: CaseDocument, styles: _Styles) -> list:
    data = document.data
    body = data.get("reconsideration_body") or reconsideration_body(document.organisation)
    return [
        _salutation(data, styles),
        _p(
            f"{_accepted_phrase(data)}，经审查，不符合法定条件、标准。根据{LAW}第三十八条第二款的规定，"
            "本机关决定不予行政许可。理由如下：",
            styles.body,
        ),
        *(_p(line, styles.body) for line in _lines(data["reasons"])),
        _p(remedies_sentence(body), styles.body),
    ]


def _delivery(document: CaseDocument, styles: _Styles) -> list:
    data = document.data
    rows = [
        ["受送达人", data["applicant"]],
        ["送达文书", "；".join(data["documents"]) or data["item"]],
        ["办件编号", data["case_number"]],
        ["送达方式", data["method"]],
        ["送达地点", data["place"]],
        ["签收人", data["recipient"]],
        ["送达时间", chinese_datetime(data["delivered_at"])],
        ["送达人", data["delivered_by"]],
    ]
    return [_table(rows, [32 * mm, 120 * mm], styles)]


def _revocation(document: CaseDocument, styles: _Styles) -> list:
    data = document.data
    body = data.get("reconsideration_body") or reconsideration_body(document.organisation)
    grant = f"（{data['grant_number']}）" if data.get("grant_number") else ""
    decided = f"于{chinese_date(data['decided_on'])}" if data.get("decided_on") else ""
    flowables = [
        _salutation(data, styles),
        _p(
            f"本机关{decided}就你（单位）提出的{_item_phrase(data)}作出的准予行政许可决定{grant}，"
            f"经查，有下列情形，根据{LAW}第六十九条的规定，本机关决定予以撤销：",
            styles.body,
        ),
        *(_p(line, styles.body) for line in _lines(data["reasons"])),
    ]
    if data.get("licences"):
        flowables.append(_p(f"依据该决定颁发的电子证照（{'、'.join(data['licences'])}）同时撤销。", styles.body))
    flowables.append(_p(remedies_sentence(body), styles.body))
    return flowables


BUILDERS = {
    DocumentKind.RECEIPT: _receipt,
    DocumentKind.ACCEPTANCE: _acceptance,
    DocumentKind.REFUSAL: _refusal,
    DocumentKind.SUPPLEMENT: _supplement,
    DocumentKind.GRANT: _grant,
    DocumentKind.DENIAL: _denial,
    DocumentKind.DELIVERY: _delivery,
    DocumentKind.REVOCATION: _revocation,
    DocumentKind.SPECIAL: _special,
    DocumentKind.EXTENSION: _extension,
}


def render_document_pdf(document: CaseDocument, seal_png: bytes | None = None) -> bytes:
    """The PDF of a case document: heading with number, the kind's text from its fixed data, signature with date
    (and the seal picture over it when given)."""
    styles = _Styles(ensure_font())
    buffer = io.BytesIO()
    title = f"{DocumentKind(document.kind).label} {document.number}"
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        topMargin=30 * mm,
        bottomMargin=28 * mm,
        title=title,
        author=document.data["organisation"],
        creator="Tongban",
        invariant=1,
    )
    body = BUILDERS[document.kind](document, styles)
    pdf.build([*_heading(document, styles), *body, *_signature(document, styles, seal_png)])
    return buffer.getvalue()
