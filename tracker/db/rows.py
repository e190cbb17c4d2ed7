"""Terms as stored, read back: parsed into models only when first used.

Stored bodies are canonical JSON whose hash was checked when read (``store``); parsing them
all is most of the cost of reading a large draft, so a draft's terms are handed out as a
mapping that validates a term on first lookup and every term in one batch when iterated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from typing import Iterable, Iterator, Mapping, TypeVar

from pydantic import TypeAdapter

from tracker.model.errors import IntegrityFailure
from tracker.model.records import DraftRecord
from tracker.model.termsheet import Draft, Term

T = TypeVar("T")


def layer(onto: dict[str, T], own: Mapping[str, T | None]) -> dict[str, T]:
    """Lay a draft's own rows over its delta base's manifest ``onto`` (changed in place, and
    returned): a row without a term (None) drops its key. The one place the delta layout of
    ``db/tables.py`` is read; a draft stored whole is laid onto nothing."""
    onto.update(own)  # type: ignore[arg-type]  # in C; the dropped keys are taken out after
    for key in [k for k, v in own.items() if v is None]:
        del onto[key]
    return onto


def layered(base: Mapping[str, T] | None, own: Mapping[str, T | None]) -> dict[str, T]:
    """A draft's manifest from its base's (None: stored whole) and its own rows (``layer``)."""
    return layer(dict(base) if base else {}, own)


@cache
def _terms_adapter() -> TypeAdapter[dict[str, Term]]:
    """Built on first use, like the models' validators (``defer_build``): ``log`` reads no term."""
    return TypeAdapter(dict[str, Term])


def parse_terms(bodies: Iterable[tuple[object, str]]) -> dict[str, Term]:
    """Stored term bodies, by name (a key or a blob id), as models: one validation call over
    a JSON object, far faster than one per term. Names need no escaping (keys were checked
    against the TermKey pattern when recorded; ids are numbers)."""
    try:
        return _terms_adapter().validate_json("{" + ",".join(f'"{name}":{body}' for name, body in bodies) + "}")
    except ValueError:  # pydantic's ValidationError included: a stored row was changed by hand
        raise IntegrityFailure("a stored term no longer reads as a term; run `tracker verify`") from None


class StoredTerms(Mapping[str, Term]):
    """A recorded draft's terms as stored: key → (term hash, canonical JSON), each parsed into
    a ``Term`` when first looked up, and all of them in one batch when the terms are iterated.

    Reading a draft back then costs its rows, not the validation of every term (which, for a
    sheet of thousands, is most of the time): what only needs the stored form — hashes, the
    canonical JSON an export writes — never parses at all.
    """

    def __init__(self, stored: dict[str, tuple[str, str]]):
        self._stored = stored
        self._parsed: dict[str, Term] = {}
        self._complete = not stored

    def __getitem__(self, key: str) -> Term:
        found = self._parsed.get(key)
        if found is None:
            found = self._parsed[key] = parse_terms([(key, self._stored[key][1])])[key]
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    def __contains__(self, key: object) -> bool:
        return key in self._stored

    def parsed(self) -> dict[str, Term]:
        """Every term as a model, validated in one call (far faster than one call per term)."""
        if not self._complete:
            self._parsed.update(parse_terms((k, body) for k, (_, body) in self._stored.items() if k not in self._parsed))
            self._complete = True
        return {k: self._parsed[k] for k in self._stored}

    def items(self):  # type: ignore[override]
        return self.parsed().items()

    def values(self):  # type: ignore[override]
        return self.parsed().values()

    def stored(self, key: str) -> tuple[str, str]:
        """The term's hash and canonical JSON, as recorded."""
        return self._stored[key]


@dataclass(frozen=True)
class Loaded:
    """A draft read back: its record and its terms (parsed on first use)."""

    record: DraftRecord
    terms: StoredTerms

    @cached_property
    def draft(self) -> Draft:
        return Draft(**self.record.header.model_dump(), terms=self.terms.parsed())


@dataclass(frozen=True)
class TermPair:
    """Two drafts' manifests as key → blob id (blobs are content-addressed: equal ids mean
    equal terms, so they stand in for term hashes in ``diff.compare``), and the terms of the
    keys whose blob differs."""

    old_manifest: dict[str, int]
    new_manifest: dict[str, int]
    old_terms: dict[str, Term]
    new_terms: dict[str, Term]
