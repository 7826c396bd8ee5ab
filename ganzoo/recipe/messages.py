"""OmegaConf's errors as the one-line messages recipes give: the key, the first line, a suggestion."""

from __future__ import annotations

import difflib
from dataclasses import fields, is_dataclass
from typing import Any

from omegaconf.errors import OmegaConfBaseException

from ganzoo.errors import first_line


def full_key(prefix: str, error: OmegaConfBaseException) -> str:
    key = str(getattr(error, "full_key", "") or getattr(error, "key", "") or "")
    return ".".join(part for part in (prefix, key) if part)


def error_line(error: BaseException) -> str:
    return first_line(getattr(error, "msg", None) or error)


def suggestion(key: Any, object_type: Any) -> str:
    if not (isinstance(key, str) and is_dataclass(object_type)):
        return ""
    close = difflib.get_close_matches(key, [f.name for f in fields(object_type)], n=1)
    return f". Did you mean: '{close[0]}'?" if close else ""
