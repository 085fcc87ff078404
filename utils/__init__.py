"""Helpers for the course *Autograd, hands-on*.

Import what a notebook needs by name, for example::

    from utils.graph import draw_graph
    from utils.checks import check, hint, solution

Modules: ``graph`` (draw autograd graphs), ``stepper`` (step through backward() one
node at a time), ``widgets`` (interactive playgrounds), ``checks`` (exercise checks),
``exercises`` (the exercises the checks know), ``plotting`` (the course's figure style).
Importing any of them changes nothing.
"""
