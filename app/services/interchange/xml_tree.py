"""A small XML tree that remembers each element's line (ElementTree does not), for problems that
say where they are: file, element path and line."""

from __future__ import annotations

from xml.parsers import expat


MAX_DEPTH = 64  # Ed-Fi interchanges nest about ten deep


class TooDeep(ValueError):
    """Elements nested deeper than MAX_DEPTH (each keeps its path: a deep file would take memory growing
    with the square of its depth)."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(f"elements nested more than {MAX_DEPTH} deep at line {line}")
        self.line, self.column = line, column


class Node:
    """An element: `tag` is its local name, or "{namespace}name" for an element in another namespace than the
    root's (an extension's element never reads as the standard one of the same name); `ns` is its namespace."""
    __slots__ = ("tag", "attrib", "text", "children", "line", "path", "ns")

    def __init__(self, tag: str, attrib: dict, line: int, path: str, ns: str = "") -> None:
        self.tag, self.attrib, self.line, self.path, self.ns = tag, attrib, line, path, ns
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
    """Parse XML bytes; raises expat.ExpatError (with .lineno) when the XML is not well formed, TooDeep when
    its elements nest deeper than any interchange's."""
    p = expat.ParserCreate(namespace_separator="}")
    stack: list[Node] = []
    root: list[Node] = []
    counts: list[dict[str, int]] = [{}]
    parts: list[list[str]] = []  # the open elements' text pieces

    def start(name: str, attrs: dict) -> None:
        if len(stack) >= MAX_DEPTH:
            raise TooDeep(p.CurrentLineNumber, p.CurrentColumnNumber + 1)
        ns, _, local = name.rpartition("}")
        tag = local if not root or ns == root[0].ns else f"{{{ns}}}{local}"
        seen = counts[-1]
        seen[tag] = seen.get(tag, 0) + 1
        parent = stack[-1].path if stack else ""
        node = Node(tag, {k.rsplit("}", 1)[-1]: v for k, v in attrs.items()}, p.CurrentLineNumber,
                    f"{parent}/{local}" + (f"[{seen[tag]}]" if stack and len(stack) == 1 else ""), ns)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)
        parts.append([])
        counts.append({})

    def end(_name: str) -> None:
        node = stack.pop()
        node.text = "".join(parts.pop())
        counts.pop()

    def chars(data: str) -> None:
        # (collected, then joined once: adding to the node's text each time would take time growing with the
        # square of its length, and expat hands over a long text, or an entity's expansion, in many pieces)
        if stack:
            parts[-1].append(data)

    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, chars
    p.Parse(data, True)
    return root[0]
