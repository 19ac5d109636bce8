"""Error codes of the catalogue."""

from django.utils.translation import gettext_lazy as _

from tongban.core.errors import ErrorCode


class CatalogError(ErrorCode):
    """Why a catalogue action was refused."""

    ITEM_NOT_FOUND = 404, _("事项不存在或尚未公布")
    NOT_PUBLISHED = 409, _("该事项尚未公布，不能申请（未上网公布的事项不得设置审批要求）")
    INVALID_CODE = 400, _("事项编码不正确")
    INVALID_GUIDE = 400, _("办事指南要素不完整或有误，请按提示修改")
    WRONG_STATUS = 409, _("该版本当前状态下不能执行此操作，请刷新后重试")
    AUTHOR_CANNOT_REVIEW = 403, _("事项的编辑人不能审核自己提交的版本")
    EDITOR_REQUIRED = 403, _("您不是该事项所属机构的事项编辑")
    REVIEWER_REQUIRED = 403, _("您没有审核该事项的权限")
    INVALID_FORM_SCHEMA = 400, _("申请表定义有误")
    INVALID_PROCESS = 400, _("流程定义有误")
    INVALID_IMPORT = 400, _("导入文件有误，未导入任何数据")
    # Lifecycle (catalog/services.py)
    VERSION_NOT_FOUND = 404, _("事项版本不存在")
    COMMENT_REQUIRED = 400, _("退回修改时必须填写审核意见")
    REASON_REQUIRED = 400, _("取消事项时必须填写原因")
    DRAFT_EXISTS = 409, _("该事项已有尚未发布的版本，请在该版本上继续修改")
