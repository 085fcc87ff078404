"""Tools for notebook 09, *Debugging gradients*: find what went wrong, measure what it costs.

- :func:`anomaly_report` runs code under anomaly detection and keeps the two parts of its
  report that matter (which backward function failed, and the line of your code that ran the
  forward operation), without the file paths that change from one computer to the next.
- :func:`sgd_step` updates parameters by plain gradient descent and resets their gradients.
- :func:`nan_trail` records what every backward function returned (finite, inf or NaN) and
  draws the graph with the first NaN outlined.
- :class:`SavedTensorLedger` counts the bytes autograd keeps for backward, and how many of
  them are still held (notebook 04 counts them the same way).
- :func:`graph_size` counts the backward functions behind a tensor.
- :func:`gradient_norm_state` builds a deep chain of layers and records, with module backward
  hooks, the norm of the gradient that reaches each layer; :func:`gradient_norm_explorer` is its
  playground.

It also holds the notebook's two "diagnose and fix" exercises, ``fit_relative`` and
``train_regressor``, each with a judge that trains with the learner's code.

Importing this module changes nothing.
"""

from __future__ import annotations

import inspect
import itertools
import math
import os
import warnings
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import torch

from utils.feedback import (
    Exercise,
    Feedback,
    call_safely,
    call_text,
    close,
    correct,
    hint_pointer,
    is_number,
    not_yet,
    show,
)

# ------------------------------------------------------------------------ anomaly detection


@dataclass(frozen=True)
class AnomalyReport:
    """What anomaly detection found, without the parts that name files on this computer.

    Attributes:
        error: the error backward() raised (its message), or None if it raised none.
        backward_function: the backward function that produced the bad value, e.g.
            ``"SqrtBackward0"``, or None if anomaly detection reported nothing.
        forward_line: the line of code that ran the matching forward operation, e.g.
            ``"distances = squared.sqrt()"``, or None.
    """

    error: str | None
    backward_function: str | None
    forward_line: str | None

    def text(self) -> str:
        """Three lines: the error, the failing backward function, the forward line."""
        return (
            f"error:             {self.error}\n"
            f"failed in:         {self.backward_function}\n"
            f"forward call was:  {self.forward_line}"
        )


def read_anomaly_warning(message: str) -> tuple[str | None, str | None]:
    """Pick the backward function and your forward line out of an anomaly-detection warning.

    The warning reads ``Error detected in SqrtBackward0. Traceback of forward call that
    caused the error:``, then a Python traceback, innermost call last: a ``File "...", line
    N, in name`` line for each frame, followed by that frame's source line. The frames
    inside PyTorch's own files are skipped: the line wanted is the last one of your code.

    Args:
        message: the text of the warning anomaly detection issued.

    Returns:
        ``(backward_function, forward_line)``; either is None if the message lacks it.
    """
    lines = message.splitlines()
    backward_function = None
    if lines and lines[0].startswith("Error detected in "):
        backward_function = lines[0].removeprefix("Error detected in ").split(".")[0].strip()
    torch_folder = os.path.dirname(torch.__file__) + os.sep  # not torchvision, say
    frame_file, yours, anywhere = "", [], []
    for line in lines[1:]:
        text = line.strip()
        if text.startswith('File "'):
            frame_file = text.split('"')[1]
        elif text and not text.startswith("(Triggered internally"):
            anywhere.append(text)
            if not frame_file.startswith(torch_folder):
                yours.append(text)
    found = yours or anywhere
    return backward_function, (found[-1] if found else None)


def anomaly_report(run: Callable[[], object]) -> AnomalyReport:
    """Run ``run()`` (a forward pass and its backward) under anomaly detection.

    Anomaly detection records a traceback for every forward operation and checks every
    backward function's result for NaN. The warnings it issues are captured here, not
    printed, and only their stable parts are kept.

    Args:
        run: a function without arguments that computes a loss and calls backward().

    Returns:
        An :class:`AnomalyReport`.
    """
    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with torch.autograd.detect_anomaly():
                run()
        except RuntimeError as raised:
            error = str(raised).splitlines()[0]
    for warning in caught:
        backward_function, forward_line = read_anomaly_warning(str(warning.message))
        if backward_function is not None:
            return AnomalyReport(error, backward_function, forward_line)
    return AnomalyReport(error, None, None)


