"""Access functions for the catalogue (DESIGN.md rule 2): who may edit or review an item, and loading items for them.

Editors hold CATALOGUE_EDITOR for the item's implementing organisation (directly or through a region subtree);
reviewers hold CATALOGUE_REVIEWER covering it. Four eyes: whoever wrote or changed a version (its author, or anyone
whose edit of it is in the audit log) may never approve, return or publish it. Applying needs a published version
("未上网公布的事项不得设置审批要求").
"""

from __future__ import annotations

import pickle

from django.db import connection
from django.db.models import Q, QuerySet

from tongban.accounts.access import organisations_where, staff_has_role
from tongban.accounts.models import StaffRole
from tongban.catalog.errors import CatalogError
from tongban.catalog.models import ImplementationItem, ItemVersion, VersionStatus
from tongban.core.db.rows import model_row, read_joined
from tongban.core.errors import DomainError
from tongban.core.kept import KeptPerProcess
from tongban.core.models import AuditEntry, Organisation

VERSION_OBJECT_TYPE = "catalog.itemversion"
# Audit actions on a version that are reviews, not edits: doing them does not make someone an author.
REVIEW_ACTIONS = frozenset({"item_version.approve", "item_version.return", "item_version.publish", "item.retire"})
AWAITING_REVIEW = (VersionStatus.SUBMITTED, VersionStatus.APPROVED)


def may_edit(user, item: ImplementationItem) -> bool:
    """Whether the user is a catalogue editor for the item's implementing organisation."""
    return staff_has_role(user, StaffRole.CATALOGUE_EDITOR, item.organisation)


def require_editor(user, item: ImplementationItem) -> None:
    """Raise EDITOR_REQUIRED (403) unless the user may edit the item."""
    if may_edit(user, item):
        return
    raise DomainError(CatalogError.EDITOR_REQUIRED)


def contributed(user, version: ItemVersion) -> bool:
    """Whether the user wrote the version or changed it (any audited edit of it, whoever created it)."""
    if version.author_id == getattr(user, "pk", None):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    edits = AuditEntry.objects.filter(object_type=VERSION_OBJECT_TYPE, object_id=str(version.pk), actor=user)
    return edits.exclude(action__in=REVIEW_ACTIONS).exists()


def is_reviewer(user, item: ImplementationItem) -> bool:
    """Whether the user is a catalogue reviewer covering the item's organisation (authorship aside)."""
    return staff_has_role(user, StaffRole.CATALOGUE_REVIEWER, item.organisation)


def may_review(user, version: ItemVersion) -> bool:
    """Whether the user may approve, return or publish this version: a reviewer covering it who did not write it."""
    if not is_reviewer(user, version.item):
        return False
    return not contributed(user, version)


def require_reviewer(user, version: ItemVersion) -> None:
    """Raise REVIEWER_REQUIRED without the role, AUTHOR_CANNOT_REVIEW for the version's author or editors."""
    if not is_reviewer(user, version.item):
        raise DomainError(CatalogError.REVIEWER_REQUIRED)
    if contributed(user, version):
        raise DomainError(CatalogError.AUTHOR_CANNOT_REVIEW)


def require_item_reviewer(user, item: ImplementationItem) -> None:
    """Raise REVIEWER_REQUIRED unless the user is a reviewer covering the item (retiring a published item)."""
    if is_reviewer(user, item):
        return
    raise DomainError(CatalogError.REVIEWER_REQUIRED)


def _items() -> QuerySet[ImplementationItem]:
    return ImplementationItem.objects.select_related("organisation__region", "basic_item", "published_version")


def access_item_for_editor(user, item_id) -> ImplementationItem:
    """The item named in a request, for an editor: ITEM_NOT_FOUND (404) when absent, EDITOR_REQUIRED (403)."""
    item = _items().filter(pk=item_id).first() if str(item_id).isdigit() else None
    if item is None:
        raise DomainError(CatalogError.ITEM_NOT_FOUND)
    require_editor(user, item)
    return item


def access_version_for_editor(user, version_id) -> ItemVersion:
    """A version named in a request, for an editor of its item: VERSION_NOT_FOUND or EDITOR_REQUIRED."""
    version = _versions().filter(pk=version_id).first() if str(version_id).isdigit() else None
    if version is None:
        raise DomainError(CatalogError.VERSION_NOT_FOUND)
    require_editor(user, version.item)
    return version


def _versions() -> QuerySet[ItemVersion]:
    return ItemVersion.objects.select_related(
        "item__organisation__region", "item__basic_item", "item__published_version", "author", "reviewer", "process"
    )


