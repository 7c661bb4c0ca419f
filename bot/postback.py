"""Postback data: encode an action and its parameters into LINE's 300-character field, and read it back.

Format: a URL query string, `a=<action>` plus `c=<conversation token>` for buttons that belong to one
conversation (so a tap on an old button is detected as stale) and any short parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

MAX_DATA_LENGTH = 300  # LINE's limit on postback.data
ACTION_KEY = "a"
TOKEN_KEY = "c"


@dataclass(frozen=True)
class Postback:
    action: str
    token: str | None = None
    params: dict[str, str] = field(default_factory=dict)


def encode(action: str, token: str | None = None, **params: str | int) -> str:
    """Postback data for a button; raises ValueError if it would not fit LINE's 300 characters, or if a
    parameter would be read back as the action or the conversation token."""
    reserved = {ACTION_KEY, TOKEN_KEY} & params.keys()
    if reserved:
        raise ValueError(f"postback parameter names {sorted(reserved)} are reserved")
    pairs = [(ACTION_KEY, action)]
    if token:
        pairs.append((TOKEN_KEY, token))
    pairs += [(key, str(value)) for key, value in params.items()]
    data = urlencode(pairs)
    if len(data) > MAX_DATA_LENGTH:
        raise ValueError(f"postback data for {action!r} is {len(data)} characters, over {MAX_DATA_LENGTH}")
    return data


def decode(data: str) -> Postback | None:
    """The postback a button carried, or None if the data is not ours (old format, typed by hand, garbage)."""
    if not data or len(data) > MAX_DATA_LENGTH:
        return None
    try:
        pairs = dict(parse_qsl(data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    action = pairs.pop(ACTION_KEY, "")
    if not action:
        return None
    token = pairs.pop(TOKEN_KEY, None)
    return Postback(action=action, token=token, params=pairs)
