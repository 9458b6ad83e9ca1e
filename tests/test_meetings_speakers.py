"""Speakers: the diarization plug-in point (OPENFYXER_DIARIZER) and labels renamed to attendees. No
diarization model installs offline (services/meetings/speakers.py says why), so none runs by default;
the plug-in here tells two espeak-ng voices apart by pitch (tests/diarizer_plugin.py)."""

from __future__ import annotations

import io
import uuid

import numpy as np
import pytest
from sqlmodel import select

from openfyxer.core.db import session_scope
from openfyxer.core.errors import ValidationError
from openfyxer.models.user import User
from openfyxer.services.meetings import recordings, speakers, transcribe
from tests import speech
from tests.conftest import apply_env
from tests.helpers import bearer, held_jobs, signed_up

LOW, HIGH = "en-us+m3", "en-us+f4"


def _two_voices() -> bytes:
    gap = np.zeros(int(1.2 * speech.RATE), dtype="<i2")
    parts = []
    for i, (_, text) in enumerate(speech.SCRIPT[:4]):
        parts += [speech.say(text, voice=LOW if i % 2 == 0 else HIGH), gap]
    return speech.wav_bytes(np.concatenate(parts))


@pytest.fixture(scope="module")
def two_voices() -> bytes:
    return _two_voices()


def _transcribed(data: bytes, email: str | None = None) -> tuple[uuid.UUID, uuid.UUID, list]:
    from openfyxer.services import auth

    with held_jobs() as jobs, session_scope() as s:
        user = (s.exec(select(User).where(User.email == email)).one() if email else
                auth.register(s, email=f"{uuid.uuid4().hex[:8]}@owner.test", password="correct horse battery"))
        meeting_id, user_id = recordings.create(s, user=user, stream=io.BytesIO(data), filename="m.wav").id, user.id
    with held_jobs() as jobs:
        assert transcribe.transcribe_meeting(meeting_id=meeting_id) == "done"
    return meeting_id, user_id, [j.name for j in jobs]


def test_without_a_plugin_no_line_gets_a_speaker(sqlite_url, two_voices):  # noqa: ANN001
    """GIVEN no diarizer configured WHEN a meeting is transcribed THEN no labelling job, and no line has a
    speaker: no label is guessed."""
    meeting_id, _, declared = _transcribed(two_voices)
    assert "diarize_meeting" not in declared
    assert speakers.diarize_meeting(meeting_id=meeting_id) == "off"
    with session_scope() as s:
        assert speakers.labels(s, meeting_id) == [] and all(g.speaker is None for g in recordings.segments(s, meeting_id))


def test_a_plugin_labels_each_line_and_a_label_is_renamed_to_an_attendee(sqlite_url, two_voices, monkeypatch):  # noqa: ANN001
    """GIVEN a diarizer plug-in WHEN a meeting of two alternating voices is transcribed THEN the labelling job
    is declared, and each line gets its voice's label; WHEN "Speaker 2" is renamed THEN only its lines change,
    and labelling again keeps the name the user gave."""
    apply_env(monkeypatch, diarizer="tests.diarizer_plugin:by_pitch")
    meeting_id, user_id, declared = _transcribed(two_voices)
    assert "diarize_meeting" in declared
    assert speakers.diarize_meeting(meeting_id=meeting_id) == "labelled"
    with session_scope() as s:
        lines = [(g.speaker, g.text) for g in recordings.segments(s, meeting_id)]
        assert speakers.labels(s, meeting_id) == ["Speaker 1", "Speaker 2"]
    said_by = {word: i % 2 for i, (word, _) in enumerate(speech.SCRIPT[:4])}
    for label, text in lines:
        for word, voice in said_by.items():
            if word in text.lower():
                assert label == ("Speaker 1" if voice == 0 else "Speaker 2"), (label, text)
    with session_scope() as s:
        assert speakers.rename(s, user=s.get(User, user_id), meeting_id=meeting_id, label="Speaker 2",
                               name="  Maria   Ionescu ") == sum(1 for label, _ in lines if label == "Speaker 2")
    assert speakers.diarize_meeting(meeting_id=meeting_id) == "labelled"
    with session_scope() as s:
        assert speakers.labels(s, meeting_id) == ["Speaker 1", "Maria Ionescu"]
        with pytest.raises(ValidationError, match="no line"):
            speakers.rename(s, user=s.get(User, user_id), meeting_id=meeting_id, label="Speaker 9", name="X")


def test_a_broken_plugin_is_named_and_leaves_the_transcript(sqlite_url, two_voices, monkeypatch):  # noqa: ANN001
    """GIVEN a diarizer setting naming nothing importable WHEN the job runs THEN a clear error naming the
    setting, and the transcript is as it was."""
    apply_env(monkeypatch, diarizer="tests.no_such_module:label")
    meeting_id, _, _ = _transcribed(two_voices)
    with pytest.raises(ValidationError, match="OPENFYXER_DIARIZER"):
        speakers.diarize_meeting(meeting_id=meeting_id)
    with session_scope() as s:
        assert recordings.segments(s, meeting_id) and speakers.labels(s, meeting_id) == []


def test_the_api_lists_and_renames_speakers_of_the_callers_meetings_only(client, two_voices, monkeypatch):  # noqa: ANN001
    """GIVEN a labelled meeting WHEN its owner renames a speaker through the API THEN the list says so; another
    user gets 404, an unknown label 422."""
    apply_env(monkeypatch, diarizer="tests.diarizer_plugin:by_pitch")
    auth = bearer(signed_up(client))
    meeting_id, _, _ = _transcribed(two_voices, "ana@example.com")
    speakers.diarize_meeting(meeting_id=meeting_id)
    url = f"/api/v1/meetings/{meeting_id}/speakers"
    assert client.get(url, headers=auth).json() == {"speakers": ["Speaker 1", "Speaker 2"], "renamed": 0}
    r = client.patch(url, headers=auth, json={"label": "Speaker 1", "name": "Dan Matei"})
    assert r.status_code == 200 and r.json()["speakers"] == ["Dan Matei", "Speaker 2"] and r.json()["renamed"] > 0
    assert client.patch(url, headers=auth, json={"label": "Speaker 7", "name": "X"}).status_code == 422
    other = bearer(signed_up(client, "bob@example.com"))
    assert client.get(url, headers=other).status_code == 404
    assert client.patch(url, headers=other, json={"label": "Speaker 2", "name": "X"}).status_code == 404
