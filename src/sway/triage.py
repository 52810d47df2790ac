"""Real-time triage: which incoming message to answer first, and why.

Pure logic: no store, no HTTP. The CLI (``sway triage``) and the API (``POST /v1/triage`` and
the WebSocket ``/v1/triage/stream``) parse messages with :func:`parse_message` and hand them to a
:class:`Triager`.

Everyone is answered: triage only orders the queue. Each message gets a priority and the reasons
for it, from four signals:

- **actionability** of the text (rules in :func:`detect`): a *question*, a *complaint*, a
  *request* or *purchase intent*, and *urgency*, from cues in English, French, Spanish,
  German, Italian and Portuguese (matched without accents: people drop them);
- **sentiment** of the text in its language (:class:`sway.topics.sentiment.SentimentAnalyzer`:
  VADER [1]_ for English, VADER's rules over a lexicon of their own for the other five; the
  compound score in ``[-1, 1]``), or **unknown** (``None``) for a language Sway does not cover:
  an unknown sentiment adds no negativity and is said so in the reasons, never shown as 0.0;
- **customer value and history** (:func:`sway.crm.customer_value`, from the optional customer
  fields of the message);
- **influence** of the author (score / 100 in the latest score run).

Priority
--------
``priority = 100 * tier + 100 * within``, in ``[0, 300)``:

- ``tier`` is 0 for a message with nothing to act on, 1 for an actionable one (question,
  complaint, request, purchase intent, or an urgency cue on its own), 2 for an actionable one
  that is also urgent;
- ``within`` in ``[0, 1)`` orders messages of one tier:
  ``0.999 * (w_kind*K + w_negativity*N + w_customer*C + w_influence*I) / (sum of the weights)``
  with ``K`` the kind weight of the most pressing kind found (complaint 1.0, request 0.8,
  purchase intent 0.7, question 0.6, urgency alone 0.5, nothing 0), ``N = max(0, -sentiment)``
  (0 when unknown),
  ``C`` the customer value and ``I`` the influence.

Ties keep arrival order. Because ``within < 1``, nothing that only moves ``within`` (influence,
customer value, sentiment) can lift a message into a higher tier: **an actionable complaint from
an ordinary customer always ranks above a non-actionable mention from a famous one**. Influence
orders the queue only among messages that need the same kind of attention.

References
----------
.. [1] C. J. Hutto and E. Gilbert. "VADER: A Parsimonious Rule-based Model for Sentiment
   Analysis of Social Media Text." Eighth International AAAI Conference on Weblogs and Social
   Media (ICWSM-14), 2014.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sway.crm import (
    CrmWeights,
    Customer,
    InfluenceSignal,
    InfluenceSource,
    customer_value,
    parse_customer,
)
from sway.errors import ConfigError, SourceError
from sway.events import parse_ts
from sway.topics.sentiment import Polarity, SentimentAnalyzer

__all__ = [
    "KINDS",
    "Actionability",
    "Message",
    "TriageWeights",
    "Triaged",
    "Triager",
    "detect",
    "order_queue",
    "parse_message",
    "sentiment",
    "text_sentiment",
]

#: Kinds of actionable message and the weight ``K`` of each inside a tier (most pressing first).
KINDS: dict[str, float] = {
    "complaint": 1.0,
    "request": 0.8,
    "purchase_intent": 0.7,
    "question": 0.6,
    "urgency": 0.5,
}

# The rules: English cues, matched on lower-cased text at word boundaries. A cue list is a
# judgement call; every cue here is tested by an example in tests/api/test_triage.py.
_CUES: dict[str, tuple[str, ...]] = {
    "complaint": (
        r"broken",
        r"(?:does ?n[o']?t|did ?n[o']?t|is ?n[o']?t|are ?n[o']?t|not|never|stopped|wo ?n[o']?t|"
        r"ca ?n[o']?t|cannot|unable to) (?:work|working|load|loading|open|start|connect|log ?in)",
        r"crash(?:es|ed|ing)?",
        r"bug(?:gy|s)?",
        r"error",
        r"refund",
        r"charged (?:me )?twice",
        r"overcharged",
        r"double charged",
        r"never (?:arrived|came|received|got|showed up|delivered)",
        r"(?:has|have|hasn'?t|haven'?t|still) (?:not )?(?:arrived|been delivered)",
        r"still waiting",
        r"(?:late|delayed|lost|missing|damaged|defective|faulty)",
        r"wrong (?:item|order|size|product|address)",
        r"disappointed",
        r"unacceptable",
        r"terrible",
        r"awful",
        r"worst",
        r"horrible",
        r"rude",
        r"scam",
        r"ripped off",
        r"complain(?:t|ing)?",
        r"(?:is|are|went|goes) down",
        r"outage",
        r"fed up",
        r"useless",
    ),
    "request": (
        r"please",
        r"pls",
        r"plz",
        r"(?:can|could|would|will) (?:you|someone|somebody|anyone)",
        r"i (?:need|want|would like|'d like|d like) (?:to|a|an|the|my|some|help)",
        r"help me",
        r"help us",
        r"need help",
        r"(?:dm|message|email|call|contact) me",
        r"get back to me",
        r"fix (?:this|it|that)",
        r"need (?:this|it|that|my \w+) (?:fixed|sorted|resolved|replaced|refunded|back)",
        r"send me",
        r"unsubscribe",
        r"cancel my",
        r"replace (?:it|my|this)",
    ),
    "purchase_intent": (
        r"(?:want|going|looking|planning|ready|thinking of|thinking about) (?:to )?buy(?:ing)?",
        r"where (?:can|do) i (?:buy|get|order)",
        r"how much (?:is|are|does|do|for)",
        r"price",
        r"pricing",
        r"quote for",
        r"in stock",
        r"(?:place|put in) an order",
        r"want to order",
        r"interested in (?:buying|your|the)",
        r"discount",
        r"coupon",
        r"free trial",
        r"book a demo",
        r"(?:upgrade|subscribe) to",
    ),
    "urgency": (
        r"urgent(?:ly)?",
        r"asap",
        r"immediately",
        r"right now",
        r"emergency",
        r"as soon as possible",
        r"(?:for|in) (?:hours|days|weeks)",
        r"(?:by|before) (?:today|tonight|tomorrow)",
        r"deadline",
        r"critical",
    ),
}

# The same kinds in French, Spanish, German, Italian and Portuguese: matched on lower-cased
# text with accents removed, at word boundaries (cues are written without accents). Every
# language's cues are tried on every text: a cue word rarely means something else in another
# of these languages, and messages mix them. Tested in tests/topics/test_languages.py.
_CUES_OTHER: dict[str, tuple[str, ...]] = {
    "complaint": (
        # fr
        r"rembours\w*",
        r"nul(?:le|s)?",
        r"arnaque",
        r"inadmissible",
        r"inacceptable",
        r"(?:ne |n')?(?:marche|fonctionne) (?:pas|plus)",
        r"(?:jamais|pas) (?:recu|arrivee?s?|livree?s?)",
        r"(?:en )?panne",
        r"casse(?:e|s)?",
        r"plante",
        r"decu(?:e|s)?",
        r"honteux",
        r"plainte",
        r"toujours pas",
        # es
        r"reembols\w*",
        r"devuelv\w* (?:el|mi) dinero",
        r"no funciona",
        r"nunca (?:llego|recibi)",
        r"estafa",
        r"roto|rota",
        r"decepcionad[oa]s?",
        r"queja",
        r"pesimo|pesima",
        r"inaceptable",
        # de
        r"erstattung",
        r"(?:geld|betrag) zuruck",
        r"funktioniert (?:nicht|nie)",
        r"(?:nie|nicht) (?:angekommen|geliefert|erhalten)",
        r"kaputt",
        r"defekt",
        r"betrug",
        r"abzocke",
        r"enttauscht",
        r"beschwerde",
        r"sturzt \w* ?ab",
        r"unverschamt",
        # it
        r"rimbors\w*",
        r"non funziona",
        r"(?:mai|non) (?:arrivat[oa]|ricevut[oa])",
        r"truffa",
        r"rott[oa]",
        r"delus[oa]",
        r"reclamo",
        r"pessim[oa]",
        r"inaccettabile",
        # pt
        r"reembols\w*",
        r"(?:meu|o) dinheiro de volta",
        r"nao funciona",
        r"nunca (?:chegou|recebi)",
        r"golpe",
        r"quebrad[oa]",
        r"decepcionad[oa]",
        r"reclamacao",
        r"pessim[oa]",
        r"inaceitavel",
    ),
    "request": (
        r"s'il (?:vous|te) plait|svp|stp",
        r"(?:pouvez|pourriez|pourrais|peux)[- ](?:vous|tu)",
        r"(?:aidez|aide)[- ]moi",
        r"j'ai besoin",
        r"je (?:veux|voudrais)",
        r"por favor|porfa",
        r"(?:puede|podria|podrian|pueden)n? (?:ayudarme|decirme|enviarme)",
        r"necesito",
        r"quiero",
        r"bitte",
        r"(?:konnen|konnten) sie",
        r"ich (?:brauche|mochte|will)",
        r"per favore|per piacere",
        r"(?:potete|potresti|puoi)",
        r"ho bisogno",
        r"(?:voglio|vorrei|rivoglio)",
        r"por favor",
        r"(?:podem|poderia|pode) (?:me )?(?:ajudar|enviar|dizer)",
        r"preciso",
        r"quero",
    ),
    "purchase_intent": (
        r"(?:combien|prix|tarif)",
        r"(?:acheter|commander)",
        r"en stock",
        r"(?:cuanto cuesta|precio|comprar)",
        r"(?:wie viel kostet|preis|kaufen|bestellen)",
        r"(?:quanto costa|prezzo|comprare|acquistare)",
        r"(?:quanto custa|preco|comprar)",
    ),
    "urgency": (
        r"urgent(?:e|ement)?",
        r"immediatement",
        r"tout de suite",
        r"au plus vite",
        r"urgente(?:mente)?",
        r"inmediatamente",
        r"cuanto antes",
        r"ya mismo",
        r"dringend",
        r"sofort",
        r"so schnell wie moglich",
        r"umgehend",
        r"immediatamente",
        r"subito",
        r"al piu presto",
        r"imediatamente",
        r"o mais rapido possivel",
        r"agora mesmo",
    ),
}
#: Question openers in the other languages ("est-ce que", "¿"/"por qué", "warum", "perché").
_QUESTION_OTHER = re.compile(
    r"^(?:@\w+\s+)*(?:est-ce que|pourquoi|comment|quand|ou est|quel(?:le)?s?|combien|"
    r"por que|como|cuando|donde|cual|quien|"
    r"warum|wie|wann|wo|welche[rsnm]?|wer|gibt es|"
    r"perche|come|quando|dove|quale|chi|"
    r"quando|onde|qual|quem)\b|¿"
)


# A question without "?": a wh-word opening the message, or an inverted auxiliary ("is it",
# "can you") opening it or a clause after a comma ("I like it, is it in stock").
_QUESTION_START = re.compile(
    r"^(?:@\w+\s+)*(?:how|why|when|where|which|who|whom|whose|what(?! a\b))\b"
    r"|(?:^(?:@\w+\s+)*|[,;:]\s*)(?:is|are|was|were|can|could|would|will|should|do|does|did|"
    r"has|have) (?:it|there|this|that|they|you|we|i|he|she|anyone|anybody|someone)\b"
)
_QUESTION_PHRASE = re.compile(
    r"\b(?:any idea|anyone know|does anyone|wondering (?:if|whether|how)|is there a way)\b"
)
_COMPILED: dict[str, re.Pattern[str]] = {
    kind: re.compile(r"\b(?:" + "|".join(cues + _CUES_OTHER.get(kind, ())) + r")\b")
    for kind, cues in _CUES.items()
}
_EXCLAIM = re.compile(r"!{3,}")
#: A strongly negative message addressed to someone ("you", "your", "@brand") is a complaint
#: even without a cue word: "@acme you are a joke".
_ADDRESSED = re.compile(
    r"(?:\b(?:you|your|you'?re|vous|votre|vos|tu|ton|ta|usted|ustedes|su|sus|sie|ihr|ihre|"
    r"du|dein|deine|voi|vostro|vostra|voce|voces|seu|sua)\b|@\w)"
)
NEGATIVE_COMPLAINT = -0.5


@dataclass(frozen=True)
class Actionability:
    """What the text asks for; ``cues`` are the words that said so, as ``kind: cue``."""

    question: bool = False
    complaint: bool = False
    request: bool = False
    purchase_intent: bool = False
    urgency: bool = False
    cues: tuple[str, ...] = ()

    @property
    def actionable(self) -> bool:
        return (
            self.question
            or self.complaint
            or self.request
            or self.purchase_intent
            or (self.urgency)
        )

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds found, most pressing first."""
        return tuple(k for k in KINDS if getattr(self, k))

    @property
    def tier(self) -> int:
        if not self.actionable:
            return 0
        return 2 if self.urgency and len(self.kinds) > 1 else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "complaint": self.complaint,
            "request": self.request,
            "purchase_intent": self.purchase_intent,
            "urgency": self.urgency,
            "actionable": self.actionable,
            "cues": list(self.cues),
        }


