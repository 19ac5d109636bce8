"""Print the demo accounts and what each is for (`make run` shows this before the server starts)."""

from django.core.management.base import BaseCommand

from tongban.accounts.models import StaffRole
from tongban.catalog import demo as catalog_demo
from tongban.demo import data


class Command(BaseCommand):
    help = "列出演示账号 / list the demo accounts"
    requires_system_checks = []

    def handle(self, *args, **options):
        out = self.stdout.write
        out(self.style.MIGRATE_HEADING(f"演示账号 / demo accounts（密码 password: {data.DEMO_PASSWORD}）"))
        out("  工作人员 staff — 管理后台 http://127.0.0.1:<PORT>/admin/")
        for staff in data.STAFF:
            roles = "、".join(str(StaffRole(role).label) for _org, role, _subtree in staff.roles)
            out(f"    {staff.username:<18} {staff.display_name:<8} {roles}")
        departments = {spec.key: spec.short_name for spec in data.ORGANISATIONS}
        for org_key, (username, name, phone) in catalog_demo.EDITORS.items():
            if phone:  # the others are in data.STAFF above
                out(f"    {username:<18} {name:<8} {StaffRole.CATALOGUE_EDITOR.label}（{departments[org_key]}）")
        out("  个人 people（用户名为手机号 / username is the phone number）")
        for person in data.PEOPLE:
            out(f"    {person.phone:<18} {person.name:<8} L{person.real_name_level}  {person.note}")
        out("  企业 enterprises（用户名为统一社会信用代码 / username is the credit code）")
        for enterprise in data.ENTERPRISES:
            out(f"    {enterprise.uscc:<18} {enterprise.name}  {enterprise.note}")
        # Single sign-on clients (docs/api-guide.md): secrets are derived from the demo password, stored hashed.
        out(self.style.MIGRATE_HEADING("统一身份认证接入系统 / OpenID Connect clients"))
        out("  发现文档 discovery: http://127.0.0.1:<PORT>/.well-known/openid-configuration")
        for client in data.OIDC_CLIENTS:
            out(f"    {client.name}  {client.note}")
            out(f"      client_id={client.client_id}  client_secret={data.demo_client_secret(client.client_id)}")
            if client.redirect_uris:
                out(f"      redirect_uri={client.redirect_uris}")
