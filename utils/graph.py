"""Draw PyTorch's autograd graph, the same way on every run and every machine.

The course's one graph function is :func:`draw_graph`. It asks ``torchviz.make_dot``
for the graph's structure, then renames every node in traversal order (``n0``,
``n1``, ...) instead of torchviz's memory addresses, and styles the nodes so that
the three kinds of node differ in colour *and* shape:

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

import re
from collections.abc import Iterable, Mapping

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

_NODE = re.compile(r"^\t(\S+) \[(.*)\]$", re.DOTALL)
_EDGE = re.compile(r"^\t(\S+) -> (\S+)(?: \[(.*)\])?$", re.DOTALL)


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


class GraphRender:
    """A drawn autograd graph: SVG in JupyterLab, DOT text everywhere else.

    Attributes:
        digraph: the ``graphviz.Digraph`` with stable node names.
        source: its DOT source, the render's text form.
        node_names: for each node name, what it stands for (``"x"``, ``"MulBackward0"``).
        notes: remarks shown under the picture (for example, why saved tensors are missing).
    """

    def __init__(self, digraph: graphviz.Digraph, node_names: dict[str, str], notes=()):
        self.digraph = digraph
        self.node_names = node_names
        self.notes = tuple(notes)
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

    def __repr__(self) -> str:
        return self.source

    def _repr_mimebundle_(self, include=None, exclude=None):
        svg = self.svg()
        if svg is None:
            return {"text/plain": INSTALL_HINT + "\n\n" + self.source}
        return {"image/svg+xml": svg, "text/plain": self.source}


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
    import torchviz  # imported here so that ``import utils.graph`` stays light

    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    outputs = tuple(outputs) if isinstance(outputs, tuple | list) else (outputs,)
    if not outputs or not all(isinstance(t, torch.Tensor) for t in outputs):
        raise TypeError("draw_graph() needs a tensor, or a tuple of tensors, to draw")
    names = dict(names or {})
    label_of = {id(t): name for name, t in names.items()}
    highlighted = {str(id(obj)) for obj in highlight}
    extra_lines = {str(id(obj)): text for obj, text in (annotate or {}).items()}

    # Keep every object of the graph alive while torchviz walks it, so that each
    # object's id (torchviz's node name) means the same object in both walks.
    objects = _collect(outputs)
    notes = []
    try:
        dot = torchviz.make_dot(outputs, show_saved=show_saved)
    except RuntimeError:
        if not show_saved:
            raise
        dot = torchviz.make_dot(outputs, show_saved=False)
        notes.append(FREED_NOTE)

    graph = graphviz.Digraph(
        graph_attr={"rankdir": "TB", "nodesep": "0.3", "ranksep": "0.35"},
        node_attr={"fontname": "Helvetica", "fontsize": "11", "margin": "0.08,0.04"},
        edge_attr={"arrowsize": "0.7"},
    )
    stable: dict[str, str] = {}
    node_names: dict[str, str] = {}
    kinds_used: list[str] = []

    def rename(old: str) -> str:
        if old not in stable:
            stable[old] = f"n{len(stable)}"
        return stable[old]

    for line in dot.body:
        line = line.rstrip("\n")
        edge = _EDGE.match(line)
        if edge:
            tail, head, attrs = edge.groups()
            # torchviz marks the link to a saved tensor with attributes (dir=none)
            dashed = {"style": "dashed", "dir": "none", "constraint": "false"} if attrs else {}
            graph.edge(rename(tail), rename(head), **dashed)
            continue
        node = _NODE.match(line)
        if not node:
            continue
        old, torchviz_attrs = node.groups()
        if old in stable and stable[old] in node_names:
            continue  # torchviz draws a saved input a second time; once is enough
        obj, kind = objects.get(old, (None, _kind_from_torchviz(torchviz_attrs)))
        name = rename(old)
        if obj is None:  # a saved tensor: torchviz names it after the attribute
            label = _torchviz_label(torchviz_attrs)
        else:
            label = _label(obj, kind, label_of, show_values)
        node_names[name] = label.split("\n")[0].split(" = ")[0]
        if old in extra_lines:
            label += "\n" + extra_lines[old]
        attrs = dict(STYLES[kind])
        if old in highlighted:
            attrs.update(HIGHLIGHT)
        graph.node(name, label, **attrs)
        if kind not in kinds_used:
            kinds_used.append(kind)

    if legend:
        with graph.subgraph(name="cluster_legend") as box:
            box.attr(label="legend", fontname="Helvetica", fontsize="10", color="#999999")
            shown = [k for k in ("leaf", "function", "tensor", "saved") if k in kinds_used]
            for kind in shown:
                box.node(f"legend_{kind}", LEGEND[kind], fontsize="9", **STYLES[kind])
            for upper, lower in zip(shown, shown[1:], strict=False):  # stack them in a column
                box.edge(f"legend_{upper}", f"legend_{lower}", style="invis")
    for note in notes:
        graph.attr(label=note, labelloc="b", fontname="Helvetica", fontsize="10")
    return GraphRender(graph, node_names, notes)


def _collect(outputs: tuple[torch.Tensor, ...]) -> dict[str, tuple[object, str]]:
    """Map ``str(id(obj))`` to ``(obj, kind)`` for every tensor and function in the graph."""
    found: dict[str, tuple[object, str]] = {}
    stack = []
    for tensor in outputs:
        found[str(id(tensor))] = (tensor, "leaf" if tensor.grad_fn is None else "tensor")
        if tensor._base is not None:
            found[str(id(tensor._base))] = (tensor._base, "tensor")
        if tensor.grad_fn is not None:
            stack.append(tensor.grad_fn)
    while stack:
        fn = stack.pop()
        if str(id(fn)) in found:
            continue
        found[str(id(fn))] = (fn, "function")
        variable = getattr(fn, "variable", None)
        if variable is not None:
            found[str(id(variable))] = (variable, "leaf")
        for next_fn, _ in getattr(fn, "next_functions", ()):
            if next_fn is not None:
                stack.append(next_fn)
    return found


def _kind_from_torchviz(attrs: str) -> str:
    colours = {"lightblue": "leaf", "orange": "saved", "darkolivegreen1": "tensor"}
    match = re.search(r"fillcolor=(\w+)", attrs)
    return colours.get(match.group(1), "tensor") if match else "function"


def _torchviz_label(attrs: str) -> str:
    match = re.search(r'label="((?:[^"\\]|\\.)*)"|label=(\S+)', attrs)
    if not match:
        return "?"
    text = match.group(1) if match.group(1) is not None else match.group(2)
    return "\n".join(part.strip() for part in text.split("\n") if part.strip())


def _label(obj: object, kind: str, label_of: dict[int, str], show_values: bool) -> str:
    if kind == "function":
        return type(obj).__name__ if obj is not None else "?"
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
    graph = graphviz.Digraph(
        graph_attr={"rankdir": "TB", "nodesep": "0.3", "ranksep": "0.35"},
        node_attr={"fontname": "Helvetica", "fontsize": "11", "margin": "0.08,0.04"},
        edge_attr={"arrowsize": "0.7"},
    )
    node_names: dict[str, str] = {}
    for index, (title, render) in enumerate(renders.items()):
        prefix = f"g{index}_"
        with graph.subgraph(name=f"cluster_{index}") as box:
            box.attr(label=title, fontname="Helvetica", fontsize="12", color="#999999")
            in_legend = False
            for line in render.digraph.body:
                in_legend = in_legend or line.startswith("\tsubgraph cluster_legend")
                if in_legend:
                    in_legend = line != "\t}\n"
                    continue
                if line.startswith(("\tgraph ", "\tlabel=", "\tfontname=")):
                    continue
                box.body.append(re.sub(r"(^\t|-> )(n\d+)", rf"\g<1>{prefix}\g<2>", line))
        node_names.update({prefix + name: label for name, label in render.node_names.items()})
    return GraphRender(graph, node_names)
