"""Entry points of the scheduled job, shared by the Airflow DAG: small JSON-able results for XCom."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from cx_nlp.settings import Settings


def _settings(warehouse_url: str | None) -> Settings:
    # Given to the constructor, not assigned after it: the report folder is derived from the warehouse.
    return Settings(progress=False, warehouse_url=warehouse_url) if warehouse_url else Settings(progress=False)


def _day(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def validate_config(warehouse_url: str | None = None, only: str | None = None) -> dict:
    """Fail fast, before any model loads, when a config file is wrong; `only` keeps one source (an ad-hoc run)."""
    from cx_nlp.config import load_registry, load_sources, load_taxonomy

    settings = _settings(warehouse_url)
    sources = load_sources(settings.path(settings.sources_config))
    taxonomy = load_taxonomy(settings.path(settings.touchpoints_config))
    registry = load_registry(settings.path(settings.model_registry))
    names = [s.name for s in sources.sources]
    if only and only not in names:
        raise ValueError(f"unknown source {only!r}; the sources config names {', '.join(names)}")
    return {
        "sources": [only] if only else names,
        "touchpoints": taxonomy.names(),
        "models": [registry.sentiment.ref, registry.embedding.ref],
    }


def migrate_warehouse(warehouse_url: str | None = None) -> str:
    from cx_nlp.warehouse.db import display_url, make_engine, migrate

    settings = _settings(warehouse_url)
    engine = make_engine(settings.resolved_warehouse_url())
    migrate(engine, settings.path(settings.sql_dir))
    return display_url(engine)


def _engine(warehouse_url: str | None):
    """The warehouse alone, for reads that need no configuration or model."""
    from cx_nlp.warehouse.db import make_engine

    return make_engine(_settings(warehouse_url).resolved_warehouse_url())


def _context_and_engine(warehouse_url: str | None):
    from cx_nlp.pipeline import open_pipeline

    # The DAG migrates in a task of its own, before any ingest starts.
    return open_pipeline(_settings(warehouse_url), migrate_schema=False)


def ingest_source(
    source: str,
    start: date | datetime | str,
    end: date | datetime | str,
    warehouse_url: str | None = None,
    rescore: bool = False,
) -> dict:
    """Ingest one source for [start, end); returns its stats and failures for the mining task. `rescore`
    scores and embeds its feedback again even where the same model version already did."""
    from cx_nlp.pipeline import ingest_interval

    context, engine = _context_and_engine(warehouse_url)
    result = ingest_interval(context, engine, _day(start), _day(end), sources=[source], rescore=rescore)
    return {"source": source, "stats": result.stats, "source_failures": result.source_failures}


def mine_interval(
    start: date | datetime | str,
    end: date | datetime | str,
    ingested: list[dict] | None = None,
    warehouse_url: str | None = None,
    expected: list[str] | None = None,
) -> dict:
    """Mine the window ending at `end`, write the report and the run's row; `ingested` from the ingest tasks.

    The result's `source_failures` names the sources that failed, whose ingest task said so or said
    nothing: the run is recorded `partial`, and the DAG fails the task so the scheduler sees it.
    `expected`: the sources the run meant to ingest (default: every configured source)."""
    from cx_nlp.pipeline import IngestResult, begin_run, finish_interval

    context, engine = _context_and_engine(warehouse_url)
    first, last = _day(start), _day(end)
    run_id = begin_run(context, engine, first, last)
    reported = [item for item in ingested or [] if item]
    ingests = [IngestResult(run_id, [i["source"]], i["stats"], i["source_failures"]) for i in reported]
    # A source whose ingest task failed outright returned nothing: the run is partial all the same.
    meant = set(expected) if expected is not None else {s.name for s in context.sources.sources}
    silent = sorted(meant - {i["source"] for i in reported})
    if silent:
        lost = dict.fromkeys(silent, "its ingest task failed; see that task's log")
        ingests.append(IngestResult(run_id, silent, {}, lost))
    result = finish_interval(context, engine, first, last, ingests)
    return {
        "run_id": result.run_id,
        "report_path": str(result.report_path) if result.report_path else None,
        "stats": {k: v for k, v in result.stats.items() if isinstance(v, (int, float))},
        "source_failures": result.stats["source_failures"],
        "issues": [(i.issue_id, i.label, i.figures.volume) for i in result.issues[:20]],
    }


def source_loaded_event(ingested: dict, start: object, end: object) -> tuple[str, dict] | None:
    """The asset event of a source's loaded interval, from ingest_source's result: the URI of the asset that
    stands for the source's rows in the warehouse, and the event's extra; None when the source failed."""
    if ingested["source_failures"]:
        return None
    extra = {"interval_start": str(_day(start)), "interval_end": str(_day(end))}
    counts = {k: v for k, v in ingested["stats"].items() if isinstance(v, int | float)}
    return f"cx-nlp://sources/{ingested['source']}", extra | counts


def failure_summary(
    dag_id: str, run_id: str, task_id: str | None, start: object, end: object, error: object, tries: str = ""
) -> str:
    """One line for a failed task or run: what failed, for which interval, and the error's first line."""
    what = f"{dag_id}.{task_id}" if task_id else dag_id
    first = str(error or "no error recorded").strip().splitlines()
    reason = first[0][:300] if first else "no error recorded"
    interval = f"[{_day(start)}, {_day(end)})" if start and end else "no data interval"
    return f"cx-nlp FAILED {what} run={run_id}{f' try={tries}' if tries else ''} interval={interval}: {reason}"


