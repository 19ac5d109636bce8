"""URL map: pages, admin, API and probes."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from tongban.api import api
from tongban.cases import urls_bundles
from tongban.catalog import views_portal as catalog_portal_views
from tongban.core import views as core_views

admin.site.site_header = _("通办政务服务平台管理后台")
admin.site.site_title = _("通办管理后台")
admin.site.index_title = _("平台管理")

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("display-preferences", core_views.display_preferences_update, name="display-preferences"),
    path("admin/", admin.site.urls),
    path("accounts/", include("tongban.accounts.urls")),
    path("services/", include("tongban.catalog.urls")),  # public portal (catalog/views_portal.py)
    path("workbench/catalog/", include("tongban.catalog.urls_workbench")),  # editors and reviewers (views_workbench.py)
    path("cases/apply/", include("tongban.cases.urls_apply")),  # online application (cases/views_apply.py)
    path("cases/bundles/", include("tongban.cases.urls_bundles")),  # 一件事一次办 (cases/views_bundles.py)
    path("cases/", include("tongban.cases.urls_progress")),  # 我的办件, case detail, lookup (cases/views_progress.py)
    path("workbench/cases/", include("tongban.cases.urls_workbench")),  # pre-review and counter (views_workbench.py)
    path("workbench/bundles/", include(urls_bundles.workbench_patterns)),  # 一件事办件 (views_bundles.py)
    path("workbench/review/", include("tongban.cases.urls_review")),  # review and decision (views_review.py)
    # delivery and revocation on a decided case (views_decision.py)
    path("workbench/review/cases/<str:number>/decision/", include("tongban.cases.urls_decision")),
    # special procedures (特别程序) and extensions (延期) of a case under review (views_time.py)
    path("workbench/review/cases/<str:number>/time/", include("tongban.cases.urls_time")),
    path("messages/", include("tongban.notifications.urls")),  # 我的消息 (notifications/views.py)
    path("licences/", include("tongban.licences.urls")),  # 证照核验 (licences/views.py)
    path("workbench/licences/", include("tongban.licences.urls_staff")),  # 证照管理: 变更、撤销、导入 (views_staff.py)
    # Single sign-on (OpenID Connect provider): /o/authorize/, /o/token/ … and /.well-known/openid-configuration.
    path("", include("tongban.accounts.oidc_urls")),
    path("", catalog_portal_views.home, name="home"),  # the portal's front door
]

handler403 = "tongban.core.views.error_403"
handler404 = "tongban.core.views.error_404"
handler500 = "tongban.core.views.error_500"

if settings.TONGBAN_BENCH_CEILING:
    # The bench's ceiling views, served by the same workers and middleware; never mounted outside a bench run.
    urlpatterns.insert(0, path("__bench__/", include("bench.ceiling")))
