"""The recommender API the action server calls.

    recommender = Recommender.load("var/recommender")
    recommender.recommend(customer_id, k=5, category="Running Shoes", max_price=800,
                          query_text="something for rainy runs", language="en")
    recommender.similar(product_id)          recommender.search("适合跑步的鞋")
    recommender.serving.explain(customer_id, product_id, language="zh")
    recommender.update(customer_id, [InteractionRecord(...), ...])   # fold-in, no retraining

Customer and product ids are the CRM's (any type; compared as text). Every call is in-process
and answers in milliseconds on a catalogue of thousands; `reload_if_newer` picks up a freshly
trained version without a restart.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from recommender import artifacts
from recommender.serving import explain as reasons
from recommender.settings import HybridConfig
from recommender.data import KIND_CODES, WeightConfig
from recommender.serving.explain import Contribution, Explanation
from retrieval.vector_index import EXACT_MAX_ITEMS, VectorIndex
from recommender.serving.hybrid import Signals, diversify, popularity_signal, scale
from recommender.serving.hybrid import blend as blend_signals
from recommender.catalogue import Catalogue
from kelian.language import text_language

from recommender.serving.query import NAME_PATTERNS, VOCABULARY, parse_query
from recommender.records import InteractionLike, ProductLike, ProductRecord
from retrieval.text import TextSearchIndex, reciprocal_rank_fusion
from recommender.trained import TrainedRecommender, content_vectors

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(os.environ.get("RECOMMENDER_DIR", Path(__file__).resolve().parents[2] / "var" / "recommender"))
PURCHASE = KIND_CODES["purchase"] + 2
UNKNOWN_KIND = 1
TASTE_SHOWN = 0.5
REQUEST_DEPTH = 10  # with a request, personal taste re-ranks only this many best matches (or 2k)
SESSION_WEIGHT = 1.0  # what the customer engaged with in this conversation weighs as much as their taste
SESSION_SHOWN = 0.8  # a product this close to the session's products is explained by them
CHILD_WORDS = re.compile(
    r"(?<![a-z])(?:kids?|kids'|children'?s?|child'?s?|toddlers?|baby|babies)(?![a-z])|儿童|少儿|童装|宝宝|婴儿|幼儿"
)


def type_mask(catalogue: Catalogue, product_type: str | None) -> np.ndarray | None:
    """Products of a product type of `query.PRODUCT_TYPES` (or of a category the catalogue names): its
    categories, narrowed to the products whose names say the type when some do (a yoga mat, not a
    dumbbell, in "Fitness"). None when the catalogue has none of its categories: nothing is filtered."""
    if not product_type:
        return None
    entry = VOCABULARY.get(product_type)
    names = [
        n for n in (entry.categories if entry is not None else (product_type,)) if catalogue.category_mask(n).any()
    ]
    if not names:
        return None
    mask = catalogue.mask(names, in_stock_only=False, active_only=False)
    pattern = NAME_PATTERNS.get(product_type)
    if pattern is not None:
        named = mask & np.asarray(
            [bool(pattern.search(f"{p.name_en.lower()} {p.name_zh}")) for p in catalogue.products]
        )
        if named.any():
            mask = named
    return mask


class RecommenderError(ValueError):
    """A request the recommender cannot answer as asked (unknown product, bad argument)."""


@dataclass(frozen=True)
class Recommendation:
    product_id: Any  # the catalogue's id (the CRM's product id)
    sku: str
    name: str
    price: float
    category: str
    score: float
    source: str
    reason: str


class Recommender:
    def __init__(self, trained: TrainedRecommender, path: Path | None = None) -> None:
        self._lock = threading.RLock()
        self._path = path
        self._install(trained)

    def _install(self, trained: TrainedRecommender) -> None:
        with self._lock:
            self.trained = trained
            self.version = trained.meta.get("version")
            self._popularity = popularity_signal(trained.popularity)
            self._histories: dict[str, sparse.csr_matrix] = {}
            self._kinds: dict[str, sparse.csr_matrix] = {}
            self._vectors: dict[str, np.ndarray] = {}
            self._weights = trained.config.weights
            self._item_index: VectorIndex | None = None
            self._for_children: np.ndarray | None = None
            self._type_masks: dict[str, np.ndarray | None] = {}

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> Recommender:
        """Load the current version under `path` (or the version directory `path` itself)."""
        path = Path(path)
        return cls(artifacts.load(path), path)

    def reload_if_newer(self) -> bool:
        """Swap in the version `current` points at if it changed; online updates start afresh."""
        if self._path is None or artifacts.current_version(self._path) in (None, self.version):
            return False
        self._install(artifacts.load(self._path))
        log.info("recommender: switched to version %s", self.version)
        return True

    # --- state -----------------------------------------------------------------------------

    @property
    def catalogue(self) -> Catalogue:
        return self.trained.catalogue

    def info(self) -> dict[str, object]:
        return {
            "version": self.version,
            **{k: self.trained.meta.get(k) for k in ("created_at", "source", "data", "metrics")},
        }

    def _history(self, customer_id: object) -> tuple[sparse.csr_matrix, sparse.csr_matrix] | None:
        key = str(customer_id)
        if key in self._histories:
            return self._histories[key], self._kinds[key]
        row = self.trained.user_row(key)
        if row is None:
            return None
        return self.trained.history[row], self.trained.kinds[row]

    def _user_vector(self, customer_id: object) -> np.ndarray | None:
        key = str(customer_id)
        if key in self._vectors:
            return self._vectors[key]
        row = self.trained.user_row(key)
        if row is None or row >= len(self.trained.als.user_factors):
            return None
        return self.trained.als.user_factors[row]

    def _product_row(self, product_id: object) -> int:
        row = self.catalogue.row(product_id)
        if row is None:
            raise RecommenderError(f"unknown product {product_id!r}")
        return row

    def _recommendation(self, row: int, score: float, source: str, reason: str, language: str) -> Recommendation:
        product = self.catalogue.products[row]
        return Recommendation(
            product.product_id,
            product.sku,
            product.name(language),
            product.price,
            product.category(language),
            round(float(score), 4),
            source,
            reason,
        )

    def _text(self) -> TextSearchIndex | None:
        return self.trained.text

    def _children_mask(self) -> np.ndarray:
        """Products made for children (their name says so, in either language)."""
        if self._for_children is None or len(self._for_children) != len(self.catalogue):
            self._for_children = np.asarray(
                [bool(CHILD_WORDS.search(f"{p.name_en.lower()} {p.name_zh}")) for p in self.catalogue.products],
                dtype=bool,
            )
        return self._for_children

    def _type_mask(self, product_type: str | None) -> np.ndarray | None:
        if not product_type:
            return None
        if product_type in self._type_masks:
            cached = self._type_masks[product_type]
            if cached is None or len(cached) == len(self.catalogue):
                return cached
        mask = self._type_masks[product_type] = type_mask(self.catalogue, product_type)
        return mask

    def knows_type(self, product_type: str | None) -> bool:
        """Whether `product_type` filters anything in this catalogue."""
        with self._lock:
            return self._type_mask(product_type) is not None

    def _restrict(
        self,
        allowed: np.ndarray,
        hide_products: Iterable[object],
        for_children: bool | None,
        product_type: str | None = None,
    ) -> None:
        """Keeps only products of the product type (when the catalogue has it) and drops the hidden
        products (already shown: "something else") and, for a named recipient, the products for the
        other age group (a gift for a wife is not a kids' shoe)."""
        kind = self._type_mask(product_type)
        if kind is not None:
            allowed &= kind
        for product_id in hide_products:
            row = self.catalogue.row(product_id)
            if row is not None:
                allowed[row] = False
        if for_children is not None:
            children = self._children_mask()
            allowed &= children if for_children else ~children

    def nearest_in_price(
        self,
        k: int = 4,
        *,
        category: str | Sequence[str] | None = None,
        min_price: float | None = None,
        max_price: float | None = None,
        in_stock_only: bool = True,
        language: str = "en",
        hide_products: Iterable[object] = (),
        for_children: bool | None = None,
        product_type: str | None = None,
    ) -> list[Recommendation]:
        """When nothing of the type (or in `category`) fits the budget: those whose price is closest to
        it (the cheapest above a ceiling, the dearest below a floor), nearest first."""
        if k <= 0:
            raise RecommenderError("k must be positive")
        with self._lock:
            allowed = self.catalogue.mask(category, None, None, in_stock_only)
            self._restrict(allowed, hide_products, for_children, product_type)
            price = self.catalogue.price
            distance = np.zeros(len(price))
            if max_price is not None:
                distance += np.maximum(price - max_price, 0.0)
            if min_price is not None:
                distance += np.maximum(min_price - price, 0.0)
            rows = [int(r) for r in np.lexsort((price, distance)) if allowed[r]][:k]
            return [
                self._recommendation(r, -float(distance[r]), "alternative", reasons.popular(language), language)
                for r in rows
            ]

    # --- recommend -------------------------------------------------------------------------

    def recommend(
        self,
        customer_id: object,
        k: int = 10,
        *,
        category: str | Sequence[str] | None = None,
        min_price: float | None = None,
        max_price: float | None = None,
        in_stock_only: bool = True,
        exclude_purchased: bool = True,
        exclude_products: Iterable[object] = (),
        query_text: str | None = None,
        language: str = "en",
        diversity: bool = True,
        session_items: Sequence[object] = (),
        blend: Mapping[str, float] | None = None,
        hide_products: Iterable[object] = (),
        for_children: bool | None = None,
        product_type: str | None = None,
    ) -> list[Recommendation]:
        """Top-k products for a customer, optionally for a described need ("a jacket for
        rain under 500" also sets the budget). New customers get popular products.

        `session_items` are products the customer engaged with in this conversation (clicked,
        opened): what is like them rises — a year of history should not drown what the customer
        is looking at now — and they themselves are not offered again.

        `exclude_purchased` drops non-consumable products the customer bought (as far as the
        interactions say); the caller can add the CRM's own list in `exclude_products`
        (e.g. `crm.export.purchased_product_ids`), applied with the same consumable rule.

        `blend` overrides weights of the trained hybrid blend for this call (an experiment's arm:
        `{"popularity_weight": 0.0}` ranks by taste alone); a zero `personal_weight` leaves the
        customer's history out altogether, explanations included.

        `product_type` (a key of `query.PRODUCT_TYPES`) keeps only products of that type;
        `hide_products` are never offered (shown already for this request); `for_children` True or
        False keeps only products for children or only the others (a named recipient)."""
        if k <= 0:
            raise RecommenderError("k must be positive")
        hybrid = self._hybrid(blend)
        with self._lock:
            parsed = parse_query(query_text, language) if query_text and query_text.strip() else None
            if parsed is not None:
                min_price = parsed.min_price if min_price is None else min_price
                max_price = parsed.max_price if max_price is None else max_price
            allowed = self.catalogue.mask(category, min_price, max_price, in_stock_only)
            self._restrict(allowed, hide_products, for_children, product_type)
            history = self._history(customer_id)
            if exclude_purchased and history is not None:
                _, kinds = history
                owned = kinds.indices[(kinds.data == PURCHASE) | (kinds.data == UNKNOWN_KIND)]
                allowed[owned[~self.catalogue.consumable[owned]]] = False
            if exclude_purchased:
                for product_id in exclude_products:
                    row = self.catalogue.row(product_id)
                    if row is not None and not self.catalogue.consumable[row]:
                        allowed[row] = False

            session_rows = [row for row in map(self.catalogue.row, session_items) if row is not None]
            allowed[session_rows] = False
            vector = self._user_vector(customer_id) if hybrid.personal_weight > 0 else None
            personal = None if vector is None else self._personal_scores(vector, allowed, depth=max(20 * k, 500))
            text_scores = None
            text = self._text()
            if parsed is not None and text is not None:
                text_scores = text.match_scores(parsed.text, parsed.language, allowed, depth=max(2 * k, REQUEST_DEPTH))
            scores = blend_signals(Signals(personal, text_scores, self._popularity), allowed, hybrid)
            taste = None if personal is None else scale(personal, allowed)
            if text_scores is not None and np.isfinite(scores).sum() < k:
                fallback = blend_signals(Signals(personal, None, self._popularity), allowed, hybrid)
                scores = np.where(np.isfinite(scores), scores + 10.0, fallback)
            session = None
            if session_rows:
                session = scale(self._likeness(session_rows), allowed)
                scores = scores + SESSION_WEIGHT * session
            # A request names what the customer wants; variety across categories is for open browsing.
            penalty = hybrid.diversity_penalty if diversity and parsed is None else 0.0
            rows = diversify(scores, self.catalogue.group, k, penalty)
            results = self._with_reasons(customer_id, rows, scores, taste, text_scores, language)
            if session is None:
                return results
            nearest = self.catalogue.products[session_rows[-1]].name(language)
            return [
                replace(r, source="session", reason=reasons.similar_to(nearest, language))
                if session[row] >= SESSION_SHOWN and r.source != "search"
                else r
                for row, r in zip(rows, results)
            ]

    def _hybrid(self, overrides: Mapping[str, float] | None) -> HybridConfig:
        """The trained blend with `overrides` applied; unknown names or negative weights are refused."""
        if not overrides:
            return self.trained.config.hybrid
        known = {f.name for f in fields(HybridConfig)}
        unknown = set(overrides) - known
        if unknown:
            raise RecommenderError(f"unknown blend weight(s) {sorted(unknown)}; known: {sorted(known)}")
        if any(float(v) < 0 for v in overrides.values()):
            raise RecommenderError("blend weights must not be negative")
        return replace(self.trained.config.hybrid, **{k: float(v) for k, v in overrides.items()})

    def _likeness(self, rows: list[int]) -> np.ndarray:
        """Cosine of every product's vector with the mean of `rows`' vectors."""
        vectors = self.trained.item_vectors
        centre = vectors[rows].mean(axis=0)
        norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(centre) or 1.0)
        return (vectors @ centre) / np.where(norms > 0, norms, 1.0)

    def _personal_scores(self, vector: np.ndarray, allowed: np.ndarray, depth: int) -> np.ndarray:
        """user . item for every product. Small catalogues: one matrix product (exact, and
        cheaper than any index). Large ones: the FAISS index (HNSW/IVF by size) is queried with
        the user vector and the filters; products it does not return score as its worst hit."""
        vectors = self.trained.item_vectors
        if len(vectors) <= EXACT_MAX_ITEMS:
            return vectors @ vector
        if self._item_index is None or len(self._item_index) != len(vectors):
            self._item_index = VectorIndex(vectors)
        found = self._item_index.search_one(vector, depth, allowed)
        scores = np.full(len(vectors), found.scores.min() if len(found.scores) else 0.0, dtype=np.float32)
        scores[found.ids] = found.scores
        return scores

    def _with_reasons(
        self,
        customer_id: object,
        rows: list[int],
        scores: np.ndarray,
        taste: np.ndarray | None,
        text_scores: np.ndarray | None,
        language: str,
    ) -> list[Recommendation]:
        """Each product's main reason; a request match mentions the customer's history only
        when their taste clearly points at the product too (scaled taste >= TASTE_SHOWN)."""
        explanations: dict[int, Explanation] = {}
        if taste is not None:
            for row, item_explanation in zip(rows, self._explain_rows(customer_id, rows, language)):
                explanations[row] = item_explanation
        results = []
        for row in rows:
            if text_scores is not None and text_scores[row] > 0:
                source, reason = "search", reasons.matches_request(language)
                personal_reason = explanations.get(row)
                if (
                    personal_reason is not None
                    and personal_reason.contributions
                    and taste is not None
                    and taste[row] >= TASTE_SHOWN
                ):
                    reason = reasons.join_reasons([reason, personal_reason.text], language)
            elif row in explanations and explanations[row].contributions:
                source, reason = "personal", explanations[row].text
            elif taste is not None and self.trained.cold_items[row]:
                source, reason = "new", reasons.new_arrival(language)
            else:
                source, reason = "popular", reasons.popular(language)
            results.append(self._recommendation(row, scores[row], source, reason, language))
        return results

    # --- explain ---------------------------------------------------------------------------

    def _explain_rows(self, customer_id: object, rows: list[int], language: str) -> list[Explanation]:
        history = self._history(customer_id)
        if history is None or history[0].nnz == 0:
            return [
                Explanation(customer_id, self.catalogue.products[r].product_id, reasons.popular(language), 0.0)
                for r in rows
            ]
        raw, kinds = history
        kind_of = dict(zip(kinds.indices.tolist(), kinds.data.tolist()))
        results = []
        for row, (total, contributions) in zip(rows, self.trained.als.explain(raw, rows, n=3)):
            positive = [(item, s) for item, s in contributions if s > 0]
            if not positive:
                results.append(
                    Explanation(customer_id, self.catalogue.products[row].product_id, reasons.popular(language), total)
                )
                continue
            parts = []
            for item, share in positive[:2]:
                product = self.catalogue.products[item]
                kind = reasons.kind_name(kind_of.get(item, UNKNOWN_KIND))
                parts.append(
                    Contribution(product.product_id, product.name(language), kind, share / total if total else 0.0)
                )
            shown = [parts[0]] + [p for p in parts[1:] if p.share >= 0.25]
            text = reasons.because([(p.kind, p.name) for p in shown], language)
            results.append(Explanation(customer_id, self.catalogue.products[row].product_id, text, total, tuple(parts)))
        return results

    def explain(self, customer_id: object, product_id: object, language: str = "en") -> Explanation:
        """Why `product_id` suits this customer: their own products that weigh most in its score."""
        with self._lock:
            row = self._product_row(product_id)
            return self._explain_rows(customer_id, [row], language)[0]

    # --- similar & search ------------------------------------------------------------------

    def similar(
        self, product_id: object, k: int = 10, *, method: str = "auto", language: str = "en", in_stock_only: bool = True
    ) -> list[Recommendation]:
        """Products like this one: bought by the same customers (item factors), described alike
        (text embeddings), or both fused ("auto")."""
        if method not in ("auto", "cf", "text"):
            raise RecommenderError("method must be auto, cf or text")
        with self._lock:
            row = self._product_row(product_id)
            allowed = self.catalogue.mask(in_stock_only=in_stock_only)
            allowed[row] = False
            rankings: list[list[int]] = []
            vectors = self.trained.item_vectors
            if method in ("auto", "cf") and np.linalg.norm(vectors[row]) > 0:
                norms = np.linalg.norm(vectors, axis=1)
                cosine = (vectors @ vectors[row]) / np.where(norms > 0, norms * norms[row], 1.0)
                cosine = np.where(allowed & (norms > 0), cosine, -np.inf)
                ranked = np.argsort(-cosine, kind="stable")[: max(k * 5, 50)]
                rankings.append([int(i) for i in ranked if np.isfinite(cosine[i])])
            text = self._text()
            if method in ("auto", "text") and text is not None:
                rankings.append([i for i, _ in text.similar(row, max(k * 5, 50), allowed)])
            fused = reciprocal_rank_fusion(rankings, k=10.0)
            best = sorted(fused.items(), key=lambda item: item[1], reverse=True)[:k]
            name = self.catalogue.products[row].name(language)
            return [
                self._recommendation(i, s, "similar", reasons.similar_to(name, language), language) for i, s in best
            ]

    def search(
        self,
        text: str,
        k: int = 10,
        *,
        category: str | Sequence[str] | None = None,
        min_price: float | None = None,
        max_price: float | None = None,
        in_stock_only: bool = True,
        language: str | None = None,
        hide_products: Iterable[object] = (),
        for_children: bool | None = None,
        product_type: str | None = None,
    ) -> list[Recommendation]:
        """Products matching a described need, in English or Chinese; a budget in the words
        ("under 500", "300元以内") filters by price unless min/max_price are given. `product_type`,
        `hide_products` and `for_children` as in `recommend`."""
        if not text or not text.strip():
            raise RecommenderError("search text is empty")
        index = self._text()
        if index is None:
            log.warning("recommender: search asked but this artifact has no product texts")
            return []
        with self._lock:
            parsed = parse_query(text, language or text_language(text))
            min_price = parsed.min_price if min_price is None else min_price
            max_price = parsed.max_price if max_price is None else max_price
            allowed = self.catalogue.mask(category, min_price, max_price, in_stock_only)
            self._restrict(allowed, hide_products, for_children, product_type)
            found = index.search(parsed.text, k, parsed.language, allowed)
            reason = reasons.matches_request(parsed.language)
            return [self._recommendation(row, score, "search", reason, parsed.language) for row, score in found]

    # --- online updates --------------------------------------------------------------------

    def update(self, customer_id: object, interactions: Iterable[InteractionLike]) -> None:
        """Fold new interactions into the customer's vector (one least-squares solve against
        the fixed item factors): their next recommendations reflect them, no retraining."""
        weights: WeightConfig = self._weights
        with self._lock:
            key = str(customer_id)
            n_items = len(self.catalogue)
            history = self._history(key)
            if history is None:
                raw = sparse.csr_matrix((1, n_items), dtype=np.float32)
                kinds = sparse.csr_matrix((1, n_items), dtype=np.int16)
            else:
                raw, kinds = (m.copy() for m in history)
            added_rows, added_weights, kind_codes = [], [], []
            for event in interactions:
                if str(event.customer_id) != key:
                    raise RecommenderError(
                        f"interaction for customer {event.customer_id!r} passed to update({customer_id!r})"
                    )
                row = self.catalogue.row(event.product_id)
                weight = weights.weight_of(event.kind) * float(event.weight if event.weight is not None else 1.0)
                if row is None or weight == 0.0:
                    continue
                added_rows.append(row)
                added_weights.append(weight)
                kind_codes.append(KIND_CODES[event.kind] + 2)
            if not added_rows:
                return
            delta = sparse.csr_matrix(
                (added_weights, ([0] * len(added_rows), added_rows)), shape=(1, n_items), dtype=np.float32
            )
            raw = (raw + delta).tocsr()
            kinds = self._merge_kinds(kinds, added_rows, kind_codes)
            self._histories[key], self._kinds[key] = raw, kinds
            self._vectors[key] = self.trained.als.fold_in(raw)[0]

    def fold_in(self, customer_id: object, interactions: Iterable[InteractionLike]) -> None:
        """Like `update`, but `interactions` are everything since training (the store's view): they
        replace what was folded in before instead of adding to it, so repeating the call is harmless."""
        with self._lock:
            key = str(customer_id)
            for online in (self._histories, self._kinds, self._vectors):
                online.pop(key, None)
            self.update(customer_id, interactions)

    def trained_at(self) -> datetime | None:
        """When the served version was trained (interactions after this are not in it)."""
        created = self.trained.meta.get("created_at")
        return datetime.fromisoformat(created) if created else None

    def _merge_kinds(self, kinds: sparse.csr_matrix, rows: list[int], codes: list[int]) -> sparse.csr_matrix:
        strength = {
            code: self._weights.kind_weights.get(kind, 0.0)
            for kind, code in ((k, c + 2) for k, c in KIND_CODES.items())
        }
        current = dict(zip(kinds.indices.tolist(), kinds.data.tolist()))
        for row, code in zip(rows, codes):
            if row not in current or strength.get(code, 0.0) > strength.get(current[row], 0.0):
                current[row] = code
        items = sorted(current)
        return sparse.csr_matrix(
            ([current[i] for i in items], ([0] * len(items), items)), shape=kinds.shape, dtype=np.int16
        )

    def add_products(self, products: Iterable[ProductLike | ProductRecord]) -> None:
        """Make new products recommendable and searchable before the next training run:
        their item vectors come from the products their descriptions resemble."""
        with self._lock:
            trained = self.trained
            rows = trained.catalogue.add(products)
            if not rows:
                return
            new = [trained.catalogue.products[r] for r in rows]
            if trained.text is not None:
                trained.text.add_documents([p.text("en") for p in new], [p.text("zh") for p in new])
            factors = np.vstack(
                [trained.item_vectors, np.zeros((len(rows), trained.item_vectors.shape[1]), dtype=np.float32)]
            )
            cold = np.r_[trained.cold_items, np.ones(len(rows), dtype=bool)]
            only_new = np.zeros(len(cold), dtype=bool)
            only_new[rows] = True
            filled = content_vectors(factors, only_new, trained.text)
            trained.als.set_item_factors(filled)
            trained.cold_items = cold
            trained.popularity = np.r_[trained.popularity, np.zeros(len(rows), dtype=np.float32)]
            trained.history = sparse.csr_matrix(
                (trained.history.data, trained.history.indices, trained.history.indptr),
                shape=(trained.history.shape[0], len(cold)),
            )
            trained.kinds = sparse.csr_matrix(
                (trained.kinds.data, trained.kinds.indices, trained.kinds.indptr),
                shape=(trained.kinds.shape[0], len(cold)),
            )
            self._popularity = popularity_signal(trained.popularity)
            self._histories = {k: _widen(v, len(cold)) for k, v in self._histories.items()}
            self._kinds = {k: _widen(v, len(cold)) for k, v in self._kinds.items()}


def _widen(matrix: sparse.csr_matrix, columns: int) -> sparse.csr_matrix:
    return sparse.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], columns))
