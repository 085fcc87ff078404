"""pytest plugin (loaded with ``-p tests.nbval_plugin``): how strict nbval compares notebooks.

Graph renders are compared by their text form, the DOT source with stable node names
(``text/plain``). Their picture, an HTML image of the SVG that Graphviz drew, is not
compared: its bytes depend on the Graphviz version and the fonts of the machine that
drew it. The notebooks show no other HTML (tests/test_course.py checks that), so
nothing else escapes comparison.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html",)
