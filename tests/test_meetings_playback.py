"""Playing a meeting back: the decoded sound as WAV by byte ranges, opened with a bearer token or a
signed playback key (what the dashboard's <audio> element gets)."""

from __future__ import annotations

import io
import time
import uuid
import wave

import numpy as np
import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.core.errors import AuthError
from openfyxer.models.user import User
from openfyxer.services.meetings import playback, recordings
from tests import speech
from tests.helpers import bearer, held_jobs, signed_up


def _upload(email: str) -> tuple[uuid.UUID, uuid.UUID]:
    data = speech.wav_bytes(speech.say("The budget review is on Thursday."))
    with held_jobs(), session_scope() as s:
        user = s.exec(select(User).where(User.email == email)).one()
        return recordings.create(s, user=user, stream=io.BytesIO(data), filename="a.wav").id, user.id


def test_the_recording_plays_as_wav_by_ranges_with_a_token_or_a_key(client):  # noqa: ANN001
    """GIVEN a decoded meeting WHEN its audio is fetched whole, by ranges, and with a playback key THEN it is
    the decoded samples as WAV, each range the same bytes as the whole, Content-Range right; a range past the
    end is 416; another user's token gets 404; another meeting's key, a forged or an expired key get 401."""
    auth = bearer(signed_up(client))
    meeting_id, user_id = _upload("ana@example.com")
    whole = client.get(f"/api/v1/meetings/{meeting_id}/audio", headers=auth)
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
    assert whole.headers["accept-ranges"] == "bytes"
    with wave.open(io.BytesIO(whole.content)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        played = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    with session_scope() as s:
        meeting = recordings.get(s, user=s.get(User, user_id), meeting_id=meeting_id)
        decoded = np.fromfile(recordings.pcm_path(meeting), "<i2")
    assert np.array_equal(played, decoded) and len(played) == meeting.samples > 16000
    total = len(whole.content)
    for asked, (start, end) in {"bytes=0-99": (0, 99), "bytes=40-1000": (40, 1000), "bytes=-10": (total - 10, total - 1),
                                f"bytes=1000-{total + 50}": (1000, total - 1), "bytes=44-": (44, total - 1)}.items():
        part = client.get(f"/api/v1/meetings/{meeting_id}/audio", headers={**auth, "Range": asked})
        assert part.status_code == 206, asked
        assert part.headers["content-range"] == f"bytes {start}-{end}/{total}"
        assert part.content == whole.content[start:end + 1], asked
    past = client.get(f"/api/v1/meetings/{meeting_id}/audio", headers={**auth, "Range": f"bytes={total}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{total}"

    key = playback.key_for(meeting_id, user_id)
    assert client.get(f"/api/v1/meetings/{meeting_id}/audio", params={"key": key}).content == whole.content
    other_auth = bearer(signed_up(client, "bob@example.com"))
    assert client.get(f"/api/v1/meetings/{meeting_id}/audio", headers=other_auth).status_code == 404
    bobs_meeting, bob_id = _upload("bob@example.com")
    assert client.get(f"/api/v1/meetings/{bobs_meeting}/audio", params={"key": key}).status_code == 401
    forged = key[:-1] + ("0" if key[-1] != "0" else "1")
    assert client.get(f"/api/v1/meetings/{meeting_id}/audio", params={"key": forged}).status_code == 401
    old = playback.key_for(meeting_id, user_id, now=time.time() - playback.KEY_LIFETIME_S - 1)
    assert client.get(f"/api/v1/meetings/{meeting_id}/audio", params={"key": old}).status_code == 401
    assert client.get(f"/api/v1/meetings/{meeting_id}/audio").status_code == 401


def test_a_key_names_its_owner_only_for_its_meeting(sqlite_url):  # noqa: ANN001
    """GIVEN a key WHEN checked for its meeting THEN its owner; for another meeting, or mangled THEN refused."""
    meeting, owner = uuid.uuid4(), uuid.uuid4()
    key = playback.key_for(meeting, owner)
    assert playback.user_of(meeting, key) == owner
    for bad_meeting, bad_key in [(uuid.uuid4(), key), (meeting, "x.y.z"), (meeting, ""), (meeting, key + "0")]:
        with pytest.raises(AuthError):
            playback.user_of(bad_meeting, bad_key)