@dataclass(frozen=True)
class NanTrail:
    """What each backward function returned during one backward pass, in the order they ran.

    Attributes:
        steps: ``(name, status)`` pairs, e.g. ``("SqrtBackward0", "inf")``; the status is
            ``"NaN"`` if any gradient it returned holds a NaN, else ``"inf"`` if any holds an
            infinity, else ``"finite"``. (``AccumulateGrad`` returns nothing: its status is that
            of the gradient it stores in ``.grad``.)
        graph: the graph, each backward function annotated with its status and the first one
            that returned NaN outlined.
    """

    steps: tuple[tuple[str, str], ...]
    graph: object

    @property
    def first_nan(self) -> str | None:
        """The name of the first backward function that returned NaN, or None."""
        return next((name for name, status in self.steps if status == "NaN"), None)

    def text(self) -> str:
        """One line per backward function, in the order backward ran them."""
        lines = []
        first = self.steps.index((self.first_nan, "NaN")) if self.first_nan else None
        for number, (name, status) in enumerate(self.steps):
            verb = "stores" if name == "AccumulateGrad" else "returns"
            what = f"{status} in .grad" if verb == "stores" else status
            mark = "   ← the first NaN: anomaly detection stops here" if number == first else ""
            lines.append(f"{number + 1}. {name:<16} {verb} {what}{mark}")
        return "\n".join(lines)


def _status(gradients) -> str:
    present = [g for g in gradients if g is not None]
    if any(torch.isnan(g).any() for g in present):
        return "NaN"
    if any(torch.isinf(g).any() for g in present):
        return "inf"
    return "finite"


def nan_trail(output: torch.Tensor, names=None) -> NanTrail:
    """Run ``output.backward()`` with a hook on every backward function, recording whether
    what it returned is finite, infinite or NaN; draw the graph with the trail.

    Anomaly detection reports only the first backward function that returned NaN; the trail
    also shows the infinities that came before it, which is usually where the cause is.

    Args:
        output: a scalar tensor with a graph behind it (its backward() is called here).
        names: labels for tensors in the drawing, e.g. ``{"center": center, "loss": loss}``.
    """
    from utils.graph import draw_graph  # imported here: torchviz loads only when drawing

    nodes, pending = [], [output.grad_fn]
    while pending:
        node = pending.pop()
        if node is None or node in nodes:
            continue
        nodes.append(node)
        pending.extend(next_node for next_node, _ in node.next_functions)
    ran: list[tuple[object, str]] = []

    def watch(node):
        def hook(grad_inputs, grad_outputs):
            returned = [g for g in grad_inputs if g is not None]
            ran.append((node, _status(returned if returned else grad_outputs)))

        return hook

    handles = [node.register_hook(watch(node)) for node in nodes]
    try:
        output.backward()
    finally:
        for handle in handles:
            handle.remove()
    first_nan = [node for node, status in ran if status == "NaN"][:1]
    annotate = {
        node: ("stores " if type(node).__name__ == "AccumulateGrad" else "returns ") + status
        for node, status in ran
    }
    graph = draw_graph(output, names, highlight=first_nan, annotate=annotate, legend=False)
    return NanTrail(tuple((type(node).__name__, status) for node, status in ran), graph)


# ------------------------------------------------------------------------------ training


def sgd_step(parameters, learning_rate: float) -> None:
    """One plain gradient-descent step, then reset the gradients (notebook 06's loop by hand).

    What ``torch.optim.SGD(parameters, lr).step()`` followed by ``zero_grad()`` does, without
    loading ``torch.optim`` (whose first use takes a second or more to load).

    Args:
        parameters: tensors with ``requires_grad=True`` (e.g. ``model.parameters()``); those
            whose ``.grad`` is None are skipped, as an optimizer skips them.
        learning_rate: the step size.
    """
    with torch.no_grad():
        for parameter in parameters:
            if parameter.grad is not None:
                parameter -= learning_rate * parameter.grad
                parameter.grad = None


# --------------------------------------------------------------------- saved-tensor ledger


class _Saved:
    """Holds one saved tensor; its lifetime tells when autograd lets go of the tensor."""

    __slots__ = ("tensor", "__weakref__")

    def __init__(self, tensor: torch.Tensor):
        self.tensor = tensor


