"""/health and /health/{db,redis,neo4j,llm}: 200 when ok or not configured, 503 when down.

Anyone (a load balancer, a monitor) gets the status alone; the details (each check, its backend,
latency and error, the model, the queues) go only to a request with an administrator's bearer
token: an error names hosts and versions a stranger has no business knowing."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from openfyxer.api.deps import Administrator
from openfyxer.api.schemas import CheckOut, HealthOut
from openfyxer.services import health

router = APIRouter(prefix="/health", tags=["health"])


def _answer(body: dict, admin: object) -> JSONResponse:
    return JSONResponse(body if admin else {"status": body["status"]},
                        status_code=503 if body["status"] == health.DOWN else 200)


@router.get("", response_model=HealthOut, responses={503: {"model": HealthOut, "description": "Something is down"}})
def overall(admin: Administrator) -> JSONResponse:
    return _answer(health.overall(), admin)


def _component(name: str):  # noqa: ANN202
    def check(admin: Administrator) -> JSONResponse:
        return _answer(health.CHECKS[name](), admin)

    check.__name__ = f"health_{name}"
    return check


for _name in health.CHECKS:
    router.add_api_route(f"/{_name}", _component(_name), methods=["GET"], response_model=CheckOut,
                         responses={503: {"model": CheckOut, "description": f"{_name} is down"}},
                         name=f"health_{_name}")
