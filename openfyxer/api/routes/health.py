"""/health and /health/{db,redis,neo4j,llm}: 200 when ok or not configured, 503 when down."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from openfyxer.api.schemas import CheckOut, HealthOut
from openfyxer.services import health

router = APIRouter(prefix="/health", tags=["health"])
_DOWN = {503: {"description": "A configured component is down"}}


def _answer(body: dict) -> JSONResponse:
    return JSONResponse(body, status_code=503 if body["status"] == health.DOWN else 200)


@router.get("", response_model=HealthOut, responses={503: {"model": HealthOut, "description": "Something is down"}})
def overall() -> JSONResponse:
    return _answer(health.overall())


def _component(name: str):  # noqa: ANN202
    def check() -> JSONResponse:
        return _answer(health.CHECKS[name]())

    check.__name__ = f"health_{name}"
    return check


for _name in health.CHECKS:
    router.add_api_route(f"/{_name}", _component(_name), methods=["GET"], response_model=CheckOut,
                         responses={503: {"model": CheckOut, "description": f"{_name} is down"}},
                         name=f"health_{_name}")
