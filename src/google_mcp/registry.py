"""How tools are registered: read tools directly, state-changing tools behind the confirmation gate.

A tool is written as `async def name(state: AppState, **args)`. Registration gives it its MCP face
(the same arguments, with the request's state passed in). A tool whose annotations say it changes
state returns a `Plan` and names an executor that carries out the plan's frozen `op`; registration
adds hidden elicitation parameters and records both with the gate, so no write tool carries gate
code of its own.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.elicitation import CancelledElicitation, DeclinedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from google_mcp import progress, render
from google_mcp.elicit import can_elicit
from google_mcp.errors import InvalidInput
from google_mcp.gate import Approve, Executor, Gate, NoElicitation, Plan
from google_mcp.models import WriteOutcome
from google_mcp.people.channels import require_operator
from google_mcp.principal import current_principal
from google_mcp.settings import CHANNEL_GROUPS, GOOGLE_GROUPS, Settings
from google_mcp.state import AppState, acting_as, acting_person

Ctx = Context[AppState, Any]  # a tool's request context; its lifespan state is the AppState
Server = MCPServer[AppState]

# The annotations every tool uses, each hint only where it differs from the spec's default (readOnly false,
# destructive true, idempotent false, openWorld true): the same meaning in fewer bytes of tools/list.
READ = ToolAnnotations(read_only_hint=True)
WRITE = ToolAnnotations(destructive_hint=False)
IDEMPOTENT = ToolAnnotations(destructive_hint=False, idempotent_hint=True)
DESTRUCTIVE = ToolAnnotations(idempotent_hint=True)
LOCAL_READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)


DETAIL = inspect.Parameter(
    "detail",
    inspect.Parameter.KEYWORD_ONLY,
    default="compact",
    annotation=Literal["compact", "full"],  # full: every field, as JSON (self-evident enough to say nothing)
)


class Expect(str):
    """What an argument takes, as `Annotated` metadata: said in the error when the argument is missing or
    wrong, and not in tools/list (a model needs it only then, and every byte there is sent on every turn)."""


def expected(fn: Callable[..., Any]) -> dict[str, str]:
    """The `Expect` hints of a tool's parameters, by name."""

    def hint(annotation: Any) -> str | None:  # in the annotation, or in a member of its union
        for arg in typing.get_args(annotation):
            found = str(arg) if isinstance(arg, Expect) else hint(arg)
            if found:
                return found
        return None

    hints = {p.name: hint(p.annotation) for p in inspect.signature(fn).parameters.values()}
    return {name: h for name, h in hints.items() if h}


def app(ctx: Ctx) -> AppState:
    return ctx.request_context.lifespan_context


def describe(fn: Callable[..., Any]) -> str:
    return inspect.cleandoc(fn.__doc__ or "")


def parameters(fn: Callable[..., Any]) -> tuple[list[inspect.Parameter], dict[str, Any], Any]:
    """A tool implementation's own parameters (after `state`), their resolved hints, and its return type."""
    hints = typing.get_type_hints(fn, include_extras=True)
    params = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints[p.name])
        for p in list(inspect.signature(fn).parameters.values())[1:]
    ]
    return params, {p.name: hints[p.name] for p in params}, hints.get("return")


def face(
    impl: Callable[..., Any], name: str, doc: str, params: list[inspect.Parameter], returns: Any
) -> Callable[..., Any]:
    """Give `impl(**kwargs)` the signature MCP reads: `params` (each with its annotation) returning `returns`."""
    impl.__name__ = impl.__qualname__ = name
    impl.__doc__ = doc
    impl.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
    impl.__annotations__ = {**{p.name: p.annotation for p in params}, "return": returns}
    return impl


def _ctx() -> inspect.Parameter:
    return inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)


def argument_model(name: str, params: list[inspect.Parameter]) -> type[BaseModel]:
    """The tool's arguments as a model that refuses what it does not know."""
    fields: dict[str, Any] = {
        p.name: (p.annotation, ... if p.default is inspect.Parameter.empty else p.default) for p in params
    }
    return create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)


def explain(
    name: str, exc: ValidationError, schema: dict[str, Any] | None = None, expects: dict[str, str] | None = None
) -> str:
    """A validation error as the model should read it: which argument, what is wrong, what works."""
    props = (schema or {}).get("properties", {})
    expects = expects or {}
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        top = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            lines.append(f"'{loc}' is not an argument of {name}")
            continue
        hint = expects.get(top) or props.get(top, {}).get("description")
        lines.append(f"'{loc}': {err['msg']}" + (f" (expected: {hint})" if hint else ""))
    takes = ", ".join(props) or "no arguments"
    return f"Invalid arguments for {name}: " + "; ".join(lines) + f". {name} takes: {takes}."


