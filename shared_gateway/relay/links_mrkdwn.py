"""Links in Slack mrkdwn: ``<target|label>`` and ``<target>``, then the bare links.

mrkdwn is the format of a message's top-level ``text``, of ``mrkdwn`` text objects and of
legacy attachments. Slack reads every unescaped ``<...>`` as a link or a mention (a literal
angle bracket must be written ``&lt;``), so every target that is not a mention is returned,
for the URL policy to refuse when it is not an allowed http(s) link: ``<mailto:...>``,
``<evil.net/x>`` and even ``List<String>`` (Slack links ``String``).
"""

from __future__ import annotations

import re

from .links_bare import Budget, bare_links

# `<target>` or `<target|label>`; a `<` followed by whitespace is literal text in Slack.
_ANGLE = re.compile(r"<([^<>\s][^<>]*+)>")
_MENTION_STARTS = ("@", "#", "!")


def mrkdwn_links(text: str) -> list[str]:
    """The targets of `<url|label>` and `<url>` (not the mentions `<@U..>`, `<#C..>`,
    `<!here>`, `<!subteam^..>`; for `<!date^ts^format^link|fallback>` its optional link),
    then the bare links of the text, labels included (links_bare)."""
    if "<" not in text:
        return bare_links(text)
    found: list[str] = []

    def take_target(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target and not target.startswith(_MENTION_STARTS):
            found.append(target)
        elif target.startswith("!date^"):
            parts = target.split("^", 3)
            if len(parts) == 4 and parts[3]:
                found.append(parts[3])
        # The label stays in the text to be scanned, fenced off by line breaks.
        return f"\n{label}\n"

    rest = _ANGLE.sub(take_target, text)
    found.extend(bare_links(rest, Budget(len(text))))
    return found
