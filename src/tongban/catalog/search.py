"""Chinese search over the published catalogue (事项搜索): segmentation, synonyms, pinyin initials, DB full-text index.

How a person's words reach an item:
- tokens(text): jieba (with the domain dictionary in data/dict.txt) in search mode, lower-cased, stop-words and
  punctuation dropped.
- The index (index_item, on publish) holds, per item, the name's words, the name's character bigrams (so a query with
  one wrong character still shares most bigrams: 食品经荣许可 finds 食品经营许可), every suffix of the name's pinyin
  initials (so "spjy" and "jyxk" match 食品经营许可 by prefix), and the words of the materials, FAQs, acceptance
  conditions, themes and organisation.
- A query is expanded with the admin-maintained synonyms (开饭店 → 食品经营许可). An item matches when it holds every
  word of the query or every word of one synonym phrase ("strict"); only when no item in the chosen region does, the
  query's name bigrams are tried, two of them in the item's name ("fuzzy": a wrong character). Letters-only queries
  also match pinyin initials by prefix. Hits are ranked by relevance (bm25 on SQLite, ts_rank on PostgreSQL) times a
  use boost (up to ×2, half of it at USE_BOOST_HALF uses).
- The region filter (validity per service scope) is applied inside the full-text scan; the other filters outside it,
  so that each facet can ignore its own filter.

The index lives in the database (no per-process index): SearchDocument rows plus, on SQLite, the FTS5 table
catalog_search_fts (rowid = SearchDocument.id) and, on PostgreSQL, the weighted tsvector column
catalog_searchdocument.search_vector with a GIN index (migration 0002). A search runs one SQL statement whatever
the query — the page of hits, the total (window count) and the facets — plus, once a minute per process, one to
reload the synonym table (an admin's edit applies at once in its own process, within SYNONYM_TTL elsewhere; inside
a transaction the table is read every time). The
use counts in the index are refreshed by the periodic job catalog.search_use_counts (jobs.py).

SQL is assembled from constant fragments and "%s" placeholders only (hence the S608 waivers); every value a person
typed travels as a parameter, and the FTS5/tsquery strings are built from words that match [0-9a-z\u4e00-\u9fff]+.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from tongban.catalog import search_cache
from tongban.catalog.models import ImplementationItem, ItemType, SearchDocument, ServiceScope, Synonym

T = TypeVar("T")

DICT_PATH = Path(__file__).resolve().parent / "data" / "dict.txt"
FTS_TABLE = "catalog_search_fts"
MAX_QUERY_LENGTH = 100
MAX_PER_PAGE = 100
MAX_QUERY_TOKENS = 32
USE_BOOST_HALF = 50  # use_count at which the use boost reaches half its maximum (×1.5 of ×2)
MAX_GROUPS = 8  # the query's words and up to seven synonym phrases
MAX_GROUP_WORDS = 8
MAX_FUZZY_TERMS = 8  # at most 28 pairs
FACET_VALUES = 30  # values listed per facet (the most frequent)

STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "我",
        "我要",
        "我想",
        "我们",
        "你",
        "您",
        "他",
        "她",
        "要",
        "想",
        "怎么",
        "怎样",
        "如何",
        "办",
        "办理",
        "去",
        "哪里",
        "哪儿",
        "哪个",
        "在",
        "需要",
        "什么",
        "吗",
        "呢",
        "啊",
        "吧",
        "个",
        "一个",
        "和",
        "与",
        "及",
        "或",
        "可以",
        "能",
        "能否",
        "是",
        "有",
        "给",
        "把",
        "请问",
        "请",
        "申请",
        "应该",
        "到",
        "找",
        "该",
        "被",
        "对",
        "从",
        "都",
        "也",
        "就",
        "还",
        "让",
        "这",
        "那",
        "这个",
        "那个",
    ]
)
_WORD = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_LETTERS = re.compile(r"^[a-z]{2,20}$")

_jieba_lock = threading.Lock()
_tokenizer = None


# --- Tokens -----------------------------------------------------------------------------------------------------------


def _jieba():
    """The process's jieba tokenizer with the domain dictionary, loaded once on first use; its cache is in VAR_DIR."""
    global _tokenizer
    if _tokenizer is None:
        with _jieba_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(60)  # above CRITICAL: jieba's "Building prefix dict" chatter is not ours to log
                cache_dir = Path(settings.VAR_DIR) / "cache"
                cache_dir.mkdir(parents=True, exist_ok=True)
                tokenizer = jieba.Tokenizer()
                tokenizer.tmp_dir = str(cache_dir)
                tokenizer.cache_file = "jieba.cache"
                tokenizer.load_userdict(str(DICT_PATH))
                _tokenizer = tokenizer
    return _tokenizer