class SavedTensorLedger:
    """Count the bytes autograd saves for backward inside a ``with`` block, and what it still holds.

    Each tensor a backward function saves passes through a saved-tensor hook (as in notebook
    04) and is counted as ``numel() * element_size()`` bytes. When the graph lets go of it
    (``backward()`` frees it, or the graph itself is deleted), it stops counting as held.

    Attributes:
        saved_bytes: bytes saved for backward since the block started.
        held_bytes: bytes of those still held by a graph right now.

    Inside the block autograd does not check the version of the tensors it saved (a
    saved-tensor hook takes them out of its hands): use the ledger to measure memory, not
    while hunting an in-place error.

    Example::

        with SavedTensorLedger() as ledger:
            loss = model(batch).sum()
        loss.backward()
        ledger.held_bytes  # 0: backward() freed what it used
    """

    def __init__(self):
        self.saved_bytes = 0
        self._held: dict[int, int] = {}
        self._keys = itertools.count()
        self._hooks = None

    @property
    def held_bytes(self) -> int:
        return sum(self._held.values())

    def __enter__(self) -> SavedTensorLedger:
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, self._unpack)
        self._hooks.__enter__()
        return self

    def __exit__(self, *exception) -> None:
        self._hooks.__exit__(*exception)

    def _pack(self, tensor: torch.Tensor) -> _Saved:
        size = tensor.numel() * tensor.element_size()
        key = next(self._keys)
        self._held[key] = size
        self.saved_bytes += size
        # detach(): the same numbers and version counter, without the link back to the
        # graph, which for a saved output would make a cycle that only the garbage
        # collector could free.
        holder = _Saved(tensor.detach())
        weakref.finalize(holder, self._held.pop, key, None)
        return holder

    @staticmethod
    def _unpack(holder: _Saved) -> torch.Tensor:
        return holder.tensor


def graph_size(tensor: torch.Tensor) -> int:
    """The number of backward functions in the graph behind ``tensor`` (0 without a graph).

    Args:
        tensor: any tensor, for example a running total of losses.
    """
    seen = set()
    stack = [tensor.grad_fn] if tensor.grad_fn is not None else []
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(next_node for next_node, _ in node.next_functions if next_node is not None)
    return len(seen)


# ---------------------------------------------------------------- gradient norms per layer

ACTIVATIONS: dict[str, Callable[[], torch.nn.Module]] = {
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "sigmoid": torch.nn.Sigmoid,
    "none (linear)": torch.nn.Identity,
}
WIDTH = 32
BATCH = 16


def deep_chain(depth: int, scale: float, activation: str = "tanh", seed: int = 0):
    """A chain of ``depth`` layers, each ``Linear(32, 32, bias=False)`` then an activation.

    Each weight is drawn from a normal distribution with standard deviation
    ``scale / sqrt(32)``: at ``scale = 1`` a layer keeps the size of a random vector on
    average, below 1 it shrinks it, above 1 it grows it.

    Args:
        depth: the number of layers.
        scale: the initial scale of the weights.
        activation: a key of ``ACTIVATIONS``.
        seed: the random seed of the weights.
    """
    generator = torch.Generator().manual_seed(seed)
    layers = []
    # Linear's own initialisation draws from the global random generator: keep its state,
    # so that moving a slider does not change the numbers of the notebook's later cells.
    with torch.random.fork_rng(devices=[]):
        for _ in range(depth):
            linear = torch.nn.Linear(WIDTH, WIDTH, bias=False)
            with torch.no_grad():
                linear.weight.normal_(0.0, scale / math.sqrt(WIDTH), generator=generator)
            layers += [linear, ACTIVATIONS[activation]()]
    return torch.nn.Sequential(*layers)


