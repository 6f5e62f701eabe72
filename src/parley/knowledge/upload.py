"""Finding the CSV file part of a multipart request (HTTP only; what the file holds is checked later).

Problems are returned, not raised, so that the service can check the caller's access to the agent
and branch first: a caller without access learns nothing from the shape of its upload.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from parley.knowledge.csv_format import MissingUpload, Upload

FIELD = "file"
_HOW = f"send the CSV as multipart/form-data in a file part named '{FIELD}'"


async def read_upload(request: Request) -> Upload | MissingUpload:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "multipart/form-data":
        return MissingUpload(f"The request has no file part: {_HOW}.")
    try:
        form = await request.form()
    except (HTTPException, MultiPartException):
        return MissingUpload(f"The multipart body could not be parsed: {_HOW}.")
    try:
        parts = form.getlist(FIELD)
        files = [part for part in parts if isinstance(part, UploadFile)]
        if not parts:
            return MissingUpload(f"The request has no part named '{FIELD}': {_HOW}.")
        if not files:
            return MissingUpload(f"The part '{FIELD}' holds a text value, not a file: {_HOW}.")
        if len(parts) > 1:
            return MissingUpload(f"Send exactly one part named '{FIELD}', not {len(parts)}.")
        file = files[0]
        content = await file.read()
        return Upload(content_type=file.content_type or "", content=content)
    finally:
        await form.close()
