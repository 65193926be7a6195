"""The ``gridlink`` command line: run the platform, mint local tokens, create topics, write the AsyncAPI document."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from pathlib import Path

import click

from shared.auth import Role, issue_token


@click.group()
def main() -> None:
    """gridlink: what residents raise, from their voice to their verdict."""


@main.command()
@click.option("--demo/--no-demo", default=True, show_default=True, help="Load the demo ground (idempotent).")
def up(demo: bool) -> None:
    """Start the whole platform in the foreground; Ctrl-C stops it in order."""
    from gridlink.launcher import Platform, PlatformConfig

    platform = Platform(PlatformConfig.from_env(demo_data=demo), say=lambda m: click.echo(f"gridlink: {m}"))
    stop = threading.Event()

    def on_signal(*_) -> None:
        stop.set()
        if not platform.started:
            raise KeyboardInterrupt  # abandon a start in progress; what did start is stopped below

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    code = 0
    try:
        platform.start()
        click.echo("\ngridlink is up:")
        for name, url in platform.urls().items():
            click.echo(f"  {name:<13} {url}   (API docs: {url}/docs)")
        click.echo(f"  data          {platform.config.data_dir}   (logs in {platform.logs})")
        click.echo(f"  broker        {platform.bootstrap}")
        click.echo("Press Ctrl-C to stop.\n")
        while not stop.wait(0.5):
            if not platform.running():
                click.echo("gridlink: a service stopped unexpectedly; see its log", err=True)
                code = 1
                break
    except KeyboardInterrupt:
        click.echo("gridlink: interrupted during start")
        code = 130
    except Exception as exc:  # a start failure: say why, then stop what did start
        click.echo(f"gridlink: could not start: {exc}", err=True)
        code = 1
    finally:
        # Ctrl-C during the shutdown must not interrupt the ordered stop.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        platform.stop()
        click.echo("gridlink: stopped")
    sys.exit(code)


@main.command()
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_id", default=None, help="Unit id, for unit staff.")
@click.option("--jurisdiction", default="cn-changning", show_default=True)
@click.option("--subject", default=None, help="Who the token names (default: role and a random suffix).")
@click.option("--hours", default=12.0, show_default=True, help="Lifetime in hours.")
def token(role: str, unit_id: str | None, jurisdiction: str, subject: str | None, hours: float) -> None:
    """Print a bearer token signed with the local platform's key."""
    from datetime import timedelta

    from gridlink.keys import ensure_keypair

    if role == Role.UNIT_STAFF and not unit_id:
        raise click.UsageError("--unit is required for unit_staff")
    private_pem, _ = ensure_keypair(Path(os.environ.get("GRIDLINK_DATA_DIR", ".gridlink")).resolve())
    click.echo(issue_token(private_pem, role=Role(role), jurisdiction=jurisdiction, unit_id=unit_id, subject=subject,
                           ttl=timedelta(hours=hours)))


@main.command()
@click.option("--bootstrap-servers", envvar="KAFKA_BOOTSTRAP_SERVERS", default="127.0.0.1:9092", show_default=True)
@click.option("--replication-factor", default=1, show_default=True)
def topics(bootstrap_servers: str, replication_factor: int) -> None:
    """Create every topic of the event registry and its dead-letter topic."""
    from shared.messaging.kafka import ensure_topics

    created = asyncio.run(ensure_topics(bootstrap_servers, replication_factor=replication_factor))
    click.echo("\n".join(created) if created else "all topics present")


@main.command()
@click.option("--check", is_flag=True, help="Fail if docs/asyncapi.yaml differs from the registry.")
@click.option("--path", default="docs/asyncapi.yaml", show_default=True, type=click.Path(path_type=Path))
def asyncapi(check: bool, path: Path) -> None:
    """Write the AsyncAPI 3 document generated from the event registry."""
    from shared.events.asyncapi import render_asyncapi

    text = render_asyncapi()
    if check:
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            raise click.ClickException(f"{path} is stale: run `gridlink asyncapi`")
        click.echo(f"{path} is current")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}")


@main.command("bench-flow")
@click.option("--intake-url", default="http://127.0.0.1:8001", show_default=True)
@click.option("--service-urls", show_default=True,
              default="http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003,http://127.0.0.1:8004",
              help="The four services, whose /readyz tells when everything is drained.")
@click.option("--reports", default=300, show_default=True)
@click.option("--concurrency", default=20, show_default=True)
@click.option("--out", default="bench-results/thin-flow.json", show_default=True, type=click.Path(path_type=Path))
def bench_flow(intake_url: str, service_urls: str, reports: int, concurrency: int, out: Path) -> None:
    """Measure the thin flow on a running platform (`gridlink up` in another terminal); prints and saves figures."""
    import json

    from gridlink.bench import bench_flow as run

    click.echo(json.dumps(run(intake_url, service_urls.split(","), reports=reports, concurrency=concurrency, out=out), ensure_ascii=False,
                          indent=2))
    click.echo(f"saved {out}")


@main.command("bench-messaging")
@click.option("--events", default=2000, show_default=True)
@click.option("--out", default="bench-results/messaging.json", show_default=True, type=click.Path(path_type=Path))
def bench_messaging(events: int, out: Path) -> None:
    """Measure the messaging path alone (outbox, relay, consumer) on its own embedded PostgreSQL and Tansu."""
    import json

    from gridlink.bench import bench_messaging as run

    click.echo(json.dumps(run(events=events, out=out), ensure_ascii=False, indent=2))
    click.echo(f"saved {out}")


if __name__ == "__main__":
    main()
