"""Outbox handlers of accounts: side effects that run after the change that caused them has committed."""

from tongban.accounts.sms import SMS_TOPIC, deliver_sms
from tongban.core import outbox

outbox.handler(SMS_TOPIC)(deliver_sms)