def access_version_for_reviewer(user, version_id) -> ItemVersion:
    """A version named in a request, for a reviewer covering its item: VERSION_NOT_FOUND or REVIEWER_REQUIRED.

    Authorship is checked by the actions themselves (an author may look at the review page, never act on it).
    """
    version = _versions().filter(pk=version_id).first() if str(version_id).isdigit() else None
    if version is None:
        raise DomainError(CatalogError.VERSION_NOT_FOUND)
    if not is_reviewer(user, version.item):
        raise DomainError(CatalogError.REVIEWER_REQUIRED)
    return version


def access_published_item(code: str) -> ImplementationItem:
    """A published item by its implementation code, for anyone: ITEM_NOT_FOUND (404) when absent or not published."""
    return _published(_items(), code)


def access_item_to_apply(code: str) -> ImplementationItem:
    """access_published_item for an application: with its organisation and published version only. The submission
    API is hot (issue 5) and reads neither the region nor the basic item the guide pages show. The item and its
    organisation are one written-out statement (compiling the queryset cost ~2 400 Python calls a submission); the
    version, whose form schema is the widest part of the read, comes from this process's copy (published_version)."""
    item = _published_item_with_organisation(code)
    if item is None:
        raise DomainError(CatalogError.ITEM_NOT_FOUND)
    item.published_version = published_version(item.published_version_id)
    return item


def _published_item_with_organisation(code: str) -> ImplementationItem | None:
    items, organisations = model_row(ImplementationItem), model_row(Organisation)
    quote = connection.ops.quote_name
    found = read_joined(
        f"SELECT {items.columns('i')}, {organisations.columns('o')}"  # noqa: S608 (the models' own names)
        f" FROM {quote(ImplementationItem._meta.db_table)} i"
        f" JOIN {quote(Organisation._meta.db_table)} o ON o.id = i.organisation_id"
        " WHERE i.code = %s AND i.published_version_id IS NOT NULL",
        [code],
        items,
        organisations,
    )
    if found is None:
        return None
    item, organisation = found
    item.organisation = organisation
    return item


# A version's content never changes once published (a change is a new version), and publishing or retiring moves the
# item's published_version_id in the same transaction as the version's status. So the version an item's fresh row
# names may be taken from a copy kept by id. Kept pickled: each caller gets its own object, never one another request
# has touched (or cached a relation on).
_published_versions: KeptPerProcess[bytes] = KeptPerProcess("catalog-published-versions", ItemVersion)


def published_version(version_id: int) -> ItemVersion:
    """The item version with this id, read once per process; for a version an item's current row names as published."""
    kept = _published_versions.get(version_id, lambda: pickle.dumps(ItemVersion.objects.get(pk=version_id)))
    return pickle.loads(kept)  # noqa: S301 - bytes this process pickled itself


# A version's name is fixed once it leaves draft (services.version_update edits only drafts and returned versions),
# and a case is only ever made under a published version, so the name a case shows may be kept by the version's id.
_version_names: KeptPerProcess[str] = KeptPerProcess("catalog-version-names", ItemVersion)


def case_version_name(version_id: int) -> str:
    """The name of the item version a case was made under, read once per process."""
    return _version_names.get(version_id, lambda: ItemVersion.objects.values_list("name", flat=True).get(pk=version_id))


def _published(items: QuerySet[ImplementationItem], code: str) -> ImplementationItem:
    item = items.filter(code=code, published_version__isnull=False).first()
    if item is None:
        raise DomainError(CatalogError.ITEM_NOT_FOUND)
    return item


def require_published_version(item: ImplementationItem) -> ItemVersion:
    """The version an application is made under: NOT_PUBLISHED unless the item has a published version now."""
    version = item.published_version
    if version is None or version.status != VersionStatus.PUBLISHED:
        raise DomainError(CatalogError.NOT_PUBLISHED)
    return version


def editable_items(user) -> QuerySet[ImplementationItem]:
    """The items the user may edit (the editor's workbench list), in one query."""
    organisations = organisations_where(user, StaffRole.CATALOGUE_EDITOR)
    return _items().filter(organisation__in=organisations)


def review_queue(user) -> QuerySet[ItemVersion]:
    """Versions waiting for this reviewer (submitted, or approved and not yet published), not their own, one query."""
    organisations = organisations_where(user, StaffRole.CATALOGUE_REVIEWER)
    versions = _versions().filter(status__in=AWAITING_REVIEW, item__organisation__in=organisations)
    return versions.exclude(author_id=getattr(user, "pk", None)).order_by("submitted_at", "pk")


def retirable_items(user, q: str = "") -> QuerySet[ImplementationItem]:
    """Published items this catalogue reviewer may retire (取消), by code; `q` narrows them to a name or code containing
    it. One query (the paginator adds a count)."""
    organisations = organisations_where(user, StaffRole.CATALOGUE_REVIEWER)
    items = _items().filter(organisation__in=organisations, published_version__isnull=False)
    q = q.strip()
    if q:
        items = items.filter(Q(code__icontains=q) | Q(published_version__name__icontains=q))
    return items.order_by("code")