def _words(pieces) -> list[str]:
    return [word for piece in pieces for word in _WORD.findall(piece) if word not in STOP_WORDS]


@functools.lru_cache(maxsize=8192)
def _cut(text: str) -> tuple[str, ...]:
    return tuple(_words(_jieba().cut_for_search(text.lower())))


@functools.lru_cache(maxsize=8192)
def _cut_all(text: str) -> tuple[str, ...]:
    lowered = text.lower()
    return tuple(dict.fromkeys(_words(_jieba().cut_for_search(lowered)) + _words(_jieba().cut(lowered, cut_all=True))))


def tokens(text: str) -> list[str]:
    """The searchable words of `text`: jieba search-mode segments, lower-cased, without stop-words or punctuation."""
    return list(_cut(text or ""))


def index_tokens(text: str) -> list[str]:
    """Every dictionary word inside `text` (jieba full mode as well as search mode), for the index: the query's words
    (search mode) are then found whichever way the longer phrase was cut ("食品经营许可" inside "食品经营许可证")."""
    return list(_cut_all(text or ""))


def bigrams(text: str) -> list[str]:
    """Character bigrams of each run of Chinese characters (a run of one character gives itself)."""
    grams = []
    for run in _CJK_RUN.findall(text or ""):
        grams.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return grams


@functools.lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """Pinyin initials of the Chinese characters of `text` ("食品经营许可" → "spjyxk"), lower-case ASCII."""
    from pypinyin import Style, lazy_pinyin

    letters = []
    for run in _CJK_RUN.findall(text or ""):
        letters.extend(syllable[:1] for syllable in lazy_pinyin(run, style=Style.FIRST_LETTER))
    return "".join(letter for letter in "".join(letters).lower() if "a" <= letter <= "z")[:200]


def initials_suffixes(letters: str) -> list[str]:
    """Every suffix of at least two letters, so a prefix query finds initials anywhere in the name ("jyxk")."""
    return [letters[i:] for i in range(len(letters) - 1)]


# --- Synonyms ---------------------------------------------------------------------------------------------------------

DEMO_SYNONYMS = {
    "开饭店": "食品经营许可",
    "开餐馆": "食品经营许可",
    "开饭馆": "食品经营许可",
    "小饭馆": "食品经营许可",
    "饭馆": "食品经营许可",
    "餐馆": "食品经营许可",
    "饭店": "食品经营许可",
    "餐厅": "食品经营许可",
    "小吃店": "食品经营许可",
    "奶茶店": "食品经营许可",
    "卖吃的": "食品经营许可",
    "开药店": "药品零售企业经营许可",
    "药店": "药品零售企业经营许可",
    "理发店": "公共场所卫生许可",
    "美容店": "公共场所卫生许可",
    "宾馆": "公共场所卫生许可",
    "旅馆": "公共场所卫生许可",
    "浴室": "公共场所卫生许可",
    "开店": "个体工商户设立登记 营业执照",
    "开公司": "企业开办 营业执照",
    "办执照": "营业执照 个体工商户设立登记",
    "生孩子": "出生医学证明 户口登记 新生儿出生一件事",
    "生小孩": "出生医学证明 户口登记 新生儿出生一件事",
    "宝宝出生": "出生医学证明 户口登记 新生儿出生一件事",
    "上户口": "户口登记 出生登记",
    "报户口": "户口登记 出生登记",
    "落户": "户口登记",
    "暂住证": "居住证",
    "退休金": "城乡居民基本养老保险",
    "养老金": "城乡居民基本养老保险",
    "交社保": "城乡居民基本养老保险 参保登记",
    "没工作": "失业登记",
    "失业了": "失业登记",
    "失业金": "失业登记",
    "低保": "最低生活保障",
    "吃低保": "最低生活保障",
    "老人补贴": "高龄津贴",
    "老年补贴": "高龄津贴",
    "残疾证": "残疾人证",
    "盖房子": "建筑工程施工许可",
    "建房子": "建筑工程施工许可",
    "打井": "取水许可",
    "房产证": "不动产登记",
    "房本": "不动产登记",
    "过户": "不动产登记",
    "招牌": "户外广告设施设置审批",
    "广告牌": "户外广告设施设置审批",
}


