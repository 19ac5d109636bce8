"""catalog_reindex: rebuild the search index from every published item (after a change to how items are indexed)."""

from django.core.management.base import BaseCommand

from tongban.catalog import search


class Command(BaseCommand):
    help = "重建事项搜索索引（全部已公布事项）"

    def handle(self, *args, **options):
        count = search.rebuild_index()
        self.stdout.write(self.style.SUCCESS(f"已重建索引：{count} 个事项"))
