"""Database leases: one holder of an unexpired lease at a time, renewals, expiry and release, and many
holders racing from threads at the same instant (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from bot.leases import holder_of, release, try_acquire
from models import Lease

TTL = dt.timedelta(seconds=30)


def lease_row(db, name="scheduler") -> Lease | None:
    with db.sessions() as session:
        return session.scalar(select(Lease).where(Lease.name == name))


def test_a_free_lease_is_taken_and_only_its_holder_renews_it(db, clock):
    start = clock()
    assert try_acquire(db, "scheduler", "a", start, TTL)
    assert not try_acquire(db, "scheduler", "b", start, TTL)
    renewed_at = clock.advance(seconds=20)
    assert try_acquire(db, "scheduler", "a", renewed_at, TTL)
    row = lease_row(db)
    assert (row.holder, row.acquired_at, row.expires_at) == ("a", start, renewed_at + TTL)
    assert holder_of(db, "scheduler", renewed_at) == "a"


def test_an_expired_lease_goes_to_the_next_caller_and_its_old_holder_cannot_renew(db, clock):
    start = clock()
    assert try_acquire(db, "scheduler", "a", start, TTL)
    assert not try_acquire(db, "scheduler", "b", start + TTL, TTL)  # still held at the expiry instant
    later = start + TTL + dt.timedelta(microseconds=1)
    assert holder_of(db, "scheduler", later) is None
    assert try_acquire(db, "scheduler", "b", later, TTL)
    assert not try_acquire(db, "scheduler", "a", later, TTL)
    row = lease_row(db)
    assert (row.holder, row.acquired_at) == ("b", later)


def test_release_frees_the_lease_at_once_but_only_for_its_holder(db, clock):
    now = clock()
    assert try_acquire(db, "scheduler", "a", now, TTL)
    assert not release(db, "scheduler", "b")
    assert holder_of(db, "scheduler", now) == "a"
    assert release(db, "scheduler", "a")
    assert holder_of(db, "scheduler", now) is None
    assert try_acquire(db, "scheduler", "b", now, TTL)


def test_leases_are_independent_by_name(db, clock):
    now = clock()
    assert try_acquire(db, "scheduler", "a", now, TTL)
    assert try_acquire(db, "other", "b", now, TTL)
    assert (holder_of(db, "scheduler", now), holder_of(db, "other", now)) == ("a", "b")


def race(db, holders, instants):
    """Every holder calls try_acquire at each instant, all threads released together; the winners."""
    barrier = threading.Barrier(len(holders), timeout=60)
    winners: dict[int, list[str]] = {index: [] for index in range(len(instants))}
    record = threading.Lock()

    def contender(holder):
        for index, instant in enumerate(instants):
            barrier.wait()  # everyone calls at once
            if try_acquire(db, "race", holder, instant, TTL):
                with record:
                    winners[index].append(holder)
            barrier.wait()  # the round is over for everyone

    threads = [threading.Thread(target=contender, args=(holder,)) for holder in holders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return winners


def test_racing_holders_never_share_an_unexpired_lease(db, clock):
    holders = [f"holder-{index}" for index in range(6)]
    steps = [dt.timedelta(seconds=20 if index % 3 else 45) for index in range(30)]  # renewals and expiries
    instants = [clock() + sum(steps[:index], dt.timedelta(0)) for index in range(len(steps))]
    winners = race(db, holders, instants)

    expires_at = None
    previous = None
    for index, instant in enumerate(instants):
        assert len(winners[index]) == 1, f"round {index}: {winners[index]}"
        (winner,) = winners[index]
        if expires_at is not None and instant <= expires_at:
            assert winner == previous  # unexpired: only its holder could renew it
        previous, expires_at = winner, instant + TTL
    assert lease_row(db, "race").holder == previous
