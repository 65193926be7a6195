"""The ``gridlink`` command line: run the platform, mint local tokens, create topics, write the AsyncAPI document."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import click

from shared.auth import Role, issue_token
from shared.demo import demo_data


@click.group()
def main() -> None:
    """gridlink: what residents raise, from their voice to their verdict."""


@main.command()
@click.option("--demo/--no-demo", default=True, show_default=True, help="Load the demo ground (idempotent).")
@click.option("--demo-traffic", is_flag=True, help="Play the city as well (`gridlink simulate`), at its default rate.")
def up(demo: bool, demo_traffic: bool) -> None:
    """Start the whole platform in the foreground; Ctrl-C stops it in order."""
    from gridlink.launcher import Platform, PlatformConfig

    platform = Platform(PlatformConfig.from_env(demo_data=demo), say=lambda m: click.echo(f"gridlink: {m}"))
    # A plain flag: a signal handler that took a lock (an Event.set) could deadlock with the main thread
    # holding that same lock inside Event.wait when the signal lands.
    stop_requested = [False]

    def on_signal(*_) -> None:
        stop_requested[0] = True
        if not platform.started:
            raise KeyboardInterrupt  # abandon a start in progress; what did start is stopped below

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    code = 0
    try:
        platform.start()
        click.echo("\ngridlink is up:")
        for name, url in platform.urls().items():
            if name != "console":
                click.echo(f"  {name:<13} {url}   (API docs: {url}/docs)")
        click.echo(f"  console       {platform.urls()['console']}   (staff pages; sign in below)")
        if platform.config.demo_data:
            demo = demo_data("accounts")["accounts"]
            click.echo(f"  demo accounts {', '.join(a['username'] for a in demo)} (each with the password "
                       f"{demo[0]['password']}; demo ground only)")
        click.echo(f"  data          {platform.config.data_dir}   (logs in {platform.logs})")
        kept = ("   (its data in the object store at " + platform.object_store.endpoint + ")" if platform.object_store
                else "   (its data in memory)" if platform.broker else "")
        click.echo(f"  broker        {platform.bootstrap}{kept}")
        if demo_traffic:
            _play_in_background(platform.config)
            click.echo("  demo traffic  residents reporting, units working, residents judging (gridlink simulate)")
        click.echo("Press Ctrl-C to stop.\n")
        while not stop_requested[0]:
            time.sleep(0.5)
            if not stop_requested[0] and not platform.running():
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


def _play_in_background(config) -> None:
    import threading

    from gridlink.simulate import city_of

    city = city_of(config, reports_per_minute=6.0, say=lambda m: None)
    threading.Thread(target=lambda: asyncio.run(city.run()), name="demo-traffic", daemon=True).start()


@main.command()
@click.option("--rate", default=6.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Reports a minute, over every channel.")
@click.option("--minutes", default=None, type=click.FloatRange(0.1, None), help="Stop after this long (default: "
              "until Ctrl-C).")
@click.option("--seed", default=None, type=int, help="The same city each time.")
def simulate(rate: float, minutes: float | None, seed: int | None) -> None:
    """Play the city against the running platform (`gridlink up`): residents report on every channel, the linkage
    centre places what no rule could, units sign for, progress and complete (some late, some returned), residents
    judge (some dissatisfied). Prints what happened when it stops."""
    from gridlink.launcher import PlatformConfig
    from gridlink.simulate import city_of

    city = city_of(PlatformConfig.from_env(), reports_per_minute=rate, seed=seed, say=click.echo)
    click.echo(f"gridlink: playing the city at {rate:g} reports a minute; Ctrl-C stops")
    try:
        counts = asyncio.run(city.run(duration=minutes * 60 if minutes else None))
    except KeyboardInterrupt:
        counts = city.counts
    for what, n in sorted(counts.items()):
        click.echo(f"  {what:<32} {n}")


@main.command()
@click.option("--console-url", default=None, help="Default: the local platform's console.")
@click.option("--out", default="docs/screenshots", show_default=True, type=click.Path(path_type=Path))
@click.option("--password", default="demo-Changning-2026", show_default=True, help="The demo accounts' password.")
def screenshots(console_url: str | None, out: Path, password: str) -> None:
    """Photograph the console's main pages in Chromium (for the README), signed in as the demo accounts."""
    from gridlink.launcher import PlatformConfig
    from gridlink.screenshots import take

    c = PlatformConfig.from_env()
    for path in take(console_url or f"http://{c.host}:{c.ports['console']}", out, password=password):
        click.echo(f"saved {path}")


