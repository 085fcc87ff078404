"""Draw PyTorch's autograd graph, the same way on every run and every machine.

The course's one graph function is :func:`draw_graph`. It walks the graph the way
``torchviz.make_dot`` does (the same order, the same saved tensors), but without
recursion, so a chain of thousands of operations draws too; it names every node in
that order (``n0``, ``n1``, ...) instead of torchviz's memory addresses, and styles the
nodes so that the three kinds of node differ in colour *and* shape:

* leaf tensor (a box): a tensor you created with ``requires_grad=True``; its ``.grad``
  is filled in by ``backward()``;
* other tensor (an octagon): a result of operations, such as the output;
* backward function (an ellipse): what autograd runs during ``backward()``.

The returned :class:`GraphRender` shows as an SVG picture in JupyterLab. Its text
form is the DOT source, which does not depend on the Graphviz version or fonts.
Without Graphviz's ``dot`` program it shows that text and one line on how to
install Graphviz, instead of an error.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import graphviz
import torch

# Okabe-Ito colours: distinguishable with the common forms of colour blindness.
STYLES = {
    "leaf": {"shape": "box", "fillcolor": "#56B4E9", "style": "filled"},
    "tensor": {"shape": "octagon", "fillcolor": "#E69F00", "style": "filled"},
    "function": {"shape": "ellipse", "fillcolor": "#EEEEEE", "style": "filled"},
    "saved": {"shape": "note", "fillcolor": "#F0E442", "style": "filled"},
}
LEGEND = {
    "leaf": "leaf tensor\n(backward() fills .grad)",
    "tensor": "other tensor\n(result of an operation)",
    "function": "backward function\n(grad_fn)",
    "saved": "tensor saved\nfor backward",
}
HIGHLIGHT = {"color": "#D55E00", "penwidth": "3"}

INSTALL_HINT = (
    "Graphviz's `dot` program was not found, so the graph is shown as text. "
    "To see the picture, install Graphviz (Debian/Ubuntu: `sudo apt-get install graphviz`; "
    "macOS: `brew install graphviz`; conda: `conda install -c conda-forge graphviz`) "
    "and restart the kernel."
)
FREED_NOTE = (
    "saved tensors are not shown: backward() has freed them "
    "(call backward(retain_graph=True) to keep them)"
)

GRAPH_STYLE = {
    "graph_attr": {"rankdir": "TB", "nodesep": "0.3", "ranksep": "0.35"},
    "node_attr": {"fontname": "Helvetica", "fontsize": "11", "margin": "0.08,0.04"},
    "edge_attr": {"arrowsize": "0.7"},
}
# A link to a saved tensor or a view's base: drawn dashed, and not used for the layout.
SIDE_LINK = {"style": "dashed", "dir": "none", "constraint": "false"}
SAVED_PREFIX = "_saved_"  # torchviz.dot.SAVED_PREFIX: where backward functions keep saved tensors


def format_tensor(tensor: torch.Tensor, max_values: int = 6) -> str:
    """Format a small tensor's values for a label, e.g. ``2`` or ``[1, 2.5]``.

    Args:
        tensor: the tensor to format (it is not modified).
        max_values: tensors with more elements are shown by their shape alone.

    Returns:
        The values with 4 significant digits, or ``shape (3, 4)`` for larger tensors.
    """
    values = tensor.detach()
    if values.numel() > max_values:
        return "shape " + _shape(values)
    if values.dim() == 0:
        return f"{values.item():.4g}"
    return "[" + ", ".join(f"{v:.4g}" for v in values.flatten().tolist()) + "]"


def _shape(tensor: torch.Tensor) -> str:
    return "(" + ", ".join(str(n) for n in tensor.shape) + ")"


@dataclass
class _Walk:
    """What one walk of the graph found, in torchviz's order.

    Attributes:
        events: ``("node", obj, saved_label)`` and ``("edge", tail, head, side_link)`` in the
            order ``torchviz.make_dot`` would emit them; ``saved_label`` is set for a tensor
            found only as a saved tensor.
        kinds: for ``id(obj)``, the kind of each tensor and function met on the way.
    """

    events: list[tuple] = field(default_factory=list)
    kinds: dict[int, str] = field(default_factory=dict)


def _walk(outputs: tuple[torch.Tensor, ...], show_saved: bool) -> _Walk:
    """Walk the graph behind ``outputs`` once, without recursion.

    The order of nodes and edges is torchviz's (``make_dot``'s depth-first walk), so node
    names given in that order are the same on every run. The events hold a reference to
    every object, so no ``id()`` is reused while the walk's result is alive.

    Raises:
        RuntimeError: when ``show_saved`` asks for saved tensors that backward() freed.
    """
    walk = _Walk()
    seen: set[int] = set()
    for tensor in outputs:
        walk.kinds[id(tensor)] = "leaf" if tensor.grad_fn is None else "tensor"
    for tensor in outputs:
        if tensor._base is not None:
            walk.kinds[id(tensor._base)] = "tensor"

    def visit(fn) -> Iterator[object]:
        """torchviz's ``add_nodes``: yields each next function instead of recursing."""
        if id(fn) in seen:
            return
        seen.add(id(fn))
        walk.kinds[id(fn)] = "function"
        if show_saved:
            for attr in dir(fn):
                if not attr.startswith(SAVED_PREFIX):
                    continue
                value = getattr(fn, attr)
                name = attr[len(SAVED_PREFIX) :]
                items = [(name, value)] if torch.is_tensor(value) else []
                if isinstance(value, tuple):
                    items = [(f"{name}[{i}]", t) for i, t in enumerate(value) if torch.is_tensor(t)]
                for label, saved in items:
                    seen.add(id(saved))
                    walk.events.append(("edge", fn, saved, True))
                    walk.events.append(("node", saved, f"{label}\n{_shape(saved)}"))
        variable = getattr(fn, "variable", None)
        if variable is not None:
            seen.add(id(variable))
            walk.kinds[id(variable)] = "leaf"
            walk.events.append(("node", variable, None))
            walk.events.append(("edge", variable, fn, False))
        walk.events.append(("node", fn, None))
        for next_fn, _ in getattr(fn, "next_functions", ()):
            if next_fn is not None:
                walk.events.append(("edge", next_fn, fn, False))
                yield next_fn
        for saved in getattr(fn, "saved_tensors", ()):  # a custom Function's saved tensors
            seen.add(id(saved))
            walk.events.append(("edge", saved, fn, True))
            walk.events.append(("node", saved, _shape(saved)))

    def add_tensor(tensor: torch.Tensor) -> None:
        """torchviz's ``add_base_tensor``: an output, then its history, then its base."""
        if id(tensor) in seen:
            return
        seen.add(id(tensor))
        walk.events.append(("node", tensor, None))
        if tensor.grad_fn is not None:
            stack = [visit(tensor.grad_fn)]
            while stack:
                next_fn = next(stack[-1], None)
                if next_fn is None:
                    stack.pop()
                else:
                    stack.append(visit(next_fn))
            walk.events.append(("edge", tensor.grad_fn, tensor, False))
        if tensor._is_view():
            add_tensor(tensor._base)
            walk.events.append(("edge", tensor._base, tensor, True))

    for tensor in outputs:
        add_tensor(tensor)
    return walk