@transaction.atomic
def seed_synonyms() -> int:
    """Add the demo county's synonyms that are missing (an administrator maintains them afterwards); the count added."""
    existing = set(Synonym.objects.values_list("phrase", flat=True))
    missing = [Synonym(phrase=phrase, means=means) for phrase, means in DEMO_SYNONYMS.items() if phrase not in existing]
    Synonym.objects.bulk_create(missing)
    synonyms_forget()
    return len(missing)


SYNONYM_TTL = 60.0  # seconds a process keeps the synonym table; an edit also clears it in the editing process


@dataclass(frozen=True)
class _SynonymTable:
    """The synonym table as a process keeps it: when it was read, its rows, and a digest of them (the version cached
    results are keyed by, the same in every process that read the same rows)."""

    loaded_at: float
    rows: list[tuple[str, str]]
    version: str


_synonyms: _SynonymTable | None = None
_synonyms_lock = threading.Lock()


def synonyms_forget(**_kwargs) -> None:
    """Drop this process's copy of the synonym table (on every Synonym save or delete, signals below) and start a
    new catalogue generation (cached results); other processes reload their table within SYNONYM_TTL seconds."""
    global _synonyms
    _synonyms = None
    search_cache.bump()


def _in_transaction() -> bool:
    return connection.in_atomic_block


def _synonym_table() -> list[tuple[str, str]]:
    """(phrase, means) of every synonym, loaded once per SYNONYM_TTL per process (one statement when it is).

    Inside a transaction (a write, or a test) the table is read fresh and not kept: what that transaction sees may
    be rolled back, and no signal says so.
    """
    if _in_transaction():
        return list(Synonym.objects.order_by("phrase").values_list("phrase", "means"))
    return _kept_synonym_table().rows


def _kept_synonym_table() -> _SynonymTable:
    global _synonyms
    now = time.monotonic()
    cached = _synonyms
    if cached is None or now - cached.loaded_at > SYNONYM_TTL:
        with _synonyms_lock:
            rows = list(Synonym.objects.order_by("phrase").values_list("phrase", "means"))
            version = hashlib.blake2b(repr(rows).encode("utf-8"), digest_size=8).hexdigest()
            _synonyms = cached = _SynonymTable(now, rows, version)
    return cached


def synonym_version() -> str:
    """The version of the synonym table this process searches with (outside a transaction)."""
    return _kept_synonym_table().version


def _synonym_meanings(q: str) -> list[str]:
    """The meanings of every synonym phrase that occurs in the query."""
    return [means for phrase, means in _synonym_table() if phrase and phrase in q]


post_save.connect(synonyms_forget, sender=Synonym, dispatch_uid="catalog.search.synonyms_forget.save")
post_delete.connect(synonyms_forget, sender=Synonym, dispatch_uid="catalog.search.synonyms_forget.delete")


# --- Indexing ---------------------------------------------------------------------------------------------------------


def scope_region_code(version, organisation) -> str:
    """The area code where an item is valid per its service scope: county/city/province of the organisation, or ""
    (everywhere) for 跨省通办. A town office's county-scope item is valid in its whole county."""
    code = organisation.region.code
    scope = version.service_scope
    if scope == ServiceScope.CROSS_PROVINCE:
        return ""
    if scope == ServiceScope.PROVINCE:
        return code[:2] + "0000"
    if scope == ServiceScope.CITY:
        return code[:4] + "00"
    return code[:6]


def area_token(region_code: str) -> str:
    """The lexeme naming a document's scope area in the PostgreSQL vector ("rg330122"; "rgall" for 跨省通办), so the
    region filter is one more GIN posting list to intersect instead of rows to fetch and discard."""
    return f"rg{region_code}" if region_code else "rgall"


def _area_tsquery(region_code: str) -> str:
    return " | ".join(area_token(area) for area in region_areas(region_code))


