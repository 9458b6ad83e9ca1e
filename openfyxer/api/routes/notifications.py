"""/api/v1/notifications: channels (targets write-only), quiet hours and digest time, a test per
channel, and the delivery log."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query

from openfyxer.api.deps import DB, CurrentCaller
from openfyxer.api.schemas import ERRORS, ErrorOut
from openfyxer.models.notify import (
    ChannelCreate, ChannelPublic, ChannelUpdate, DeliveryPublic, NotifyPrefs, PushKey, TestRequest,
)
from openfyxer.services.notify import channels, events, history

router = APIRouter(prefix="/notifications", tags=["notifications"], responses=ERRORS)
_ERR = {404: {"model": ErrorOut, "description": "No such channel"}}


@router.get("/channels", response_model=list[ChannelPublic])
def list_channels(caller: CurrentCaller, db: DB) -> list[ChannelPublic]:
    return [channels.public(c) for c in channels.list_channels(db, user_id=caller.user.id)]


@router.post("/channels", response_model=ChannelPublic, status_code=201)
def add_channel(body: ChannelCreate, caller: CurrentCaller, db: DB) -> ChannelPublic:
    out = channels.create(db, user_id=caller.user.id, data=body)
    db.commit()
    return out


@router.patch("/channels/{channel_id}", response_model=ChannelPublic, responses=_ERR)
def change_channel(channel_id: uuid.UUID, body: ChannelUpdate, caller: CurrentCaller, db: DB) -> ChannelPublic:
    out = channels.update(db, user_id=caller.user.id, channel_id=channel_id, data=body)
    db.commit()
    return out


@router.delete("/channels/{channel_id}", status_code=204, responses=_ERR)
def remove_channel(channel_id: uuid.UUID, caller: CurrentCaller, db: DB) -> None:
    channels.remove(db, user_id=caller.user.id, channel_id=channel_id)
    db.commit()


@router.get("/push-key", response_model=PushKey)
def push_key(caller: CurrentCaller) -> PushKey:
    """Subscribe a browser with this key, then add the subscription as a `webpush` channel."""
    return PushKey(public_key=channels.push_key())


@router.post("/test", response_model=DeliveryPublic, status_code=202, responses=_ERR)
def test_channel(body: TestRequest, caller: CurrentCaller, db: DB) -> DeliveryPublic:
    row = events.send_test(db, user=caller.user, channel_id=body.channel_id)
    db.commit()  # the send is declared for after the commit: the answer says it is on its way
    return history.get(db, user_id=caller.user.id, delivery_id=row.id)


@router.get("/deliveries", response_model=list[DeliveryPublic])
def deliveries(caller: CurrentCaller, db: DB, limit: int = Query(50, ge=1, le=200)) -> list[DeliveryPublic]:
    return history.recent(db, user_id=caller.user.id, limit=limit)


@router.get("/preferences", response_model=NotifyPrefs)
def read_prefs(caller: CurrentCaller, db: DB) -> NotifyPrefs:
    out = events.prefs(db, caller.user.id)
    db.commit()  # the first read creates the settings row
    return out


@router.put("/preferences", response_model=NotifyPrefs)
def save_prefs(body: NotifyPrefs, caller: CurrentCaller, db: DB) -> NotifyPrefs:
    out = events.save_prefs(db, user_id=caller.user.id, data=body)
    db.commit()
    return out
