"""Why a message was refused: the one shape every check reports in."""

from __future__ import annotations

from .lean_typing import NamedTuple


class Reason(NamedTuple):
    """One finding. `path` is a JSON path into the payload (``blocks[0].text.text``).

    `message` is shown to the caller and logged, so it must never contain the secret
    itself: checks put masked excerpts in it (see `mask`).
    """

    rule: str
    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "path": self.path, "message": self.message}


def mask(secret: str, keep: int = 4) -> str:
    """Masks all but a few leading and trailing characters: ``AKIA************XYZW``.

    Short values are masked entirely, so that a mask never gives away most of a secret.
    """
    if len(secret) < keep * 3:
        return "*" * len(secret)
    return secret[:keep] + "*" * (len(secret) - 2 * keep) + secret[-keep:]
