"""Pages of accounts, mounted at /accounts/ (namespace "accounts")."""

from django.urls import path

from tongban.accounts import views_centre, views_signin, views_staff

app_name = "accounts"

urlpatterns = [
    # Sign-in, sign-up by SMS code, password reset, sign-out and 安全设置 (views_signin.py)
    path("sign-in/", views_signin.sign_in, name="sign_in"),
    path("sign-in/sms/", views_signin.sign_in_sms_send, name="sign_in_sms"),
    path("sign-in/sms/code/", views_signin.sign_in_code, name="sign_in_code"),
    path("sign-in/sms/resend/", views_signin.sign_in_resend, name="sign_in_resend"),
    path("sign-in/password/", views_signin.sign_in_password, name="sign_in_password"),
    path("sign-out/", views_signin.sign_out, name="sign_out"),
    path("password-reset/", views_signin.password_reset, name="password_reset"),
    path("password-reset/code/", views_signin.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/resend/", views_signin.password_reset_resend, name="password_reset_resend"),
    path("security/", views_signin.security, name="security"),
    path("security/password/", views_signin.password_change, name="password_change"),
    path("security/sessions/<int:session_id>/sign-out/", views_signin.session_revoke, name="session_revoke"),
    # Personal centre, real-name verification, my enterprises, switching identity, window verification (views_centre.py)
    path("centre/", views_centre.centre, name="centre"),
    path("centre/id-number/", views_centre.id_number_reveal, name="id_number_reveal"),
    path("centre/realname/", views_centre.realname_online, name="realname"),
    path("centre/enterprises/", views_centre.enterprise_list, name="enterprises"),
    path("centre/enterprises/bind/", views_centre.enterprise_bind, name="enterprise_bind"),
    path("centre/enterprises/<int:enterprise_id>/agents/new/", views_centre.agent_add, name="agent_add"),
    path("centre/agents/<int:authorisation_id>/revoke/", views_centre.agent_revoke, name="agent_revoke"),
    path("identity/switch/", views_centre.identity_switch, name="identity_switch"),
    path("identity/personal/", views_centre.identity_personal, name="identity_personal"),
    path("counter/realname/", views_centre.counter_realname, name="counter_realname"),
    # Staff: the second factor after the password, and 我的岗位 (views_staff.py)
    path("second-factor/", views_staff.second_factor, name="second_factor"),
    path("staff/roles/", views_staff.staff_roles, name="staff_roles"),
    path("staff/recovery-codes/", views_staff.recovery_codes_regenerate, name="recovery_codes_regenerate"),
]