class GraphRender:
    """A drawn autograd graph: SVG in JupyterLab, DOT text everywhere else.

    Attributes:
        digraph: the ``graphviz.Digraph`` with stable node names.
        source: its DOT source, the render's text form.
        node_names: for each node name, what it stands for (``"x"``, ``"MulBackward0"``).
        notes: remarks shown under the picture (for example, why saved tensors are missing).
        parts: the graph's nodes ``("node", name, label, attributes)`` and edges
            ``("edge", tail, head, attributes)`` in drawing order, legend and notes left out.
    """

    def __init__(self, digraph: graphviz.Digraph, node_names: dict[str, str], notes=(), parts=()):
        self.digraph = digraph
        self.node_names = node_names
        self.notes = tuple(notes)
        self.parts = tuple(parts)
        self._svg: str | None = None

    @property
    def source(self) -> str:
        return self.digraph.source

    def svg(self) -> str | None:
        """Return the SVG picture, or ``None`` when Graphviz's ``dot`` is not installed."""
        if self._svg is None:
            try:
                self._svg = self.digraph.pipe(format="svg", encoding="utf-8")
            except graphviz.ExecutableNotFound:
                return None
        return self._svg

    def html(self) -> str | None:
        """Return the picture as an HTML image that shrinks to fit its output area, or
        ``None`` when Graphviz's ``dot`` is not installed.

        An HTML image, not SVG output: JupyterLab draws SVG output at its natural width
        (cut off in a narrow window, on a projector), and shows it only once the notebook
        is trusted, while this image shows in a notebook just opened as well.
        """
        svg = self.svg()
        if svg is None:
            return None
        data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return (
            f'<img src="data:image/svg+xml;base64,{data}" alt="computation graph" '
            'style="max-width: 100%; height: auto">'
        )

    def __repr__(self) -> str:
        return self.source

    def _repr_mimebundle_(self, include=None, exclude=None):
        html = self.html()
        if html is None:
            return {"text/plain": INSTALL_HINT + "\n\n" + self.source}
        return {"text/html": html, "text/plain": self.source}

    def draw_into(self, graph: graphviz.Digraph, prefix: str = "") -> None:
        """Add this render's nodes and edges (not its legend or notes) to ``graph``."""
        for kind, first, second, attrs in self.parts:
            if kind == "node":
                graph.node(prefix + first, second, **attrs)
            else:
                graph.edge(prefix + first, prefix + second, **attrs)


