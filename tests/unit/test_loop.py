"""The one loop helper every background worker runs on: a full batch goes again at once, a wake-up cuts the wait
short, a failing round is retried after a doubling pause without ending the loop, stop ends it."""

from __future__ import annotations

import asyncio
import time

from shared.runtime.loop import Loop


async def test_a_round_with_more_waiting_runs_again_at_once_and_an_empty_one_waits_its_interval():
    calls = []

    async def round():
        calls.append(time.monotonic())
        return len(calls) < 3  # two full batches, then nothing

    loop = Loop("t", round, interval=0.3)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.15)
    assert len(calls) == 3 and calls[2] - calls[0] < 0.1
    await asyncio.sleep(0.3)
    assert len(calls) == 4
    loop.stop()
    await asyncio.wait_for(task, 1)


async def test_a_wake_up_cuts_the_wait_short():
    calls = []

    async def round():
        calls.append(time.monotonic())

    loop = Loop("t", round, interval=30)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.05)
    loop.wake()
    await asyncio.sleep(0.05)
    assert len(calls) == 2
    loop.stop()
    await asyncio.wait_for(task, 1)


async def test_a_failing_round_is_retried_after_a_doubling_pause_and_the_loop_carries_on():
    calls = []

    async def round():
        calls.append(time.monotonic())
        if len(calls) <= 2:
            raise ConnectionError("the database is away")
        return False

    loop = Loop("t", round, interval=30, backoff=0.05, max_backoff=1)
    task = asyncio.create_task(loop.run())
    await asyncio.sleep(0.4)
    assert len(calls) == 3 and loop.failures == 0
    assert calls[1] - calls[0] >= 0.05 and calls[2] - calls[1] >= 0.1  # 0.05, then 0.1
    loop.stop()
    await asyncio.wait_for(task, 1)
    assert not task.cancelled() and task.exception() is None
