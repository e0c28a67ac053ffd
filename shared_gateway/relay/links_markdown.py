"""Links in standard Markdown: the text of a Block Kit ``markdown`` block.

Slack renders that block as CommonMark (plus GitHub's extensions), so its links are every
form the CommonMark spec (0.31.2) defines, read here from the spec's own grammar:

* inline links and images, §6.3 "Links" and §6.6 "Images": ``[text](dest "title")`` and
  ``![alt](dest)``; spaces, tabs and up to one line ending may come before the destination
  (in a block quote the next line's ``>`` markers are stripped first, so they are skipped
  too); the destination is either ``<...>`` (no line ending, no unescaped ``<`` or ``>``;
  spaces allowed) or a run without spaces or control characters whose parentheses balance.
* link reference definitions, §4.7: ``[label]: dest "title"``, the destination after optional
  spaces and up to one line ending, with or without angle brackets. Full, collapsed and
  shortcut references (``[text][label]``, ``[label][]``, ``[label]``) link to a definition's
  destination, so checking every definition checks them all, used or not; a reference with
  no definition is not a link (§6.3: "the link label matches a link reference definition").
* autolinks, §6.7: ``<scheme:...>`` (a scheme of 2 to 32 characters) and ``<user@host>``,
  which links to ``mailto:user@host``.
* destinations are decoded as a renderer decodes them: backslash escapes (§2.4) and entity
  and numeric character references (§2.5), so ``https://evil&#46;net`` is read as
  ``https://evil.net``.
* bare links (GitHub's autolink extension): links_bare.

Where a destination leads:

* with a scheme: as written (the URL policy allows only http and https).
* ``//host/...`` (scheme-relative): to that host, over https like the page it is on.
  ``/\\host`` and ``\\\\host`` are read by browsers as ``//host`` too.
* a schemeless name that an auto-linker would read as a host (``evil.net/x``,
  ``www.evil.net``; links_bare decides): to that host over http. A renderer would resolve it
  against the page instead, but reading it as a host cannot let a link out through.
* anything else (``/path``, ``./docs``, ``#part``, ``?q=1``, ``below``, ``app.py``): a path
  on the page's own site, Slack's, so not a link out.

The parse over-approximates on purpose: a destination is read wherever ``](`` or ``]:``
occurs, without checking that a matching ``[`` opens it, that a definition starts its line,
or that it is outside a code span; a false reading can only add links to check. Every scan
is linear: anchors are found by substring search and each destination's length is charged to
the text's link budget (links_bare.Budget).
"""

from __future__ import annotations

import re
from operator import itemgetter

from .links_bare import AMBIGUOUS, TOO_MANY_LINKS, Budget, bare_links, host_kind