@main.command()
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--unit", "unit_id", default=None, help="Unit id, for unit staff (and a unit's leader).")
@click.option("--jurisdiction", default="cn-changning", show_default=True)
@click.option("--area", default=None,
              help="The street, community or grid the caller works in (default: the whole district).")
@click.option("--subject", default=None, help="Who the token names (default: role and a random suffix).")
@click.option("--hours", default=12.0, show_default=True, help="Lifetime in hours.")
def token(role: str, unit_id: str | None, jurisdiction: str, area: str | None, subject: str | None,
          hours: float) -> None:
    """Print a bearer token signed with the local platform's key."""
    from datetime import timedelta

    from gridlink.keys import ensure_keypair
    from shared.demo import demo_area_path

    if role == Role.UNIT_STAFF and not unit_id:
        raise click.UsageError("--unit is required for unit_staff")
    scope = None
    if area:
        try:
            scope = demo_area_path(area)
        except KeyError:
            raise click.UsageError(f"no area {area} in the demo ground") from None
        if scope[0] != jurisdiction:
            raise click.UsageError(f"{area} is not in {jurisdiction}")
    private_pem, _ = ensure_keypair(Path(os.environ.get("GRIDLINK_DATA_DIR", ".gridlink")).resolve())
    click.echo(issue_token(private_pem, role=Role(role), jurisdiction=jurisdiction, unit_id=unit_id, subject=subject,
                           ttl=timedelta(hours=hours), scope=scope))


@main.group()
def user() -> None:
    """The console's staff accounts."""


@user.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role if r is not Role.SERVICE]))
@click.option("--name", "display_name", required=True, help="The name shown to colleagues.")
@click.option("--unit", "unit_id", default=None, help="Unit id, for unit staff (and a unit's leader).")
@click.option("--jurisdiction", default="cn-changning", show_default=True)
@click.option("--area", default=None, help="The street, community or grid the person works in (default: the district).")
@click.option("--database-url", envvar="CONSOLE_DATABASE_URL", default=None,
              help="The console's database (default: the local platform's, as `gridlink up` runs it).")
@click.password_option(help="Asked for (twice) unless given; at least 10 characters.")
def user_create(username: str, role: str, display_name: str, unit_id: str | None, jurisdiction: str,
                area: str | None, database_url: str | None, password: str) -> None:
    """Create a staff account (argon2id-hashed password) for signing in to the console."""
    from gridlink.launcher import PlatformConfig, service_database_url
    from services.console.commands.accounts import create_account
    from services.console.service import SPEC
    from shared.demo import demo_area_path
    from shared.persistence.database import create_engine
    from shared.persistence.migrations import upgrade_to_head
    from shared.refusals import Refused

    if database_url is None:
        c = PlatformConfig.from_env()
        database_url = service_database_url(c.database_url or f"postgresql://postgres@{c.host}:{c.postgres_port}/"
                                            "postgres", "console")
    try:
        scope = demo_area_path(area) if area else (jurisdiction,)
    except KeyError:
        raise click.UsageError(f"no area {area} in the demo ground") from None

    async def create() -> None:
        await upgrade_to_head(database_url, SPEC.migrations)
        engine = create_engine(database_url, pool_size=1)
        try:
            async with SPEC.units_of_work(engine)() as uow:
                await create_account(uow, username=username, password=password, display_name=display_name,
                                     role=Role(role), jurisdiction=jurisdiction, scope=scope, unit_id=unit_id)
        finally:
            await engine.dispose()

    try:
        asyncio.run(create())
    except Refused as refused:
        raise click.ClickException(f"{refused.code}: {refused.message}") from None
    click.echo(f"created {username} ({role}{', ' + unit_id if unit_id else ''}; scope {'/'.join(scope)})")


