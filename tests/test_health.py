"""GET /healthz tells an operator whether the database, a worker and the scheduler are alive;
GET /metrics exposes webhook, send and outbox figures for Prometheus."""

from __future__ import annotations

from bot import heartbeats


def test_healthz_is_unhealthy_without_worker_and_scheduler(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unhealthy", "database": "ok", "workers": 0, "scheduler": "missing",
                              "bulk_sends": "running"}


def test_healthz_is_ok_with_fresh_heartbeats_and_goes_stale(client, db, clock):
    heartbeats.beat(db, "worker:a", "worker", clock())
    heartbeats.beat(db, "scheduler:a", "scheduler", clock(), {"role": "active"})
    heartbeats.beat(db, "scheduler:b", "scheduler", clock(), {"role": "standby"})
    assert client.get("/healthz").json == {"status": "ok", "database": "ok", "workers": 1, "scheduler": "active",
                                           "bulk_sends": "running"}
    clock.advance(seconds=61)
    heartbeats.beat(db, "scheduler:b", "scheduler", clock(), {"role": "standby"})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert (response.json["workers"], response.json["scheduler"]) == (0, "standby only")


def test_healthz_says_unhealthy_when_the_database_is_gone(app, client, tmp_path, settings):
    from app import create_app

    broken = create_app(settings.with_(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unhealthy", "database": "unreachable"}


def test_metrics_count_webhook_events_sends_and_outbox_depth(client, youth, worker, sandbox):
    youth.follow()
    youth.send_text("ช่วยเหลือ")
    before = client.get("/metrics").get_data(as_text=True)
    assert 'bot_outbox_rows{state="pending"} 2.0' in before
    worker.run_until_idle()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'bot_outbox_rows{state="sent"} 2.0' in text
    assert 'bot_inbox_events{state="processed"} 2.0' in text
    assert 'bot_line_sends_total{endpoint="reply",outcome="sent"}' in text
    assert "bot_line_request_seconds_bucket" in text
    assert "bot_webhook_events_total" in text
