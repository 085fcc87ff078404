"""Graph renders: stable from run to run, readable, and never a traceback without Graphviz."""

import base64
import re
import shutil
import subprocess
import sys

import pytest
import torch

from utils.graph import FREED_NOTE, INSTALL_HINT, STYLES, draw_graph, format_tensor, side_by_side

NODE = re.compile(r"^\t(\w+) \[label=(\"[^\"]*\"|\S+) (.*)\]$", re.MULTILINE)


def cube_plus_linear(x_value=2.0):
    x = torch.tensor(x_value, requires_grad=True)
    y = x**3 + 2 * x
    return x, y


def node_attributes(source: str) -> dict[str, tuple[str, str]]:
    """Node name -> (label, attributes), for the graph's nodes (not the legend's)."""
    return {
        name: (label.strip('"'), attrs)
        for name, label, attrs in NODE.findall(source)
        if not name.startswith("legend_")
    }


def walk_function_names(tensor: torch.Tensor) -> set[str]:
    """The oracle: backward functions found by walking grad_fn.next_functions by hand."""
    names, stack = set(), [tensor.grad_fn]
    while stack:
        fn = stack.pop()
        names.add(type(fn).__name__)
        stack.extend(next_fn for next_fn, _ in fn.next_functions if next_fn is not None)
    return names


def test_same_code_gives_the_same_dot_text():
    first = draw_graph(cube_plus_linear()[1]).source
    second = draw_graph(cube_plus_linear()[1]).source
    assert first == second
    names = re.findall(r"^\t(\w+) \[", first, re.MULTILINE)
    names = [name for name in names if name not in ("graph", "node", "edge")]
    assert names and all(re.fullmatch(r"n\d{1,3}|legend_\w+", name) for name in names)