def chain_batch(seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The inputs (16 × 32) and the fixed read-out direction (32) the chain's loss uses."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(BATCH, WIDTH, generator=generator)
    readout = torch.randn(WIDTH, generator=generator) / math.sqrt(WIDTH)
    return inputs, readout


def chain_loss(outputs: torch.Tensor, readout: torch.Tensor) -> torch.Tensor:
    """``mean(outputs @ readout)``: its gradient at the outputs is the same whatever they are,
    so every difference between settings comes from the way back through the layers."""
    return (outputs @ readout).mean()


@dataclass(frozen=True)
class GradientNormState:
    """The gradient norms of one deep chain after one backward().

    Attributes:
        depth, scale, activation: the chain's settings.
        output_grad_norms: for layer 1 (nearest the input) to ``depth``, the norm of the
            gradient reaching the layer's output, ``grad_output[0]`` of its backward hook.
        weight_grad_norms: the norm of each layer's ``weight.grad``, in the same order.
    """

    depth: int
    scale: float
    activation: str
    output_grad_norms: tuple[float, ...]
    weight_grad_norms: tuple[float, ...]

    @property
    def ratio(self) -> float:
        """Gradient norm at layer 1 divided by the norm at the last layer."""
        return self.output_grad_norms[0] / self.output_grad_norms[-1]

    @property
    def verdict(self) -> str:
        """``"vanishing"``, ``"exploding"`` or ``"stable"``, from :attr:`ratio`."""
        if not math.isfinite(self.ratio) or self.ratio > 100:
            return "exploding"
        if self.ratio < 0.01:
            return "vanishing"
        return "stable"

    def text(self) -> str:
        """The read-out shown above the bars."""
        meaning = {
            "vanishing": "the first layers get almost no gradient: they barely learn",
            "exploding": "the first layers get huge gradients: one step can wreck them",
            "stable": "every layer gets a gradient of a similar size",
        }[self.verdict]
        return (
            f"{self.depth} layers, {self.activation}, scale {self.scale:.2f}: gradient norm "
            f"{self.output_grad_norms[-1]:.3g} at layer {self.depth}, "
            f"{self.output_grad_norms[0]:.3g} at layer 1 (× {self.ratio:.3g}): "
            f"{self.verdict}, {meaning}."
        )


def record_output_gradients(model: torch.nn.Module, kind=torch.nn.Linear):
    """Attach a full backward hook to each ``kind`` layer of ``model``, recording the gradient
    that reaches the layer's output.

    Args:
        model: the model to watch.
        kind: the type of layer to watch.

    Returns:
        ``(recorded, handles)``: ``recorded`` maps each watched layer to its ``grad_output[0]``
        once backward() has run; call ``handle.remove()`` on each handle when done.
    """
    recorded: dict[torch.nn.Module, torch.Tensor] = {}

    def remember(module, grad_input, grad_output):
        recorded[module] = grad_output[0].detach()

    handles = [
        m.register_full_backward_hook(remember) for m in model.modules() if isinstance(m, kind)
    ]
    return recorded, handles


def gradient_norm_state(
    depth: int = 12, scale: float = 1.0, activation: str = "tanh"
) -> GradientNormState:
    """Build :func:`deep_chain`, run one forward and backward pass, and measure the gradients.

    Args:
        depth: the number of layers.
        scale: the initial scale of the weights.
        activation: a key of ``ACTIVATIONS``.
    """
    model = deep_chain(depth, scale, activation)
    inputs, readout = chain_batch()
    inputs.requires_grad_()  # so that layer 1's hook also receives grad_input
    recorded, handles = record_output_gradients(model)
    chain_loss(model(inputs), readout).backward()
    for handle in handles:
        handle.remove()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    return GradientNormState(
        depth=depth,
        scale=float(scale),
        activation=activation,
        output_grad_norms=tuple(recorded[layer].norm().item() for layer in linears),
        weight_grad_norms=tuple(layer.weight.grad.norm().item() for layer in linears),
    )


MAX_DEPTH = 40


def gradient_norm_explorer(depth: int = 20, scale: float = 0.5, activation: str = "tanh"):
    """Sliders for depth and initial scale, a menu for the activation; bars of the gradient
    norm reaching each layer (log scale).

    Args:
        depth: the number of layers to start with (2 to 40).
        scale: the initial scale of the weights to start with (0.25 to 3).
        activation: a key of ``ACTIVATIONS``.

    Returns:
        The playground; put the call last in a cell to show it.
    """
    # Imported here: utils.checks loads this module for its exercises, and a notebook that
    # only checks answers need not load ipywidgets and matplotlib.
    import ipywidgets as widgets

    from utils.playground import Playground, new_figure
    from utils.plotting import COLORS, legend_below

    depth_slider = widgets.IntSlider(value=depth, min=2, max=MAX_DEPTH, description="depth")
    scale_slider = widgets.FloatSlider(
        value=scale, min=0.25, max=3.0, step=0.05, description="scale"
    )
    chooser = widgets.Dropdown(
        options=list(ACTIVATIONS), value=activation, description="activation"
    )
    from matplotlib.ticker import MaxNLocator

    figure, axes = new_figure(size=(7.2, 3.4))
    bars = axes.bar(range(1, MAX_DEPTH + 1), [1.0] * MAX_DEPTH, color=COLORS["blue"], zorder=2)
    # the verdict's limits: 100 times the last layer's norm, and a hundredth of it
    high = axes.axhline(1.0, color=COLORS["vermillion"], linestyle="--", linewidth=1.5, zorder=3)
    low = axes.axhline(1.0, color=COLORS["sky"], linestyle="--", linewidth=1.5, zorder=3)
    high.set_label("× 100 the last layer's: exploding above")
    low.set_label("÷ 100 the last layer's: vanishing below")
    axes.set_yscale("log")
    axes.set_ylim(1e-8, 1e8)  # fixed: settings compare at a glance
    axes.set_xlim(0.4, MAX_DEPTH + 0.6)  # fixed too: a deeper network reaches further right
    for artist in (*bars, high, low):
        artist.set_animated(True)  # only these move: redrawn alone over the kept axes
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("layer (1 = nearest the input; backward runs from right to left)")
    axes.set_ylabel("‖grad_output‖")
    axes.set_title("gradient reaching each layer's output")
    legend_below(figure, axes)

    def draw():
        state = gradient_norm_state(depth_slider.value, scale_slider.value, chooser.value)
        last = state.output_grad_norms[-1]
        high.set_ydata([100 * last] * 2)
        low.set_ydata([last / 100] * 2)
        for index, bar in enumerate(bars):
            inside = index < state.depth
            value = state.output_grad_norms[index] if inside else last
            finite = math.isfinite(value) and value > 0
            bar.set_height(value if finite else 1e8)
            bar.set_visible(inside)
            if not finite or value > 100 * last:
                bar.set_color(COLORS["vermillion"])
            elif value < last / 100:
                bar.set_color(COLORS["sky"])
            else:
                bar.set_color(COLORS["blue"])
        return [state.text(), figure]

    return Playground("Gradient-norm explorer", [depth_slider, scale_slider, chooser], draw)


# ------------------------------------------------------------------------------ exercises


# pragma: no mutate start (solution() shows this source: make mutation keeps it as written)
def _fit_relative(steps: int) -> float:
    inputs = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    targets = torch.tensor([0.0, 1.6, 2.9, 4.6, 6.1])
    weight = torch.tensor(0.5, requires_grad=True)
    for _ in range(steps):
        errors = weight * inputs - targets
        # divide by a safe copy of the targets: where the target is 0, the branch not
        # taken divides by 1 instead, so its derivative is finite and 0 · finite = 0
        safe_targets = torch.where(targets != 0, targets, torch.ones_like(targets))
        relative = torch.where(targets != 0, errors / safe_targets, errors)
        loss = (relative**2).mean()
        loss.backward()
        with torch.no_grad():
            weight -= 0.1 * weight.grad
        weight.grad = None
    return weight.item()


# pragma: no mutate end


def _judge_fit_relative(function: Callable, exercise: Exercise) -> Feedback:
    """Train with the learner's loop: the weight must be finite, move, and match the repair."""
    start = 0.5
    for args in exercise.cases:
        call = call_text(exercise, args)
        answer, problem = call_safely(function, exercise, args)
        if problem:
            return not_yet(problem)
        if isinstance(answer, torch.Tensor) or not is_number(answer):
            return not_yet(
                f"{call} returned {show(answer)}; return the weight as a Python float "
                "(weight.item())."
            )
        if not math.isfinite(answer):
            return not_yet(
                f"{call} returned {show(float(answer))}: a gradient is still NaN. Run the "
                "loop under torch.autograd.detect_anomaly() to see which backward function "
                "produces it."
            )
        if close(answer, start):
            return not_yet(
                f"{call} returned the starting weight: it never moved. Replacing NaN "
                "gradients by 0 stops the damage, and the learning too: remove the NaN "
                f"where it is made. {hint_pointer(exercise)}"
            )
        if not close(answer, exercise.reference(*args)):
            return not_yet(
                f"{call} returned {show(float(answer))}, which is not the weight the repaired "
                "loop reaches. Keep the loss, the data, the start and the learning rate as "
                f"they are; change only how the relative error is computed. "
                f"{hint_pointer(exercise)}"
            )
    return correct(exercise)


FIT_RELATIVE = Exercise(
    name="fit_relative",
    reference=_fit_relative,
    cases=((1,), (10,), (60,)),
    hints=(
        "Wrap one step of the broken loop in torch.autograd.detect_anomaly() and read which "
        "backward function returns NaN.",
        "torch.where sends a zero gradient to the branch it did not take, but that branch's "
        "own backward still runs: 0 · (its infinite derivative) is NaN.",
        "Give the division a safe denominator: where the target is 0, divide by 1 instead "
        "(another torch.where, applied to the targets before dividing).",
    ),
    solution="\n"
    + inspect.getsource(_fit_relative).replace("def _fit_relative", "def fit_relative"),
    praise="no NaN: the branch torch.where does not take now has a finite derivative, and the "
    "weight trains as the loss says.",
    judge=_judge_fit_relative,
    notebook="09_debugging_gradients",
)


# pragma: no mutate start (solution() shows this source: make mutation keeps it as written)
def _train_regressor(steps: int) -> list[float]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(32, 3, generator=generator)
    targets = torch.sin(inputs.sum(dim=1, keepdim=True))
    hidden_weight = (0.5 * torch.randn(3, 8, generator=generator)).requires_grad_()
    output_weight = (0.5 * torch.randn(8, 1, generator=generator)).requires_grad_()
    losses = []
    for _ in range(steps):
        hidden = torch.tanh(inputs @ hidden_weight)  # a new graph every step
        predictions = hidden @ output_weight
        loss = ((predictions - targets) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for weight in (hidden_weight, output_weight):
                weight -= 0.1 * weight.grad
                weight.grad = None
        losses.append(loss.item())  # a number: the graph can be freed
    return losses


# pragma: no mutate end


def _train_output_layer_only(steps: int) -> list[float]:
    """The repair that detaches the hidden layer computed before the loop: half a model."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(32, 3, generator=generator)
    targets = torch.sin(inputs.sum(dim=1, keepdim=True))
    hidden_weight = 0.5 * torch.randn(3, 8, generator=generator)
    output_weight = (0.5 * torch.randn(8, 1, generator=generator)).requires_grad_()
    hidden = torch.tanh(inputs @ hidden_weight)
    losses = []
    for _ in range(steps):
        loss = ((hidden @ output_weight - targets) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            output_weight -= 0.1 * output_weight.grad
            output_weight.grad = None
        losses.append(loss.item())
    return losses


def _judge_train_regressor(function: Callable, exercise: Exercise) -> Feedback:
    """Train with the learner's loop: floats, one per step, equal to the repaired loop's."""
    for args in exercise.cases:
        (steps,) = args
        call = call_text(exercise, args)
        answer, problem = call_safely(function, exercise, args)
        if problem:
            return not_yet(problem)
        if not isinstance(answer, list | tuple) or len(answer) != steps:
            return not_yet(f"{call} returned {show(answer)}; return a list with one loss per step.")
        tensors = [loss for loss in answer if isinstance(loss, torch.Tensor)]
        if any(loss.grad_fn is not None for loss in tensors):
            return not_yet(
                f"{call} trains, but its list holds loss tensors, and each one keeps its "
                "step's whole graph alive: memory grows with every step. Store loss.item(), "
                "a plain number."
            )
        if tensors or not all(is_number(loss) for loss in answer):
            return not_yet(f"{call}: return the losses as Python floats (loss.item()).")
        if close(tuple(answer), tuple(_train_output_layer_only(steps))) and steps > 1:
            return not_yet(
                f"{call}: only output_weight learns. The hidden layer was computed once, "
                "before the loop, from the starting hidden_weight, so the updates of "
                "hidden_weight never reach the predictions (retain_graph=True or detach() "
                f"only hide the error). {hint_pointer(exercise)}"
            )
        if not close(tuple(answer), tuple(exercise.reference(steps))):
            return not_yet(
                f"{call}: these are not the losses the repaired loop gives. Keep the data, "
                f"the start and the update as they are. {hint_pointer(exercise)}"
            )
    return correct(exercise)


TRAIN_REGRESSOR = Exercise(
    name="train_regressor",
    reference=_train_regressor,
    cases=((1,), (40,)),
    hints=(
        "Run the broken loop and read the error: which part of the graph does the second "
        "backward() need, and when was it built?",
        "Everything that depends on the weights must be computed again in every step, "
        "inside the loop. retain_graph=True is not the way: it keeps the first step's graph, "
        "with the hidden layer of the starting weights.",
        "Once it runs, look at what the list keeps: a loss tensor holds on to its graph. "
        "Append loss.item().",
    ),
    solution="\n"
    + inspect.getsource(_train_regressor).replace("def _train_regressor", "def train_regressor"),
    praise="each step builds its own graph and frees it, both layers learn, and the record of "
    "the losses is plain numbers that hold no memory.",
    judge=_judge_train_regressor,
    notebook="09_debugging_gradients",
)
