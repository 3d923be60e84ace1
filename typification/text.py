"""Text normalisation shared by the classifier, the tree search and keyword de-duplication.

Customers type without accents and in any case ("antecipacao" must find "Antecipação"): every
comparison happens on a folded form — Unicode NFKD, combining marks dropped, case-folded, anything
that is not a letter or digit turned into a space.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")

# Words that carry no routing signal in Portuguese and English customer messages and typification labels.
STOPWORDS = frozenset(
    [
        "a",
        "o",
        "as",
        "os",
        "e",
        "ou",
        "de",
        "da",
        "do",
        "das",
        "dos",
        "em",
        "no",
        "na",
        "nos",
        "nas",
        "num",
        "numa",
        "um",
        "uma",
        "uns",
        "umas",
        "para",
        "pra",
        "pro",
        "por",
        "pelo",
        "pela",
        "pelos",
        "pelas",
        "com",
        "sem",
        "sobre",
        "que",
        "se",
        "ao",
        "aos",
        "eu",
        "meu",
        "minha",
        "meus",
        "minhas",
        "me",
        "mim",
        "voce",
        "vc",
        "seu",
        "sua",
        "seus",
        "suas",
        "nao",
        "sim",
        "ja",
        "mais",
        "muito",
        "como",
        "qual",
        "quais",
        "quando",
        "onde",
        "porque",
        "esta",
        "estou",
        "esta",
        "sao",
        "ser",
        "ter",
        "tem",
        "tenho",
        "foi",
        "fazer",
        "faz",
        "quero",
        "queria",
        "gostaria",
        "preciso",
        "pode",
        "posso",
        "isso",
        "este",
        "essa",
        "esse",
        "the",
        "of",
        "and",
        "or",
        "to",
        "in",
        "on",
        "for",
        "with",
        "about",
        "is",
        "are",
        "be",
        "my",
        "i",
        "me",
        "you",
        "your",
        "it",
        "this",
        "that",
        "how",
        "what",
        "why",
    ]
)


def fold(text: str) -> str:
    """Accent- and case-insensitive form of ``text``: ``"Antecipação  de Vendas!"`` → ``"antecipacao de vendas"``."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


def stem(token: str) -> str:
    """A light plural fold for Portuguese and English, applied to both sides of every comparison.

    ``cartões`` → ``cartao``, ``taxas`` → ``taxa``, ``limites`` → ``limite``. Deliberately crude: it
    only has to make singular and plural meet, never to produce a dictionary word.
    """
    if len(token) > 4 and token.endswith(("oes", "aes", "aos")):
        return token[:-3] + "ao"
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def tokens(text: str) -> list[str]:
    """Folded, stemmed tokens of ``text`` in order (stopwords kept, so phrases still line up)."""
    return [stem(t) for t in fold(text).split()]


def content_tokens(text: str) -> set[str]:
    """The tokens of ``text`` that carry meaning: no stopwords, no single characters."""
    return {stem(t) for t in fold(text).split() if len(t) > 1 and t not in STOPWORDS}


def nfc(text: str) -> str:
    """Stored labels are NFC with single spaces, so the same words always compare equal in the database."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())