def _local_token(role: Role, subject: str) -> str:
    from datetime import timedelta

    from gridlink.keys import ensure_keypair

    private_pem, _ = ensure_keypair(Path(os.environ.get("GRIDLINK_DATA_DIR", ".gridlink")).resolve())
    return issue_token(private_pem, role=role, jurisdiction="cn-changning", unit_id=None, subject=subject,
                       ttl=timedelta(hours=1))


def _refusal(response) -> str:
    try:
        body = response.json()
        return f"{body.get('code')}: {body.get('message')}"
    except ValueError:
        return f"HTTP {response.status_code}"


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--intake-url", envvar="GRIDLINK_INTAKE_URL", default="http://127.0.0.1:8001", show_default=True)
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the per-row report (default: FILE.import-report.csv).")
def import_file(file: Path, intake_url: str, report_path: Path | None) -> None:
    """Import suggestion-box slips, questionnaires or visit logs (CSV or XLSX) into the running intake."""
    import csv
    import time

    import httpx

    headers = {"authorization": f"Bearer {_local_token(Role.OPERATOR, 'gridlink-import')}"}
    with httpx.Client(base_url=intake_url, headers=headers, timeout=60) as client:
        response = client.post("/v1/imports", files={"file": (file.name, file.read_bytes())})
        if response.status_code != 202:
            raise click.ClickException(f"the file was refused: {_refusal(response)}")
        status_url = response.json()["status_url"]
        status = client.get(status_url).json()
        with click.progressbar(length=max(1, status["total_rows"]), label=f"importing {file.name}") as bar:
            shown = 0
            while status["status"] in ("pending", "running"):
                time.sleep(0.3)
                status = client.get(status_url).json()
                bar.length = max(1, status["total_rows"])
                bar.update(status["processed_rows"] - shown)
                shown = status["processed_rows"]
    if status["status"] == "failed":
        raise click.ClickException(f"the file could not be read: {status['error']}")
    report_path = report_path or file.with_name(file.name + ".import-report.csv")
    with report_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "outcome", "tracking_code", "code", "field", "message"])
        for line in status["rows"]:
            writer.writerow([line["row"], line["outcome"], line["tracking_code"] or "", line["code"] or "",
                             line["field"] or "", line["message"] or ""])
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(status["counts"].items()))
    click.echo(f"{status['total_rows']} rows: {counts}")
    for line in status["rows"]:
        if line["outcome"] == "refused":
            click.echo(f"  row {line['row']}: refused, {line['code']} ({line['field']}): {line['message']}")
    click.echo(f"per-row report: {report_path}")


@main.group()
def apikey() -> None:
    """Open311 API keys."""


@apikey.command("create")
@click.argument("name")
@click.option("--intake-url", envvar="GRIDLINK_INTAKE_URL", default="http://127.0.0.1:8001", show_default=True)
def apikey_create(name: str, intake_url: str) -> None:
    """Create an Open311 API key named NAME and print it (it is shown only once)."""
    import httpx

    headers = {"authorization": f"Bearer {_local_token(Role.ADMIN, 'gridlink-apikey')}"}
    response = httpx.post(f"{intake_url}/v1/admin/api-keys", json={"name": name}, headers=headers, timeout=30)
    if response.status_code != 201:
        raise click.ClickException(f"no key was created: {_refusal(response)}")
    click.echo(response.json()["api_key"])


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


@main.command("access-matrix")
@click.option("--check", is_flag=True, help="Fail if docs/security.md's matrix differs from the services' files.")
@click.option("--path", default="docs/security.md", show_default=True, type=click.Path(path_type=Path))
def access_matrix(check: bool, path: Path) -> None:
    """Write the role × operation matrix of every service into docs/security.md."""
    from gridlink.access_matrix import with_matrix

    current = path.read_text(encoding="utf-8")
    text = with_matrix(current)
    if check:
        if text != current:
            raise click.ClickException(f"{path} is stale: run `gridlink access-matrix`")
        click.echo(f"{path} is current")
        return
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

    from gridlink.bench.flow import bench_flow as run

    click.echo(json.dumps(run(intake_url, service_urls.split(","), reports=reports, concurrency=concurrency, out=out), ensure_ascii=False,
                          indent=2))
    click.echo(f"saved {out}")


