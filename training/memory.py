"""Give freed tensor memory back to the operating system (glibc's malloc, i.e. Linux).

glibc serves a block of at least M_MMAP_THRESHOLD bytes (128 KiB to start with) with its
own mmap and unmaps it when freed. But each time such a block is freed, glibc raises the
threshold to that block's size, up to 32 MiB. After the first training step, every
gradient and activation under 32 MiB then comes from the heap arenas, which keep freed
memory for reuse and fragment around the long-lived optimizer state, so the peak RSS holds
a large share of free memory. Setting the threshold explicitly switches the raising off,
so large frees leave the process at once.

The price is time: every large tensor is then fresh pages from the kernel, faulted in and
zeroed, which costs a model with many large tensors a good part of its pairs/s (figures in
benchmarks/README.md, "Design figures"). So it is opt-in
(`TrainConfig.return_memory_to_os`); the setting is process-wide and `train` makes it
first, in whatever process runs it.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc <malloc.h>
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, now kept fixed


def return_large_frees_to_os() -> bool:
    """Fix glibc's mmap threshold at 128 KiB. True when set; False where malloc is not glibc's."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # musl and other C libraries: nothing to set
        return False
    return libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
