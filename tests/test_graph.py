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
    with pytest.raises(TypeError) as error:
        draw_graph(3.0)
    assert str(error.value) == "draw_graph() needs a tensor, or a tuple of tensors, to draw"


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
    assert bundle["text/plain"] == f"{INSTALL_HINT}\n\n{render.source}", "a blank line between"
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


def torchviz_structure(outputs, show_saved=False) -> tuple[list[str], set[tuple[int, int]]]:
    """The oracle: torchviz's own graph, nodes numbered in the order torchviz draws them."""
    import torchviz

    dot = torchviz.make_dot(outputs, show_saved=show_saved)
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


def test_format_tensor_shows_up_to_six_values():
    assert format_tensor(torch.arange(6.0)) == "[0, 1, 2, 3, 4, 5]"
    assert format_tensor(torch.arange(7.0)) == "shape (7)"
    assert format_tensor(torch.arange(7.0), max_values=7) == "[0, 1, 2, 3, 4, 5, 6]"


def test_saved_tensors_in_a_tuple_are_numbered_and_drawn_to_the_side():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    picked = a[torch.tensor([0, 2])]  # IndexBackward0 saves its index tensors as a tuple
    render = draw_graph(picked.sum(), {"a": a}, show_saved=True, legend=False)
    nodes = node_attributes(render.source)
    saved = {label: attrs for label, attrs in nodes.values() if "shape=note" in attrs}
    assert set(saved) == {"indices[0]\n(2)"}
    assert "indices[0]" in render.node_names.values(), "named by its first line"
    index_node = next(name for name, (label, _) in nodes.items() if label == "IndexBackward0")
    saved_node = next(name for name, (label, _) in nodes.items() if label.startswith("indices"))
    assert f"\t{index_node} -> {saved_node} [constraint=false dir=none style=dashed]" in (
        render.source
    )


def test_a_custom_function_saved_input_is_linked_to_its_backward():
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    a = torch.tensor([1.0, 2.0], requires_grad=True)
    render = draw_graph(Square.apply(a).sum(), {"a": a}, legend=False)
    nodes = node_attributes(render.source)
    leaf = next(name for name, (label, _) in nodes.items() if label.startswith("a = "))
    square = next(name for name, (label, _) in nodes.items() if label == "SquareBackward")
    assert f"\t{leaf} -> {square} [constraint=false dir=none style=dashed]" in render.source
    assert list(render.node_names.values()).count("a") == 1, "the saved input is drawn once"


def test_a_view_is_linked_to_its_base_by_a_side_link():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tail = a[1:]
    render = draw_graph(tail, {"a": a, "tail": tail}, legend=False)
    nodes = node_attributes(render.source)
    base = next(name for name, (label, _) in nodes.items() if label.startswith("a = "))
    view = next(name for name, (label, _) in nodes.items() if label.startswith("tail = "))
    assert f"\t{base} -> {view} [constraint=false dir=none style=dashed]" in render.source
    assert "shape=box" in nodes[base][1], "the base is a leaf"


def test_a_leaf_drawn_alone_is_a_leaf():
    x = torch.tensor(2.0, requires_grad=True)
    nodes = node_attributes(draw_graph(x, {"x": x}).source)
    assert [label for label, _ in nodes.values()] == ["x = 2"]
    assert "shape=box" in next(iter(nodes.values()))[1]


def test_the_base_of_a_view_of_a_result_is_an_other_tensor():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    doubled = a * 2
    tail = doubled[1:]
    nodes = node_attributes(draw_graph(tail, {"a": a, "doubled": doubled, "tail": tail}).source)
    by_label = {label.split(" = ")[0]: attrs for label, attrs in nodes.values()}
    assert "shape=octagon" in by_label["doubled"]
    assert "shape=box" in by_label["a"]