def _plain(text: str) -> str:
    """Lower-cased, accents removed (cues are written without them)."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch)).replace("’", "'")


def detect(text: str, compound: float | None = 0.0) -> Actionability:
    """The actionability of ``text`` by the rules above; ``compound`` is its sentiment
    (``None``: unknown)."""
    lowered = _plain(text)
    found: dict[str, str] = {}
    for kind, pattern in _COMPILED.items():
        match = pattern.search(lowered)
        if match:
            found[kind] = match.group(0)
    stripped = lowered.strip()
    if "?" in lowered:
        found.setdefault("question", "?")
    elif match := (
        _QUESTION_START.search(stripped)
        or _QUESTION_PHRASE.search(stripped)
        or _QUESTION_OTHER.search(stripped)
    ):
        found.setdefault("question", match.group(0).strip())
    if "urgency" not in found and _EXCLAIM.search(lowered):
        found["urgency"] = "!!!"
    if "complaint" not in found and compound is not None and compound <= NEGATIVE_COMPLAINT:
        addressed = _ADDRESSED.search(lowered)
        if addressed:
            found["complaint"] = f"negative and addressed ({addressed.group(0)})"
    return Actionability(
        question="question" in found,
        complaint="complaint" in found,
        request="request" in found,
        purchase_intent="purchase_intent" in found,
        urgency="urgency" in found,
        cues=tuple(f"{k}: {found[k]}" for k in KINDS if k in found),
    )


@lru_cache(maxsize=1)
def _analyzer() -> SentimentAnalyzer:
    # Loading the lexicons takes a tenth of a second: once per process, on first use.
    return SentimentAnalyzer()


def text_sentiment(text: str) -> Polarity:
    """The sentiment of ``text`` in its language, with the language and how it was scored."""
    return _analyzer().score(text)


def sentiment(text: str) -> float | None:
    """Compound sentiment of ``text`` in ``[-1, 1]`` (negative below 0), ``None`` when unknown
    (a language Sway does not cover, without emoji)."""
    return text_sentiment(text).compound if text.strip() else 0.0


@dataclass(frozen=True)
class TriageWeights:
    """Weights of the signals inside a tier (module docstring); non-negative, not all zero."""

    kind: float = 0.3
    negativity: float = 0.25
    customer: float = 0.25
    influence: float = 0.2

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                raise ConfigError(f"triage weight {f.name}: expected a number, found {v!r}")
            if v < 0:
                raise ConfigError(f"triage weight {f.name}: expected >= 0, found {v!r}")
        if self.kind + self.negativity + self.customer + self.influence <= 0:
            raise ConfigError("triage weights are all zero")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> TriageWeights:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"unknown triage weight {unknown[0]!r} (known: {', '.join(sorted(known))})"
            )
        converted: dict[str, float] = {}
        for k, v in values.items():
            if isinstance(v, bool):
                raise ConfigError(f"triage weight {k}: expected a number, found {v!r}")
            try:
                converted[k] = float(v)
            except (TypeError, ValueError):
                raise ConfigError(f"triage weight {k}: expected a number, found {v!r}") from None
        return replace(cls(), **converted)

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


# -- messages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One incoming message. ``record`` is its 1-based position in the input."""

    record: int
    network: str
    author: str
    text: str
    id: str | None = None
    received_at: datetime | None = None
    customer: Customer | None = None


