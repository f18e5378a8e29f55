"""Checking what programs send to the APIs, field by field, before any of it reaches the
Assistant: a wrong type, a lone surrogate (cannot be written as UTF-8), a history nested
too deep for the JSON parser, or a value too large each get an InputError naming the
field and what is allowed, so the caller sees a clear error event instead of a null
error or a stream that ends without one. And error text on its way out: absolute server
paths are cut down to the part under the corpus (or to a base name), never shown whole."""
from __future__ import annotations

import json
import re
from pathlib import Path

from rag import InputError

MAX_K = 50
MAX_HISTORY_CHARS = 200_000
MAX_HISTORY_TURNS = 50
MAX_DEPTH = 4  # [[question, answer], ...] needs 2; a little room, far from the parser's recursion limit
MAX_NAME_CHARS = 255


def text_field(field: str, value, *, max_chars: int, allow_empty: bool = True) -> str:
    if value is None and allow_empty:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{field} must be a string, not {type(value).__name__}.")
    if len(value) > max_chars:
        raise InputError(f"{field} is {len(value)} characters long; the limit is {max_chars}.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InputError(f"{field} contains an unpaired surrogate (U+{ord(value[e.start]):04X} at {e.start}); "
                         "send valid Unicode text.") from None
    if not allow_empty and not value.strip():
        raise InputError(f"{field} is empty.")
    return value


def whole_number(field: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(f"{field} must be a whole number from {low} to {high}, not {type(value).__name__}.")
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{field} must be a whole number from {low} to {high}, not {str(value)[:40]!r}.") from None
    if number != number or number != int(number) or not low <= number <= high:
        raise InputError(f"{field} must be a whole number from {low} to {high}, not {str(value)[:40]!r}.")
    return int(number)


def choice(field: str, value, options) -> str | None:
    """One of `options`, or None for no choice (None or ""); InputError for anything else."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in options:
        shown = repr(value[:40]) if isinstance(value, str) else type(value).__name__  # repr escapes surrogates
        raise InputError(f"{field} must be one of {', '.join(map(str, options))}, not {shown}.")
    return value


def message_index(field: str, value) -> int:
    """A chat message's index as the chatbot sends it: a whole number, or a [row, column] pair."""
    if isinstance(value, (list, tuple)) and value:
        value = value[0]
    return whole_number(field, value, 0, 100_000)


def json_text(field: str, value) -> None:
    """InputError when a JSON value holds a string that cannot be written as UTF-8 (a lone
    surrogate), anywhere inside it, or nests deeper than the serialiser can go."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{field} contains an unpaired surrogate; send valid Unicode text.") from None
    except (RecursionError, ValueError, TypeError) as e:
        raise InputError(f"{field} is not a plain JSON value ({type(e).__name__}).") from None


def flag(field: str, value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if value in ("true", "false", 0, 1):
        return value in ("true", 1)
    raise InputError(f"{field} must be true or false, not {str(value)[:40]!r}.")


def nesting_depth(text: str) -> int:
    """Deepest [ / { nesting of a JSON text, in one pass, without parsing it (the parser
    recurses once per level and would overflow on a deep enough one)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def history_field(value, max_question_chars: int) -> list[tuple[str, str]]:
    """[(question, answer), ...] from the history JSON: a list of two-string pairs."""
    text = text_field("history_json", value, max_chars=MAX_HISTORY_CHARS) or "[]"
    if nesting_depth(text) > MAX_DEPTH:
        raise InputError(f"history_json is nested more than {MAX_DEPTH} levels deep; "
                         'send [["question", "answer"], ...].')
    try:
        data = json.loads(text)
    except ValueError as e:
        raise InputError(f"history_json is not valid JSON ({e.msg} at character {e.pos}).") from None
    if not isinstance(data, list):
        raise InputError('history_json must be a list of [question, answer] pairs.')
    if len(data) > MAX_HISTORY_TURNS:
        raise InputError(f"history_json has {len(data)} turns; the limit is {MAX_HISTORY_TURNS} (send the latest).")
    pairs = []
    for i, pair in enumerate(data):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2 or not all(isinstance(x, str) for x in pair):
            raise InputError(f"history_json[{i}] must be a pair of strings [question, answer].")
        pairs.append((text_field(f"history_json[{i}][0]", pair[0], max_chars=max_question_chars * 4),
                      text_field(f"history_json[{i}][1]", pair[1], max_chars=MAX_HISTORY_CHARS)))
    return pairs


_ABSOLUTE = re.compile(r"(?<![\w.:/])/(?:[^\s/'\"]+/)+([^\s/'\"]*)")


def public_message(message: str, corpus: Path) -> str:
    """The message with the corpus folder's absolute path removed (files named relative to
    it, as the documents list shows them) and any other absolute path cut to its base name."""
    text = str(message)
    for root in {str(Path(corpus)), str(Path(corpus).resolve())}:
        text = text.replace(root.rstrip("/") + "/", "").replace(root, "<corpus>")
    return _ABSOLUTE.sub(lambda m: m.group(1) or "<folder>", text)


def guarded(fn, corpus: Path | None = None):
    """A page handler that never ends in a null error: a RagError (InputError included)
    becomes gr.Error with its message (no server paths), anything else gr.Error naming
    only its kind (the traceback goes to the log). Gradio shows gr.Error's message on the
    page and sends it to API clients; any other exception reaches them as `null`.
    Keeps the signature (Gradio reads gr.Request and event data from it) and works for
    plain and generator handlers alike."""
    import functools
    import inspect
    import logging

    import gradio as gr

    from rag import RagError

    log = logging.getLogger(fn.__module__)

    def error(e: Exception) -> Exception:
        if isinstance(e, gr.Error):
            return e
        if isinstance(e, RagError):
            return gr.Error(public_message(str(e), corpus or Path("/nonexistent")))
        log.error("page handler %s failed", getattr(fn, "__name__", fn), exc_info=e)
        return gr.Error(f"Internal error ({type(e).__name__}); the server log has the details.")

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001 - turned into a clear error event
                raise error(e) from e
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - turned into a clear error event
            raise error(e) from e
    return wrapper
