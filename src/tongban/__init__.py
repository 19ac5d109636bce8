"""Tongban (通办): one-stop online government-services platform."""

from tongban.celery import app as celery_app

__all__ = ["celery_app"]
