"""The JSON API at /api/v1/ (django-ninja): each app contributes a router; errors map once in core.errors."""

from ninja import NinjaAPI, Swagger

from tongban.accounts.api import router as identity_router
from tongban.cases.api import router as cases_router
from tongban.cases.api_bundles import router as bundles_router
from tongban.cases.api_decision import router as decisions_router
from tongban.cases.api_review import router as review_router
from tongban.cases.api_time import router as time_router
from tongban.catalog.api import router as catalog_router
from tongban.core.api import router as core_router
from tongban.core.api_json import ApiJSONRenderer
from tongban.core.errors import install_error_handlers
from tongban.licences.api import router as licences_router
from tongban.licences.api_wallet import router as wallet_router

api = NinjaAPI(
    title="通办政务服务平台 API",
    version="1.0.0",
    description="一体化在线政务服务平台开放接口。默认返回简体中文消息；发送 Accept-Language: en 可获得英文。",
    urls_namespace="api-v1",
    # Swagger UI is served from ninja's bundled static files; validatorUrl None stops it fetching a badge from
    # validator.swagger.io, so the docs work on a network with no internet access.
    docs=Swagger(settings={"validatorUrl": None}),
    renderer=ApiJSONRenderer(),
)
install_error_handlers(api)
# Django tries URL patterns in order, and each router's routes become patterns in the order added: the two anonymous
# calls made most (verifying a scanned licence, searching the catalogue) come first, so they are not matched after
# some forty others (≈ 0.1 ms of CPU per request). The OpenAPI document lists tags in this order too.
api.add_router("/licences/", licences_router)
api.add_router("/catalog/", catalog_router)
api.add_router("/core/", core_router)
api.add_router("/identity/", identity_router)
api.add_router("/cases", cases_router)
api.add_router("/bundles", bundles_router)  # 一件事 (cases/api_bundles.py)
api.add_router("/decisions", decisions_router)  # delivery, 撤销, 撤回 (cases/api_decision.py)
api.add_router("/review", review_router)
api.add_router("/review/time", time_router)  # 特别程序、延期 (cases/api_time.py)
api.add_router("/wallet/", wallet_router)  # 我的证照 and 用证授权 (licences/api_wallet.py)
