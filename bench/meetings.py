"""`python -m bench.meetings`: recordings to transcripts (and minutes, when the model is there).

- `wer`, `sample_rtf`: pyannote-audio's real 30 s two-speaker telephone conversation (taken out of
  its wheel by `make install-test`), uploaded and transcribed through the product with the packaged
  Whisper base model; word error rate against its reference transcript; real-time factor.
- `audio_s`, `rtf`, `peak_rss_mb`: one hour of real speech (that sample over and over, as a
  compressed upload) decoded in the sandbox and transcribed chunk by chunk in a separate process,
  whose peak resident memory (its own and its children's) is reported. `--minutes N` shortens it.
- `summary_s`, `action_items_found`: minutes written by the configured model (the packaged one by
  default) for a ten-minute meeting read by espeak-ng from a known script with six action items;
  found = items whose owner and task both appear in one extracted action item.
The last line is the JSON figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
import wave
from pathlib import Path

os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")
os.environ.setdefault("OPENFYXER_REGISTRATION", "open")  # each run signs up a user

import numpy as np  # noqa: E402

from bench.corpus import ROOT  # noqa: E402
from tests import speech  # noqa: E402  (the tests' real speech is the bench's too)


def _database(folder: Path) -> None:
    os.environ["OPENFYXER_DATABASE_URL"] = f"sqlite:///{folder / 'bench.db'}"
    os.environ["OPENFYXER_DATA_DIR"] = str(folder / "data")
    from openfyxer.cli import migrate
    from openfyxer.core.config import reset_settings

    reset_settings()
    migrate()


def transcribe_upload(path: Path, language: str | None = None) -> dict:
    """Upload and transcribe one file through the services; timings and the meeting's figures."""
    from openfyxer.core.db import session_scope
    from openfyxer.models.meeting import SAMPLE_RATE, Meeting
    from openfyxer.services import auth
    from openfyxer.services.meetings import recordings, transcribe
    from tests.helpers import held_jobs

    started = time.perf_counter()
    # The jobs a finished transcription declares (minutes by the model, the knowledge index) are held:
    # they would load the language model into this process and count in its memory and time.
    with held_jobs():
        with session_scope() as s:
            user = auth.register(s, email=f"{uuid.uuid4().hex[:8]}@bench.test", password="bench password 1")
            with open(path, "rb") as f:
                meeting_id = recordings.create(s, user=user, stream=f, filename=path.name, language=language).id
        decoded = time.perf_counter()
        assert transcribe.transcribe_meeting(meeting_id=meeting_id) == "done"
    done = time.perf_counter()
    with session_scope() as s:
        m = s.get(Meeting, meeting_id)
        audio_s = m.samples / SAMPLE_RATE
        return {"meeting_id": str(meeting_id), "audio_s": audio_s, "decode_s": decoded - started,
                "transcribe_s": done - decoded, "transcript": m.transcript or "",
                # VmHWM for this process (ru_maxrss would keep a forking parent's peak across exec).
                "peak_rss_mb": max(int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]),
                                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) // 1024}


def real_sample(folder: Path) -> dict:
    data, reference = speech.real_sample()
    path = folder / "sample.wav"
    path.write_bytes(data)
    out = transcribe_upload(path)
    said = " ".join(words for *_, words in reference)
    return {"wer": round(speech.wer(said, out["transcript"]), 3),
            "sample_rtf": round(out["transcribe_s"] / out["audio_s"], 3)}


def long_recording(folder: Path, minutes: float) -> dict:
    """The sample tiled to `minutes`, encoded as Ogg/Opus, transcribed in a child whose memory is measured."""
    data, _ = speech.real_sample()
    with wave.open(io.BytesIO(data)) as w:
        one = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    total = int(minutes * 60 * 16000)
    path = speech.encode(np.tile(one, total // len(one) + 1)[:total], "ogg", folder / "long.ogg", stereo=False,
                         rate=16000)
    done = subprocess.run([sys.executable, "-m", "bench.meetings", "--child", str(path)], cwd=ROOT,
                          env=dict(os.environ), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {"audio_s": round(out["audio_s"], 1), "rtf": round(out["transcribe_s"] / out["audio_s"], 3),
            "decode_s": round(out["decode_s"], 1), "peak_rss_mb": out["peak_rss_mb"]}


# Who does what, said in the meeting the way people say it; each is looked for in the minutes.
ACTIONS = (("maria", "invoice", "Maria will send the invoice to the customer tomorrow."),
           ("peter", "server", "Peter will install the new server next week."),
           ("john", "report", "John, please write the sales report by Friday."),
           ("anna", "contract", "Anna will call the supplier about the contract on Monday."),
           ("david", "slides", "David should prepare the slides for the board meeting."),
           ("laura", "training", "Laura will book the security training for the whole team."))
TALK = ("Good morning everyone, today we review the quarterly budget.",
        "The budget for marketing stays the same as last quarter.",
        "We decided to move the design review to Thursday afternoon.",
        "Sales grew by eight percent in the last three months.",
        "We agreed to pause hiring until the end of the month.",
        "The customer asked for a discount, and we said no.",
        "Is the new office ready? Nobody knows yet.",
        "The lawyers are still reading the contract with the supplier.")


def script_meeting(folder: Path, minutes: float = 10.0) -> Path:
    lines = []
    while sum(len(t.split()) for t in lines) < minutes * 130:  # about 130 spoken words a minute
        lines += list(TALK[len(lines) % len(TALK):][:2]) + [ACTIONS[len(lines) % len(ACTIONS)][2]]
    voices = ("en-us+m3", "en-us+f3", "en+m7")
    gap = np.zeros(int(0.8 * speech.RATE), dtype="<i2")
    audio = np.concatenate([np.concatenate([speech.say(t, voice=voices[i % 3]), gap]) for i, t in enumerate(lines)])
    path = folder / "script.wav"
    path.write_bytes(speech.wav_bytes(audio))
    return path


def minutes_of(folder: Path) -> dict:
    from openfyxer.core.db import session_scope
    from openfyxer.models.meeting import Meeting
    from openfyxer.services.meetings import minutes

    out = transcribe_upload(script_meeting(folder), language="en")
    meeting_id = uuid.UUID(out["meeting_id"])
    started = time.perf_counter()
    state = minutes.summarize_meeting(meeting_id=meeting_id)
    while state == "summarizing":  # a run hands on to the next after its time budget
        state = minutes.summarize_meeting(meeting_id=meeting_id)
    took = time.perf_counter() - started
    with session_scope() as s:
        made = (s.get(Meeting, meeting_id).minutes or {})
    items = [json.dumps(i).lower() for i in made.get("action_items") or []]
    found = sum(any(owner in i and task in i for i in items) for owner, task, _ in ACTIONS)
    return {"summary_s": round(took, 1), "action_items_found": f"{found}/{len(ACTIONS)}", "minutes_state": state,
            "script_audio_s": round(out["audio_s"], 1), "script_wer_words": len(speech.words(out["transcript"]))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the long recording")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # the long recording's own process, so its peak memory is its own
        print(json.dumps(transcribe_upload(Path(args.child)) | {"transcript": None}))
        return
    with tempfile.TemporaryDirectory(prefix="bench-meetings-") as tmp:
        folder = Path(tmp)
        _database(folder)
        figures = real_sample(folder)
        print("real sample:", figures, flush=True)
        figures |= long_recording(folder, args.minutes)
        print("long recording:", figures, flush=True)
        figures |= minutes_of(folder)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