@dataclass(frozen=True)
class _Entry:
    """What index_item writes for one item: the model row's fields and the two weighted text columns."""

    document: SearchDocument
    name_terms: str
    body_terms: str


def _entry(item: ImplementationItem, version, materials, faqs, themes) -> _Entry:
    organisation = item.organisation
    letters = initials(version.name)
    name_words = [*index_tokens(version.name), *bigrams(version.name), *initials_suffixes(letters)]
    body_texts = [
        version.acceptance_conditions,
        organisation.name,
        organisation.short_name,
        version.result_name,
        *(material.name for material in materials),
        *(faq.question for faq in faqs),
        *(faq.answer for faq in faqs),
        *(theme.name for theme in themes),
    ]
    body_words = [word for text in body_texts for word in index_tokens(text)]
    name_terms, body_terms = " ".join(dict.fromkeys(name_words)), " ".join(body_words)
    document = SearchDocument(
        item=item,
        version=version,
        name=version.name,
        terms=f"{name_terms} {body_terms}",
        initials=letters,
        organisation=organisation,
        region_code=scope_region_code(version, organisation),
        item_type=version.item_type,
        audience=" ".join(sorted(version.service_object or []))[:30],
        use_count=item.use_count,
    )
    return _Entry(document, name_terms, body_terms)


def _write_fulltext(entries: list[_Entry]) -> None:
    """Write the full-text rows of saved documents (one executemany)."""
    if not entries:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            rows = [(entry.document.pk, entry.name_terms, entry.body_terms) for entry in entries]
            # The FTS table is outside the ORM: a row whose document vanished without its FTS row (a flush, a cascade)
            # must not block the id's reuse, so the rowids are cleared first.
            cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(row[0],) for row in rows])  # noqa: S608
            cursor.executemany(f"INSERT INTO {FTS_TABLE}(rowid, name_terms, body_terms) VALUES (%s, %s, %s)", rows)  # noqa: S608
        else:
            rows = [
                (entry.name_terms, entry.body_terms, area_token(entry.document.region_code), entry.document.pk)
                for entry in entries
            ]
            cursor.executemany(
                "UPDATE catalog_searchdocument SET search_vector = setweight(to_tsvector('simple', %s), 'A') "
                "|| setweight(to_tsvector('simple', %s), 'B') || setweight(to_tsvector('simple', %s), 'D') "
                "WHERE id = %s",
                rows,
            )


def _delete_documents(item_ids: list[int]) -> None:
    """Take the items' rows out of the index. Every change of an item's entry starts here (indexing replaces the
    rows), so this is where cached search results are let go (a new generation on commit)."""
    if not item_ids:
        return
    search_cache.bump()
    if connection.vendor == "sqlite":
        marks = ", ".join(["%s"] * len(item_ids))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {FTS_TABLE} WHERE rowid IN "  # noqa: S608
                f"(SELECT id FROM catalog_searchdocument WHERE item_id IN ({marks}))",
                item_ids,
            )
    SearchDocument.objects.filter(item_id__in=item_ids).delete()


def _index_batch(items: list[ImplementationItem]) -> int:
    """Replace the index rows of `items` (organisation and published version loaded) in a few statements."""
    from django.db.models import prefetch_related_objects

    published = [item for item in items if item.published_version_id is not None]
    _delete_documents([item.pk for item in items])
    versions = [item.published_version for item in published]
    prefetch_related_objects(versions, "materials", "faqs", "themes")
    entries = [
        _entry(
            item,
            item.published_version,
            *(list(getattr(item.published_version, name).all()) for name in ("materials", "faqs", "themes")),
        )
        for item in published
    ]
    SearchDocument.objects.bulk_create([entry.document for entry in entries])
    if any(entry.document.pk is None for entry in entries):
        ids = dict(SearchDocument.objects.filter(item__in=published).values_list("item_id", "id"))
        for entry in entries:
            entry.document.pk = ids[entry.document.item_id]
    _write_fulltext(entries)
    return len(entries)


def _items_for_index():
    return ImplementationItem.objects.select_related("organisation__region", "published_version")


@transaction.atomic
def index_item(item: ImplementationItem) -> None:
    """(Re)index one item from its published version; an item with none is removed from the index. On publish."""
    _index_batch([_items_for_index().get(pk=item.pk)])


