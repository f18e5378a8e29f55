"""Page components whose value, when a raw call sends one they cannot read, is refused
with a clear message (gr.Error) instead of Gradio's own `{"error": null}`.

Gradio turns any exception in a component's preprocess into an error whose text it does
not send (a Slider sent "abc" fails comparing it with its minimum); gr.Error it does send.
`checked(component)` wraps that one component's preprocess (on the instance: a subclass
of a Gradio component would make Gradio write a .pyi file beside this module). Dropdown
and Radio need none: they already answer a value outside their choices with gr.Error.
"""
from __future__ import annotations

import functools

import gradio as gr


def checked(component):
    original = component.preprocess

    @functools.wraps(original)
    def preprocess(payload):
        try:
            return original(payload)
        except gr.Error:
            raise
        except Exception as e:  # noqa: BLE001 - whatever the component choked on, said plainly
            name = component.label or component.elem_id or type(component).__name__.lower()
            shown = repr(payload)[:60]  # repr escapes lone surrogates
            raise gr.Error(f"{name}: {shown} is not a value this {type(component).__name__.lower()} takes "
                           f"({type(e).__name__}).") from None

    component.preprocess = preprocess
    return component