ACCOUNT_KEY = "_account"  # in a frozen op: the Google account it runs as


def as_account(
    fn: Callable[..., Awaitable[Any]],
    execute: Executor | None,
    span: Callable[[dict[str, Any], dict[str, Any]], Any] | None,
) -> tuple[Callable[..., Awaitable[Any]], Executor | None]:
    """A Google tool on a server many people use: it takes `account` (one of the person's linked Google
    accounts; "all" where `span` merges a read across them). A write's preview names the account, and its
    frozen op carries it, so the confirmation runs as the account the person was shown."""
    params, _, returns = parameters(fn)
    hint = "a linked Google account (email); default your first" + ('; "all" for every one' if span else "")
    account = inspect.Parameter(
        "account",
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[str | None, Field(description=hint)],
    )
    state_param = inspect.Parameter("state", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=AppState)

    async def wrapped(state: AppState, account: str | None = None, **args: Any) -> Any:
        if account == "all" and span is not None:
            if args.get("page_token"):
                raise InvalidInput('Page one account at a time: give account=EMAIL with page_token, not "all".')
            answers = {}
            for email in state.accounts():
                with acting_as(email):
                    answers[email] = await fn(state, **args)
            return span(answers, args)
        with acting_as(account):
            out = await fn(state, **args)
            if isinstance(out, Plan):
                email = state.account_for(acting_person() or "")
                out.op = {**out.op, ACCOUNT_KEY: email}
                out.preview.details.insert(0, f"As: {email}")
            return out

    face(wrapped, fn.__name__, describe(fn), [state_param, *params, account], returns)
    if execute is None:
        return wrapped, None
    run = execute

    async def execute_as(state: AppState, op: dict[str, Any]) -> Any:
        op = dict(op)
        with acting_as(op.pop(ACCOUNT_KEY, None)):
            return await run(state, op)

    return wrapped, execute_as


def for_operators(
    fn: Callable[..., Awaitable[Any]], execute: Executor | None, group: str
) -> tuple[Callable[..., Awaitable[Any]], Executor | None]:
    """A Slack or SMS tool on a server many people use: every way in (the tool itself, the router, and the
    executor a confirmation runs, however late) first checks that the person is a named operator."""
    params, _, returns = parameters(fn)
    state_param = inspect.Parameter("state", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=AppState)

    async def guarded(state: AppState, **args: Any) -> Any:
        require_operator(state, group)
        return await fn(state, **args)

    face(guarded, fn.__name__, describe(fn), [state_param, *params], returns)
    if execute is None:
        return guarded, None
    run = execute

    async def execute_guarded(state: AppState, op: dict[str, Any]) -> Any:
        require_operator(state, group)  # the person confirming is checked again: held before a change of operators
        return await run(state, op)

    return guarded, execute_guarded


