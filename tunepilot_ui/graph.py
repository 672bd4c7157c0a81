"""The state machine as the console's graph view shows it: states, transitions, the path taken, a colour each.

Everything here is pure: it reads the deployed ASL definition (``DescribeStateMachine``'s ``definition``, never
a copy from the repository) and an execution history (``GetExecutionHistory``'s ``events``).

A state's status comes from its last visit in the history:

- ``not_reached``: never entered;
- ``in_progress``: entered, not left, and the execution is still running;
- ``succeeded``: left normally (a failed attempt that a ``Retry`` repeated successfully still counts as succeeded);
- ``caught``: its last attempt failed and a ``Catch`` moved the execution on;
- ``failed``: the execution failed, timed out or was aborted while in it, or it is a ``Fail`` state that was entered.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["succeeded", "failed", "caught", "in_progress", "not_reached"]
STATUSES: tuple[Status, ...] = ("succeeded", "failed", "caught", "in_progress", "not_reached")
EdgeKind = Literal["next", "choice", "default", "catch"]

# History event types that end one attempt of a state's work in failure (Task, Lambda, activity, Map, Parallel).
_FAILURE_SUFFIXES = ("Failed", "TimedOut", "Aborted")
_SUCCESS_SUFFIXES = ("Succeeded",)
_EXECUTION_ENDS_BADLY = {"ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}


@dataclass(frozen=True)
class Node:
    name: str
    type: str
    comment: str = ""
    rank: int = 0  # row in the drawing: longest path from StartAt over normal transitions
    column: int = 0  # position in its row; -1 for the error path, drawn in a column of its own
    on_error_path: bool = False


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    label: str = ""


@dataclass
class Graph:
    start_at: str
    nodes: list[Node]
    edges: list[Edge]

    @property
    def names(self) -> list[str]:
        return [node.name for node in self.nodes]


class DefinitionError(ValueError):
    """The definition is not a readable ASL document."""


def parse_definition(definition: str | Mapping[str, Any]) -> Graph:
    """States (nested Parallel branches and Map processors included) and every transition between them."""
    try:
        document = json.loads(definition) if isinstance(definition, str) else dict(definition)
        states = document["States"]
        start_at = str(document["StartAt"])
    except (ValueError, TypeError, KeyError) as error:
        raise DefinitionError(f"not an ASL definition: {error}") from error
    raw: dict[str, Mapping[str, Any]] = {}
    edges: list[Edge] = []
    _collect(states, raw, edges)
    nodes = _layout(start_at, raw, edges)
    return Graph(start_at=start_at, nodes=nodes, edges=edges)


def _collect(states: Mapping[str, Any], raw: dict[str, Mapping[str, Any]], edges: list[Edge]) -> None:
    for name, state in states.items():
        if not isinstance(state, Mapping):
            raise DefinitionError(f"state {name!r} is not an object")
        raw[name] = state
        if state.get("Next"):
            edges.append(Edge(name, str(state["Next"]), "next"))
        for index, choice in enumerate(state.get("Choices") or []):
            if choice.get("Next"):
                edges.append(Edge(name, str(choice["Next"]), "choice", _choice_label(choice, index)))
        if state.get("Default"):
            edges.append(Edge(name, str(state["Default"]), "default", "default"))
        for catcher in state.get("Catch") or []:
            if catcher.get("Next"):
                edges.append(Edge(name, str(catcher["Next"]), "catch", ", ".join(catcher.get("ErrorEquals") or [])))
        for branch in state.get("Branches") or []:
            _collect(branch.get("States") or {}, raw, edges)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            _collect(processor.get("States") or {}, raw, edges)


def _choice_label(choice: Mapping[str, Any], index: int) -> str:
    variable = choice.get("Variable")
    for key, value in choice.items():
        if key not in ("Next", "Variable") and not isinstance(value, list | dict):
            return f"{variable or ''} {key} {json.dumps(value)}".strip()[:60]
    return f"rule {index + 1}"


def _layout(start_at: str, raw: Mapping[str, Mapping[str, Any]], edges: Sequence[Edge]) -> list[Node]:
    """Rows by longest path from StartAt over normal transitions. States reachable only through a Catch (the
    error path) go in a column of their own, starting one row below the first state that can fail into them."""
    order = _discovery_order(start_at, raw, edges)
    # Without the transitions that close a loop (back to a state on the current walk), the rest is acyclic.
    loops = _back_edges(start_at, raw, edges)
    normal = [e for e in edges if e.kind != "catch" and e.source in raw and e.target in raw and e not in loops]
    rank: dict[str, int] = {start_at: 0} if start_at in raw else {}
    for _ in range(len(raw)):  # Bellman-Ford style, bounded: a loop in the definition cannot keep it going
        changed = False
        for edge in normal:
            if edge.source in rank and rank.get(edge.target, -1) < rank[edge.source] + 1 <= len(raw):
                rank[edge.target] = rank[edge.source] + 1
                changed = True
        if not changed:
            break
    error_path = [n for n in order if n not in rank]
    for _ in range(len(raw)):
        changed = False
        for name in error_path:
            catchers = [rank[e.source] for e in edges if e.target == name and e.kind == "catch" and e.source in rank
                        and e.source not in error_path]
            inside = [rank[e.source] for e in edges if e.target == name and e.source in error_path and e.source in rank]
            candidates = [min(catchers) + 1] if catchers else []
            candidates += [r + 1 for r in inside]
            if candidates and rank.get(name) != max(candidates) <= 2 * len(raw):
                rank[name] = max(candidates)
                changed = True
        if not changed:
            break
    bottom = max(rank.values(), default=-1) + 1
    for name in error_path:
        rank.setdefault(name, bottom)  # unreachable from anywhere: below everything
    nodes: list[Node] = []
    next_column: dict[int, int] = {}
    for name in order:
        on_error_path = name in error_path
        column = -1 if on_error_path else next_column.get(rank[name], 0)  # -1: the page's error column
        if not on_error_path:
            next_column[rank[name]] = column + 1
        state = raw[name]
        nodes.append(Node(name=name, type=str(state.get("Type", "")), comment=str(state.get("Comment", ""))[:200],
                          rank=rank[name], column=column, on_error_path=on_error_path))
    return sorted(nodes, key=lambda n: (n.on_error_path, n.rank, order.index(n.name)))


def _back_edges(start_at: str, raw: Mapping[str, Any], edges: Sequence[Edge]) -> set[Edge]:
    """Transitions to a state still on the depth-first walk from StartAt (iterative: no recursion limit)."""
    outgoing: dict[str, list[Edge]] = {}
    for edge in edges:
        if edge.kind != "catch" and edge.target in raw:
            outgoing.setdefault(edge.source, []).append(edge)
    back: set[Edge] = set()
    done: set[str] = set()
    for root in [start_at, *raw]:
        if root in done or root not in raw:
            continue
        on_stack = {root}
        stack = [(root, iter(outgoing.get(root, [])))]
        while stack:
            name, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                on_stack.discard(name)
                done.add(name)
            elif step.target in on_stack:
                back.add(step)
            elif step.target not in done:
                on_stack.add(step.target)
                stack.append((step.target, iter(outgoing.get(step.target, []))))
    return back


def _discovery_order(start_at: str, raw: Mapping[str, Any], edges: Sequence[Edge]) -> list[str]:
    """States in the order a walk from StartAt meets them (Next, Choices, Default, then Catch), so the drawing and
    the ``states`` list do not depend on the order of keys in the stored definition."""
    seen: list[str] = []
    queue = [start_at] if start_at in raw else []
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.append(name)
        queue += [e.target for e in edges if e.source == name and e.kind != "catch" and e.target in raw]
        queue += [e.target for e in edges if e.source == name and e.kind == "catch" and e.target in raw]
    return seen + [n for n in raw if n not in seen]


# ---------------------------------------------------------------------------------------------------- history
@dataclass
class Visit:
    """One stay in a state: from its ``...StateEntered`` event to its ``...StateExited`` (if any)."""

    name: str
    entered_id: int
    input: str | None = None
    output: str | None = None
    exited: bool = False
    last_attempt_failed: bool = False
    error: str | None = None
    cause: str | None = None
    entered_at: Any = None
    exited_at: Any = None
    events: list[int] = field(default_factory=list)


def visits(history: Iterable[Mapping[str, Any]]) -> list[Visit]:
    """The history cut into visits, in order. Events inside a visit are matched by ``previousEventId`` chains
    where parallel branches would interleave; a plain state machine's events simply follow each other."""
    result: list[Visit] = []
    open_by_name: dict[str, Visit] = {}
    current: Visit | None = None
    for event in history:
        kind = str(event.get("type", ""))
        entered = event.get("stateEnteredEventDetails")
        exited = event.get("stateExitedEventDetails")
        if entered:
            current = Visit(name=str(entered.get("name")), entered_id=int(event.get("id", 0)),
                            input=entered.get("input"), entered_at=event.get("timestamp"))
            result.append(current)
            open_by_name[current.name] = current
        elif exited:
            visit = open_by_name.pop(str(exited.get("name")), None) or current
            if visit is not None:
                visit.exited = True
                visit.output = exited.get("output")
                visit.exited_at = event.get("timestamp")
            current = None
        elif current is not None and not kind.startswith("Execution"):
            current.events.append(int(event.get("id", 0)))
            if kind.endswith(_FAILURE_SUFFIXES):
                current.last_attempt_failed = True
                details = _details(event)
                current.error = details.get("error") or kind
                current.cause = details.get("cause")
            elif kind.endswith(_SUCCESS_SUFFIXES):
                current.last_attempt_failed = False
        if kind in _EXECUTION_ENDS_BADLY and current is not None:
            details = _details(event)
            current.error = current.error or details.get("error") or kind
            current.cause = current.cause or details.get("cause")
    return result


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return value
    return {}


