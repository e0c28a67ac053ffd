"""The secret and personal-data scanner: pure functions over strings, on every message's hot path.

``scan_many`` looks at all strings of a payload in one batch: it normalises each string
(NFKC, format characters such as zero-width spaces removed), joins them with a separator no
rule matches across, and makes one pass per keyword family over the joined text, trying a
rule's pattern only where one of its keywords occurs. Encoded runs (percent,
HTML entities, base64 and base64url, base32, hex, gzip and zlib inside them, reversed text,
combining marks: see decoders.py) are decoded and scanned too, up to decoders.MAX_DEPTH
layers; a secret found inside one is reported with the span of the whole encoded run and
says how it was encoded. What the decoders' bounds keep from being inspected is reported as
an ``encoded-content`` finding, never passed unread.

Spans refer to the normalised text (``normalize(text)``), which is also what ``redact``
returns with every finding replaced by ``[redacted:<rule>]``.

The keyword prefilter is built in keywords.py; hits become findings in findings.py.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from functools import cache

from . import decoders
from .confusables import SOURCES, TARGETS
from .findings import CROWDED, UNINSPECTED, Finding, Hit, findings_of
from .keywords import keyword_finders
from .normalize import normalize, normalize_many
from .rules import RULES, Rule

__all__ = ["Finding", "redact", "scan", "scan_many"]


# Between the strings of a batch. Patterns stop at a newline or a NUL (see rules.py); a match
# that still crosses it is discarded and the strings involved are scanned one by one.
_SEPARATOR = "\n\x00\n"
_MIN_TOKEN = 16  # shortest run the token keywords are looked for in

_Recorder = Callable[[int, re.Match[str]], bool]


_DIGIT_RULES = tuple(index for index, rule in enumerate(RULES) if not rule.keywords)
_HAS_SECRET_GROUP = tuple("secret" in rule.pattern.groupindex for rule in RULES)

# Bounds on the rule attempts of one message (all strings and decoded layers together). A
# hostile body repeats a keyword tens of thousands of times (AKIA, password=, @), and every
# place a keyword occurs costs a pattern attempt, a validator and a finding in Python: past
# these bounds, the rest of the string is not inspected and is reported as such (a finding
# that blocks or redacts it), never passed. Real messages stay far below them: a 40 KB log
# makes about 150 attempts. A pattern that fails at once (its keyword glued inside a word)
# costs little and is not counted: that work stays linear in the text.
MAX_FAILED_PER_RULE = 2048  # matches of one rule its validator or context words refused
MAX_FAILED_LOOKBACK = 256  # windows searched in vain for a rule whose keyword is inside it
MAX_KEPT_PER_RULE = 2048  # findings of one rule
# All rules together, in units of a failed attempt: a finding costs 8 (its validator, its
# masked excerpt, its reason), a window search 16.
MAX_CHARGE = 16_384
_KEPT_CHARGE = 8
_LOOKBACK_CHARGE = 16


class _Attempts:
    """The rule attempts of one message, against the bounds above."""

    def __init__(self) -> None:
        self.failed = [0] * len(RULES)
        self.kept = [0] * len(RULES)
        self.charge = 0
        # Per rule, whether `limit` has a reason: it can only change when an attempt is
        # counted, so the scanner reads this flag at each keyword instead of calling it.
        self.stopped = [False] * len(RULES)

    def limit(self, rule_index: int) -> str | None:
        """Why the rule may be tried no more in this message, or None."""
        if self.charge >= MAX_CHARGE:
            return f"more than {MAX_CHARGE} places to check for secrets in one message"
        lookback = RULES[rule_index].lookback
        if self.failed[rule_index] >= (MAX_FAILED_LOOKBACK if lookback else MAX_FAILED_PER_RULE):
            return f"more than {self.failed[rule_index]} places that may hold {_name(rule_index)}"
        if self.kept[rule_index] >= MAX_KEPT_PER_RULE:
            return f"more than {MAX_KEPT_PER_RULE} findings of {_name(rule_index)}"
        return None

    def count(self, rule_index: int, kept: bool) -> None:
        decoders.WORK["attempts"] += 1
        if kept:
            self.kept[rule_index] += 1
            self.charge += _KEPT_CHARGE
        else:
            self.failed[rule_index] += 1
            self.charge += _LOOKBACK_CHARGE if RULES[rule_index].lookback else 1
        if self.charge >= MAX_CHARGE:
            self.stopped = [True] * len(RULES)  # every rule: the message's charge is spent
        elif self.limit(rule_index) is not None:
            self.stopped[rule_index] = True


def _name(rule_index: int) -> str:
    return f"{RULES[rule_index].description} ({RULES[rule_index].id})"


def _byte_table(classes: dict[str, str]) -> bytes:
    """A `bytes.translate` table: each listed character to its class letter, the rest to space."""
    table = bytearray(b" " * 256)
    for letter, members in classes.items():
        for char in members:
            table[ord(char)] = ord(letter)
    return bytes(table)


# Byte masks over the ASCII view, one byte per character, searched with C-speed `find`.
# Tokens: runs of the base64 alphabets (both), where token keywords and base64 live.
_BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
_TOKEN_TABLE = _byte_table({"b": _BASE64_ALPHABET})
# A literal prefix (not b{16,}) lets the regex engine jump between candidates.
_TOKEN_RUN = re.compile(b"b" * _MIN_TOKEN + b"b*")
# Digit runs: d for a digit, s for a separator (space, dash); anything else (a letter, _ or .
# next to a digit makes it part of a word or a decimal number) ends a run, as a blank.
_DIGIT_TABLE = _byte_table({"d": "0123456789", "s": " -"})
# Where a My Number may be: 12 digits in a row, or 4 digits, a separator, 4 more. A card
# number (13 digits or more) needs 13 in a row or the same 4-separator-4: when no rule with
# context words is in play, the 12-digit ids and numbers common in logs are not even visited.
_DIGIT_NEEDLES = (b"d" * 12, b"ddddsdddd")
_CARD_NEEDLES = (b"d" * 13, b"ddddsdddd")


def scan(text: str) -> list[Finding]:
    """Findings in one string, in order of position; [] when it is clean."""
    return scan_many([text])[0]


def scan_many(texts: Sequence[str]) -> list[list[Finding]]:
    """Findings for each string, index-aligned with `texts`; one batch for speed."""
    normalised = normalize_many(list(texts))
    return [
        findings_of(hits) for hits in _scan_batch(normalised, 0, decoders.Budget(), _Attempts())
    ]


def redact(text: str, findings: Sequence[Finding]) -> str:
    """The normalised text with every finding's span replaced by ``[redacted:<rule>]``.

    Overlapping spans are merged into one marker, named after the finding that starts first.
    """
    normalised = normalize(text)
    spans = sorted(
        (max(0, f.start), min(len(normalised), f.end), f.rule) for f in findings if f.end > f.start
    )
    pieces: list[str] = []
    position = 0
    merged_end = -1
    for start, end, rule in spans:
        if start < merged_end:  # overlaps the marker just written: widen it
            merged_end = max(merged_end, end)
            position = merged_end
            continue
        pieces.append(normalised[position:start])
        pieces.append(f"[redacted:{rule}]")
        position = merged_end = end
    pieces.append(normalised[position:])
    return "".join(pieces)


def _ascii_view(text: str) -> str:
    # Same length as the text, so spans carry over; rules only match ASCII anyway. Look-alike
    # letters and other scripts' digits (Cyrillic а, Greek Ο, Arabic-Indic ٣) read as the
    # ASCII they show, the rest as "?".
    if text.isascii():
        return text
    if _may_look_ascii().search(text) is not None:
        text = text.translate(_look_alikes())
    return text.encode("ascii", "replace").decode("ascii")


@cache
def _look_alikes() -> dict[int, int]:
    return str.maketrans(SOURCES, TARGETS)


@cache
def _may_look_ascii() -> re.Pattern[str]:
    # Outside ASCII, kana, CJK and Hangul (none of which is mapped): most Japanese text has
    # no such character and is never translated character by character.
    return re.compile("[^\x00-\x7f\u3000-\u9fff\uac00-\ud7a3\uff00-\uffef]")


def _scan_batch(
    texts: list[str], depth: int, budget: decoders.Budget, attempts: _Attempts
) -> list[list[Hit]]:
    """Hits per (already normalised) text."""
    views = [_ascii_view(text) for text in texts]
    joined = _SEPARATOR.join(views)
    starts: list[int] = []
    offset = 0
    for view in views:
        starts.append(offset)
        offset += len(view) + len(_SEPARATOR)
    hits: list[list[Hit]] = [[] for _ in texts]
    crossed: set[int] = set()

    def record(rule_index: int, match: re.Match[str]) -> bool:
        """Keeps a match as a hit; whether it was kept."""
        match_start, match_end = match.span()
        index = bisect_right(starts, match_start) - 1
        base = starts[index]
        if match_end > base + len(views[index]):
            crossed.update(range(index, bisect_right(starts, match_end - 1)))
            return False
        rule = RULES[rule_index]
        if rule.validator is not None and not rule.validator(match):
            return False
        start, end = match.span("secret") if _HAS_SECRET_GROUP[rule_index] else (-1, -1)
        if start < 0:
            start, end = match_start, match_end
        start -= base
        end -= base
        text = texts[index]
        if rule.context and not _context_near(text, start, end, rule):
            return False
        if rule.exclude and _excluded(text, start, rule):
            return False
        hits[index].append((start, end, rule_index, text[start:end], ""))
        return True

    data = joined.encode("ascii")
    token_spans = _token_spans(data)
    tokens = [joined[start:end] for start, end in token_spans]
    token_view = "\n".join(tokens)
    token_view_starts: list[int] = []
    offset = 0
    for start, end in token_spans:
        token_view_starts.append(offset)
        offset += end - start + 1

    lowered = joined.lower()
    token_lowered = token_view.lower()
    token_joined_starts = [start for start, _ in token_spans]

    def crowded(rule_index: int, position: int) -> int:
        """Past a bound (see MAX_CHARGE): reports the rest of the string holding `position`
        as not inspected and returns where that string ends; else -1."""
        why = attempts.limit(rule_index)
        if why is None:
            return -1
        index = bisect_right(starts, position) - 1
        start = position - starts[index]
        hits[index].append((start, len(texts[index]), CROWDED, "", why))
        return starts[index] + len(views[index])

    finders, dispatch = keyword_finders()
    for in_tokens, exact, first, finder, dead in finders:
        if in_tokens:
            haystack = token_view if exact else token_lowered
        else:
            haystack = joined if exact else lowered
        if first not in haystack:  # none of its keywords here: not compiled, not run
            continue
        # A keyword inside a match its rule already kept would only find the same secret
        # again (a rule's secret ends where its match ends), so it is not tried: without
        # this, a keyword repeated thousands of times costs one long match each.
        kept_until: dict[int, int] = {}
        search = finder.search
        anchor = search(haystack)
        while anchor is not None:
            position = anchor.start()
            resume = anchor.end()
            if in_tokens:  # back to the joined text
                token = bisect_right(token_view_starts, position) - 1
                position += token_spans[token][0] - token_view_starts[token]
            if dead is not None and position and dead.match(joined, position - 1).end() >= position:
                # No keyword of this finder starts a match before the run ends (the
                # character before each is one its rules' patterns refuse): skip it.
                run_end = dead.match(joined, position).end()  # type: ignore[union-attr]
                if in_tokens:
                    run_end = min(run_end, token_spans[token][1])
                    run_end += token_view_starts[token] - token_spans[token][0]
                anchor = search(haystack, max(resume, run_end))
                continue
            for rule_index in dispatch[(in_tokens, exact, anchor.group())]:
                if position < kept_until.get(rule_index, -1):
                    continue
                skip_to = crowded(rule_index, position) if attempts.stopped[rule_index] else -1
                if skip_to >= 0:  # the rest of this string is reported: go to the next
                    if in_tokens:
                        token = bisect_left(token_joined_starts, skip_to)
                        resume = (
                            token_view_starts[token] if token < len(token_spans) else len(haystack)
                        )
                    else:
                        resume = skip_to
                    break
                rule = RULES[rule_index]
                if rule.lookback:
                    match = _match_around(rule, joined, position)
                else:
                    match = rule.pattern.match(joined, position)
                if match is None:
                    if rule.lookback:  # a window searched in vain: dear, so it counts
                        attempts.count(rule_index, False)
                    continue  # a pattern failing at once costs little: linear work only
                kept = record(rule_index, match)
                attempts.count(rule_index, kept)
                if kept:
                    kept_until[rule_index] = match.end()
            anchor = search(haystack, resume)

    _scan_digit_sequences(joined, data, lowered, texts, record, crowded, attempts)

    tokens_seen = (token_view, token_view_starts, token_spans)
    if depth < decoders.MAX_DEPTH:
        found = decoders.variants(joined, data, texts, starts, tokens_seen, depth, budget)
        _record_uninspected(budget, hits)
        if found:
            # Each decoded text is scanned once (decoders.Budget.scanned), whichever round
            # and however many places it came from, and reported at each of them.
            fresh = list(dict.fromkeys(v.text for v in found if v.text not in budget.scanned))
            if fresh:
                decoded = _scan_batch(normalize_many(fresh), depth + 1, budget, attempts)
                budget.scanned.update(zip(fresh, decoded, strict=True))
            for variant in found:
                for _, _, rule_index, value, inner in budget.scanned[variant.text]:
                    encoding = f"{variant.encoding} → {inner}" if inner else variant.encoding
                    if rule_index >= UNINSPECTED:
                        encoding = inner  # why it was not read
                    hits[variant.index].append(
                        (variant.start, variant.end, rule_index, value, encoding)
                    )
    else:
        # One layer more than is peeled: what it decodes to is not read, so it is reported.
        deeper = decoders.variants(joined, data, texts, starts, tokens_seen, depth, budget)
        budget.overflow.extend((v.index, v.start, v.end, decoders.TOO_DEEP) for v in deeper)
        _record_uninspected(budget, hits)

    for index in crossed:
        hits[index] = _scan_batch([texts[index]], depth, budget, attempts)[0]
    return hits


def _record_uninspected(budget: decoders.Budget, hits: list[list[Hit]]) -> None:
    """The runs of this batch the decoders' bounds kept from being read, as hits."""
    for index, start, end, why in budget.overflow:
        hits[index].append((start, end, UNINSPECTED, "", why))
    budget.overflow.clear()


