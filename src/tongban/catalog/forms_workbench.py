"""Forms of the catalogue workbench (事项管理工作台): they parse and check the shape of what editors and reviewers type;
the rules of the guide itself live in catalog/validation.py and the writes in catalog/services.py.

Uploaded blank forms and samples are recognised by their first bytes, never by the name the browser sent, and are
stored under a name whose extension matches what they really are.
"""

from __future__ import annotations

import json
import zipfile
from uuid import uuid4

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from tongban.catalog.models import ExerciseLevel, Faq, FeeItem, ItemVersion, Material, Theme

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_BPMN_BYTES = 1024 * 1024

SERVICE_OBJECTS = [("person", _("自然人")), ("enterprise", _("法人"))]
HANDLING_FORMS = [("window", _("窗口办理")), ("online", _("网上办理")), ("mail", _("邮寄办理"))]
ONLINE_DEPTHS = [(1, _("一级：信息公开")), (2, _("二级：在线预审")), (3, _("三级：在线受理")), (4, _("四级：全程网办"))]
VISITS = [(0, _("0 次")), (1, _("1 次")), (2, _("2 次"))]
REAL_NAME_LEVELS = [(1, _("L1 手机验证")), (2, _("L2 实名核验")), (3, _("L3 现场核验"))]

# The guide's sections, in the order of the published guide; each names the version fields it holds.
SECTIONS = [
    (
        "basic",
        _("基本信息"),
        [
            "name",
            "item_type",
            "organisation_nature",
            "entrusted_department",
            "service_object",
            "case_type",
            "handling_forms",
            "online_depth",
            "visits",
            "service_scope",
            "min_real_name_level",
            "appointment",
            "online_payment",
            "express_delivery",
            "result_type",
            "result_name",
            "result_licence_type",
            "special_procedures",
        ],
    ),
    ("conditions", _("受理条件"), ["acceptance_conditions"]),
    ("procedure", _("办理流程"), ["procedure"]),
    (
        "limits",
        _("办理时限"),
        [
            "statutory_limit",
            "statutory_limit_unit",
            "statutory_limit_note",
            "promised_limit",
            "promised_limit_unit",
            "promised_limit_note",
            "allows_deferred_approval",
        ],
    ),
    ("fees", _("收费标准"), ["charges", "charge_basis"]),
    ("basis", _("设定依据"), ["legal_basis"]),
    ("place", _("地点时间"), ["place", "hours"]),
    ("consultation", _("咨询监督"), ["consultation", "complaint"]),
]
GUIDE_FIELDS = [name for _key, _title, names in SECTIONS for name in names]
# Problems reported for these keys are shown in the section that edits them (not a field of the guide form).
PROBLEM_SECTIONS = {
    "materials": "materials",
    "fees": "fees",
    "faqs": "faqs",
    "themes": "themes",
    "form_schema": "form",
    "form_ui": "form",
    "process": "process",
    "process_departments": "process",
}