# §6.3 / §4.7: spaces or tabs, at most one line ending, then the next line's indentation
# and block-quote markers (removed before inline parsing in a block quote).
_BEFORE_DESTINATION = re.compile(r"[ \t]*+(?:\r\n|\r|\n)?[ \t>]*+")
# §6.3 (a): <...> without line endings or unescaped < and >.
_ANGLE_DESTINATION = re.compile(r"<((?:[^<>\\\r\n]|\\.)*+)>")
# §6.3 (b): a run with no ASCII control character or space; parentheses are counted
# outside the expression, so each step stops at one.
_RAW_RUN = re.compile(r"(?:[^\x00-\x20\x7f()\\]|\\[^\x00-\x20\x7f])*+")
# §6.7: scheme (2-32 characters), ':', then anything but controls, space, < and >.
# A markdown block holds at most 12,000 characters; no real one has this many "](" or "]:".
MAX_ANCHORS = 1000
_TO_BLANK = re.compile(r"[^\x00-\x20\x7f]*+")
_MAX_PARENTHESES = 32
_URI_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\x00-\x20<>]*+)>")
_EMAIL_AUTOLINK = re.compile(
    r"<([A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]++@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*+)>"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{1,31}:")
_HOST_AT_START = re.compile(r"[\w\-]++(?:\.[\w\-]++)++")
# §2.4: a backslash before ASCII punctuation stands for that character.
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_FIRST_GROUP = itemgetter(1)
_REFERENCE_COST = 34
# §2.5: entity and numeric character references (the semicolon is required).
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def markdown_links(text: str) -> list[str]:
    """Every link of a Markdown text (see the module doc), each as a URL to check."""
    budget = Budget(len(text))
    found: list[str] = []
    if "]" in text:
        anchors = 0
        for anchor in ("](", "]:"):
            index = text.find(anchor)
            while index >= 0 and not budget.spent:
                anchors += 1
                if anchors > MAX_ANCHORS:
                    return [TOO_MANY_LINKS]
                destination = _destination(text, index + 2, budget)
                if destination is not None:
                    link = _link_of(destination)
                    if link is not None:
                        found.append(link)
                        budget.count_link()
                index = text.find(anchor, index + 2)
    if "<" in text and not budget.spent:
        found.extend(match.group(1) for match in _URI_AUTOLINK.finditer(text))
        if "@" in text:
            found.extend("mailto:" + match.group(1) for match in _EMAIL_AUTOLINK.finditer(text))
    if budget.spent:
        return [TOO_MANY_LINKS]
    found.extend(bare_links(text, budget))
    return found


def _destination(text: str, start: int, budget: Budget) -> str | None:
    """The decoded link destination that starts after optional blanks at `start`, or None."""
    start = _BEFORE_DESTINATION.match(text, start).end()  # type: ignore[union-attr]
    if text.startswith("<", start):
        match = _ANGLE_DESTINATION.match(text, start)
        if match is None:
            return None  # §6.3: a destination that opens with '<' must close with '>'
        budget.left -= match.end() - start
        # Renderers percent-encode the spaces an angle destination may hold.
        return _decode(match.group(1), budget).replace(" ", "%20")
    end, depth, steps = start, 0, 0
    while True:  # one step per parenthesis; every step reads on from the last
        end = _RAW_RUN.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith("(", end):
            depth += 1
        elif text.startswith(")", end) and depth > 0:
            depth -= 1
        else:
            break  # a space, a control character, an unbalanced ')' or the end
        end += 1
        steps += 1
        if steps > _MAX_PARENTHESES:
            # Renderers give up on deep nesting too (cmark stops at 32 levels); read the
            # destination on to the next blank, which only makes it longer to check.
            end = _TO_BLANK.match(text, end).end()  # type: ignore[union-attr]
            break
    budget.left -= end - start
    return _decode(text[start:end], budget) if end > start else None


def _decode(destination: str, budget: Budget) -> str:
    # Each reference is decoded by a Python call: charge it as many characters as the
    # longest reference has, so a destination made of references exhausts the budget.
    budget.left -= _REFERENCE_COST * destination.count("&")
    if budget.spent:
        return destination
    if "\\" in destination:
        destination = _ESCAPE.sub(_FIRST_GROUP, destination)
    if "&" in destination:
        import html  # only destinations with a reference pay for the entity table

        destination = _REFERENCE.sub(lambda match: html.unescape(match.group()), destination)
    return destination


def _link_of(destination: str) -> str | None:
    """The URL a click on `destination` opens off Slack's own site, or None (see module doc)."""
    if _SCHEME.match(destination):
        return destination
    if destination[:2] in ("//", "/\\", "\\\\", "\\/"):
        return "https:" + destination
    if destination[:4].lower() == "www.":
        return destination
    host = _HOST_AT_START.match(destination)
    if host is None:
        return None
    kind = host_kind(host.group())
    if kind is None:
        return None
    if kind is AMBIGUOUS and not destination.startswith("/", host.end()):
        return None  # "app.py", "README.md": files next to the page, not hosts
    return "http://" + destination