def _token_spans(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every run of 16+ base64-alphabet characters."""
    return [run.span() for run in _TOKEN_RUN.finditer(data.translate(_TOKEN_TABLE))]


def _scan_digit_sequences(
    joined: str,
    data: bytes,
    lowered: str,
    texts: list[str],
    record: _Recorder,
    crowded: Callable[[int, int], int],
    attempts: _Attempts,
) -> None:
    """Tries the digit rules on every run of digits and single separators that holds 12
    digits in a row or four digits, a separator and four more (4111 1111 ..., 1234-5678-...).
    A rule needing context (My Number) runs only when its context words are in the batch;
    that is checked once, and only when a run may concern it.
    """
    digit_mask = data.translate(_DIGIT_TABLE)
    # First occurrence of each needle: most texts hold none, and then this is all the work.
    first = [digit_mask.find(needle) for needle in _DIGIT_NEEDLES]
    if max(first) < 0:
        return
    active = [
        rule_index
        for rule_index in _DIGIT_RULES
        if not RULES[rule_index].context or _context_in_batch(rule_index, lowered, texts)
    ]
    if min(_MIN_DIGITS[index] for index in active) >= 13:
        # Only runs that may hold a card number count: 13 digits in a row start no earlier
        # than the first 12 in a row, so that search resumes where the last one stopped.
        first[0] = digit_mask.find(_CARD_NEEDLES[0], first[0]) if first[0] >= 0 else -1
        needles = _CARD_NEEDLES
    else:
        needles = _DIGIT_NEEDLES
    runs: dict[int, int] = {}  # start -> end of each run of digits and separators
    for needle, found in zip(needles, first, strict=True):
        while found >= 0:
            start = digit_mask.rfind(b" ", 0, found) + 1
            end = digit_mask.find(b" ", found)
            if end < 0:
                end = len(digit_mask)
            runs[start] = end
            found = digit_mask.find(needle, end)
    skip_until = dict.fromkeys(active, -1)  # past a bound: where the reported string ends
    for start, end in sorted(runs.items()):
        digits = digit_mask.count(b"d", start, end)
        for rule_index in active:
            rule = RULES[rule_index]
            if digits < _MIN_DIGITS[rule_index] or start < skip_until[rule_index]:
                continue  # e.g. no card number is shorter than 13
            # One character past the run, so that a look-ahead sees what follows it.
            for match in rule.pattern.finditer(joined, start, end + 1):
                skip_until[rule_index] = crowded(rule_index, match.start())
                if skip_until[rule_index] >= 0:
                    break
                attempts.count(rule_index, record(rule_index, match))


# Fewest digits a digit rule's match holds (12 in a row or 4+4 with a separator is where
# a run is even visited, so a shorter rule needs a 4-separator-4 group in its shape).
_MIN_DIGITS = {
    index: RULES[index].min_digits or (12 if RULES[index].context else 13) for index in _DIGIT_RULES
}
LOOKBACK_REACH = 320  # how far past its keyword a lookback rule's match may end (a domain)


def _match_around(rule: Rule, joined: str, position: int) -> re.Match[str] | None:
    """The match of a rule whose keyword sits inside it (the @ of an e-mail address) that
    covers the keyword, searched in a bounded window around it."""
    window_start = max(0, position - rule.lookback)
    for match in rule.pattern.finditer(joined, window_start, position + LOOKBACK_REACH):
        if match.start() > position:
            break
        if match.end() > position:
            return match
    return None


def _context_in_batch(rule_index: int, lowered: str, texts: list[str]) -> bool:
    """Whether any of the rule's context words occurs anywhere in the batch."""
    ascii_words, other_words = _CONTEXT_FINDERS[rule_index]
    if any(finder.search(lowered) for finder in ascii_words):
        return True
    if not other_words:
        return False
    foreign = "\n".join([text for text in texts if not text.isascii()])
    return any(word in foreign for word in other_words)


def _context_finders(rule: Rule) -> tuple[list[re.Pattern[str]], tuple[str, ...]]:
    """Context words as one literal-prefix regex per leading character (ASCII words, searched
    in the lower-case view), and the other words, searched in the non-ASCII texts only."""
    by_first: dict[str, list[str]] = {}
    for word in rule.context:
        if word.isascii():
            by_first.setdefault(word[0], []).append(word)
    finders = [
        re.compile(re.escape(first) + "(?:" + "|".join(re.escape(w[1:]) for w in words) + ")")
        for first, words in by_first.items()
    ]
    return finders, tuple(word for word in rule.context if not word.isascii())


_CONTEXT_FINDERS = {index: _context_finders(RULES[index]) for index in _DIGIT_RULES}


def _context_near(text: str, start: int, end: int, rule: Rule) -> bool:
    window = text[max(0, start - rule.context_window) : end + rule.context_window].lower()
    return any(word in window for word in rule.context)


def _excluded(text: str, start: int, rule: Rule) -> bool:
    """Whether one of the rule's exclusion words (an "order" label) comes just before."""
    window = text[max(0, start - rule.context_window) : start].lower()
    return any(word in window for word in rule.exclude)