@transaction.atomic
def remove_item(item: ImplementationItem) -> None:
    """Take an item out of the index (on retire)."""
    _delete_documents([item.pk])


def index_items(item_ids: list[int], batch_size: int = 500) -> int:
    """Index many items in batches (bulk statements); the number indexed."""
    done = 0
    for start in range(0, len(item_ids), batch_size):
        with transaction.atomic():
            done += _index_batch(list(_items_for_index().filter(pk__in=item_ids[start : start + batch_size])))
    return done


def refresh_use_counts() -> int:
    """Copy the items' use counts into the index (ranking reads them there); the number of documents changed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE catalog_searchdocument SET use_count = i.use_count FROM catalog_implementationitem i "
            "WHERE i.id = catalog_searchdocument.item_id AND catalog_searchdocument.use_count <> i.use_count"
        )
        changed = cursor.rowcount
    if changed:
        search_cache.bump()  # the ranking changed
    return changed


def rebuild_index() -> int:
    """Drop the whole index and index every published item again; the number indexed."""
    with transaction.atomic():
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608
        SearchDocument.objects.all().delete()
        search_cache.bump()
    ids = list(
        ImplementationItem.objects.filter(published_version__isnull=False).order_by("pk").values_list("pk", flat=True)
    )
    return index_items(ids)


# --- Searching --------------------------------------------------------------------------------------------------------


_ITEM_TYPE_LABELS = dict(ItemType.choices)  # lazy labels, translated when shown; ItemType.values is rebuilt per call


def item_type_label(code: str) -> str:
    """The item type's label in the active language (the code itself for an unknown one)."""
    label = _ITEM_TYPE_LABELS.get(code)
    return str(label) if label is not None else code


