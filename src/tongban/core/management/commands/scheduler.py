"""`manage.py scheduler`: the embedded scheduler that runs periodic jobs in-process when no broker is configured."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tongban.core.jobs import EmbeddedScheduler, registered_jobs

logger = logging.getLogger("tongban.scheduler")


class Command(BaseCommand):
    help = "运行定时任务（如发件箱投递与重试）。未配置消息代理时由它代替 celery beat；--once 运行一轮后退出。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="立即运行全部定时任务一次后退出（有失败则非零退出）")

    def handle(self, *args, once: bool, **options):
        scheduler = EmbeddedScheduler(registered_jobs())
        names = "、".join(job.name for job in scheduler.jobs) or "（无）"
        if once:
            outcomes = scheduler.run_due()
            failed = [name for name, ok in outcomes.items() if not ok]
            if failed:
                raise CommandError(f"以下定时任务运行失败（详见日志）：{'、'.join(failed)}")
            self.stdout.write(f"已运行 {len(outcomes)} 个定时任务：{names}")
            return
        if getattr(settings, "TONGBAN_BROKER_CONFIGURED", False):
            logger.warning("a broker is configured: celery beat should run the periodic jobs; running them here too")
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        logger.info("scheduler started with jobs: %s", names)
        try:
            scheduler.run_forever(stop)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        logger.info("scheduler stopped")