def test_same_dot_text_in_another_process():
    code = (
        "import torch\nfrom utils.graph import draw_graph\n"
        "x = torch.tensor(2.0, requires_grad=True)\ny = x**3 + 2 * x\n"
        "print(draw_graph(y, {'x': x, 'y': y}).source, end='')"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    x, y = cube_plus_linear()
    assert other == draw_graph(y, {"x": x, "y": y}).source


def test_nodes_are_the_graph_autograd_recorded():
    x, y = cube_plus_linear()
    render = draw_graph(y, {"x": x, "y": y})
    functions = walk_function_names(y)
    assert functions == {"AddBackward0", "PowBackward0", "MulBackward0", "AccumulateGrad"}
    assert set(render.node_names.values()) == functions | {"x", "y"}


def test_each_kind_of_node_differs_in_colour_and_shape():
    x, y = cube_plus_linear()
    nodes = node_attributes(draw_graph(y, {"x": x, "y": y}).source)
    by_label = {label.split(" = ")[0]: attrs for label, attrs in nodes.values()}
    leaf, output, function = by_label["x"], by_label["y"], by_label["AddBackward0"]
    looks = set()
    for attrs, kind in ((leaf, "leaf"), (output, "tensor"), (function, "function")):
        assert f"shape={STYLES[kind]['shape']}" in attrs
        assert STYLES[kind]["fillcolor"] in attrs
        looks.add((STYLES[kind]["shape"], STYLES[kind]["fillcolor"]))
    shapes = {shape for shape, _ in looks}
    colours = {colour for _, colour in looks}
    assert len(shapes) == 3 and len(colours) == 3


def test_labels_show_values_and_then_gradients():
    x, y = cube_plus_linear(2.0)
    before = draw_graph(y, {"x": x, "y": y}).source
    assert "x = 2" in before and "y = 12" in before
    assert "grad =" not in before
    y.backward()
    after = draw_graph(y, {"x": x, "y": y}).source
    assert f"grad = {3 * 2.0**2 + 2:g}" in after


def test_values_can_be_left_out():
    x, y = cube_plus_linear()
    source = draw_graph(y, {"x": x, "y": y}, show_values=False).source
    assert "x = 2" not in source and "label=x " in source


def test_legend_lists_the_kinds_present_and_can_be_turned_off():
    x, y = cube_plus_linear()
    with_legend = draw_graph(y, {"x": x})
    assert "cluster_legend" in with_legend.source
    for kind in ("leaf", "tensor", "function"):
        assert f"legend_{kind}" in with_legend.source
    assert "legend_saved" not in with_legend.source
    assert "cluster_legend" not in draw_graph(y, legend=False).source


def test_saved_tensors_before_and_after_backward():
    x, y = cube_plus_linear()
    before = draw_graph(y, {"x": x}, show_saved=True)
    assert "legend_saved" in before.source
    assert not before.notes
    y.backward()
    after = draw_graph(y, {"x": x}, show_saved=True)  # torchviz alone raises here
    assert after.notes == (FREED_NOTE,)
    assert "retain_graph=True" in after.source


def test_saved_tensors_shown_after_backward_when_the_graph_is_retained():
    x, y = cube_plus_linear()
    y.backward(retain_graph=True)
    render = draw_graph(y, {"x": x}, show_saved=True)
    assert not render.notes and "legend_saved" in render.source


def test_highlight_outlines_the_chosen_node():
    x, y = cube_plus_linear()
    render = draw_graph(y, {"x": x, "y": y}, highlight=[y.grad_fn])
    highlighted = [
        label for label, attrs in node_attributes(render.source).values() if "#D55E00" in attrs
    ]
    assert highlighted == ["AddBackward0"]


def test_several_outputs_and_a_non_leaf_in_the_middle():
    x = torch.tensor(1.5, requires_grad=True)
    hidden = x * 2
    out = hidden.sin()
    render = draw_graph((hidden, out), {"x": x, "hidden": hidden, "out": out})
    assert {"x", "hidden", "out", "MulBackward0", "SinBackward0"} <= set(render.node_names.values())


def test_a_non_tensor_gets_a_clear_error():
    with pytest.raises(TypeError, match="needs a tensor"):
        draw_graph(3.0)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_displays_as_an_image_that_fits_its_area_with_the_dot_text_as_its_text_form():
    x, y = cube_plus_linear()
    render = draw_graph(y, {"x": x})
    bundle = render._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    image = re.fullmatch(
        r'<img src="data:image/svg\+xml;base64,([^"]+)" (.*)>', bundle["text/html"]
    )
    assert image, bundle["text/html"][:80]
    picture = base64.b64decode(image[1]).decode("utf-8")
    assert "<svg" in picture and "PowBackward0" in picture  # the graph itself, drawn
    assert 'alt="computation graph"' in image[2]
    assert "max-width: 100%" in image[2], "a wide graph shrinks to the output area"
    assert bundle["text/plain"] == render.source == repr(render)


def test_without_dot_shows_text_and_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no dot anywhere
    x, y = cube_plus_linear()
    render = draw_graph(y, {"x": x})
    bundle = render._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"].startswith(INSTALL_HINT)
    assert render.source in bundle["text/plain"]
    assert "apt-get install graphviz" in INSTALL_HINT


@pytest.mark.parametrize(
    ("tensor", "text"),
    [
        (torch.tensor(2.0), "2"),
        (torch.tensor(0.125), "0.125"),
        (torch.tensor([1.0, 2.5]), "[1, 2.5]"),
        (torch.zeros(3, 4), "shape (3, 4)"),
    ],
)
def test_format_tensor(tensor, text):
    assert format_tensor(tensor) == text


def test_side_by_side_keeps_each_graph_in_its_own_titled_box():
    def branchy(x):
        return x**2 if x > 0 else -3 * x

    positive = torch.tensor(2.0, requires_grad=True)
    negative = torch.tensor(-1.0, requires_grad=True)
    render = side_by_side(
        {
            "x = 2": draw_graph(branchy(positive), {"x": positive}),
            "x = -1": draw_graph(branchy(negative), {"x": negative}),
        }
    )
    first, second = render.source.split("subgraph cluster_1")
    assert 'label="x = 2"' in first and "PowBackward0" in first and "MulBackward0" not in first
    assert 'label="x = -1"' in second and "MulBackward0" in second and "Pow" not in second
    assert "legend" not in render.source
    names = re.findall(r"^\t\t(\w+) \[", render.source, re.MULTILINE)
    assert len(names) == len(set(names)), "node names stay unique across the boxes"


def torchviz_structure(outputs) -> tuple[list[str], set[tuple[int, int]]]:
    """The oracle: torchviz's own graph, nodes numbered in the order torchviz draws them."""
    import torchviz

    dot = torchviz.make_dot(outputs)
    order: dict[str, int] = {}
    edges = set()
    for line in dot.body:
        edge = re.match(r"^\t(\S+) -> (\S+)", line)
        names = edge.groups() if edge else re.findall(r"^\t(\S+) \[", line)
        for name in names:
            order.setdefault(name, len(order))
        if edge:
            edges.add((order[edge.group(1)], order[edge.group(2)]))
    return list(order), edges


@pytest.mark.parametrize("build", ["cube", "vector", "linear", "view"])
def test_same_nodes_and_edges_as_torchviz(build):
    torch.manual_seed(0)
    if build == "cube":
        outputs = cube_plus_linear()[1]
    elif build == "vector":
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        outputs = ((a * a).exp() * a).sum()
    elif build == "linear":
        outputs = torch.nn.Linear(3, 2)(torch.randn(4, 3)).relu().mean()
    else:
        a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        outputs = (a[1:], a * 2)
    nodes, edges = torchviz_structure(outputs)
    source = draw_graph(outputs, legend=False).source
    ours = {
        (int(tail), int(head))
        for tail, head in re.findall(r"^\tn(\d+) -> n(\d+)", source, re.MULTILINE)
    }
    assert len(re.findall(r"^\tn\d+ \[", source, re.MULTILINE)) == len(nodes)
    assert ours == edges


def test_a_chain_of_a_thousand_operations_draws():
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(1000):  # torchviz's recursive walk gives up on this (RecursionError)
        y = y * 1.001
    render = draw_graph(y, {"x": x, "y": y})
    labels = list(render.node_names.values())
    assert labels.count("MulBackward0") == 1000
    assert labels.count("x") == labels.count("y") == labels.count("AccumulateGrad") == 1


def test_a_kept_gradient_of_a_non_leaf_is_in_its_label():
    x = torch.tensor(3.0, requires_grad=True)
    hidden = x * 2
    hidden.retain_grad()
    out = hidden**2
    out.backward()
    source = draw_graph((out, hidden), {"x": x, "hidden": hidden, "out": out}).source
    assert "hidden = 6\ngrad = 12" in source  # d(hidden²)/d hidden = 2 · 6


def test_leaves_are_boxes_and_other_tensors_octagons():
    # The shapes the course's prose and legend promise, written here, not read from STYLES.
    x, y = cube_plus_linear()
    by_label = {
        label.split(" = ")[0]: attrs
        for label, attrs in node_attributes(draw_graph(y, {"x": x, "y": y}).source).values()
    }
    assert "shape=box" in by_label["x"]
    assert "shape=octagon" in by_label["y"]
    assert "shape=ellipse" in by_label["MulBackward0"]


def test_legend_text_is_readable():
    x, y = cube_plus_linear()
    legend = draw_graph(y).source.split("subgraph cluster_legend")[1]
    sizes = re.findall(r"fontsize=(\d+)", legend)
    assert sizes and min(int(size) for size in sizes) >= 9  # smaller is unreadable when projected
