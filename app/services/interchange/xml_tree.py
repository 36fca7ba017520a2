"""A small XML tree that remembers each element's line (ElementTree does not), for problems that
say where they are: file, element path and line."""

from __future__ import annotations

from xml.parsers import expat


class Node:
    __slots__ = ("tag", "attrib", "text", "children", "line", "path")

    def __init__(self, tag: str, attrib: dict, line: int, path: str) -> None:
        self.tag, self.attrib, self.line, self.path = tag, attrib, line, path
        self.text = ""
        self.children: list[Node] = []

    def find(self, path: str) -> Node | None:
        node = self
        for part in path.split("/"):
            node = next((c for c in node.children if c.tag == part), None)
            if node is None:
                return None
        return node

    def findall(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def value(self, path: str) -> str | None:
        n = self.find(path)
        return n.text.strip() if n is not None and n.text.strip() else None


def parse(data: bytes) -> Node:
    """Parse XML bytes; raises expat.ExpatError (with .lineno) when the XML is not well formed."""
    p = expat.ParserCreate(namespace_separator="}")
    stack: list[Node] = []
    root: list[Node] = []
    counts: list[dict[str, int]] = [{}]

    def start(name: str, attrs: dict) -> None:
        tag = name.rsplit("}", 1)[-1]
        seen = counts[-1]
        seen[tag] = seen.get(tag, 0) + 1
        parent = stack[-1].path if stack else ""
        node = Node(tag, {k.rsplit("}", 1)[-1]: v for k, v in attrs.items()}, p.CurrentLineNumber,
                    f"{parent}/{tag}" + (f"[{seen[tag]}]" if stack and len(stack) == 1 else ""))
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)
        counts.append({})

    def end(_name: str) -> None:
        stack.pop()
        counts.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text += data

    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.Parse(data, True)
    return root[0]