def execution_status(history: Sequence[Mapping[str, Any]], reported: str | None = None) -> str:
    """RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED, from the last execution-level event."""
    ends = {"ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED", "ExecutionTimedOut": "TIMED_OUT",
            "ExecutionAborted": "ABORTED"}
    for event in reversed(history):
        if event.get("type") in ends:
            return ends[str(event["type"])]
    return reported or "RUNNING"


def state_statuses(graph: Graph, history: Sequence[Mapping[str, Any]],
                   reported_status: str | None = None) -> dict[str, Status]:
    """Every state of the definition with its status after this history (see the module's docstring)."""
    status = execution_status(history, reported_status)
    types = {node.name: node.type for node in graph.nodes}
    last: dict[str, Visit] = {}
    for visit in visits(history):
        last[visit.name] = visit
    result: dict[str, Status] = {}
    for name in graph.names:
        seen = last.get(name)
        result[name] = _status_of(seen, types.get(name, ""), status) if seen else "not_reached"
    return result


def _status_of(visit: Visit, state_type: str, execution: str) -> Status:
    if state_type == "Fail":
        return "failed"
    if visit.exited:
        return "caught" if visit.last_attempt_failed else "succeeded"
    if execution == "RUNNING":
        return "in_progress"
    if execution == "SUCCEEDED" or state_type == "Succeed":
        return "succeeded"  # a terminal state that reported no exit event
    return "failed"


def path_taken(history: Iterable[Mapping[str, Any]]) -> list[str]:
    """The states in the order they were entered (a state entered twice appears twice)."""
    return [visit.name for visit in visits(history)]


def taken_edges(graph: Graph, path: Sequence[str], history: Sequence[Mapping[str, Any]]) -> set[tuple[str, str, str]]:
    """(source, target, kind) of each transition the execution followed; a Catch edge when the source's last
    attempt had failed."""
    entered = visits(history)
    failed_visits = {v.entered_id: v.last_attempt_failed for v in entered}
    kinds: dict[tuple[str, str], list[str]] = {}
    for edge in graph.edges:
        kinds.setdefault((edge.source, edge.target), []).append(edge.kind)
    taken: set[tuple[str, str, str]] = set()
    for before, after in itertools.pairwise(entered):
        options = kinds.get((before.name, after.name))
        if not options:
            continue
        if failed_visits.get(before.entered_id) and "catch" in options:
            taken.add((before.name, after.name, "catch"))
        else:
            taken.add((before.name, after.name, next((k for k in options if k != "catch"), options[0])))
    return taken