# ---------------------------------------------------------------- mining on source loads (the cx_mine DAG)

SOURCE_ASSET_PREFIX = "cx-nlp://sources/"
# Loads older than this are not mined by an asset-triggered run: the first such run of the mining DAG is
# handed every event since it began listening, and mining old nights again is a backfill's decision.
LOAD_LOOKBACK = timedelta(days=28)
MINED = ("succeeded", "partial")


def _timestamp(value: datetime | str) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def asset_event(
    uri: str, extra: dict | None, timestamp: datetime | str, source_dag_id: str | None = None, source_run_id=None
) -> dict:
    """An asset event as plain JSON, from the fields Airflow's event objects share."""
    return {
        "uri": uri,
        "extra": dict(extra or {}),
        "timestamp": _timestamp(timestamp).isoformat(),
        "source_dag_id": source_dag_id,
        "source_run_id": source_run_id,
    }


def _source_name(uri: str) -> str:
    return uri.removeprefix(SOURCE_ASSET_PREFIX)


def _counts(extra: dict) -> dict:
    return {k: v for k, v in extra.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _event_interval(event: dict) -> tuple[date, date, str | None]:
    """The interval a load event names in its extra; else the day before it was emitted, and why."""
    extra = event.get("extra") or {}
    try:
        start, end = _day(extra["interval_start"]), _day(extra["interval_end"])
        if end > start:
            return start, end, None
        problem = f"an empty interval [{start}, {end})"
    except KeyError:
        problem = "no interval_start and interval_end in its extra"
    except (TypeError, ValueError):
        problem = "an interval that is not a pair of dates in its extra"
    emitted = _timestamp(event["timestamp"]).date()
    start = emitted - timedelta(days=1)
    note = (
        f"the load of {_source_name(event['uri'])} at {event['timestamp']} has {problem}: "
        f"taken as the day before it was emitted, [{start}, {emitted})"
    )
    return start, emitted, note


def intervals_to_mine(events: Iterable[dict], data_interval: tuple | None = None, now: datetime | None = None) -> dict:
    """The intervals a run of the mining DAG mines, in the order they must be mined (by end, then start).

    An asset-triggered run has no data interval: each load event names the interval it loaded in its extra
    (`source_loaded_event`), and each interval named is returned with the time of its latest load and the
    counts of each source's latest load. An event without a usable interval stands for the day before it was
    emitted (what a nightly load at that time loads), said in `notes`. Without events (a cron or manual run),
    the run's data interval; without either, yesterday, also said in `notes`.
    Returns {"intervals": [{"start", "end", "loaded_at", "sources", "derived_from"}], "notes": [...]}."""
    now = _timestamp(now or datetime.now(UTC))
    events = sorted(events, key=lambda e: _timestamp(e["timestamp"]))
    found: dict[tuple[date, date], dict] = {}
    notes: list[str] = []
    for event in events:
        if now - _timestamp(event["timestamp"]) > LOAD_LOOKBACK:
            notes.append(
                f"the load of {_source_name(event['uri'])} at {event['timestamp']} is older than "
                f"{LOAD_LOOKBACK.days} days: not mined on its event (backfill cx_mine to mine old nights again)"
            )
            continue
        start, end, note = _event_interval(event)
        if note:
            notes.append(note)
        entry = found.setdefault(
            (start, end), {"start": str(start), "end": str(end), "loaded_at": None, "sources": {}, "derived_from": []}
        )
        entry["loaded_at"] = _timestamp(event["timestamp"]).isoformat()  # events are in time order
        entry["sources"][_source_name(event["uri"])] = _counts(event.get("extra") or {})
        how = "event time" if note else "event extra"
        entry["derived_from"] = sorted({*entry["derived_from"], how})
    if found or events:
        return {"intervals": [found[key] for key in sorted(found, key=lambda k: (k[1], k[0]))], "notes": notes}
    if data_interval and data_interval[0] is not None and data_interval[1] is not None:
        start, end = _day(data_interval[0]), _day(data_interval[1])
        return {
            "intervals": [
                {
                    "start": str(start),
                    "end": str(end),
                    "loaded_at": None,
                    "sources": {},
                    "derived_from": ["data interval"],
                }
            ],
            "notes": notes,
        }
    end = now.date()
    notes.append(f"no load event and no data interval: mining yesterday, [{end - timedelta(days=1)}, {end})")
    return {
        "intervals": [
            {
                "start": str(end - timedelta(days=1)),
                "end": str(end),
                "loaded_at": None,
                "sources": {},
                "derived_from": ["yesterday"],
            }
        ],
        "notes": notes,
    }


def mining_plan(requested: list[dict], runs: list[dict], explicit: bool = False) -> list[dict]:
    """What to do with each interval, in mining order: {"start", "end", "action": "mine" | "skip", "reason"}.

    `runs`: the warehouse's interval runs (`store.interval_runs`). A load asks for mining only if its interval
    was not mined to the end (succeeded or partial) since that load: cx_nightly mines the nights it loads
    itself, so the mining DAG then finds them done, and a rerun of the same events does nothing. Without a
    load (a cron run), an interval is mined only if it never was. An `explicit` run (manual or backfill, with a
    data interval) mines its interval whatever was done before.

    Nights are mined in order: each starts from the issues the night before left. When a night is mined that
    ends before a night already mined (a late or repeated load), every later night already mined is mined
    again after it, so the issue tables end on the latest night as if the nights had come in order. An
    explicit run does not: a backfill mines each of its nights in order itself."""
    finished: dict[tuple[date, date], datetime] = {}
    for run in runs:
        if run["status"] in MINED:
            key = (_day(run["start"]), _day(run["end"]))
            started = _timestamp(run["started_at"])
            finished[key] = max(started, finished.get(key, started))
    steps = []
    for item in sorted(requested, key=lambda i: (_day(i["end"]), _day(i["start"]))):
        key = (_day(item["start"]), _day(item["end"]))
        mined_at, loaded_at = finished.get(key), item.get("loaded_at")
        if explicit:
            action, reason = "mine", "asked for this interval"
        elif mined_at is None:
            action, reason = "mine", "not mined yet (or its last mining did not finish)"
        elif loaded_at is None:
            action, reason = "skip", f"already mined at {mined_at.isoformat()}"
        elif mined_at >= _timestamp(loaded_at):
            action, reason = "skip", f"mined at {mined_at.isoformat()}, after its latest load at {loaded_at}"
        else:
            action, reason = "mine", f"loaded at {loaded_at}, after it was last mined at {mined_at.isoformat()}"
        steps.append({"start": str(key[0]), "end": str(key[1]), "action": action, "reason": reason})
    mining = [s for s in steps if s["action"] == "mine"]
    if mining and not explicit:
        first = min(mining, key=lambda s: (_day(s["end"]), _day(s["start"])))
        planned = {(_day(s["start"]), _day(s["end"])) for s in steps}
        for key in sorted(finished, key=lambda k: (k[1], k[0])):
            if key[1] > _day(first["end"]) and key not in planned:
                reason = f"mined before [{first['start']}, {first['end']}) was: mined again after it"
                steps.append({"start": str(key[0]), "end": str(key[1]), "action": "mine", "reason": reason})
    return sorted(steps, key=lambda s: (_day(s["end"]), _day(s["start"])))


def _latest_loads(events: Iterable[dict]) -> dict[tuple[date, date], dict[str, dict]]:
    """Each interval's sources with the counts of their latest load."""
    loads: dict[tuple[date, date], dict[str, dict]] = {}
    for event in sorted(events, key=lambda e: _timestamp(e["timestamp"])):
        start, end, _ = _event_interval(event)
        loads.setdefault((start, end), {})[_source_name(event["uri"])] = _counts(event.get("extra") or {})
    return loads


def mine_loads(
    events: list[dict],
    data_interval: tuple | None = None,
    explicit: bool = False,
    history: list[dict] | None = None,
    warehouse_url: str | None = None,
    now: datetime | None = None,
) -> dict:
    """The mining DAG's task: mine the intervals the triggering load events (or the run's data interval) ask
    for, as `mining_plan` says, in order. `history`: recent load events of the same assets, so that a night's
    stats count every source's latest load, also those handed to an earlier run. Returns the plan, its notes
    and the runs mined."""
    from cx_nlp.warehouse import store

    wanted = intervals_to_mine(events, data_interval, now)
    engine = _engine(warehouse_url)
    with engine.connect() as connection:
        runs = store.interval_runs(connection)
    engine.dispose()
    steps = mining_plan(wanted["intervals"], runs, explicit)
    loads = _latest_loads([*(history or []), *events])
    mined = []
    for step in steps:
        if step["action"] != "mine":
            continue
        sources = loads.get((_day(step["start"]), _day(step["end"])), {})
        ingested = [
            {"source": name, "stats": counts, "source_failures": {}} for name, counts in sorted(sources.items())
        ]
        # The mining DAG sees loads, not failures: a source that did not load is its producer's failure to report.
        result = mine_interval(step["start"], step["end"], ingested, warehouse_url, expected=sorted(sources))
        mined.append(
            {"run_id": result["run_id"], "issues": len(result["issues"]), "report_path": result["report_path"]}
        )
    return {"steps": steps, "notes": wanted["notes"], "mined": mined}


def mining_in_progress(warehouse_url: str | None = None, now: datetime | None = None) -> list[str]:
    """Runs recorded as running that started in the last two hours (the mining task's timeout is one): another
    task is mining a window now. An older `running` row is a process that died, and holds nothing up."""
    from cx_nlp.warehouse import store

    now = _timestamp(now or datetime.now(UTC))
    engine = _engine(warehouse_url)
    with engine.connect() as connection:
        runs = store.interval_runs(connection)
    engine.dispose()
    return [
        f"{run['start']}_{run['end']}"
        for run in runs
        if run["status"] == "running" and now - run["started_at"] < timedelta(hours=2)
    ]
