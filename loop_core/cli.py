"""``python -m loop_core``: ingest, report, compact, sample, bench and sync from the shell.

Errors from the engine become one line on stderr and a non-zero exit, never a traceback.
Settings (the database, its memory cap) come from ``loop_core.config``; ``--db`` wins.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from loop_core import audit, config, db, sync_cli
from loop_core.errors import FeedRefusedError, LoopCoreError, SnapshotShrinkError
from loop_core.exit_codes import EXIT_ERROR, EXIT_FILES_FAILED, EXIT_OK, EXIT_REFUSED


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", default=None, help="DuckDB file (default: $LOOP_DB or data/loop.duckdb)"
    )


def connect(
    args: argparse.Namespace, settings: config.Settings | None = None
) -> duckdb.DuckDBPyConnection:
    """The database ``args.db`` names, else the configured one, with the configured cap
    (``settings``: the command's, when it read them already)."""
    settings = settings or config.load()
    return db.connect(args.db or settings.db_path, memory_limit=settings.memory_limit)


def _ingest(args: argparse.Namespace) -> int:
    from loop_core.ingest import ingest_each
    from loop_core.models import Feed

    paths = {
        Feed.TIMEZONES: args.timezones,
        Feed.BUSINESS_HOURS: args.business_hours,
        Feed.SPECIAL_HOURS: args.special_hours,
        Feed.STORES: args.stores,
        Feed.STORE_STATUS: args.store_status,
    }
    given = [(feed, paths[feed]) for feed in Feed]
    if not any(path for _, path in given):
        print("ingest: give at least one of --store-status, --business-hours, --timezones, "
              "--special-hours, --stores", file=sys.stderr)
        return EXIT_ERROR
    settings = config.load()
    con = connect(args, settings)
    from loop_core import bootstrap

    sample_only = bootstrap.is_sample_only(con)
    refused = 0
    # Each file is its own transaction: a refused file does not stop the others. The
    # first real file that loads removes the built-in sample (ingest_each's policy).
    files = [(f, p) for f, p in given if p]
    for outcome in ingest_each(con, files, source="cli", allow_shrink=args.allow_shrink):
        if isinstance(outcome, SnapshotShrinkError):
            print(f"held back: {outcome}; run again with --allow-shrink to apply it",
                  file=sys.stderr)
            refused += 1
        elif isinstance(outcome, FeedRefusedError):
            print(f"refused: {outcome}", file=sys.stderr)
            refused += 1
        else:
            print(outcome.describe())
    if sample_only and not bootstrap.is_sample_only(con):
        print("removed the built-in sample data: real files replace it", file=sys.stderr)
    if settings.alerts.configured:  # alerts follow every load
        from loop_core.alerts import run

        written, (delivered, failed) = run(con, settings.alerts)
        print(f"alerts: {len(written)} new messages, {delivered} delivered, {failed} failed",
              file=sys.stderr)
    return EXIT_REFUSED if refused else EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from loop_core.context import extended_report
    from loop_core.report import compute_report

    settings = config.load()
    con = connect(args, settings)
    if args.extended:
        both = extended_report(con, args.as_of,
                               default_target_pct=settings.targets.default_uptime_pct)
        return _write(args, both.extended_csv,
                      f"{both.row_count} stores as of {both.as_of.isoformat()} (extended)")
    result = compute_report(con, args.as_of)
    if args.out:
        Path(args.out).write_text(result.csv, encoding="utf-8")
        print(
            f"wrote {result.row_count} stores as of {result.as_of.isoformat()} to {args.out}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(result.csv)
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from loop_core.report import resolve_as_of
    from loop_core.status import status, status_csv

    con = connect(args)
    at = resolve_as_of(con, args.as_of)
    rows = status(con, at)
    assert at is not None  # status() raised NoDataError otherwise
    return _write(args, status_csv(rows, at), f"{len(rows)} stores")


def _write(args: argparse.Namespace, text: str, what: str) -> int:
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {what} to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _alerts(args: argparse.Namespace) -> int:
    import dataclasses

    from loop_core.alerts import run

    settings = config.load()
    alert_config = settings.alerts
    if args.notify:  # these channels for this run, instead of the configured ones
        alert_config = dataclasses.replace(alert_config, urls=tuple(args.notify))
    con = connect(args, settings)
    written, (delivered, failed) = run(con, alert_config)
    for message in written:
        print(f"{message.kind}: {message.title}")
    print(f"{len(written)} new messages; {delivered} deliveries made, {failed} failed "
          f"(failed ones are retried at the next run)", file=sys.stderr)
    return EXIT_FILES_FAILED if failed else EXIT_OK


def _incidents(args: argparse.Namespace) -> int:
    from loop_core.incidents import incidents, incidents_csv

    found = incidents(connect(args), args.since, args.until, args.store, as_of=args.as_of)
    return _write(args, incidents_csv(found), f"{len(found)} incidents")


def _reports_list(args: argparse.Namespace) -> int:
    from loop_core.jobs import list_reports
    from loop_core.timeutil import iso_z

    for job in list_reports(connect(args), limit=args.limit):
        stores = "" if job.row_count is None else str(job.row_count)
        print("\t".join([job.report_id, iso_z(job.created_at), job.status.value, stores,
                         job.error or ""]))
    return EXIT_OK


def _reports_get(args: argparse.Namespace) -> int:
    from loop_core.jobs import report_csv

    # Says why when there is no CSV.
    data = report_csv(connect(args), args.report_id, extended=args.extended)
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"wrote report {args.report_id} to {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def _compact(args: argparse.Namespace) -> int:
    from loop_core.compaction import compact

    settings = config.load()
    keep = settings.polls_days if args.keep_days is None else args.keep_days
    if keep == 0:
        print("compact: retention is off ([retention] polls_days = 0): nothing to do",
              file=sys.stderr)
        return EXIT_OK
    result = compact(connect(args, settings), keep, actor=audit.CLI)
    if result.cutoff is None:
        print("compact: no polls loaded yet: nothing to do", file=sys.stderr)
        return EXIT_OK
    mib = 1024 * 1024
    print(f"moved {result.polls_moved:,} polls from before {result.cutoff.date()} into "
          f"{len(result.files_written)} archive file(s); rebuilt the summary of "
          f"{result.stores_rebuilt} store(s); database file {result.db_bytes_before / mib:.1f} "
          f"-> {result.db_bytes_after / mib:.1f} MiB in {result.duration_s:.1f} s")
    return EXIT_OK


def _sample(args: argparse.Namespace) -> int:
    from loop_core.sample import write_sample

    paths = write_sample(args.out, stores=args.stores, days=args.days, seed=args.seed)
    for feed, path in paths.items():
        print(f"{feed}: {path}")
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from loop_core.bench import run_bench

    return run_bench(
        stores=args.stores, days=args.days, workdir=args.workdir, runs=args.runs,
        naive=args.naive, weeks=args.weeks,
        special_share=args.special_share,
    )


def _days(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"a whole number of days, not {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and --help)."""
    parser = argparse.ArgumentParser(prog="python -m loop_core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="load feed CSV files into the database")
    _add_db(ingest)
    ingest.add_argument("--store-status", help="polls CSV (store_id,status,timestamp_utc)")
    ingest.add_argument("--business-hours", help="menu hours CSV (store_id,dayOfWeek|day,...)")
    ingest.add_argument("--timezones", help="timezones CSV (store_id,timezone_str)")
    ingest.add_argument(
        "--special-hours",
        help="special hours CSV (store_id,date,start_time_local,end_time_local; both times "
        "empty = closed that date)",
    )
    ingest.add_argument(
        "--stores",
        help="stores CSV (store_id, then any of name,region,brand,hourly_revenue,"
        "uptime_target; never changes a report figure)",
    )
    ingest.add_argument(
        "--allow-shrink", action="store_true",
        help="apply an hours, special hours, timezones or stores snapshot even if it drops "
        "more than half of the stores of the one in place (otherwise it is held back)",
    )
    ingest.set_defaults(func=_ingest)

    report = sub.add_parser("report", help="write the uptime report CSV")
    _add_db(report)
    report.add_argument("--as-of", default=None, help="ISO 8601 instant used as 'now'")
    report.add_argument("--out", default=None, help="output file (default: stdout)")
    report.add_argument(
        "--extended", action="store_true",
        help="the extended CSV: the standard columns, then names, regions, brands, uptime %%, "
        "targets, estimated lost revenue and last week's figures ([targets] default_uptime_pct)")
    report.set_defaults(func=_report)

    status = sub.add_parser(
        "status", help="write every store's status now (online, offline, closed, unknown)")
    _add_db(status)
    status.add_argument("--as-of", default=None, help="ISO 8601 instant used as 'now'")
    status.add_argument("--out", default=None, help="output file (default: stdout)")
    status.set_defaults(func=_status)

    alerts = sub.add_parser("alerts", help="evaluate and deliver alerts")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True)
    alerts_run = alerts_sub.add_parser(
        "run", help="write the alerts that are due and deliver every pending message")
    _add_db(alerts_run)
    alerts_run.add_argument(
        "--notify", action="append", metavar="URL",
        help="an apprise URL to send to in this run instead of the configured channels "
        "(repeat for more)")
    alerts_run.set_defaults(func=_alerts)

    incidents = sub.add_parser(
        "incidents", help="write the incidents (runs of inactive observations) as CSV")
    _add_db(incidents)
    incidents.add_argument("--since", default=None,
                           help="ISO 8601 start of the range (default: a week before --until)")
    incidents.add_argument("--until", default=None,
                           help="ISO 8601 end of the range (default: now, the latest poll)")
    incidents.add_argument("--store", default=None, help="only this store id")
    incidents.add_argument("--as-of", default=None, help="ISO 8601 instant used as 'now'")
    incidents.add_argument("--out", default=None, help="output file (default: stdout)")
    incidents.set_defaults(func=_incidents)

    reports = sub.add_parser(
        "reports", help="the report jobs started from the dashboard or the API, and their CSVs")
    reports_sub = reports.add_subparsers(dest="reports_command", required=True)
    reports_list = reports_sub.add_parser(
        "list", help="the newest jobs: id, created, status, stores, error or 'expired: ...'")
    _add_db(reports_list)
    reports_list.add_argument("--limit", type=int, default=20)
    reports_list.set_defaults(func=_reports_list)
    reports_get = reports_sub.add_parser("get", help="write a Complete job's CSV")
    _add_db(reports_get)
    reports_get.add_argument("report_id")
    reports_get.add_argument("--out", default=None, help="output file (default: stdout)")
    reports_get.add_argument("--extended", action="store_true",
                             help="the job's extended twin instead of its CSV")
    reports_get.set_defaults(func=_reports_get)
    compact = sub.add_parser(
        "compact", help="move polls older than the retention limit into the Parquet archive")
    _add_db(compact)
    compact.add_argument(
        "--keep-days", type=_days, default=None,
        help="keep the polls of this many days before the latest poll (and the rest of "
        "their month) in the database (default: [retention] polls_days, 90)")
    compact.set_defaults(func=_compact)

    sample = sub.add_parser("sample", help="write synthetic feeds in the real schema")
    sample.add_argument("--out", required=True, help="output directory")
    sample.add_argument("--stores", type=int, default=200)
    sample.add_argument("--days", type=int, default=8)
    sample.add_argument("--seed", type=int, default=0)
    sample.set_defaults(func=_sample)

    bench = sub.add_parser("bench", help="time ingest and report against a plain CSV scan")
    bench.add_argument("--stores", type=int, default=14_000)
    bench.add_argument("--days", type=int, default=8)
    bench.add_argument("--workdir", default=None, help="where to write data (default: temp)")
    bench.add_argument(
        "--runs", type=int, default=3,
        help="rounds; each phase reports its median (use 15 on a shared machine)",
    )
    bench.add_argument(
        "--naive", action=argparse.BooleanOptionalAction, default=None,
        help="also time the straightforward SQL baseline (default: up to 20,000 stores)",
    )
    bench.add_argument(
        "--weeks", type=int, default=1,
        help="also build a history of this many weeks and print what it costs beside the "
        "one-week figures (growth ratio, paired)",
    )
    bench.add_argument(
        "--special-share", type=float, default=0.0,
        help="also time ingest and report with this share of the stores (e.g. 0.1) having "
        "three special dates in the week, in the same rounds",
    )
    bench.set_defaults(func=_bench)

    sync_cli.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except FeedRefusedError as e:
        print(f"refused: {e}", file=sys.stderr)
        return EXIT_REFUSED
    except LoopCoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    return code
