"""The maintainers' tools: the README blocks they regenerate, and the errors they report."""

import logging

import nbformat
import pytest

from tools.course import (
    BOOTSTRAP,
    PREDICT_ANSWER,
    CourseError,
    MarkerError,
    add_colab_parts,
    assignment_edition,
    course_notebooks,
    main,
    make_client,
    splice,
    student_edition,
    title_of,
    with_bootstrap,
)

START, END = "<!-- map:start -->", "<!-- map:end -->"


def test_splice_replaces_only_the_text_between_the_markers():
    readme = f"# Title\n\nBefore.\n{START}\nold map\n{END}\nAfter.  \r\n\ttrailing\n"
    spliced = splice(readme, START, END, "\nnew map\n")
    assert spliced == f"# Title\n\nBefore.\n{START}\nnew map\n{END}\nAfter.  \r\n\ttrailing\n"


def test_splice_with_the_same_text_changes_nothing():
    readme = f"a\n{START}\n\n| table |\n\n{END}\nb"
    assert splice(readme, START, END, "\n\n| table |\n\n") == readme


@pytest.mark.parametrize(
    "readme, said",
    [
        (f"a\n{START}\nmap\n", f"has no marker {END}"),
        (f"a\nmap\n{END}\n", f"has no marker {START}"),
        (f"{START}\none\n{END}\n{START}\ntwo\n{END}\n", f"has 2 times the marker {START}"),
        (f"{END}\nmap\n{START}\n", f"the marker {END} comes before {START}"),
    ],
    ids=["no end", "no start", "doubled", "reversed"],
)
def test_splice_refuses_a_missing_doubled_or_reversed_marker(readme, said):
    with pytest.raises(MarkerError, match="README.md") as refused:
        splice(readme, START, END, "new")
    assert said in str(refused.value)
    assert str(refused.value).startswith("README.md"), "the message names the file first"
    assert "\n" not in str(refused.value), "one line"


def test_splice_fills_an_empty_block():
    assert splice(f"a\n{START}{END}\nb", START, END, "\nmap\n") == f"a\n{START}\nmap\n{END}\nb"


def test_a_notebook_without_cells_has_an_empty_title():
    assert title_of(nbformat.v4.new_notebook()) == ""
    heading = nbformat.v4.new_markdown_cell("#  03 · Slopes \n\nText")
    assert title_of(nbformat.v4.new_notebook(cells=[heading])) == "03 · Slopes"


def test_a_notebook_without_a_set_up_cell_is_an_error_not_an_exit():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 99 · Title")])
    with pytest.raises(CourseError, match="no set-up cell"):
        add_colab_parts(notebook, "notebooks/99_title.ipynb")


def test_main_turns_an_error_into_one_line_and_exit_status_1(tmp_path, capsys):
    stranger = tmp_path / "notes.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), stranger)
    before = stranger.read_bytes()
    assert main(["outputs", str(stranger)]) == 1
    said = capsys.readouterr()
    assert said.err.count("\n") == 1 and "Traceback" not in said.err
    assert "notes.ipynb is not a course notebook" in said.err
    assert stranger.read_bytes() == before


def test_the_kernel_client_runs_a_notebook_in_its_folder_and_keeps_what_nbval_sees(
    tmp_path, caplog
):
    """One fresh kernel: the working directory is the notebook's folder, its messages are
    encrypted (the connection carries Curve keys), a print inside an Output widget stays a cell
    output (as nbval records it), no warning about widgets, and no timings or widget state."""
    code = nbformat.v4.new_code_cell
    notebook = nbformat.v4.new_notebook(
        cells=[
            code("import os\nprint(os.getcwd())"),
            code(
                "import json, sys\n\n"
                "connection = json.load(open(sys.argv[sys.argv.index('-f') + 1]))\n"
                "print(bool(connection.get('curve_publickey')))"
            ),
            code(
                "import ipywidgets\nfrom IPython.display import display\n\n"
                "shown = ipywidgets.Output()\ndisplay(shown)\nwith shown:\n    print('inside')"
            ),
        ]
    )
    make_client(notebook, tmp_path, timeout=60).execute()
    assert notebook.cells[0].outputs[0].text == f"{tmp_path}\n"
    assert notebook.cells[1].outputs[0].text == "True\n", "kernel messages are encrypted"
    texts = [o.get("text") for o in notebook.cells[2].outputs if o.output_type == "stream"]
    assert texts == ["inside\n"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], "no warning"
    assert "widgets" not in notebook.metadata, "no widget state"
    assert all("execution" not in cell.metadata for cell in notebook.cells), "no timings"


def test_an_older_colab_part_is_replaced_and_the_set_up_code_kept():
    older = "# ── Colab set-up, old ──\nprint('old')\n# ── end of it ──\n\n\nimport torch\n"
    assert with_bootstrap(older) == BOOTSTRAP + "\nimport torch\n"
    assert with_bootstrap(with_bootstrap(older)) == BOOTSTRAP + "\nimport torch\n", "stable"
    assert with_bootstrap("\n\nimport torch\n") == BOOTSTRAP + "\nimport torch\n"
    with pytest.raises(CourseError) as refused:
        with_bootstrap("# ── Colab, half ──\nprint('x')\n")
    assert str(refused.value).startswith("a set-up cell starts with '# ── Colab, half ──")
    assert str(refused.value).endswith("but has no end line")


@pytest.mark.parametrize("path", course_notebooks(), ids=lambda path: path.name)
def test_the_assignment_edition_folds_the_predict_answers_as_the_student_edition_does(path):
    """A learner doing the nbgrader assignment meets a Predict prompt with its written answer
    closed, exactly as in the student edition."""
    notebook = nbformat.read(path, as_version=4)

    def answers(edition):
        return [
            cell.source
            for cell in edition.cells
            if cell.cell_type == "markdown" and PREDICT_ANSWER in cell.metadata.get("tags", [])
        ]

    folded = answers(assignment_edition(notebook))
    assert folded == answers(student_edition(notebook))
    assert all(text.startswith("<details>") for text in folded)
    assert len(folded) == len(answers(notebook))
