"""What makes two knowledge entries "the same": text normalisation and the content hash.

Kept free of Django models so migrations, the CSV reader and the model share one definition.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata

HASHED_FIELDS = ("business_unit", "category", "question", "answer")


def clean_text(value: str | None) -> str:
    """Trim, unify line endings and drop NUL bytes (PostgreSQL refuses them in text)."""
    if value is None:
        return ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def content_hash(*, business_unit: str, category: str, question: str, answer: str) -> str:
    """SHA-256 (hex) of the entry's identity: business unit, category, question and answer.

    Texts are compared after ``clean_text`` and Unicode NFC, so an import of the same file from Windows
    and from macOS finds the same entries.
    """
    parts = [unicodedata.normalize("NFC", clean_text(v)) for v in (business_unit, category, question, answer)]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def embedding_text(*, question: str, answer: str) -> str:
    """The text an embedder sees for an entry: the question carries most of the meaning, the answer the rest."""
    return f"{clean_text(question)}\n\n{clean_text(answer)}"
