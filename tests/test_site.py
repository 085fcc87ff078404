"""The static site: every page, every link, every graph and figure, nothing from the network."""

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from tools.course import build_site, course_notebooks
from utils.playground import PLAYGROUND_MARKER


class Links(HTMLParser):
    """Collects what a page links to and what it loads."""

    def __init__(self):
        super().__init__()
        self.links, self.loads = [], []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        for name in ("src",):
            if attributes.get(name):
                self.loads.append(attributes[name])
        if tag == "link" and attributes.get("href"):
            self.loads.append(attributes["href"])


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build_site(target)
    return target


def parse(page: Path) -> Links:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_notebook_has_a_page_and_the_index_lists_them_in_order(site):
    names = [f"{p.stem}.html" for p in course_notebooks()]
    assert all((site / name).exists() for name in names)
    listed = [link for link in parse(site / "index.html").links if link.endswith(".html")]
    assert listed == names


def test_every_internal_link_resolves(site):
    for page in site.glob("*.html"):
        for link in parse(page).links:
            if link.startswith(("http://", "https://", "#", "mailto:")):
                continue
            target = link.split("#")[0]
            assert (site / target).exists(), f"{page.name} links to a missing {link}"


def test_the_next_links_chain_through_the_course(site):
    names = [f"{p.stem}.html" for p in course_notebooks()]
    for current, following in zip(names, names[1:], strict=False):
        assert following in parse(site / current).links, f"{current} does not lead to {following}"


def test_nothing_is_loaded_from_the_network(site):
    for page in site.glob("*.html"):
        external = [u for u in parse(page).loads if re.match(r"(https?:)?//", u)]
        assert external == [], f"{page.name} loads {external}"


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda p: p.name)
def test_graphs_and_default_figures_are_on_the_page(site, path):
    notebook = nbformat.read(path, as_version=4)
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    graphs = sum("text/html" in o.get("data", {}) for o in outputs)  # pictures of the SVG
    pngs = sum("image/png" in o.get("data", {}) for o in outputs)  # figures
    page = (site / f"{path.stem}.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/svg+xml;base64,') >= graphs
    assert page.count('src="data:image/png;base64,') >= pngs
    if PLAYGROUND_MARKER in str(outputs):
        assert PLAYGROUND_MARKER in page, "a playground's static view is explained"
