"""The numpy trainer of HWD's networks (``python -m hwd train``)."""

import os

# One BLAS thread unless the caller says otherwise, set before numpy is first imported: the
# batch pipeline's augmentation thread needs the other core, OpenBLAS's threads stall one
# another on a busy machine, and one thread makes a seeded run repeatable bit for bit.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
