"""我的收藏: a person keeps published items to find them again."""

from __future__ import annotations

from django.db import transaction

from tongban.catalog.models import Favourite, ImplementationItem
from tongban.core import audit


@transaction.atomic
def favourite_toggle(*, actor, item: ImplementationItem) -> bool:
    """Add the item to the actor's favourites, or remove it if it is there; returns whether it is now a favourite."""
    deleted, _ = Favourite.objects.filter(user=actor, item=item).delete()
    if deleted:
        audit.record(actor=actor, action="catalog.favourite_remove", obj=item)
        return False
    Favourite.objects.create(user=actor, item=item)
    audit.record(actor=actor, action="catalog.favourite_add", obj=item)
    return True