_CUSTOMER_KEYS = ("customer_id", "lifetime_value", "orders", "customer_since", "open_tickets")
_NETWORK_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")


def _required_text(row: Mapping[str, Any], name: str, record: int) -> str:
    value = row.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (name != "text" and not value.strip()):
        what = "nothing" if value is None else f"{type(value).__name__} {value!r}"
        raise SourceError(f"expected text, found {what}", record=record, field=name)
    return value


def parse_message(row: Mapping[str, Any], *, record: int) -> Message:
    """Validate one loose message (a JSON object) into a :class:`Message`.

    Required: ``network``, ``author`` (handle or account id) and ``text``. Optional: ``id``,
    ``received_at`` (ISO 8601), and customer fields (``customer_id``, ``lifetime_value``,
    ``orders``, ``customer_since``, ``open_tickets``) or a ``customer`` object with them.
    Raises :class:`~sway.errors.SourceError` naming the record and the field at fault.
    """
    if not isinstance(row, Mapping):
        raise SourceError(
            f"expected a JSON object, found {type(row).__name__}", record=record, field="message"
        )
    network = _required_text(row, "network", record).strip().lower()
    if not _NETWORK_RE.match(network):
        raise SourceError(
            f"expected a lower-case network name such as 'twitter', found {network!r}",
            record=record,
            field="network",
        )
    author = _required_text(row, "author", record).strip().removeprefix("@")
    text = _required_text(row, "text", record)
    ident = row.get("id")
    if ident is not None and not isinstance(ident, str | int):
        raise SourceError(f"expected text, found {ident!r}", record=record, field="id")
    received: datetime | None = None
    if row.get("received_at") not in (None, ""):
        try:
            received = parse_ts(row["received_at"], field="received_at")
        except ValueError as exc:
            raise SourceError(str(exc), record=record, field="received_at") from None
    customer: Customer | None = None
    nested = row.get("customer")
    if nested is not None:
        if not isinstance(nested, Mapping):
            raise SourceError("expected an object", record=record, field="customer")
        try:
            customer = parse_customer(nested, record=record)
        except SourceError as exc:
            raise SourceError(exc.message, record=record, field=f"customer.{exc.field}") from None
    elif any(row.get(k) not in (None, "") for k in _CUSTOMER_KEYS):
        customer = parse_customer({k: row.get(k) for k in _CUSTOMER_KEYS}, record=record)
    return Message(
        record=record,
        network=network,
        author=author,
        text=text,
        id=None if ident is None else str(ident),
        received_at=received,
        customer=customer,
    )


