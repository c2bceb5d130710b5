"""Faulty parse functions for the isolation tests; they run inside the worker processes.

A marker in the file's bytes picks the fault, so one pool run mixes good and bad documents.
"""
from __future__ import annotations

import os
import signal
import time

from ingest.workers import parse_to_dict


def parse_with_faults(pdf_path: str, document_id: str) -> dict:
    with open(pdf_path, "rb") as fh:
        data = fh.read()
    if b"FAULT:HANG" in data:
        time.sleep(3600)
    if b"FAULT:CRASH" in data:
        os.kill(os.getpid(), signal.SIGKILL)
    if b"FAULT:OOM" in data:
        hog = bytearray(8 * 1024**3)  # more than the worker's address-space limit
        return {"never": len(hog)}
    if b"FAULT:BUG" in data:
        raise ZeroDivisionError("a parser bug")
    return parse_to_dict(pdf_path, document_id)
