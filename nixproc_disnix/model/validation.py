"""Turning pydantic's validation report into one error line that names the culprit."""
from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from nixproc_disnix.errors import EvalError

_M = TypeVar("_M", bound=BaseModel)


def validate_as(model: type[_M], value: Any, what: str) -> _M:
    """``model`` from evaluated data, or ``EvalError("invalid <what>: <where>: <problem>")``."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise EvalError(f"invalid {what}: {where}: {first['msg']}",
                        attribute=tuple(str(part) for part in first["loc"])) from None
