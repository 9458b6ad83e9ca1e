"""What a long meeting's minutes cost with a given model: parts, model calls and seconds.

    python -m bench.minutes [--minutes 120] [--parts 2] [--model qwen2.5-1.5b] [--server URL --server-model M]

A synthetic transcript of `--minutes` minutes (a line every 5 s, about the density of real talk) is
stored in a fresh database and the minutes job runs on it through the product's own router. With
`--parts N` the run stops after N parts and the whole is projected from their pace (each part costs
about the same: the same budget of lines); without it the whole meeting runs and the summary too.
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("OPENFYXER_ENV_FILE", os.devnull)  # a developer's .env does not change the measurement
os.environ.setdefault("OPENFYXER_ENVIRONMENT", "test")
TALK = ("We went through the quarterly numbers for the northern region and they look better than expected.",
        "Sales were slightly up compared with last quarter, mostly thanks to the new retail partners.",
        "Costs for the warehouse are still higher than planned, because of the extra shifts in November.",
        "The team discussed how to reduce shipping delays before the holidays, with a second carrier.",
        "Maria, can you send the invoice to the customer by Friday?",
        "Okay, I will do that, and I will copy Dan on it.",
        "We agreed to keep the marketing budget as it is until January.",
        "Who is going to talk to the supplier about the new prices? We still do not know.",
        "Dan will finish the supplier contract review next Tuesday.",
        "Right, let us move on to the next point on the agenda then.")


def _setup(args: argparse.Namespace, work: Path) -> None:
    os.environ["OPENFYXER_DATA_DIR"] = str(work / "data")
    os.environ.setdefault("OPENFYXER_MODELS_DIR", str(Path.home() / ".cache" / "openfyxer" / "models"))
    os.environ["OPENFYXER_LOCAL_MODEL"] = args.model
    os.environ["OPENFYXER_OLLAMA_URL"] = "http://127.0.0.1:9"
    os.environ["OPENFYXER_LLM_BASE_URL"] = args.server
    os.environ["OPENFYXER_LLM_MODEL"] = args.server_model
    os.environ["OPENFYXER_REDIS_URL"] = ""
    os.environ["OPENFYXER_LLM_CACHE_TTL_SECONDS"] = "0"
    subprocess.run([sys.executable, "-m", "openfyxer.cli", "migrate"], cwd=ROOT, check=True, env=dict(os.environ),
                   stdout=subprocess.DEVNULL)


def _meeting(minutes: int):  # noqa: ANN202
    from openfyxer.core import later
    from openfyxer.core.db import session_scope
    from openfyxer.models.meeting import Meeting, TranscriptSegment
    from openfyxer.services import auth
    from openfyxer.services.meetings import minutes as minutes_service

    later.install(lambda declared: None)  # the bench runs the job itself
    lines = [TALK[i % len(TALK)] for i in range(minutes * 12)]
    with session_scope() as s:
        user = auth.register(s, email="bench@example.com", password="correct horse battery staple")
        m = Meeting(user_id=user.id, title="Quarterly review", status="done", samples=len(lines) * 5 * 16000,
                    language="en", started_at=datetime(2026, 12, 2, 9, tzinfo=UTC),
                    attendees=[{"name": "Maria Ionescu", "email": "maria@client.example"},
                               {"name": "Dan Radu", "email": "dan@partner.example"}])
        s.add(m)
        s.flush()
        for i, text in enumerate(lines):
            s.add(TranscriptSegment(meeting_id=m.id, chunk_index=i // 9, seq=i % 9, start_s=i * 5.0,
                                    end_s=i * 5.0 + 4.5, text=text))
        minutes_service.on_transcribed(s, m)
        return m.id, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=120)
    parser.add_argument("--parts", type=int, default=None, help="stop after this many parts and project")
    parser.add_argument("--model", default="qwen2.5-1.5b")
    parser.add_argument("--server", default="")
    parser.add_argument("--server-model", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-minutes-") as tmp:
        _setup(args, Path(tmp))
        from openfyxer.core.config import get_settings
        from openfyxer.services.assistant import llm
        from openfyxer.services.meetings import minutes, parts

        calls: list[float] = []
        complete = llm.complete

        def counted(*a, **k):  # noqa: ANN002, ANN003, ANN202
            answer = complete(*a, **k)
            calls.append(answer.seconds)
            return answer

        llm.complete = counted
        meeting_id, lines = _meeting(args.minutes)
        choice = llm.choose(None)
        budget = parts.budget_chars(parts.context_tokens(choice), get_settings().minutes_max_tokens)
        plan = parts.plan(lines, budget)
        if choice.provider == "embedded":
            from openfyxer.integrations import llm_local

            llm_local.load(choice.model)  # loading (and a first assembly of the parts) is not the minutes' cost
        started = time.perf_counter()
        status = minutes.summarize_meeting(meeting_id=meeting_id, stop_after=args.parts)
        seconds = time.perf_counter() - started
        ran = min(args.parts, len(plan)) if args.parts else len(plan)
        print(json.dumps({"model": choice.label, "audio_min": args.minutes, "lines": len(lines),
                          "chars": sum(map(len, lines)), "budget_chars": budget, "parts": len(plan), "parts_run": ran,
                          "calls": len(calls), "status": status, "seconds": round(seconds, 1),
                          "seconds_per_part": round(seconds / max(1, ran), 1),
                          "projected_map_s": round(seconds / max(1, ran) * len(plan), 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