def test_a_function_met_on_two_paths_is_drawn_once_with_each_edge_once():
    a = torch.tensor(0.5, requires_grad=True)
    shared = a * 3  # its MulBackward0 feeds both sin and cos
    out = shared.sin() + shared.cos()
    source = draw_graph(out, legend=False).source
    edges = re.findall(r"^\t(n\d+ -> n\d+)", source, re.MULTILINE)
    assert len(edges) == len(set(edges)), "an edge drawn twice"
    labels = [label for label, _ in node_attributes(source).values()]
    assert labels.count("MulBackward0") == 1 and labels.count("AccumulateGrad") == 1
    assert len(edges) == 7  # a→Acc, Acc→Mul, Mul→Sin, Mul→Cos, Sin→Add, Cos→Add, Add→out


def cluster(source: str, name: str) -> str:
    """The text of one box (``subgraph name { ... }``) of a DOT source."""
    return source.split(f"subgraph {name} {{")[1].split("\n\t}")[0]


def box_title(text: str) -> dict[str, str]:
    """The attributes of a box's own title line (its first line)."""
    first = text.strip().splitlines()[0]
    return dict(re.findall(r'(\w+)=("[^"]*"|\S+)', first))


NODE_FONT = re.compile(r"^\tnode \[fontname=(\w+) fontsize=(\d+)", re.MULTILINE)


def is_grey(colour: str) -> bool:
    red, green, blue = (colour.strip('"')[i : i + 2] for i in (1, 3, 5))
    return colour.strip('"').startswith("#") and red == green == blue


def test_the_legend_is_a_titled_grey_box_in_the_graph_font():
    x, y = cube_plus_linear()
    source = draw_graph(y, {"x": x}).source
    font, node_size = NODE_FONT.search(source).groups()
    title = box_title(cluster(source, "cluster_legend"))
    assert title["label"] == "legend"
    assert title["fontname"] == font
    assert 9 <= int(title["fontsize"]) < int(node_size), "a quiet title, still readable"
    assert is_grey(title["color"])


def test_each_legend_key_looks_like_the_nodes_it_explains():
    x, y = cube_plus_linear()
    y.backward(retain_graph=True)
    source = draw_graph(y, {"x": x, "y": y}, show_saved=True).source
    graph_nodes = node_attributes(source.split("subgraph cluster_legend")[0])
    legend = dict(
        (name, (label.strip('"'), attrs))
        for name, label, attrs in re.findall(
            r"^\t\t(legend_\w+) \[label=(\"[^\"]*\"|\S+) (.*)\]$",
            source.replace("\n(", " ("),
            re.MULTILINE,
        )
    )
    examples = {"leaf": "x = 2", "tensor": "y = 12", "function": "AddBackward0"}
    words = {"leaf": "leaf", "tensor": "result", "function": "grad_fn", "saved": "saved"}
    for kind, word in words.items():
        label, attrs = legend[f"legend_{kind}"]
        assert word in label
        assert "fontsize=9" in attrs, "smaller than the graph's nodes, still readable"
        if kind in examples:
            drawn = next(a for text, a in graph_nodes.values() if text.startswith(examples[kind]))
        else:
            drawn = next(a for _, a in graph_nodes.values() if "shape=note" in a)
        look = sorted(re.findall(r"(?:fillcolor|shape|style)=\S+", drawn))
        assert sorted(re.findall(r"(?:fillcolor|shape|style)=\S+", attrs)) == look


def test_the_legend_keys_stand_in_one_column_in_reading_order():
    x, y = cube_plus_linear()
    y.backward(retain_graph=True)
    legend = cluster(draw_graph(y, {"x": x}, show_saved=True).source, "cluster_legend")
    links = re.findall(r"^\t\t(legend_\w+) -> (legend_\w+) \[style=invis\]$", legend, re.MULTILINE)
    assert links == [
        ("legend_leaf", "legend_function"),
        ("legend_function", "legend_tensor"),
        ("legend_tensor", "legend_saved"),
    ]


def test_side_by_side_boxes_have_titles_in_the_graph_font_and_keep_node_names():
    x = torch.tensor(2.0, requires_grad=True)
    render = side_by_side({"x²": draw_graph(x**2, {"x": x}), "3x": draw_graph(3 * x, {"x": x})})
    font, node_size = NODE_FONT.search(render.source).groups()
    for index, title in enumerate(["x²", "3x"]):
        attrs = box_title(cluster(render.source, f"cluster_{index}"))
        assert attrs["label"].strip('"') == title
        assert attrs["fontname"] == font
        assert int(attrs["fontsize"]) > int(node_size), "a title stands out"
        assert is_grey(attrs["color"])
    labels = sorted(render.node_names.values())
    assert labels.count("x") == 2 and "PowBackward0" in labels and "MulBackward0" in labels
    assert all(name.startswith(("g0_", "g1_")) for name in render.node_names)


