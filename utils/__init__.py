"""Helpers for the course *Autograd, hands-on*.

Import what a notebook needs by name, for example::

    from utils.graph import draw_graph
    from utils.checks import check, hint, solution

Modules: ``graph`` (draw autograd graphs), ``stepper`` (a backward pass one node at
a time), ``widgets`` (interactive playgrounds), ``quiz`` (multiple-choice questions
checked before the real cell runs), ``checks`` (exercise checks), ``exercises`` (the
exercises the checks know, each with its judge), ``feedback`` (what an exercise is and
the helpers its judge uses), ``guard`` (runs a learner's code without letting it harm
the notebook), ``numeric`` (``compare``, ``finite_difference``), ``plotting`` (the
course's figure style). Importing any of them changes nothing.
"""