@dataclass(frozen=True)
class Hit:
    """One search result: enough to list it without another query."""

    item_id: int
    code: str
    name: str
    item_type: str
    organisation_id: int
    organisation_name: str
    region_code: str
    region_name: str
    audience: str
    use_count: int
    score: float

    @property
    def item_type_label(self) -> str:
        return item_type_label(self.item_type)


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet with the number of hits it would leave."""

    value: str
    label: str
    count: int


@dataclass
class SearchResults:
    """A page of hits, the total, facets ("organisation", "item_type", "region") and the words the query was read as."""

    items: list[Hit]
    total: int
    facets: dict[str, list[FacetValue]]
    page: int
    pages: int
    query_terms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Query:
    """A query read into words.

    groups: word lists of which one must be held entirely (the query's own words, or one synonym phrase's words);
    fuzzy: the name bigrams and words of the query, used only when no item holds a whole group (a wrong character):
    an item then needs two of them in its name; prefixes: pinyin initials (letters-only queries).
    """

    groups: list[list[str]]
    fuzzy: list[str]
    prefixes: list[str]

    @property
    def empty(self) -> bool:
        return not self.groups and not self.fuzzy and not self.prefixes

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys([*(word for group in self.groups for word in group), *self.fuzzy, *self.prefixes]))


def parse_query(q: str, meanings: list[str]) -> _Query:
    """Words of the query, the synonyms' phrases, the query's bigrams; letters-only queries also match initials."""
    q = q.lower().strip()
    words = tokens(q)
    groups = [words] if words else []
    for phrase in (phrase for meaning in meanings for phrase in meaning.split()):
        phrase_words = tokens(phrase)
        if phrase_words:
            groups.append(phrase_words)
    fuzzy = list(dict.fromkeys([*bigrams(q), *(word for word in words if len(word) > 1)]))[:MAX_FUZZY_TERMS]
    prefixes = [q] if _LETTERS.match(q) else []
    return _Query([group[:MAX_GROUP_WORDS] for group in groups[:MAX_GROUPS]], fuzzy, prefixes)


def _pairs(terms: list[str]) -> list[tuple[str, ...]]:
    return list(itertools.combinations(terms, 2)) if len(terms) > 1 else [tuple(terms)] if terms else []


def _fts5_queries(query: _Query) -> tuple[str, str]:
    """(strict, fuzzy) FTS5 MATCH strings; either may be empty."""

    def conj(words) -> str:
        return "(" + " AND ".join(f'"{word}"' for word in words) + ")"

    strict = [conj(group) for group in query.groups] + [f'name_terms : "{prefix}"*' for prefix in query.prefixes]
    fuzzy = [f"name_terms : {conj(pair)}" for pair in _pairs(query.fuzzy)]
    return " OR ".join(strict), " OR ".join(fuzzy)


def _tsqueries(query: _Query) -> tuple[str, str]:
    """(strict, fuzzy) tsquery strings ('simple' configuration); either may be empty."""

    def conj(words, weight="") -> str:
        return "(" + " & ".join(f"'{word}'{':' + weight if weight else ''}" for word in words) + ")"

    strict = [conj(group) for group in query.groups] + [f"'{prefix}':*A" for prefix in query.prefixes]
    fuzzy = [conj(pair, "A") for pair in _pairs(query.fuzzy)]
    return " | ".join(strict), " | ".join(fuzzy)


COLUMNS = (
    "d.id, d.item_id, d.name, d.item_type, d.organisation_id, d.region_code, d.audience, d.version_id, d.use_count"
)


def _fuzzy_rank_tsquery(query: _Query) -> str:
    """The fuzzy match's rank as one OR of its terms: ts_rank scores an OR by its distinct operands, so this ranks
    exactly as the 28 pairs do while parsing and scanning a fifth of the query."""
    return " | ".join(f"'{term}':A" for term in query.fuzzy)


def _scored(match: str, region_code: str, rank_match: str = "") -> tuple[str, list]:
    """SELECT the index columns and rank of the documents matching one full-text query string, within the region;
    `rank_match` (PostgreSQL) is an equivalent, cheaper query for the rank."""
    if connection.vendor == "sqlite":
        region_sql, region_params = region_condition(region_code)
        within = f" AND {region_sql}" if region_sql else ""
        sql = (
            f"SELECT {COLUMNS}, -bm25({FTS_TABLE}, 4.0, 1.0) AS rank FROM {FTS_TABLE} "  # noqa: S608
            f"JOIN catalog_searchdocument d ON d.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH %s{within}"
        )
        return sql, [match, *region_params]
    # The region travels inside the tsquery as area lexemes (see area_token); the rank ignores them.
    where = f"({match}) & ({_area_tsquery(region_code)})" if region_code.strip() else match
    sql = (
        f"SELECT {COLUMNS}, ts_rank(d.search_vector, to_tsquery('simple', %s)) AS rank FROM catalog_searchdocument d "  # noqa: S608
        f"WHERE d.search_vector @@ to_tsquery('simple', %s)"
    )
    return sql, [rank_match or match, where]


def _matches(query: _Query, region_code: str) -> tuple[str, list]:
    """CTE definitions ending in m(id, rank): the strict matches, or, only when there are none, the fuzzy ones.

    The region filter is applied here, inside the full-text scan, because it is the one that cuts most rows.
    """
    if query.empty:
        region_sql, region_params = region_condition(region_code)
        where = f" WHERE {region_sql}" if region_sql else ""
        return f"m AS (SELECT {COLUMNS}, 0.0 AS rank FROM catalog_searchdocument d{where})", region_params  # noqa: S608
    strict, fuzzy = _fts5_queries(query) if connection.vendor == "sqlite" else _tsqueries(query)
    parts, params = [], []
    if strict:
        sql, strict_params = _scored(strict, region_code)
        parts.append(f"strict AS ({sql})")
        params += strict_params
    if fuzzy:
        sql, fuzzy_params = _scored(fuzzy, region_code, _fuzzy_rank_tsquery(query))
        parts.append(f"fuzzy AS ({sql})")
        params += fuzzy_params
    if strict and fuzzy:
        parts.append(
            "m AS (SELECT * FROM strict UNION ALL SELECT * FROM fuzzy WHERE NOT EXISTS (SELECT 1 FROM strict))"
        )
    else:
        parts.append(f"m AS (SELECT * FROM {'strict' if strict else 'fuzzy'})")  # noqa: S608
    return ", ".join(parts), params


def region_areas(region_code: str) -> list[str]:
    """The scope areas valid for a person in `region_code`: everywhere, its province, city and county."""
    code = region_code.strip()
    areas = ["", code[:2] + "0000"]
    if len(code) >= 4 and code[2:4] != "00":
        areas.append(code[:4] + "00")
    if len(code) >= 6 and code[4:6] != "00":
        areas.append(code[:6])
    return areas


def region_condition(region_code: str) -> tuple[str, list]:
    """Documents valid for a person in `region_code`: their scope area is that code, one above it, or everywhere."""
    if not region_code.strip():
        return "", []
    areas = region_areas(region_code)
    marks = ", ".join(["%s"] * len(areas))
    return f"d.region_code IN ({marks})", areas


def _filters(*, organisation_id, item_type, audience, theme) -> dict[str, tuple[str, list]]:
    """Each active filter other than the region as (SQL condition on d, params), keyed by the facet it narrows."""
    conditions: dict[str, tuple[str, list]] = {}
    if organisation_id:
        conditions["organisation"] = ("d.organisation_id = %s", [int(organisation_id)])
    if item_type:
        conditions["item_type"] = ("d.item_type = %s", [item_type])
    if audience:
        conditions["audience"] = ("d.audience LIKE %s", [f"%{audience}%"])
    if theme:
        conditions["theme"] = (
            "d.version_id IN (SELECT vt.itemversion_id FROM catalog_itemversion_themes vt "
            "JOIN catalog_theme t ON t.id = vt.theme_id WHERE t.code = %s)",
            [theme],
        )
    return conditions


def _where(conditions: dict[str, tuple[str, list]], skip: str = "") -> tuple[str, list]:
    parts = [(sql, params) for key, (sql, params) in conditions.items() if key != skip]
    if not parts:
        return "", []
    return " WHERE " + " AND ".join(sql for sql, _params in parts), [p for _sql, params in parts for p in params]


def _score_sql(has_query: bool) -> str:
    if not has_query:
        return "d.use_count"
    return f"d.rank * (1.0 + d.use_count * 1.0 / (d.use_count + {USE_BOOST_HALF}))"


FACETS = (
    # (facet, grouped column, value expression, organisation id for the label): grouped on the column itself (an
    # integer for organisations), labels looked up for the listed values only
    ("organisation", "d.organisation_id", "CAST(d.organisation_id AS TEXT)", "d.organisation_id"),
    ("item_type", "d.item_type", "d.item_type", "CAST(NULL AS BIGINT)"),
    ("region", "d.region_code", "d.region_code", "CAST(NULL AS BIGINT)"),
)


# Names are looked up per returned row (an index probe each), never joined across all matches.
_ORGANISATION_NAME = "(SELECT o.name FROM core_organisation o WHERE o.id = {})"
_REGION_NAME = "COALESCE((SELECT r.name FROM core_region r WHERE r.code = {}), '')"


def _statement(match_sql, match_params, conditions, has_query, limit, offset) -> tuple[str, list]:
    """One statement for a page of hits, the total and the facets, so the full-text match runs once.

    f: the matched documents with their score (only the index table is read for every match); top: the page, with
    the total as a window count; one branch per facet, each ignoring its own filter and keeping its FACET_VALUES most
    frequent values (a top-N sort: a nationwide query has a thousand organisations); names (organisations, regions)
    are looked up only on the rows returned. The rows come back unordered: _run orders hits and facet values.
    """
    where, params = _where(conditions)
    facet_branches, facet_params = [], []
    for facet, column, value, organisation in FACETS:
        facet_where, where_params = _where(conditions, skip=facet)
        facet_branches.append(
            f"SELECT * FROM (SELECT '{facet}' AS facet, {value} AS value, {organisation} AS organisation_id, "  # noqa: S608
            f"COUNT(*) AS n FROM f d{facet_where} GROUP BY {column} ORDER BY n DESC, value LIMIT {FACET_VALUES}) "
            f"AS facet_{facet}"
        )
        facet_params += where_params
    sql = (
        f"WITH {match_sql}, "  # noqa: S608
        f"f AS (SELECT d.*, {_score_sql(has_query)} AS score FROM m d), "
        "top AS (SELECT d.*, COUNT(*) OVER () AS total "
        f"FROM f d{where} ORDER BY d.score DESC, d.name, d.item_id LIMIT %s OFFSET %s), "
        f"counts AS ({' UNION ALL '.join(facet_branches)}) "
        "SELECT 'hit', t.item_id, i.code, t.name, t.item_type, t.organisation_id, "
        f"{_ORGANISATION_NAME.format('t.organisation_id')}, t.region_code, {_REGION_NAME.format('t.region_code')}, "
        "t.audience, t.use_count, t.score, t.total "
        "FROM top t JOIN catalog_implementationitem i ON i.id = t.item_id "
        "UNION ALL "
        f"SELECT k.facet, NULL, k.value, COALESCE({_ORGANISATION_NAME.format('k.organisation_id')}, "
        f"CASE WHEN k.facet = 'region' THEN {_REGION_NAME.format('k.value')} END, ''), "
        "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, k.n "
        "FROM counts k"
    )
    return sql, [*match_params, *params, limit, offset, *facet_params]


def _run(match_sql, match_params, conditions, has_query, limit, offset):
    """(hits, total, facets) from the one statement: hits best first, facet values most frequent first."""
    sql, params = _statement(match_sql, match_params, conditions, has_query, limit, offset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    hits, total = [], 0
    facets: dict[str, list[FacetValue]] = {facet[0]: [] for facet in FACETS}
    # Each row: kind, the Hit's columns up to use_count, score, count (see the SELECT lists of _statement).
    for kind, *columns, score, count in rows:
        if kind == "hit":
            hit = Hit(*columns, float(score or 0))
            if not hit.region_name:
                hit = replace(hit, region_name=_facet_label("region", hit.region_code, ""))
            hits.append(hit)
            total = count
        else:
            _none, value, label = columns[:3]
            facets[kind].append(FacetValue(str(value), _facet_label(kind, str(value), label), count))
    # The SQL's ORDER BY chose the page; this puts it in the same order (and the facet values by frequency).
    hits.sort(key=lambda hit: (-hit.score, hit.name, hit.item_id))
    for values in facets.values():
        values.sort(key=lambda value: (-value.count, value.value))
    return hits, total, facets


def _facet_label(facet: str, value: str, label: str) -> str:
    if facet == "item_type":
        return item_type_label(value)
    if facet == "region" and not value:
        return _("全国（跨省通办）")
    return label or value


def search(
    q: str = "",
    *,
    region_code: str = "",
    organisation_id: int | None = None,
    item_type: str = "",
    audience: str = "",
    theme: str = "",
    page: int = 1,
    per_page: int = 20,
) -> SearchResults:
    """Published items matching the query and filters, best first, with facets, in one SQL statement plus the synonym
    table when it is not cached (see above)."""
    q = (q or "").strip()[:MAX_QUERY_LENGTH]
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    page = max(1, int(page))
    region_code = (region_code or "").strip()[:12] if (region_code or "").strip().isdigit() else ""
    query, match_sql, match_params = _analysed(
        q, tuple(_synonym_meanings(q)) if q else (), region_code, connection.vendor
    )
    if q and query.empty:
        return SearchResults([], 0, {"organisation": [], "item_type": [], "region": []}, 1, 1, [])
    conditions = _filters(organisation_id=organisation_id, item_type=item_type, audience=audience, theme=theme)
    hits, total, facets = _run(match_sql, list(match_params), conditions, bool(q), per_page, (page - 1) * per_page)
    pages = max(1, math.ceil(total / per_page)) if total else 1
    return SearchResults(hits, total, facets, page, pages, query.terms)


@functools.lru_cache(maxsize=4096)
def _analysed(q: str, meanings: tuple[str, ...], region_code: str, vendor: str) -> tuple[_Query, str, tuple]:
    """The query read into words and its match as SQL, kept per process for each query, the synonym meanings found
    in it and the region (a tenth of a search's Python on a miss); `vendor` keys the SQL dialect."""
    query = parse_query(q, list(meanings))
    match_sql, match_params = _matches(query, region_code)
    return query, match_sql, tuple(match_params)


def cached(kind: str, build: Callable[[SearchResults], T], **arguments) -> T:
    """build(search(**arguments)), kept in the search cache (catalog/search_cache.py) under the kind of answer (an
    API body, the results page's results), every argument and the synonym table's version: a popular search is
    answered without SQL until the catalogue changes."""
    return search_cache.remember(
        lambda: (kind, synonym_version(), sorted(arguments.items())),
        lambda: build(search(**arguments)),
    )
