#!/usr/bin/env python3
"""Checks the shape ARCHITECTURE.md promises: the engine's imports only go down its room order,
no import cycle among the engine's modules nor among the window's (`src/ui`), and no source
file over 800 lines. Exits 1 and says what is wrong otherwise.

A module depends on another when its text names `crate::engine::NAME` (`crate::ui::NAME` for
the window), in a `use` line or an inline path. Nested modules (`info/component.rs`) are
their own nodes.

The room order is read from ARCHITECTURE.md's line that starts with `ROOM_ORDER_LINE`: each
`code span` on it is one room, bottom first, written `name` (the folder `src/engine/name/`)
or `name (a b ...)` (several entries of `src/engine`; `.` is the files at its root that have
no folder of their own). A module belongs to the room of its first path segment.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "src" / "engine"
# The rooms checked for cycles, and the largest cycle each may hold (1: none).
ROOMS = [("engine", 1), ("ui", 1)]
MAX_LINES = 800
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
ROOM_ORDER_LINE = "Room order, bottom to top:"


def module_name(path: Path, room: Path = ENGINE) -> str:
    rel = path.relative_to(room).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "mod":
        parts = parts[:-1]
    return "::".join(parts) or "mod"


def dependencies(modules: dict, room: str = "engine") -> dict:
    names = set(modules)
    graph = {}
    for name, path in modules.items():
        # Comments and doc links do not make a dependency.
        text = "\n".join(
            line.split("//")[0] for line in path.read_text().splitlines()
        )
        # Unit tests may reach anywhere: they are not part of the module's design.
        text = text.split("#[cfg(test)]\nmod tests")[0]
        # Each module it uses, with the first path that names it.
        found = {}
        for match in re.finditer(rf"crate::{room}::((?:\w+::)*\w+)", text):
            parts = match.group(1).split("::")
            # The longest prefix that is a module: `info::component::describe` -> info::component.
            for end in range(len(parts), 0, -1):
                candidate = "::".join(parts[:end])
                if candidate in names:
                    found.setdefault(candidate, match.group(0))
                    break
        # `use crate::engine::{a, b::C}` lists several.
        for group in re.finditer(rf"crate::{room}::\{{([^}}]*)\}}", text):
            for item in group.group(1).split(","):
                head = item.strip().split("::")[0]
                if head in names:
                    found.setdefault(head, f"crate::{room}::{item.strip()}")
        found.pop(name, None)
        graph[name] = found
    return graph


def strongly_connected(graph: dict) -> list:
    index, low, stack, on_stack, result = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for next_node in graph[node]:
            if next_node not in index:
                visit(next_node)
                low[node] = min(low[node], low[next_node])
            elif next_node in on_stack:
                low[node] = min(low[node], index[next_node])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def room_order() -> list:
    """The engine's rooms from ARCHITECTURE.md, bottom first: a list of (name, entries)."""
    for line in ARCHITECTURE.read_text().splitlines():
        if line.startswith(ROOM_ORDER_LINE):
            rooms = []
            for span in re.findall(r"`([^`]+)`", line):
                match = re.fullmatch(r"(\w+)(?: \(([^)]*)\))?", span.strip())
                if not match:
                    raise SystemExit(f"error: ARCHITECTURE.md: cannot read the room `{span}`")
                name, entries = match.group(1), match.group(2)
                rooms.append((name, entries.split() if entries else [name]))
            return rooms
    raise SystemExit(f"error: ARCHITECTURE.md has no line starting with {ROOM_ORDER_LINE!r}")


def entry_of(module: str) -> str:
    """The engine entry a module lives in: its folder, or `.` for a file at the root."""
    head = module.split("::")[0]
    return head if (ENGINE / head).is_dir() else "."


def upward_imports(modules: dict, graph: dict) -> list:
    """Each import from a room into a room above it, and each module in no room."""
    rooms = room_order()
    level = {}
    for index, (name, entries) in enumerate(rooms):
        for entry in entries:
            level[entry] = (index, name)
    problems = []
    for module in sorted(graph):
        entry = entry_of(module)
        if entry not in level:
            problems.append(
                f"src/engine/{entry}/ is in no room: add it to ARCHITECTURE.md's "
                f"{ROOM_ORDER_LINE!r} line"
            )
            continue
        here, here_name = level[entry]
        for used, path in sorted(graph[module].items()):
            there, there_name = level.get(entry_of(used), (-1, "?"))
            if there > here:
                problems.append(
                    f"{modules[module].relative_to(ROOT)} (room {here_name}) imports `{path}` "
                    f"from room {there_name}, which is above it: imports only go down "
                    f"({' < '.join(name for name, _ in rooms)})"
                )
    # One message per folder that is in no room.
    return list(dict.fromkeys(problems))


def main() -> int:
    problems = []
    for room, max_cycle in ROOMS:
        folder = ROOT / "src" / room
        modules = {
            module_name(path, folder): path
            for path in sorted(folder.rglob("*.rs"))
            if module_name(path, folder) != "mod"
        }
        graph = dependencies(modules, room)
        if room == "engine":
            problems += upward_imports(modules, graph)
        for component in strongly_connected(graph):
            if len(component) > 1:
                print(f"cycle of {len(component)} {room} files: {', '.join(component)}")
            if len(component) > max_cycle:
                problems.append(
                    f"import cycle of {len(component)} files in src/{room} (at most "
                    f"{max_cycle if max_cycle > 1 else 'none'}): {', '.join(component)}"
                )
    for path in sorted((ROOT / "src").rglob("*.rs")) + sorted((ROOT / "tests").rglob("*.rs")):
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            problems.append(f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