class Registrar:
    """Registers tools. A tool whose annotations say it changes state is put behind the gate.

    Such a tool is written as `async def name(state: AppState, **args) -> Plan`: it validates and
    previews, and returns the frozen operation. `execute(state, op)` carries that operation out.
    Registration turns it into the MCP tool the model sees (same arguments, a `WriteOutcome` result)
    with hidden elicitation parameters, and records it with the gate so a stored confirmation can be
    carried out later, by any process.
    """

    def __init__(self, server: Server, settings: Settings, gate: Gate) -> None:
        self.server = server
        self.settings = settings
        self.gate = gate
        self.reads: dict[str, Callable[..., Awaitable[Any]]] = {}
        # the tool group being registered: on a shared server a Google group's tools take `account`, and
        # Slack's and SMS's are for the named operators only (both decided here, once, by group)
        self.group: str | None = None

    def __call__(
        self,
        *,
        title: str,
        annotations: ToolAnnotations,
        execute: Executor | None = None,
        detail: bool = False,
        span: Callable[[dict[str, Any], dict[str, Any]], Any] | None = None,
    ) -> Callable[[Any], Any]:
        """`detail=True` gives a read tool a `detail` argument: "full" answers in compact JSON of every field
        instead of the compact lines. `span` merges a read's answers from each of a person's linked Google
        accounts (account="all"), on a server many people use."""

        def register(original: Any) -> Any:
            fn, execute_as = original, execute
            if self.settings.oauth and self.group in GOOGLE_GROUPS:
                fn, execute_as = as_account(original, execute, span)
            elif self.settings.oauth and self.group in CHANNEL_GROUPS:
                fn, execute_as = for_operators(original, execute, str(self.group))
            if annotations.read_only_hint:
                self.reads[fn.__name__] = fn
                mcp_fn = self._direct(fn, detail)
            elif self.settings.read_only:
                return original
            else:
                assert execute_as is not None, f"{fn.__name__} changes state: give it an executor"
                self.gate.builders[fn.__name__] = fn
                self.gate.executors[fn.__name__] = execute_as
                mcp_fn = self._gated(fn)
            self.server.tool(name=fn.__name__, title=title, annotations=annotations, description=describe(fn))(mcp_fn)
            return original

        return register

    @staticmethod
    def _direct(fn: Callable[..., Awaitable[Any]], detail: bool) -> Callable[..., Awaitable[Any]]:
        """The MCP face of a read tool: the same arguments, with the request's state passed in; the answer's
        text is the compact rendering (render.py), its structured content every field."""
        params, _, returns = parameters(fn)

        async def direct(ctx: Ctx, **args: Any) -> Any:
            full = args.pop("detail", "compact") == "full"
            with progress.reporting(ctx):
                result = await fn(app(ctx), **args)
            return CallToolResult(
                content=[TextContent(type="text", text=render.text(result, full))],
                structured_content=result.dump(),
            )

        extra = [DETAIL] if detail else []
        return face(direct, fn.__name__, describe(fn), [_ctx(), *params, *extra], returns)

    def validated(self, name: str) -> Callable[..., Awaitable[Any]] | None:
        """A tool's implementation with its arguments checked as the MCP face checks them (for the router)."""
        fn = self.reads.get(name) or self.gate.builders.get(name)
        if fn is None:
            return None
        params, _, _ = parameters(fn)
        model = argument_model(name, params)

        async def call(state: AppState, **args: Any) -> Any:
            try:
                checked = model.model_validate(args)
            except ValidationError as exc:
                raise InvalidInput(explain(name, exc, model.model_json_schema(), expected(fn))) from None
            return await fn(state, **{p.name: getattr(checked, p.name) for p in params})

        return call

    def _gated(self, fn: Callable[..., Awaitable[Plan]]) -> Callable[..., Awaitable[WriteOutcome]]:
        name = fn.__name__
        params, _, _ = parameters(fn)

        async def approval(ctx: Ctx, **args: Any) -> str:
            """The one-time approval record the person is asked about ('' when they are not asked here)."""
            state = app(ctx)
            if state.gate.auto_approved(name) or not can_elicit(ctx):
                return ""
            record = await state.gate.asking(state, name, args, current_principal())
            return record.session_id

        face(approval, f"approval_{name}", "", [_ctx(), *params], str)
        Approval = Annotated[str, Resolve(approval)]

        async def ask(ctx: Ctx, approval: str) -> Approve | NoElicitation | Elicit[Approve]:
            if not approval:
                return NoElicitation(reason="the person is not asked through this client")
            record = await app(ctx).gate.store.get(approval, current_principal())
            if record is None:
                return NoElicitation(reason="the approval record is gone")
            return Elicit(Gate.question(record), Approve)

        asked = Approve | NoElicitation | Elicit[Approve]
        face(
            ask,
            f"ask_{name}",
            "",
            [_ctx(), inspect.Parameter("approval", inspect.Parameter.KEYWORD_ONLY, annotation=Approval)],
            asked,
        )
        Decision = Annotated[ElicitationResult[Approve], Resolve(ask)]

        async def gated(ctx: Ctx, approval: str, decision: Any, **args: Any) -> WriteOutcome:
            state = app(ctx)
            gate = state.gate
            if isinstance(decision, DeclinedElicitation | CancelledElicitation):
                status: Literal["declined", "cancelled"] = (
                    "declined" if isinstance(decision, DeclinedElicitation) else "cancelled"
                )
                if approval:
                    return await gate.answered(state, approval, current_principal(), False, status)
                return WriteOutcome(status=status, tool=name, message=f"The person {status} it; nothing was done.")
            data = decision.data
            if isinstance(data, Approve):
                return await gate.answered(state, approval, current_principal(), data.approve, "declined")
            plan = await fn(state, **args)
            if gate.auto_approved(name):
                if plan.auto_ok:
                    return await gate.run_now(state, name, plan, "auto-approved by GOOGLE_MCP_AUTO_APPROVE")
                why = f" because {plan.asks_because}" if plan.asks_because else ""
                return await gate.hold(name, args, plan, note=f"Not auto-approved{why}.")
            return await gate.hold(name, args, plan)

        hidden = [
            inspect.Parameter("approval", inspect.Parameter.KEYWORD_ONLY, annotation=Approval),
            inspect.Parameter("decision", inspect.Parameter.KEYWORD_ONLY, annotation=Decision),
        ]
        return face(gated, name, describe(fn), [_ctx(), *hidden, *params], WriteOutcome)
