"""The event loop: uvloop where installed (on this platform it is), chosen once in entrypoints.loops."""

from __future__ import annotations

import asyncio

import uvloop
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.brokers.stub import StubBroker

from adapters.dramatiq.broker import PatientAsyncIO
from entrypoints.loops import LOOP, new_event_loop


def _actor_loop(middleware: PatientAsyncIO) -> asyncio.AbstractEventLoop:
    """The loop the middleware's thread runs async actors on, while a worker would be up."""
    broker = StubBroker()
    middleware.before_worker_boot(broker, None)
    try:
        thread = get_event_loop_thread()
        assert thread is not None
        assert thread.loop.is_running()
        return thread.loop
    finally:
        middleware.after_worker_shutdown(broker, None)


def test_workers_run_their_actors_on_the_loop_the_entry_points_choose() -> None:
    assert LOOP == "uvloop"
    assert isinstance(_actor_loop(PatientAsyncIO(new_event_loop)), uvloop.Loop)


def test_the_adapter_alone_runs_asyncio_s_own_loop() -> None:
    assert not isinstance(_actor_loop(PatientAsyncIO()), uvloop.Loop)