class ItemCreateForm(forms.Form):
    """新建事项: a basic item, one of the organisations the editor covers, and the level that carries it out."""

    basic_item = forms.ModelChoiceField(label=_("基本目录事项"), queryset=None, empty_label=_("请选择"))
    organisation = forms.ModelChoiceField(label=_("实施主体"), queryset=None, empty_label=_("请选择"))
    exercise_level = forms.ChoiceField(label=_("行使层级"), choices=[("", _("请选择")), *ExerciseLevel.choices])

    def __init__(self, *args, basic_items, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["basic_item"].queryset = basic_items
        self.fields["organisation"].queryset = organisations


class VersionForm(forms.ModelForm):
    """The guide elements of a draft. Text may be left empty while drafting: validation.version_problems says what
    is still missing before the version can be submitted."""

    service_object = forms.MultipleChoiceField(
        label=_("服务对象"), choices=SERVICE_OBJECTS, widget=forms.CheckboxSelectMultiple, required=False
    )
    handling_forms = forms.MultipleChoiceField(
        label=_("办理形式"), choices=HANDLING_FORMS, widget=forms.CheckboxSelectMultiple, required=False
    )
    online_depth = forms.TypedChoiceField(label=_("网上办理深度"), choices=ONLINE_DEPTHS, coerce=int)
    visits = forms.TypedChoiceField(label=_("到办事现场次数"), choices=VISITS, coerce=int)
    min_real_name_level = forms.TypedChoiceField(label=_("申请所需最低实名等级"), choices=REAL_NAME_LEVELS, coerce=int)
    themes = forms.ModelMultipleChoiceField(
        label=_("主题"), queryset=Theme.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ItemVersion
        fields = GUIDE_FIELDS
        widgets = {
            "acceptance_conditions": forms.Textarea(attrs={"rows": 6}),
            "procedure": forms.Textarea(attrs={"rows": 6}),
            "legal_basis": forms.Textarea(attrs={"rows": 5}),
            "special_procedures": forms.Textarea(attrs={"rows": 3}),
            "charge_basis": forms.Textarea(attrs={"rows": 3}),
            "place": forms.Textarea(attrs={"rows": 3}),
            "hours": forms.Textarea(attrs={"rows": 3}),
            "consultation": forms.Textarea(attrs={"rows": 3}),
            "complaint": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.required = False  # a draft may be incomplete; submitting checks completeness
        self.fields["statutory_limit"].min_value = 0
        self.fields["promised_limit"].min_value = 0

    def elements(self) -> dict:
        """The cleaned guide elements, as version_update takes them (themes are set separately)."""
        return {name: self.cleaned_data[name] for name in GUIDE_FIELDS}


class ConfirmForm(forms.Form):
    """A deliberate second step for destructive actions (delete, retire)."""

    confirm = forms.BooleanField(label=_("我确认执行此操作"), required=True)


class RetireForm(ConfirmForm):
    reason = forms.CharField(label=_("取消原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)

    field_order = ["reason", "confirm"]


class ReviewForm(forms.Form):
    """审核意见: optional when approving, required when returning (checked in the view and again by the service)."""

    comment = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


# ---------------------------------------------------------------------------------------------------------------
# Uploads

# (sniffed kind, stored extension, label) for what editors may upload.
_KINDS = {
    "pdf": "pdf",
    "doc": "doc",
    "xls": "xls",
    "docx": "docx",
    "xlsx": "xlsx",
    "jpg": "jpg",
    "png": "png",
}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff_kind(upload: UploadedFile) -> str:
    """What the file really is, from its content: pdf, doc, xls, docx, xlsx, jpg, png; "" for anything else."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(_OLE2):
        return _ole2_kind(upload)
    if head.startswith(b"PK\x03\x04"):
        return _office_zip_kind(upload)
    return ""


def _ole2_kind(upload: UploadedFile) -> str:
    """Word 97-2003 and Excel 97-2003 are both OLE2 containers; their stream names tell them apart."""
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    if "WordDocument".encode("utf-16-le") in content:
        return "doc"
    if "Workbook".encode("utf-16-le") in content or "Book".encode("utf-16-le") in content:
        return "xls"
    return ""


def _office_zip_kind(upload: UploadedFile) -> str:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return ""
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return ""
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return ""


def clean_upload(upload: UploadedFile | None) -> UploadedFile | None:
    """Check size and real type; rename to a safe name with the true extension."""
    if not upload:
        return None
    if upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(_("文件不能超过 10 MB"), code="too_large")
    kind = sniff_kind(upload)
    if kind not in _KINDS:
        raise forms.ValidationError(
            _("只能上传 PDF、Word（DOC/DOCX）、Excel（XLS/XLSX）或 JPG/PNG 图片；该文件的内容不是这些格式"),
            code="wrong_type",
        )
    upload.name = f"{uuid4().hex}.{_KINDS[kind]}"
    return upload


class _UploadsMixin:
    """blank_form / sample upload fields checked by content; "remove" checkboxes clear a stored file."""

    def clean_blank_form(self):
        return clean_upload(self.cleaned_data.get("blank_form"))

    def clean_sample(self):
        return clean_upload(self.cleaned_data.get("sample"))


class MaterialForm(_UploadsMixin, forms.ModelForm):
    """申请材料: every field of a material; the blank form and sample as uploads checked by content."""

    blank_form = forms.FileField(label=_("空白表格"), required=False)
    sample = forms.FileField(label=_("示例样表"), required=False)
    remove_blank_form = forms.BooleanField(label=_("删除已上传的空白表格"), required=False)
    remove_sample = forms.BooleanField(label=_("删除已上传的示例样表"), required=False)

    class Meta:
        model = Material
        fields = [
            "order",
            "name",
            "material_type",
            "material_form",
            "necessity",
            "paper_copies",
            "paper_size",
            "source",
            "source_licence_type",
            "source_registry_field",
            "acceptance_standard",
            "notes",
            "legal_basis",
        ]
        widgets = {
            "acceptance_standard": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "legal_basis": forms.Textarea(attrs={"rows": 2}),
        }

    def material_fields(self) -> dict:
        """What material_save takes: the fields, plus a new file or "" to remove one (absent: keep the stored file)."""
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        for name in ("blank_form", "sample"):
            if self.cleaned_data.get(name):
                fields[name] = self.cleaned_data[name]
            elif self.cleaned_data.get(f"remove_{name}"):
                fields[name] = ""
        return fields


class FeeForm(forms.ModelForm):
    """收费项目."""

    class Meta:
        model = FeeItem
        fields = ["order", "name", "standard", "basis", "reduction"]
        widgets = {"basis": forms.Textarea(attrs={"rows": 3}), "reduction": forms.Textarea(attrs={"rows": 3})}


class FaqForm(forms.ModelForm):
    """常见问题."""

    class Meta:
        model = Faq
        fields = ["order", "question", "answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 4})}


# ---------------------------------------------------------------------------------------------------------------
# Application form and process


def _json_object(text: str, label: str) -> dict:
    text = (text or "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            _("%(label)s不是有效的 JSON（第 %(line)s 行第 %(column)s 列附近）"),
            params={"label": label, "line": error.lineno, "column": error.colno},
            code="json",
        ) from None
    if not isinstance(value, dict):
        raise forms.ValidationError(_("%(label)s必须是 JSON 对象（以 { 开头）"), params={"label": label}, code="json")
    return value


class FormSchemaForm(forms.Form):
    """申请表: the JSON Schema and the UI hints as JSON text."""

    schema = forms.CharField(label=_("申请表 JSON Schema"), widget=forms.Textarea(attrs={"rows": 18}), required=False)
    ui = forms.CharField(
        label=_("界面提示（字段顺序、分页、帮助文字）"), widget=forms.Textarea(attrs={"rows": 10}), required=False
    )

    def clean_schema(self) -> dict:
        return _json_object(self.cleaned_data.get("schema"), _("申请表 JSON Schema"))

    def clean_ui(self) -> dict:
        return _json_object(self.cleaned_data.get("ui"), _("界面提示"))


def as_json_text(value: dict) -> str:
    return json.dumps(value or {}, ensure_ascii=False, indent=2) if value else ""


class ProcessForm(forms.Form):
    """流程: a shipped template, or a BPMN 2.0 file drawn in bpmn.io or Camunda Modeler."""

    source = forms.ChoiceField(
        label=_("流程来源"),
        choices=[("template", _("使用内置模板")), ("upload", _("上传 BPMN 文件"))],
        widget=forms.RadioSelect,
        initial="template",
    )
    template = forms.ChoiceField(label=_("内置模板"), required=False, widget=forms.RadioSelect)
    bpmn_file = forms.FileField(label=_("BPMN 2.0 XML 文件"), required=False)

    def __init__(self, *args, templates: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = templates

    def clean_bpmn_file(self):
        upload = self.cleaned_data.get("bpmn_file")
        if upload and upload.size > MAX_BPMN_BYTES:
            raise forms.ValidationError(_("BPMN 文件不能超过 1 MB"), code="too_large")
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") == "template" and not cleaned.get("template"):
            self.add_error("template", _("请选择一个内置模板"))
        if cleaned.get("source") == "upload" and not cleaned.get("bpmn_file"):
            self.add_error("bpmn_file", _("请选择要上传的 BPMN 文件"))
        return cleaned

    def bpmn_xml(self) -> str:
        """The uploaded XML as text; a file that is not UTF-8 is refused as a field error."""
        raw = self.cleaned_data["bpmn_file"].read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.add_error("bpmn_file", _("BPMN 文件必须是 UTF-8 编码的 XML"))
            return ""


class ProcessDepartmentsForm(forms.Form):
    """泳道对应机构: for each lane of the process that names another department (协办部门 …), the organisation that
    reviews in it. Left on 自动匹配, routing takes the active organisation of the item's region whose short name or
    name is the department; publishing is refused when neither finds one."""

    def __init__(self, *args, lanes: list[dict], organisations, mapping: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.lanes = lanes
        choices = [("", _("按部门简称自动匹配")), *[(o.uscc, o.name) for o in organisations]]
        for index, lane in enumerate(lanes):
            self.fields[f"department_{index}"] = forms.ChoiceField(
                label=_("泳道“%(lane)s”的办理机构") % {"lane": lane["lane"]},
                choices=choices,
                required=False,
                initial=mapping.get(lane["department"], ""),
            )

    def mapping(self) -> dict[str, str]:
        """{lane department: USCC} for the lanes given an organisation."""
        chosen = ((lane["department"], self.cleaned_data[f"department_{i}"]) for i, lane in enumerate(self.lanes))
        return {department: uscc for department, uscc in chosen if uscc}