# -- triage -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Triaged:
    """A message with its priority and the reasons for it."""

    message: Message
    priority: float
    tier: int
    actionability: Actionability
    sentiment: float | None
    customer_value: float
    influence: float
    author: InfluenceSignal | None
    reasons: tuple[str, ...]
    #: The language the text was read in (``None``: not known).
    language: str | None = None

    def as_dict(self) -> dict[str, Any]:
        m = self.message
        return {
            "id": m.id,
            "record": m.record,
            "network": m.network,
            "author": m.author,
            "text": m.text,
            "received_at": None if m.received_at is None else m.received_at.isoformat(),
            "priority": self.priority,
            "tier": self.tier,
            "actionability": self.actionability.as_dict(),
            "sentiment": self.sentiment,
            "sentiment_known": self.sentiment is not None,
            "language": self.language,
            "customer_value": self.customer_value,
            "influence": self.influence,
            "author_account": None
            if self.author is None
            else {
                "network": self.author.network,
                "account_id": self.author.account_id,
                "handle": self.author.handle,
                "person_id": self.author.person_id,
                "score": self.author.score,
            },
            "reasons": list(self.reasons),
        }


class Triager:
    """Scores messages against an influence source with fixed weights.

    Parameters
    ----------
    source
        Where authors' influence comes from (``None``: no influence signal).
    weights
        Weights inside a tier.
    crm_weights
        How customer value and history combine (:func:`sway.crm.customer_value`).
    as_of
        The day customer tenure is measured to (default: today, UTC).
    """

    def __init__(
        self,
        source: InfluenceSource | None,
        *,
        weights: TriageWeights | None = None,
        crm_weights: CrmWeights | None = None,
        as_of: date | None = None,
    ) -> None:
        self.source = source
        self.weights = weights or TriageWeights()
        self.crm_weights = crm_weights or CrmWeights()
        self.as_of = as_of or datetime.now(UTC).date()

    def triage(self, message: Message) -> Triaged:
        w = self.weights
        polarity = text_sentiment(message.text) if message.text.strip() else None
        compound = polarity.compound if polarity is not None else 0.0
        act = detect(message.text, compound)
        author = self.source.signal(message.network, message.author) if self.source else None
        score = None if author is None else author.person_score or author.score
        influence = 0.0 if score is None else min(1.0, max(0.0, score / 100.0))
        value = customer_value(message.customer, self.crm_weights, as_of=self.as_of)
        kind = max((KINDS[k] for k in act.kinds), default=0.0)
        negativity = max(0.0, -compound) if compound is not None else 0.0
        total = w.kind + w.negativity + w.customer + w.influence
        within = (
            0.999
            * (
                w.kind * kind
                + w.negativity * negativity
                + w.customer * value
                + w.influence * influence
            )
            / total
        )
        tier = act.tier
        reasons = (
            list(act.cues) if act.actionable else ["not actionable: nothing asked or reported"]
        )
        if tier == 2:
            reasons.insert(0, "urgent and actionable: top tier")
        if compound is None:
            lang = polarity.lang if polarity is not None else None
            reasons.append(
                f"sentiment unknown (language {lang}: not covered)"
                if lang
                else "sentiment unknown (language not recognised)"
            )
        elif compound <= -0.05 or compound >= 0.05:
            reasons.append(
                f"{'negative' if compound < 0 else 'positive'} sentiment {compound:+.2f}"
            )
        if message.customer is not None:
            reasons.append(f"customer value {value:.2f}")
        if score is not None and author is not None:
            reasons.append(
                f"influence {score:.1f} ({author.network}:{author.handle or author.account_id})"
            )
        elif author is None:
            reasons.append("author not found in the store: no influence signal")
        return Triaged(
            message=message,
            priority=100.0 * tier + 100.0 * within,
            tier=tier,
            actionability=act,
            sentiment=compound,
            customer_value=value,
            influence=influence,
            author=author,
            reasons=tuple(reasons),
            language=polarity.lang if polarity is not None else None,
        )

    def triage_many(self, messages: Iterable[Message]) -> list[Triaged]:
        """Every message triaged, in input order (see :func:`order_queue` for the queue)."""
        return [self.triage(m) for m in messages]


def order_queue(results: Iterable[Triaged]) -> list[Triaged]:
    """The queue: highest priority first; equal priorities keep arrival order."""
    return sorted(results, key=lambda r: -r.priority)
