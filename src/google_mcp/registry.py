"""How tools are registered: read tools directly, state-changing tools behind the confirmation gate.

A tool is written as `async def name(state: AppState, **args)`. Registration gives it its MCP face
(the same arguments, with the request's state passed in). A tool whose annotations say it changes
state returns a `Plan`; registration adds a hidden elicitation parameter and records it with the
gate, so no write tool carries gate code of its own.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.elicitation import CancelledElicitation, DeclinedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp.types import ToolAnnotations

from google_mcp.gate import Approve, Gate, NoElicitation, Plan, can_elicit
from google_mcp.models import WriteOutcome
from google_mcp.settings import Settings
from google_mcp.state import AppState


def app(ctx: Context) -> AppState:  # type: ignore[type-arg]
    return ctx.request_context.lifespan_context  # type: ignore[return-value]


class Registrar:
    """Registers tools. A tool whose annotations say it changes state is put behind the gate.

    Such a tool is written as `async def name(state: AppState, **args) -> Plan`: it validates and
    previews, and returns the call to make. Registration turns it into the MCP tool the model sees
    (same arguments, a `WriteOutcome` result) with a hidden elicitation parameter, and records it
    with the gate so a stored confirmation can be carried out later, by any process.
    """

    def __init__(self, server: MCPServer, settings: Settings, gate: Gate) -> None:  # type: ignore[type-arg]
        self.server = server
        self.settings = settings
        self.gate = gate
        self.reads: dict[str, Callable[..., Awaitable[Any]]] = {}

    def __call__(self, *, title: str, annotations: ToolAnnotations) -> Callable[[Any], Any]:
        def register(fn: Any) -> Any:
            if annotations.read_only_hint:
                self.reads[fn.__name__] = fn
                self.server.tool(name=fn.__name__, title=title, annotations=annotations, description=fn.__doc__)(
                    self._direct(fn)
                )
            elif not self.settings.read_only:
                self.gate.builders[fn.__name__] = fn
                self.server.tool(name=fn.__name__, title=title, annotations=annotations, description=fn.__doc__)(
                    self._gated(fn)
                )
            return fn

        return register

    @staticmethod
    def _direct(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """The MCP face of a read tool: the same arguments, with the request's state passed in."""
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())[1:]  # drop `state`

        async def direct(ctx: Context, **args: Any) -> Any:  # type: ignore[type-arg]
            return await fn(app(ctx), **args)

        direct.__name__ = direct.__qualname__ = fn.__name__
        direct.__doc__ = fn.__doc__
        ctx_param = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
        direct.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [ctx_param, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params)],
            return_annotation=sig.return_annotation,
        )
        direct.__annotations__ = {
            "ctx": Context,
            **{p.name: fn.__annotations__[p.name] for p in params},
            "return": fn.__annotations__["return"],
        }
        return direct

    def validated(self, name: str) -> Callable[..., Awaitable[Any]] | None:
        """A tool's implementation with its arguments checked as MCP checks them (for the router).

        Unknown arguments are refused rather than ignored.
        """
        from pydantic import ConfigDict, create_model

        fn = self.reads.get(name) or self.gate.builders.get(name)
        if fn is None:
            return None
        params = list(inspect.signature(fn).parameters.values())[1:]
        fields: dict[str, Any] = {
            p.name: (fn.__annotations__[p.name], ... if p.default is inspect.Parameter.empty else p.default)
            for p in params
        }
        model = create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)

        async def call(state: AppState, **args: Any) -> Any:
            checked = model.model_validate(args)
            return await fn(state, **{p.name: getattr(checked, p.name) for p in params})

        return call

    def _gated(self, fn: Callable[..., Awaitable[Plan]]) -> Callable[..., Awaitable[WriteOutcome]]:
        name = fn.__name__
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())[1:]  # drop `state`
        hints = {p.name: fn.__annotations__[p.name] for p in params}
        ctx_param = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)

        async def ask(ctx: Context, **args: Any) -> Approve | NoElicitation | Elicit[Approve]:  # type: ignore[type-arg]
            state = app(ctx)
            if state.gate.auto_approved(name):
                return NoElicitation(reason="auto-approved")
            if not can_elicit(ctx):
                return NoElicitation(reason="the client cannot ask the person")
            plan = await fn(state, **args)
            state.gate.remember(name, args, plan)
            return Elicit(plan.preview.text() + "\n\nDo it?", Approve)

        ask.__name__ = ask.__qualname__ = f"ask_{name}"
        ask.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [ctx_param, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params)],
            return_annotation=Approve | NoElicitation | Elicit[Approve],
        )
        ask.__annotations__ = {"ctx": Context, **hints, "return": Approve | NoElicitation | Elicit[Approve]}

        decision_type = Annotated[ElicitationResult[Approve], Resolve(ask)]

        async def gated(ctx: Context, decision: Any, **args: Any) -> WriteOutcome:  # type: ignore[type-arg]
            state = app(ctx)
            if isinstance(decision, DeclinedElicitation | CancelledElicitation):
                status: Literal["declined", "cancelled"] = (
                    "declined" if isinstance(decision, DeclinedElicitation) else "cancelled"
                )
                return WriteOutcome(status=status, tool=name, message=f"The person {status} it; nothing was done.")
            data = decision.data
            if isinstance(data, Approve) and not data.approve:
                return WriteOutcome(status="declined", tool=name, message="The person said no; nothing was done.")
            if isinstance(data, Approve):
                plan = state.gate.recall(name, args) or await fn(state, **args)
                return await state.gate.run(name, plan, "approved by the person in the client")
            plan = await fn(state, **args)
            if state.gate.auto_approved(name):
                return await state.gate.run(name, plan, "auto-approved by GOOGLE_MCP_AUTO_APPROVE")
            return await state.gate.hold(name, args, plan)

        gated.__name__ = gated.__qualname__ = name
        gated.__doc__ = fn.__doc__
        decision_param = inspect.Parameter("decision", inspect.Parameter.KEYWORD_ONLY, annotation=decision_type)
        gated.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [ctx_param, decision_param, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params)],
            return_annotation=WriteOutcome,
        )
        gated.__annotations__ = {"ctx": Context, "decision": decision_type, **hints, "return": WriteOutcome}
        return gated
