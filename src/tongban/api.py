"""The JSON API at /api/v1/ (django-ninja): each app contributes a router; errors map once in core.errors."""

from ninja import NinjaAPI

from tongban.core.api import router as core_router
from tongban.core.errors import install_error_handlers

api = NinjaAPI(
    title="通办政务服务平台 API",
    version="1.0.0",
    description="一体化在线政务服务平台开放接口。默认返回简体中文消息；发送 Accept-Language: en 可获得英文。",
    urls_namespace="api-v1",
)
install_error_handlers(api)
api.add_router("/core/", core_router)