def test_a_saved_tensor_that_is_also_an_output_is_drawn_as_torchviz_draws_it():
    x = torch.tensor(1.5, requires_grad=True)
    hidden = x * 2
    out = hidden.sin()  # SinBackward0 saves hidden
    nodes, edges = torchviz_structure((out, hidden), show_saved=True)
    source = draw_graph((out, hidden), show_saved=True, legend=False).source
    ours = {
        (int(tail), int(head))
        for tail, head in re.findall(r"^\tn(\d+) -> n(\d+)", source, re.MULTILINE)
    }
    assert len(re.findall(r"^\tn\d+ \[", source, re.MULTILINE)) == len(nodes)
    assert ours == edges


def test_an_output_and_a_view_of_it_are_each_drawn_once():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    doubled = a * 2
    source = draw_graph((doubled[1:], doubled), legend=False).source
    edges = re.findall(r"^\t(n\d+ -> n\d+)", source, re.MULTILINE)
    assert len(edges) == len(set(edges)), "an edge drawn twice"


def test_the_history_is_drawn_with_solid_arrows_and_only_side_links_dashed():
    x, y = cube_plus_linear()
    source = draw_graph(y, {"x": x, "y": y}, legend=False).source
    arrows = re.findall(r"^\tn\d+ -> n\d+(.*)$", source, re.MULTILINE)
    assert arrows and all(attrs == "" for attrs in arrows), "x → AccumulateGrad → ... → y"


def test_an_unnamed_tensor_is_called_tensor():
    x = torch.tensor(2.0, requires_grad=True)
    labels = [label for label, _ in node_attributes(draw_graph(x * 3, {"x": x}).source).values()]
    assert "tensor = 6" in labels


def test_without_values_a_label_is_the_name_and_the_shape_of_a_non_scalar():
    vector = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    scalar = torch.tensor(2.0, requires_grad=True)
    total = (vector * scalar).sum()
    nodes = node_attributes(draw_graph(total, {"v": vector, "s": scalar}, show_values=False).source)
    labels = {label for label, _ in nodes.values()}
    assert {"v (3)", "s", "tensor"} <= labels


def test_the_note_about_freed_tensors_stands_under_the_graph_in_a_small_font():
    x, y = cube_plus_linear()
    y.backward()
    source = draw_graph(y, {"x": x}, show_saved=True).source
    font, node_size = NODE_FONT.search(source).groups()
    note = re.findall(r"^\t(fontname=.*)$", source, re.MULTILINE)[-1]
    attrs = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', note))
    assert attrs["label"].strip('"') == FREED_NOTE
    assert attrs["labelloc"] == "b", "below the graph"
    assert attrs["fontname"] == font
    assert 9 <= int(attrs["fontsize"]) < int(node_size)


def test_a_name_of_several_words_is_kept_whole():
    x = torch.tensor(2.0, requires_grad=True)
    hidden = x * 3
    render = draw_graph(hidden, {"input x": x, "hidden layer": hidden})
    assert {"input x", "hidden layer"} <= set(render.node_names.values())


def test_a_custom_function_saving_an_output_is_drawn_as_torchviz_draws_it():
    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            return 2 * grad

    a = torch.tensor([1.0, 2.0], requires_grad=True)
    hidden = a * 3
    out = Twice.apply(hidden)  # saves hidden, which is also drawn as an output
    nodes, edges = torchviz_structure((out, hidden))
    source = draw_graph((out, hidden), legend=False).source
    ours = {
        (int(tail), int(head))
        for tail, head in re.findall(r"^\tn(\d+) -> n(\d+)", source, re.MULTILINE)
    }
    assert len(re.findall(r"^\tn\d+ \[", source, re.MULTILINE)) == len(nodes)
    assert ours == edges
