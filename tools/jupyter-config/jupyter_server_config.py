# The course's Jupyter settings, read by every way the course starts: `make lab` and
# `make present` put this folder on JUPYTER_CONFIG_PATH, Binder's `binder/start` does the same.
# A learner's own ~/.jupyter settings still come first.
#
# Memory: each notebook's kernel holds about 300 MB once torch is imported, and JupyterLab
# keeps a kernel running for every notebook opened. A learner who follows the Next links
# through the course would hold every kernel at once, past Binder's 2 GB. Two of Jupyter's
# own mechanisms keep one learner to one or two kernels:
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
