"""``crm segments``: the RFM report and saved filter segments."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from crmcore.app.cli.context import app_from, state_from, unwrap
from crmcore.app.cli.intel_render import render
from crmcore.app.intelligence.segments import (
    create_segment,
    get_segment,
    list_segments,
    parse_segment_name,
    rfm_members,
    rfm_report,
    segment_members,
)
from crmcore.codec.jsontext import StrictDecoder

#: Filters are read strictly: a duplicate key is an error, not "the last one wins".
_FILTER_JSON = StrictDecoder()


def _as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@click.group("segments")
def segments() -> None:
    """Segments: RFM and saved filters over contacts, accounts, behaviour and scores."""


@segments.command("rfm")
@click.option("--as-of", "as_of", required=True, help="The date R and F are measured at.")
@click.option("--members", "members", default=None, help="List the customers of SEGMENT.")
@click.pass_context
def rfm(ctx: click.Context, as_of: str, members: str | None) -> None:
    """Customers per RFM segment at --as-of (one row per segment)."""
    fmt = state_from(ctx).fmt
    day = _as_of(as_of)
    app = app_from(ctx)
    if members is not None:
        segment = unwrap(parse_segment_name(members))
        rows = unwrap(rfm_members(app, as_of=day, segment=segment))
        out = [
            {
                "contact_id": str(m.contact_id),
                "user_id": m.user_id,
                "transactions": m.frequency,
                "recency_days": m.recency,
                "monetary": m.monetary,
                "r": m.scores.recency,
                "f": m.scores.frequency,
                "m": m.scores.monetary,
            }
            for m in rows
        ]
        columns = ["contact_id", "user_id", "transactions", "recency_days", "monetary"]
        click.echo(render(out, [*columns, "r", "f", "m"], fmt))
        return
    report = unwrap(rfm_report(app, as_of=day))
    seg_rows = [{"segment": s.value, "customers": n} for s, n in report.segments]
    click.echo(render(seg_rows, ["segment", "customers"], fmt))
    if fmt == "table":
        click.echo(f"\nactive {report.active}  sleeping {report.sleeping}  (as of {day})")


@segments.command("create")
@click.argument("name")
@click.option(
    "--filter",
    "filter_file",
    required=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="JSON file with the filter that defines the segment (see docs/segments.md).",
)
@click.pass_context
def create(ctx: click.Context, name: str, filter_file: Path) -> None:
    """Save a segment NAME defined by the JSON filter in FILE."""
    try:
        data = _FILTER_JSON.decode(filter_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(str(exc), param_hint="--filter") from None
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", param_hint="--filter"
        ) from None
    except (ValueError, RecursionError) as exc:  # duplicate keys, huge numbers, deep nesting
        raise click.BadParameter(f"not a valid filter: {exc}", param_hint="--filter") from None
    if not isinstance(data, dict):
        raise click.BadParameter("the filter must be a JSON object", param_hint="--filter")
    segment = unwrap(create_segment(app_from(ctx), name=name, filter_json=data))
    click.echo(f"segment {segment.name}: {segment.member_count} members")


@segments.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Every saved segment with its member count and last update."""
    fmt = state_from(ctx).fmt
    rows = unwrap(list_segments(app_from(ctx)))
    out = [
        {
            "name": s.name,
            "members": s.member_count,
            "updated": s.refreshed_at.isoformat() if s.refreshed_at else None,
        }
        for s in rows
    ]
    click.echo(render(out, ["name", "members", "updated"], fmt))


@segments.command("show")
@click.argument("name")
@click.option("--members", "with_members", is_flag=True, help="Recompute and list the members.")
@click.pass_context
def show(ctx: click.Context, name: str, with_members: bool) -> None:
    """A segment's filter, member count and last update (and its members)."""
    fmt = state_from(ctx).fmt
    app = app_from(ctx)
    if with_members:
        segment, members = unwrap(segment_members(app, name=name))
    else:
        segment, members = unwrap(get_segment(app, name=name)), None
    if fmt == "json":
        payload: dict[str, Any] = {
            "name": segment.name,
            "filter": segment.filter,
            "members": segment.member_count,
            "updated": segment.refreshed_at.isoformat() if segment.refreshed_at else None,
        }
        if members is not None:
            payload["member_list"] = [
                {"contact_id": str(m.contact_id), "user_id": m.user_id, "email": m.email}
                for m in members
            ]
        click.echo(json.dumps(payload, indent=2))
        return
    if members is not None:
        out = [
            {
                "contact_id": str(m.contact_id),
                "user_id": m.user_id,
                "email": m.email,
                "name": m.name,
            }
            for m in members
        ]
        click.echo(render(out, ["contact_id", "user_id", "email", "name"], fmt))
        return
    updated = segment.refreshed_at.isoformat() if segment.refreshed_at else "never"
    click.echo(f"segment  {segment.name}\nmembers  {segment.member_count}\nupdated  {updated}")
    click.echo("filter   " + json.dumps(segment.filter))
