"""Run a backward pass by hand, one backward function at a time.

``backward()`` does all of this in one call; the stepper shows each move: which
backward function runs, what gradient arrives at it, and what it sends to each of
its inputs. Gradients arriving along several paths are added up, and each leaf
ends up with exactly the ``.grad`` that ``backward()`` would give it.

Example::

    stepper = BackwardStepper(y, {"a": a, "b": b})
    while not stepper.done:
        print(stepper.step().text())
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from utils.graph import format_tensor


@dataclass(frozen=True)
class Step:
    """One move of the backward pass.

    Attributes:
        number: 1 for the first move.
        node: the backward function that ran (``grad_fn``, or ``AccumulateGrad`` of a leaf).
        name: how the step calls it, e.g. ``MulBackward0`` or ``AccumulateGrad (a)``.
        incoming: the gradient that arrived at it (the sum over every path).
        outgoing: ``(input name, gradient sent)`` for each input that needs a gradient.
    """

    number: int
    node: object
    name: str
    incoming: torch.Tensor
    outgoing: tuple[tuple[str, torch.Tensor], ...] = field(default=())

    def text(self) -> str:
        """One line that says what happened."""
        arrived = format_tensor(self.incoming)
        if not self.outgoing:
            leaf = self.name.removeprefix("AccumulateGrad (").removesuffix(")")
            return f"step {self.number}: {self.name} stores {arrived} in {leaf}.grad"
        sent = ", ".join(f"{format_tensor(g)} to {target}" for target, g in self.outgoing)
        return f"step {self.number}: {self.name} receives {arrived} and sends {sent}"


class BackwardStepper:
    """Walk the backward pass of ``output`` in reverse topological order.

    Args:
        output: a scalar tensor at the end of the graph (for example a loss).
        names: labels for the leaves, e.g. ``{"a": a, "b": b}``.

    Attributes:
        order: the backward functions in the order they run.
        steps: the steps taken so far.
        leaf_grads: the gradient each leaf has received so far, by name.
    """

    def __init__(self, output: torch.Tensor, names: dict[str, torch.Tensor] | None = None):
        if output.grad_fn is None:
            raise ValueError("the output has no grad_fn: nothing to step through")
        if output.numel() != 1:
            raise ValueError("step through a scalar output (for a vector, step through y.sum())")
        self.output = output
        self._name_of = {id(t): name for name, t in (names or {}).items()}
        self.order = _reverse_topological_order(output.grad_fn)
        self.reset()

    def reset(self) -> None:
        """Go back to before the first step."""
        self.steps: list[Step] = []
        self.leaf_grads: dict[str, torch.Tensor] = {}
        self._pending = {self.order[0]: torch.ones_like(self.output).detach()}

    @property
    def done(self) -> bool:
        return len(self.steps) == len(self.order)

    @property
    def current(self) -> object | None:
        """The backward function of the last step (None before the first)."""
        return self.steps[-1].node if self.steps else None

    def node_name(self, node: object) -> str:
        variable = getattr(node, "variable", None)
        if variable is not None:
            return f"AccumulateGrad ({self._name_of.get(id(variable), 'leaf')})"
        return type(node).__name__

    def step(self) -> Step:
        """Run the next backward function and return what it did."""
        if self.done:
            raise StopIteration("the backward pass is complete: every leaf has its gradient")
        node = self.order[len(self.steps)]
        incoming = self._pending.pop(node)
        variable = getattr(node, "variable", None)
        outgoing = []
        if variable is not None:
            self.leaf_grads[self._name_of.get(id(variable), "leaf")] = incoming
        else:
            with torch.no_grad():
                results = node(incoming)
            results = results if isinstance(results, tuple) else (results,)
            for (next_node, _), gradient in zip(node.next_functions, results, strict=True):
                if next_node is None or gradient is None:
                    continue
                if next_node in self._pending:
                    self._pending[next_node] = self._pending[next_node] + gradient
                else:
                    self._pending[next_node] = gradient
                outgoing.append((self.node_name(next_node), gradient))
        step = Step(len(self.steps) + 1, node, self.node_name(node), incoming, tuple(outgoing))
        self.steps.append(step)
        return step


def _reverse_topological_order(root) -> list:
    """Backward functions ordered so that each runs only after every function that feeds it."""
    consumers: dict[object, int] = {}
    stack, seen = [root], {root}
    while stack:
        node = stack.pop()
        for next_node, _ in node.next_functions:
            if next_node is None:
                continue
            consumers[next_node] = consumers.get(next_node, 0) + 1
            if next_node not in seen:
                seen.add(next_node)
                stack.append(next_node)
    order, ready = [], [root]
    while ready:
        node = ready.pop(0)
        order.append(node)
        for next_node, _ in node.next_functions:
            if next_node is None:
                continue
            consumers[next_node] -= 1
            if consumers[next_node] == 0:
                ready.append(next_node)
    return order
