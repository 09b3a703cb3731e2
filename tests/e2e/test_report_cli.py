"""``crm report …`` end to end in a subprocess on a SQLite file the event pipeline filled
(``crm events ingest`` + ``crm events work``), and on a paths file; every chart opens as
a non-blank PNG."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

PATHS = """path,total_conversions,total_conversion_value,total_null
a > b,2,200,0
a > c,1,30,1
b,1,100,1
c,0,0,2
"""


def crm(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("CRMCORE_DB", None)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from crmcore.app.cli.main import main; main()",
            "--db",
            f"sqlite:///{db}",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=300,
        check=False,
    )


def event(n: int, kind: str, at: str, phone: int, data: dict[str, object] | None = None) -> str:
    body: dict[str, object] = {
        "id": f"ev{n}",
        "type": kind,
        "occurred_at": at,
        "customer": {"user_id": f"u{phone}", "email": f"u{phone}@example.com"},
    }
    if data is not None:
        body["data"] = data
    return json.dumps(body)


def history() -> str:
    """Three customers over two months: e-mails and logins before purchases, monthly
    payments (one churns), NPS answers."""
    lines = []
    n = 0

    def add(kind: str, at: str, who: int, data: dict[str, object] | None = None) -> None:
        nonlocal n
        n += 1
        lines.append(event(n, kind, at, who, data))

    for who in (1, 2, 3):
        add("email_opened", f"2026-01-0{who}T10:00:00Z", who, {"campaign_id": "c1"})
        add("app_login", f"2026-01-0{who}T10:10:00Z", who)
    add("purchase", "2026-01-04T12:00:00Z", 1, {"amount": "120", "currency": "USD"})
    add("email_clicked", "2026-01-05T12:00:00Z", 2, {"url": "https://example.com/x"})
    add("purchase", "2026-01-06T12:00:00Z", 2, {"amount": "80", "currency": "USD"})
    for who, months in ((1, ("01", "02")), (2, ("01", "02")), (3, ("01",))):
        for m in months:
            pay: dict[str, object] = {"kind": "payment", "amount": "50", "currency": "USD"}
            add("billing", f"2026-{m}-10T09:00:00Z", who, pay)
    add("form_answer", "2026-02-11T09:00:00Z", 1, {"form_id": "nps", "answers": {"nps": 10}})
    add("form_answer", "2026-02-12T09:00:00Z", 2, {"form_id": "nps", "answers": {"nps": 4}})
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report") / "crm.db"
    ingest = crm(db, "events", "ingest", "-", stdin=history())
    assert ingest.returncode == 0, ingest.stderr
    work = crm(db, "events", "work", "--once", "--batch", "100")
    assert work.returncode == 0, work.stderr
    return db


def assert_png(path: Path) -> None:
    from matplotlib import image

    assert path.stat().st_size > 2_000
    pixels = image.imread(str(path))
    assert pixels.shape[0] > 100
    assert pixels.shape[1] > 100
    assert float(pixels.std()) > 0.01  # not one flat colour


def test_attribution_from_a_paths_file_with_a_chart(tmp_path: Path) -> None:
    paths = tmp_path / "paths.csv"
    paths.write_text(PATHS, encoding="utf-8")
    chart = tmp_path / "attribution.png"
    args = ["report", "attribution", str(paths), "--format", "json"]
    result = crm(tmp_path / "unused.db", *args, "--chart", str(chart))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [sorted(r) for r in rows] == [
        sorted(["channel", "conversions", "value", "removal_effect"])
    ] * 3
    assert sum(r["conversions"] for r in rows) == pytest.approx(4)
    assert sum(r["value"] for r in rows) == pytest.approx(330)
    assert_png(chart)
    several = crm(
        tmp_path / "unused.db", *args, "--model", "first", "--model", "markov", "--format", "csv"
    )
    assert several.stdout.splitlines()[0] == "model,channel,conversions,value,removal_effect"
    assert len(several.stdout.splitlines()) == 7


def test_attribution_refuses_a_bad_file_with_exit_2(tmp_path: Path) -> None:
    paths = tmp_path / "paths.csv"
    paths.write_text("path,total_conversions\na > > b,1\nc,-3\n", encoding="utf-8")
    result = crm(tmp_path / "unused.db", "report", "attribution", str(paths))
    assert result.returncode == 2
    assert "line 2: path" in result.stderr
    assert "line 3: total_conversions" in result.stderr
    assert "Traceback" not in result.stderr


def test_attribution_from_the_stored_touchpoints(filled: Path) -> None:
    result = crm(filled, "report", "attribution", "--from-touchpoints", "--format", "json")
    assert result.returncode == 0, result.stderr
    credits = {r["channel"]: r for r in json.loads(result.stdout)}
    # customers 1 and 2 converted after touches; customer 3 only touched
    assert sum(r["conversions"] for r in credits.values()) == pytest.approx(2)
    assert sum(r["value"] for r in credits.values()) == pytest.approx(200)
    assert set(credits) == {"email_opened", "app_login", "email_clicked"}


def test_funnel_b2c_from_the_pipeline_with_targets_and_a_chart(filled: Path) -> None:
    chart = filled.parent / "funnel.png"
    result = crm(filled, "report", "funnel", "--format", "json", "--chart", str(chart))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    stages = {s["stage"]: s for s in report["b2c funnel"]}
    # three customers: an e-mail made them leads, a login trial users, a payment
    # converted them; the NPS 10 made customer 1 an advocate
    assert [stages[s]["entered"] for s in ("lead", "trial", "converted")] == [3, 3, 3]
    assert stages["converted"]["reached"] == 3
    assert stages["advocate"]["reached"] == 1
    assert stages["converted"]["conversion_to_next"] == pytest.approx(1 / 3)
    assert [t["metric"] for t in report["targets"]] == [
        "activation_rate",
        "time_to_activation_minutes",
    ]
    assert_png(chart)
    csv_out = crm(filled, "report", "funnel", "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("stage,entered,reached,conversion_to_next")
    assert "metric,value,target,status" in csv_out.splitlines()


def test_funnel_b2b_counts_the_deals_moves(tmp_path: Path) -> None:
    db = tmp_path / "deals.db"
    made = crm(db, "deals", "create", "--title", "Uni", "--amount", "1000", "--format", "json")
    assert made.returncode == 0, made.stderr
    deal_id = json.loads(made.stdout)["id"]
    for _ in range(2):
        assert crm(db, "deals", "move", deal_id).returncode == 0
    crm(db, "deals", "create", "--title", "Corp", "--amount", "500")
    result = crm(db, "report", "funnel", "--b2b", "--format", "json")
    assert result.returncode == 0, result.stderr
    stages = {s["stage"]: s for s in json.loads(result.stdout)}
    assert stages["lead"]["reached"] == 2
    assert stages["meeting"]["reached"] == 1
    assert stages["lead"]["conversion_to_next"] == 0.5


def test_cohorts_by_first_purchase_with_a_heatmap(filled: Path) -> None:
    chart = filled.parent / "cohorts.png"
    args = ["report", "cohorts", "--by", "first-purchase", "--to", "2026-02-28"]
    result = crm(filled, *args, "--format", "json", "--chart", str(chart))
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    # customers 1 and 2 first bought in January 2026 (120 and 80), nothing in February
    assert [(r["cohort"], r["size"]) for r in rows] == [("2026-01", 2)]
    assert (rows[0]["m0"], rows[0]["m1"]) == (1.0, 0.0)
    assert rows[0]["total_revenue"] == "200"
    assert_png(chart)
    revenue = crm(filled, *args, "--metric", "revenue", "--format", "csv")
    assert revenue.stdout.splitlines()[1] == "2026-01,2,200,0,200"
    # by week: Sunday 4 January is in the week of Monday 29 December, Tuesday 6 in the next
    weekly = json.loads(crm(filled, *args, "--period", "week", "--format", "json").stdout)
    assert [(r["cohort"], r["size"], r["w0"], r["w1"]) for r in weekly] == [
        ("2025-12-29", 1, 1.0, 0.0),
        ("2026-01-05", 1, 1.0, 0.0),
    ]
    # the pipeline created the three contacts when it processed the events: one cohort
    signup = crm(filled, "report", "cohorts", "--by", "signup", "--format", "json")
    assert [r["size"] for r in json.loads(signup.stdout)] == [3]


def test_saas_metrics_from_billing_facts_with_an_mrr_chart(filled: Path) -> None:
    chart = filled.parent / "mrr.png"
    result = crm(
        filled, "report", "saas", "--spend", "30", "--format", "json", "--chart", str(chart)
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    months = {m["month"]: m for m in report["months"]}
    # January: three customers paid 50; February: customers 1 and 2 did
    assert (months["2026-01"]["mrr"], months["2026-02"]["mrr"]) == ("150", "100")
    assert months["2026-02"]["logo_churn"] == pytest.approx(1 / 3)
    metrics = {m["metric"]: m for m in report["metrics"]}
    assert metrics["mrr"]["value"] == 100
    assert metrics["nrr"]["value"] == pytest.approx(100 / 150)
    assert metrics["nrr"]["status"] == "off target"
    assert metrics["nps"]["value"] == 0  # one promoter (10), one detractor (4)
    assert_png(chart)
    refused = crm(filled, "report", "saas", "--spend", "lots")
    assert refused.returncode == 2


def test_deals_and_leads_reports_on_the_demo(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    assert crm(db, "demo").returncode == 0
    chart = tmp_path / "forecast.png"
    deals = crm(db, "report", "deals", "--format", "json", "--chart", str(chart))
    assert deals.returncode == 0, deals.stderr
    report = json.loads(deals.stdout)
    (usd,) = report["summary"]
    assert usd["won"] + usd["lost"] == sum(
        b["won"] + b["lost"] for b in report["win/loss"] if b["dimension"] == "owner"
    )
    assert sum(float(f["weighted"]) for f in report["forecast"]) == pytest.approx(
        float(usd["forecast"])
    )
    assert_png(chart)
    leads_chart = tmp_path / "leads.png"
    leads = crm(db, "report", "leads", "--format", "csv", "--chart", str(leads_chart))
    assert leads.returncode == 0, leads.stderr
    lines = leads.stdout.splitlines()
    assert lines[0] == "source,leads,qualified,converted,avg_score,conversion_rate"
    assert len(lines) > 2
    assert_png(leads_chart)
    health = crm(db, "report", "health", "--format", "json")
    assert health.returncode == 0, health.stderr
    same = crm(db, "health", "report", "--format", "json")
    assert json.loads(health.stdout) == json.loads(same.stdout)
    assert {row["level"] for row in json.loads(health.stdout)} >= {"green"}


def test_alerts_check_raises_once_and_lists(tmp_path: Path) -> None:
    db = tmp_path / "alerts.db"
    made = crm(
        db, "deals", "create", "--title", "Late", "--amount", "10", "--expected-close", "2020-01-01"
    )
    assert made.returncode == 0, made.stderr
    first = crm(db, "alerts", "check", "--format", "json")
    assert first.returncode == 0, first.stderr
    assert [(a["change"], a["key"]) for a in json.loads(first.stdout)] == [
        ("raised", "deals_slipping")
    ]
    again = crm(db, "alerts", "check", "--format", "json")
    assert json.loads(again.stdout) == []
    listed = crm(db, "alerts", "list", "--format", "csv").stdout.splitlines()
    assert listed[0] == "id,severity,key,message,value,raised_at,cleared_at"
    assert len(listed) == 2
    assert ",warning,deals_slipping," in listed[1]


def test_alerts_check_reports_an_unreachable_database(tmp_path: Path) -> None:
    result = crm(tmp_path / "missing" / "crm.db", "alerts", "check")
    assert result.returncode == 4
    assert "critical  database_unavailable" in result.stdout