@main.command("bench-console")
@click.option("--console-url", default="http://127.0.0.1:8005", show_default=True)
@click.option("--database-url", envvar="CONSOLE_DATABASE_URL", show_default=True,
              default="postgresql://postgres@127.0.0.1:55432/gridlink_console",
              help="The console's database, where the benchmark's open cases are put (and removed afterwards).")
@click.option("--cases", default=10_000, show_default=True, help="Open cases in the read model.")
@click.option("--requests", default=1000, show_default=True, help="Board pages, and as many case pages.")
@click.option("--concurrency", default=8, show_default=True)
@click.option("--streams", default=200, show_default=True, help="Browsers listening to the board's stream.")
@click.option("--changes", default=10, show_default=True, help="Read-model changes timed to every stream.")
@click.option("--changes-per-second", default=5.0, show_default=True,
              help="Read-model changes while the pages are asked (0: a still city).")
@click.option("--username", default="dispatcher", show_default=True)
@click.option("--password", default="demo-Changning-2026", show_default=True)
@click.option("--seed", default=17, show_default=True)
@click.option("--out", default="bench-results/console.json", show_default=True, type=click.Path(path_type=Path))
def bench_console(console_url: str, database_url: str, cases: int, requests: int, concurrency: int, streams: int,
                  changes: int, changes_per_second: float, username: str, password: str, seed: int,
                  out: Path) -> None:
    """The console's board and case pages with many open cases, and a change reaching many browsers' streams."""
    import json

    from gridlink.bench.console import bench_console as run

    click.echo(json.dumps(run(console_url, database_url, cases=cases, requests=requests, concurrency=concurrency,
                              streams=streams, changes=changes, username=username, password=password, seed=seed,
                              out=out, changes_per_second=changes_per_second), ensure_ascii=False, indent=2))
    click.echo(f"saved {out}")


@main.command("bench-intake")
@click.option("--intake-url", default="http://127.0.0.1:8001", show_default=True)
@click.option("--service-urls", show_default=True,
              default="http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003,http://127.0.0.1:8004",
              help="The four services, whose /readyz tells when the platform has caught up after the run.")
@click.option("--database-url", envvar="DATABASE_URL", default="postgresql://postgres@127.0.0.1:55432/postgres",
              show_default=True, help="The platform's PostgreSQL server; the ceiling writes to its own database there.")
@click.option("--seconds", default=60.0, show_default=True, help="Measured seconds for each side (after 3 s warm-up).")
@click.option("--concurrency", default=32, show_default=True, help="Connections, each one request at a time.")
@click.option("--rate", type=float, default=None,
              help="Offered reports/s of the fixed-rate run (default: half what intake reached at saturation).")
@click.option("--out", default="bench-results/intake.json", show_default=True, type=click.Path(path_type=Path))
def bench_intake(intake_url: str, service_urls: str, database_url: str, seconds: float, concurrency: int,
                 rate: float | None, out: Path) -> None:
    """Accepted reports/s and latency of intake on a running platform, beside a bare FastAPI + asyncpg ceiling."""
    import json

    from gridlink.bench.intake import bench_intake as run

    click.echo(json.dumps(run(intake_url, service_urls.split(","), database_url=database_url, seconds=seconds,
                              concurrency=concurrency, rate=rate, out=out), ensure_ascii=False, indent=2))
    click.echo(f"saved {out}")


@main.command("bench-routing")
@click.option("--units", default=5000, show_default=True)
@click.option("--rules", default=2000, show_default=True)
@click.option("--decisions", default=100_000, show_default=True)
@click.option("--out", default="bench-results/routing.json", show_default=True, type=click.Path(path_type=Path))
def bench_routing(units: int, rules: int, decisions: int, out: Path) -> None:
    """Routing decisions per second and their latency on a synthetic directory (in one process)."""
    import json

    from gridlink.bench.routing import bench_routing as run

    click.echo(json.dumps(run(units=units, rules=rules, decisions=decisions, out=out), ensure_ascii=False, indent=2))
    click.echo(f"saved {out}")


