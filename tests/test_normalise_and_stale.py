"""Two promises of the generators that a one-line bug could break without a failing test.

`normalise` stores no widget state and no execution timings; `check-navigation` reports a
left-over student notebook (its course notebook is gone) as out of date.
"""

import nbformat

import tools.course as course


def notebook_saved_from_jupyterlab():
    cell = nbformat.v4.new_code_cell(
        "tangent_explorer()",
        metadata={
            "execution": {
                "iopub.execute_input": "2026-11-28T10:00:00.000Z",
                "shell.execute_reply": "2026-11-28T10:00:01.234Z",
            },
            "tags": ["keep-me"],
        },
        outputs=[
            nbformat.v4.new_output(
                "display_data",
                data={
                    "text/plain": "Tangent explorer",
                    course.WIDGET_VIEW: {"model_id": "0123abcd", "version_major": 2},
                },
                metadata={course.WIDGET_VIEW: {"colab": {"custom_widget_manager": {}}}},
            )
        ],
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T"), cell])
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    notebook.metadata["kernelspec"] = {"name": "my-laptop-env", "display_name": "mine"}
    return notebook


def test_normalise_keeps_no_widget_state_and_no_timings():
    notebook = notebook_saved_from_jupyterlab()
    course.normalise(notebook)
    assert "widgets" not in notebook.metadata, "widget state changes with every run"
    assert notebook.metadata["kernelspec"]["name"] == "python3", "not this machine's kernel"
    cell = notebook.cells[1]
    assert "execution" not in cell.metadata, "execution timings change with every run"
    assert cell.metadata["tags"] == ["keep-me"], "the cell's own metadata stays"
    (output,) = cell.outputs
    assert course.WIDGET_VIEW not in output.data and course.WIDGET_VIEW not in output.metadata
    assert output.data["text/plain"] == "Tangent explorer"
    assert [c.id for c in notebook.cells] == ["cell-00", "cell-01"]


def test_normalise_keeps_the_learners_lines_of_a_traceback():
    error = nbformat.v4.new_output(
        "error",
        ename="RuntimeError",
        evalue="boom",
        traceback=[
            "Cell In[3], line 1\n----> 1 y.backward()",
            'File "/home/someone/.venv/lib/python3.11/site-packages/torch/_tensor.py", line 1',
            "\x1b[1;31mFile \x1b[0;32m/home/someone/.venv/lib/python3.11/site-packages/torch/"
            "autograd/__init__.py:200\x1b[0m, in backward()",
            "RuntimeError: boom",
        ],
    )
    cell = nbformat.v4.new_code_cell("y.backward()", outputs=[error])
    notebook = nbformat.v4.new_notebook(cells=[cell])
    course.normalise(notebook)
    assert notebook.cells[0].outputs[0].traceback == [
        "Cell In[3], line 1\n----> 1 y.backward()",
        "RuntimeError: boom",
    ]


def test_a_left_over_student_notebook_is_reported_stale(tmp_path, monkeypatch):
    source = tmp_path / "01_first_lesson.ipynb"
    lesson = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# First\n\nText")])
    nbformat.write(lesson, source)
    student = tmp_path / "student"
    student.mkdir()
    monkeypatch.setattr(course, "STUDENT", student)
    monkeypatch.setattr(course, "course_notebooks", lambda: [source])
    course.write_generated(course.student_edition(lesson), student / source.name)
    assert course.stale_student_notebooks() == [], "an up-to-date edition is not stale"
    left_over = student / "02_removed_lesson.ipynb"
    course.write_generated(course.student_edition(lesson), left_over)
    (student / "Untitled.ipynb").write_text(nbformat.writes(lesson))  # a learner's: not ours
    assert course.stale_student_notebooks() == [left_over]


def test_each_stored_student_notebook_carries_the_fingerprint_of_its_cells():
    """The fingerprint tells a generated notebook from a hand-edited one: the stored ones were
    written by the generator, so each matches what the generator computes from its cells."""
    stored = course.student_notebooks()
    assert len(stored) == len(course.course_notebooks())
    for path in stored:
        notebook = nbformat.read(path, as_version=4)
        assert notebook.metadata["course"]["typed"] == course.typed_digest(notebook), path.name
        assert not course.edited_by_hand(path), path.name


def test_making_an_edition_leaves_the_complete_notebook_unchanged():
    complete = nbformat.read(course.course_notebooks()[0], as_version=4)
    before = nbformat.writes(complete)
    course.student_edition(complete)
    course.assignment_edition(complete)
    assert nbformat.writes(complete) == before
