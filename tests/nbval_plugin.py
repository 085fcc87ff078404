"""pytest plugin (loaded with ``-p tests.nbval_plugin``): how strict nbval compares notebooks.

Graph renders are compared by their text form, the DOT source with stable node names
(``text/plain``). Their SVG is not compared: its bytes depend on the Graphviz version
and the fonts of the machine that drew it.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("image/svg+xml",)
