"""`GET /photos/<sha256>`: a case photo for staff (report and resolution photos on the case pages).

The global guard (`auth/guard.py`) already refuses anyone without a staff session; here a photo is
served only when it belongs to a case within the caller's communities, so knowing a hash is not
enough to see a photo from another community. Out of scope looks the same as missing (404).
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, send_file

from auth.context import current_config, current_engine, current_user
from data_access.db import reading
from data_access.photos import photo_path
from data_access.public_cases import staff_photo_mime
from data_access.scope import community_ids_for

bp = Blueprint("photos", __name__)
SHA = re.compile(r"^[0-9a-f]{64}$")
CACHE_SECONDS = 7 * 24 * 3600


@bp.get("/photos/<sha256>")
def staff_photo(sha256: str):
    user = current_user()
    if user is None:  # the guard answers first; this keeps the route safe if it is ever made public
        abort(401)
    if not SHA.match(sha256):
        abort(404)
    with reading(current_engine()) as s:
        mime = staff_photo_mime(s, sha256, community_ids_for(s, user.id))
    if mime is None:
        abort(404)
    path = photo_path(current_config().instance_path, sha256, mime)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mime, conditional=True, etag=sha256, max_age=CACHE_SECONDS)
    # content-addressed: the bytes behind a hash never change; private: not for shared caches
    response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