@main.command("bench-dispatch")
@click.option("--dispatch-url", default="http://127.0.0.1:8002", show_default=True)
@click.option("--service-urls", show_default=True,
              default="http://127.0.0.1:8001,http://127.0.0.1:8002,http://127.0.0.1:8003,http://127.0.0.1:8004")
@click.option("--bootstrap-servers", envvar="KAFKA_BOOTSTRAP_SERVERS", default="127.0.0.1:9092", show_default=True)
@click.option("--cases", default=2000, show_default=True)
@click.option("--out", default="bench-results/dispatch.json", show_default=True, type=click.Path(path_type=Path))
def bench_dispatch(dispatch_url: str, service_urls: str, bootstrap_servers: str, cases: int, out: Path) -> None:
    """Cases dispatched per second end to end from case.reported on the broker, on a running platform."""
    import json

    from gridlink.bench.dispatch import bench_dispatch as run

    click.echo(json.dumps(run(dispatch_url, service_urls.split(","), bootstrap_servers=bootstrap_servers,
                              cases=cases, out=out), ensure_ascii=False, indent=2))
    click.echo(f"saved {out}")


@main.command("bench-notification")
@click.option("--cases", default=2000, show_default=True, help="Cases reported and dispatched (3 notifications each).")
@click.option("--endpoints", default=100, show_default=True, help="Partner webhook endpoints (1 % fail in round 2).")
@click.option("--webhook-cases", default=100, show_default=True, help="Dispatches every endpoint is sent, per round.")
@click.option("--out", default="bench-results/notification.json", show_default=True, type=click.Path(path_type=Path))
def bench_notification(cases: int, endpoints: int, webhook_cases: int, out: Path) -> None:
    """Notifications rendered and delivered per second from events on the broker, and webhook deliveries per second
    with and without 1 % of endpoints failing (notification alone, on its own embedded PostgreSQL and Tansu)."""
    import json

    from gridlink.bench.notification import bench_notification as run

    click.echo(json.dumps(run(cases=cases, endpoints=endpoints, webhook_cases=webhook_cases, out=out),
                          ensure_ascii=False, indent=2))
    click.echo(f"saved {out}")


@main.command("bench-messaging")
@click.option("--events", default=2000, show_default=True)
@click.option("--out", default="bench-results/messaging.json", show_default=True, type=click.Path(path_type=Path))
def bench_messaging(events: int, out: Path) -> None:
    """Measure the messaging path alone (outbox, relay, consumer) on its own embedded PostgreSQL and Tansu."""
    import json

    from gridlink.bench.messaging import bench_messaging as run

    click.echo(json.dumps(run(events=events, out=out), ensure_ascii=False, indent=2))
    click.echo(f"saved {out}")


@main.command("bench-deadlines")
@click.option("--open-deadlines", default=1_000_000, show_default=True)
@click.option("--burst", default=200_000, show_default=True, help="Deadlines falling due at once (after a holiday).")
@click.option("--units", default=10_000, show_default=True)
@click.option("--workers", default=2, show_default=True, help="Pollers at once (as supervision instances).")
@click.option("--batch", default=2000, show_default=True, help="Clocks per poll transaction.")
@click.option("--out", default="bench-results/deadlines.json", show_default=True, type=click.Path(path_type=Path))
def bench_deadlines(open_deadlines: int, burst: int, units: int, workers: int, batch: int, out: Path) -> None:
    """Supervision's deadline poller with a million open deadlines: one poll's cost, firings per second, and the time
    to drain a post-holiday burst while new cases keep being served (on its own embedded PostgreSQL)."""
    import json

    from gridlink.bench.deadlines import bench_deadlines as run

    click.echo(json.dumps(run(open_deadlines=open_deadlines, burst=burst, units=units, workers=workers, batch=batch,
                              out=out), ensure_ascii=False, indent=2))
    click.echo(f"saved {out}")


if __name__ == "__main__":
    main()
