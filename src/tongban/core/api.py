"""API routes of the foundation: regions, organisations, the working-day calendar."""

from ninja import Router

router = Router(tags=["平台基础"])
