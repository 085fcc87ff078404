# The course's Jupyter settings, read by every way the course starts: `make lab` and
# `make present` put this folder on JUPYTER_CONFIG_PATH, Binder's `binder/start` does the same.
# A learner's own ~/.jupyter settings still come first.
#
# Memory: each notebook's kernel holds about 300 MB once torch is imported, and JupyterLab
# keeps a kernel running for every notebook opened. A learner who follows the Next links
# through the course would hold every kernel at once, past Binder's 2 GB. Two of Jupyter's
# own mechanisms keep one learner to one or two kernels:
import logging
import warnings
from pathlib import Path

c = get_config()  # noqa: F821 (provided by Jupyter when it reads this file)

# 1. Closing a notebook's tab shuts its kernel down (JupyterLab's "Shut down kernel" setting,
#    turned on in lab-settings/overrides.json; a learner can still turn it off).
c.LabApp.app_settings_dir = str(Path(__file__).resolve().parent / "lab-settings")

# 2. A kernel that has run nothing for ten minutes is shut down, even while its tab is open
#    (the same ten minutes after which Binder ends a whole idle session). The notebook file
#    stays as saved; running a cell again asks for a fresh kernel.
c.MappingKernelManager.cull_idle_timeout = 600
c.MappingKernelManager.cull_interval = 60
c.MappingKernelManager.cull_connected = True

# 3. Coming back to a notebook: a widget's view lives only as long as its kernel, so a
#    saved output that still points at a widget shows "Error displaying widget: model not
#    found" when the notebook is reopened with a fresh kernel. On every save, an output
#    that holds a widget's view beside a plain-text form keeps only the other forms: a
#    reopened playground shows its text line ("run this cell ...") and its last drawing,
#    as the course's stored notebooks do. Saved widget state (JupyterLab's "Save Jupyter
#    widget state in notebook" setting) brings the widgets back by itself and is left alone.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widget_views(model, **kwargs):
    """Remove widget views with a plain-text alternative from a notebook about to be saved.

    Args:
        model: the contents model being saved; only notebooks are changed.
        kwargs: the path and contents manager, passed by Jupyter Server and not used.
    """
    notebook = model.get("content") if model.get("type") == "notebook" else None
    if not isinstance(notebook, dict) or "widgets" in notebook.get("metadata", {}):
        return
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data and "text/plain" in data:
                del data[WIDGET_VIEW]


c.ContentsManager.pre_save_hook = drop_widget_views
# Jupyter Server validates a configured hook twice and warns, the second time, that the hook
# replaces itself: a warning about nothing, in the learner's terminal.
warnings.filterwarnings("ignore", message="Overriding existing pre_save_hook", category=UserWarning)

# 4. Kernel messages are encrypted (CurveZMQ; the python3 kernel says it supports it). Without
#    this, every kernel start prints a warning about plain-text TCP that a learner cannot act on.
c.KernelManager.transport_encryption = "auto"

# 5. Nothing else in the terminal that a learner cannot act on. No language server is part of
#    the course, so JupyterLab's language-server extension only lists the servers it skipped.
c.ServerApp.jpserver_extensions = {"jupyter_lsp": False}


class _WithoutTrustNotices(logging.Filter):
    """Drop "Notebook ... is not trusted": every notebook just cloned or pulled is not, and
    the course shows its stored outputs (pictures as HTML images) either way."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).endswith("is not trusted")


logging.getLogger("ServerApp").addFilter(_WithoutTrustNotices())
