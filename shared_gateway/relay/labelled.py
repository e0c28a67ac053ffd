"""String values read with the object key they are stored under.

A function that leaks a credential in a message's metadata writes it as JSON,
``{"db_password": "Zq8rT2..."}``: the name is the object key and the value a string of its
own, and the scanner, which reads each string alone, would see a random-looking word with
no name before it. So a string whose key names a secret (holds a name word of the
key=value rules: pass, pwd, secret, token, key, credential, a vendor's name such as
datadog) is also scanned as ``key: value``, the way a configuration file writes it, and
what that finds in the value is reported on the value (and redacted there). The same goes
for the value of a legacy attachment field, named by the field's title.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache

from .findings import Finding
from .lean_typing import TYPE_CHECKING
from .normalize import normalize
from .rules import RULES

if TYPE_CHECKING:
    from .policy import StringSite

__all__ = ["keys_naming_secrets", "label", "merged", "relabelled"]


@cache
def name_words() -> tuple[str, ...]:
    """The words that name a secret in the key=value rules (those with a secret group after
    the name, not found inside long tokens): lower case, three letters or more."""
    words = set()
    for rule in RULES:
        if rule.token or rule.category != "secret" or "(?P<secret>" not in rule.pattern.pattern:
            continue
        for keyword in rule.keywords:
            word = keyword.lower()
            if len(word) >= 3 and word.replace("_", "").isalpha():
                words.add(word)
    return tuple(sorted(words))


def relabelled(sites: Sequence[StringSite], keys: Iterable[str]) -> list[tuple[int, str]]:
    """(index of the site, its label) for each string site named as a secret: by its object
    key, or, for the `value` of an attachment field (`{"title": "DB password", "value":
    "..."}`), by the field's title, which Slack shows above it. `keys` are the payload's
    distinct object keys: most messages have none that names a secret, and then only the
    few attachment fields are looked at."""
    named = keys_naming_secrets(keys)
    titles = {
        index: site.container["title"]  # type: ignore[call-overload]
        for index, site in enumerate(sites)
        if site.slot == "value"
        and isinstance(site.container, dict)
        and isinstance(site.container.get("title"), str)
        and isinstance(site.container["value"], str)
    }
    named |= keys_naming_secrets(titles.values())
    if not named:
        return []
    found = []
    for index, site in enumerate(sites):
        if site.slot in named and isinstance(site.container[site.slot], str):  # type: ignore[index]
            found.append((index, label(site.slot)))  # type: ignore[arg-type]
        if titles.get(index) in named:
            found.append((index, label(titles[index])))
    return found


def keys_naming_secrets(keys: Iterable[str]) -> set[str]:
    """The keys among `keys` that hold a name word, in any letter case or width."""
    by_name: dict[str, list[str]] = {}
    for key in keys:
        by_name.setdefault(normalize(key).lower(), []).append(key)
    # First, at C speed, which words occur in any key at all (most payloads: none).
    everything = "\n".join(by_name)
    present = [word for word in name_words() if word in everything]
    if not present:
        return set()
    return {
        key
        for name, keys_of_name in by_name.items()
        if any(word in name for word in present)
        for key in keys_of_name
    }


def label(key: str) -> str:
    """What goes before a value to scan it as `key: value` (the key normalised, so that the
    scanner's own normalisation leaves it as it is and the value starts at its length)."""
    return normalize(key) + ": "


def merged(own: list[Finding], labelled: list[Finding], offset: int) -> list[Finding]:
    """The value's own findings, and those of `label(key) + value` that lie in the value
    (moved back by `offset`, the label's length) and that its own findings do not cover."""
    found = list(own)
    for finding in labelled:
        if finding.start < offset:
            continue  # in the key, which is scanned on its own
        start, end = finding.start - offset, finding.end - offset
        if any(mine.start < end and start < mine.end for mine in own):
            continue  # the value's own scan reported this text already
        found.append(finding._replace(start=start, end=end))
    return sorted(found, key=lambda finding: (finding.start, finding.end))