def draw_graph(
    outputs: torch.Tensor | Iterable[torch.Tensor],
    names: Mapping[str, torch.Tensor] | None = None,
    *,
    show_values: bool = True,
    show_saved: bool = False,
    legend: bool = True,
    highlight: Iterable[object] = (),
    annotate: Mapping[object, str] | None = None,
) -> GraphRender:
    """Draw the autograd graph that produced ``outputs``.

    Args:
        outputs: a tensor, or several, whose history to draw (for example the loss).
        names: labels for tensors, e.g. ``{"x": x, "y": y}``; unnamed tensors show
            only their shape.
        show_values: label small tensors with their value and, once ``backward()``
            has run, their ``.grad``.
        show_saved: also draw the tensors each backward function saved for later.
            After ``backward()`` they are freed, so they are left out with a note
            unless the graph was kept with ``retain_graph=True``.
        legend: add a legend explaining each kind of node.
        highlight: backward functions or tensors to outline in vermillion (the
            backward stepper uses this for the current step).
        annotate: an extra label line for some nodes, keyed by the tensor or backward
            function, e.g. ``{y.grad_fn: "receives 1"}``.

    Returns:
        A :class:`GraphRender`; put it last in a cell to see it.
    """
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    outputs = tuple(outputs) if isinstance(outputs, tuple | list) else (outputs,)
    if not outputs or not all(isinstance(t, torch.Tensor) for t in outputs):
        raise TypeError("draw_graph() needs a tensor, or a tuple of tensors, to draw")
    notes = []
    try:
        walk = _walk(outputs, show_saved)
    except RuntimeError:
        if not show_saved:
            raise
        walk = _walk(outputs, show_saved=False)
        notes.append(FREED_NOTE)

    label_of = {id(t): name for name, t in (names or {}).items()}
    highlighted = {id(obj) for obj in highlight}
    extra_lines = {id(obj): text for obj, text in (annotate or {}).items()}
    stable: dict[int, str] = {}

    def name_of(obj: object) -> str:
        if id(obj) not in stable:
            stable[id(obj)] = f"n{len(stable)}"
        return stable[id(obj)]

    parts, node_names, kinds_used = [], {}, []
    for event in walk.events:
        if event[0] == "edge":
            _, tail, head, side_link = event
            attrs = dict(SIDE_LINK) if side_link else {}
            parts.append(("edge", name_of(tail), name_of(head), attrs))
            continue
        _, obj, saved_label = event
        name = name_of(obj)
        if name in node_names:
            continue  # a saved input met a second time: drawn once
        kind = walk.kinds.get(id(obj), "saved")
        label = saved_label if kind == "saved" else _label(obj, kind, label_of, show_values)
        node_names[name] = label.split("\n")[0].split(" = ")[0]
        if id(obj) in extra_lines:
            label += "\n" + extra_lines[id(obj)]
        attrs = dict(STYLES[kind])
        if id(obj) in highlighted:
            attrs.update(HIGHLIGHT)
        parts.append(("node", name, label, attrs))
        if kind not in kinds_used:
            kinds_used.append(kind)

    render = GraphRender(graphviz.Digraph(**GRAPH_STYLE), node_names, notes, parts)
    render.draw_into(render.digraph)
    if legend:
        _add_legend(render.digraph, kinds_used)
    for note in notes:
        render.digraph.attr(label=note, labelloc="b", fontname="Helvetica", fontsize="10")
    return render


def _add_legend(graph: graphviz.Digraph, kinds_used: list[str]) -> None:
    """A box that explains each kind of node drawn, stacked in a column."""
    with graph.subgraph(name="cluster_legend") as box:
        box.attr(label="legend", fontname="Helvetica", fontsize="10", color="#999999")
        shown = [k for k in ("leaf", "function", "tensor", "saved") if k in kinds_used]
        for kind in shown:
            box.node(f"legend_{kind}", LEGEND[kind], fontsize="9", **STYLES[kind])
        for upper, lower in zip(shown, shown[1:], strict=False):
            box.edge(f"legend_{upper}", f"legend_{lower}", style="invis")


def _label(obj: object, kind: str, label_of: dict[int, str], show_values: bool) -> str:
    if kind == "function":
        return type(obj).__name__
    tensor = obj
    name = label_of.get(id(tensor), "tensor")
    if not show_values:
        return name + (" " + _shape(tensor) if tensor.dim() > 0 else "")
    lines = [f"{name} = {format_tensor(tensor)}"]
    if (tensor.is_leaf or tensor.retains_grad) and tensor.grad is not None:
        lines.append("grad = " + format_tensor(tensor.grad))
    return "\n".join(lines)


def side_by_side(renders: Mapping[str, GraphRender]) -> GraphRender:
    """Put several graph renders next to each other, each in a titled box.

    Args:
        renders: title -> render, e.g. ``{"x > 0": draw_graph(y1), "x ≤ 0": draw_graph(y2)}``.
            Their legends are left out.
    """
    graph = graphviz.Digraph(**GRAPH_STYLE)
    node_names: dict[str, str] = {}
    for index, (title, render) in enumerate(renders.items()):
        prefix = f"g{index}_"
        with graph.subgraph(name=f"cluster_{index}") as box:
            box.attr(label=title, fontname="Helvetica", fontsize="12", color="#999999")
            render.draw_into(box, prefix)
        node_names.update({prefix + name: label for name, label in render.node_names.items()})
    return GraphRender(graph, node_names)
