from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from keepwarm.accounts.models import User
from keepwarm.care.models import Touchpoint
from keepwarm.conftest import Cast
from keepwarm.imports import services
from keepwarm.imports.models import ExternalRef, ImportRun, RowResult, Source
from keepwarm.imports.tests.conftest import NOW
from keepwarm.imports.vacancies import vacancy_status
from keepwarm.network.models import Vacancy
from keepwarm.people.models import Company, Note, Person, Role
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db


def run_bullhorn(folder: Path, *, dry_run: bool = False, by: User | None = None) -> ImportRun:
    files, _ = services.bullhorn_files(sorted(folder.iterdir()))
    run = services.start_import(source=Source.BULLHORN, files=files, by=by, dry_run=dry_run)
    return services.run_now(run, now=NOW)


def outcome(run: ImportRun, file_name: str, line: int) -> RowResult:
    return run.rows.get(file_name=file_name, line=line)


def test_bullhorn_folder_becomes_people_companies_and_placements(
    cast: Cast, bullhorn_dir: Path
) -> None:
    run = run_bullhorn(bullhorn_dir, by=cast.manager)
    assert run.state == ImportRun.State.DONE, run.error

    tomasz = Person.objects.get(email="tomasz.nowak@example.org")
    assert tomasz.skills == "Forklift, Team leading, WMS"
    assert tomasz.owner == cast.owner
    assert tomasz.headline == "Warehouse Supervisor"
    brightwater = Company.objects.get(name="Brightwater Logistics")
    assert brightwater.sector == "Logistics, Transport"
    assert brightwater.website == "https://brightwater.example"

    placement = Placement.objects.get(person=tomasz)
    assert (placement.company, placement.role_title) == (brightwater, "Warehouse Supervisor")
    assert placement.start_date.isoformat() == "2026-03-02"
    assert placement.hiring_manager == Person.objects.get(email="grace.hall@brightwater.example")
    assert placement.owner == cast.owner
    # The care plan starts from the import: the steps still ahead are planned, and the
    # week before NOW (the start, week-one calls) is history, not laid out as skipped.
    touchpoints = Touchpoint.objects.filter(placement=placement)
    assert touchpoints.filter(state=Touchpoint.State.PLANNED, due_on__gte=NOW.date()).exists()
    assert not touchpoints.filter(due_on__lt=NOW.date()).exists()
    assert touchpoints.get(title="One-month check-in").due_on.isoformat() == "2026-04-02"
    assert Note.objects.filter(person=tomasz, text__contains="forklift refresher").exists()
    assert Role.objects.filter(
        person__email="grace.hall@brightwater.example",
        kind=Role.Kind.CLIENT_CONTACT,
        company=brightwater,
    ).exists()


def test_known_people_are_merged_not_duplicated(cast: Cast, bullhorn_dir: Path) -> None:
    run = run_bullhorn(bullhorn_dir)
    assert Person.objects.filter(first_name="Priya").count() == 1
    assert outcome(run, "Candidate.csv", 3).outcome == RowResult.Outcome.MERGED
    assert "same email" in outcome(run, "Candidate.csv", 3).reason
    # Harry, Acme's hiring manager, is the same record; Acme Widgets the same company.
    assert Person.objects.filter(first_name="Harry").count() == 1
    assert Company.objects.filter(name="Acme Widgets").count() == 1
    assert outcome(run, "ClientCorporation.csv", 3).outcome == RowResult.Outcome.MERGED


def test_a_person_with_the_same_phone_and_a_close_name_is_merged(
    cast: Cast, bullhorn_dir: Path
) -> None:
    sam = Person.objects.create(first_name="Sam", last_name="Okafor", phone="07700 900789")
    run = run_bullhorn(bullhorn_dir)
    row = outcome(run, "Candidate.csv", 4)
    assert row.outcome == RowResult.Outcome.MERGED
    assert row.target == f"person:{sam.pk}"
    assert "same phone" in row.reason
    assert Person.objects.filter(last_name="Okafor").count() == 1


def test_same_phone_but_a_different_name_is_a_different_person(
    cast: Cast, bullhorn_dir: Path
) -> None:
    Person.objects.create(first_name="Deborah", last_name="Jones", phone="07700900789")
    run = run_bullhorn(bullhorn_dir)
    assert outcome(run, "Candidate.csv", 4).outcome == RowResult.Outcome.CREATED


def test_bad_rows_are_rejected_with_the_reason_and_the_rest_go_in(
    cast: Cast, bullhorn_dir: Path
) -> None:
    run = run_bullhorn(bullhorn_dir)
    assert "no name" in outcome(run, "Candidate.csv", 5).reason
    assert outcome(run, "ClientCorporation.csv", 4).reason == "no company name"
    assert "CC-99" in outcome(run, "JobOrder.csv", 4).reason
    missing = outcome(run, "Placement.csv", 4)
    assert (missing.outcome, missing.reason) == (
        "rejected",
        "candidate CAND-404 not found in this import or an earlier one",
    )
    # Bullhorn dates are month first: 31/12/2025 is no date there, and the row says so.
    assert "is not a date (month/day/year)" in outcome(run, "Placement.csv", 5).reason
    assert outcome(run, "Note.csv", 3).outcome == "rejected"
    assert outcome(run, "Candidate.csv", 7).reason == "repeats line 2"
    assert "'Nobody Known' is not a Keepwarm user" in outcome(run, "Candidate.csv", 4).reason


def test_terminated_placement_is_recorded_as_ended_with_its_reason(
    cast: Cast, bullhorn_dir: Path
) -> None:
    run_bullhorn(bullhorn_dir)
    ended = Placement.objects.get(person__last_name="Okafor")
    assert ended.kind == Placement.Kind.CONTRACT
    assert ended.status == Placement.Status.LEFT  # 30-day guarantee long over by 30 June
    assert ended.leave_reason == Placement.LeaveReason.COUNTER_OFFER
    assert not ended.touchpoints.filter(state=Touchpoint.State.PLANNED).exists()


def test_importing_the_same_files_again_changes_nothing(cast: Cast, bullhorn_dir: Path) -> None:
    first = run_bullhorn(bullhorn_dir)
    counts = (
        Person.objects.count(),
        Company.objects.count(),
        Placement.objects.count(),
        Note.objects.count(),
        Touchpoint.objects.count(),
        Role.objects.count(),
        Vacancy.objects.count(),
    )
    second = run_bullhorn(bullhorn_dir)
    assert second.created == second.updated == second.merged == 0
    assert second.unchanged == first.created + first.updated + first.merged + first.unchanged
    assert counts == (
        Person.objects.count(),
        Company.objects.count(),
        Placement.objects.count(),
        Note.objects.count(),
        Touchpoint.objects.count(),
        Role.objects.count(),
        Vacancy.objects.count(),
    )


def test_a_changed_row_updates_the_record_it_made(cast: Cast, bullhorn_dir: Path) -> None:
    run_bullhorn(bullhorn_dir)
    path = bullhorn_dir / "Placement.csv"
    path.write_text(path.read_text().replace("32000,6400", "34000,6800"))
    again = run_bullhorn(bullhorn_dir)
    assert again.updated == 1
    assert Placement.objects.get(person__email="tomasz.nowak@example.org").salary == 34000


def test_job_orders_become_vacancies_at_their_clients(cast: Cast, bullhorn_dir: Path) -> None:
    run = run_bullhorn(bullhorn_dir)
    brightwater = Company.objects.get(name="Brightwater Logistics")

    supervisor = Vacancy.objects.get(title="Warehouse Supervisor")
    assert (supervisor.company, supervisor.status) == (brightwater, Vacancy.Status.OPEN)
    assert supervisor.skills == "Forklift, WMS, Team leading"
    assert (supervisor.sector, supervisor.location) == ("Logistics, Warehousing", "Hull")
    assert (supervisor.salary_min, supervisor.salary_max) == (32000, 32000)
    assert supervisor.owner == cast.owner
    # Bullhorn's description is HTML: the vacancy keeps what a reader sees of it.
    assert supervisor.notes == (
        "Run the night shift at our Hull DC & keep it safe.\n\n"
        "- Forklift licence\n"
        "- WMS – Manhattan"
    )
    driver = Vacancy.objects.get(title="Relief Driver")
    assert driver.status == Vacancy.Status.FILLED
    assert (driver.salary_min, driver.salary_max) == (28000, 30000)
    picker = Vacancy.objects.get(title="Night Shift Picker")
    assert picker.company == cast.company
    assert picker.status == Vacancy.Status.CLOSED  # isOpen false, no status
    assert picker.notes == "Nights; 4 on 4 off"
    assert picker.salary_min is None
    assert picker.owner == cast.admin  # an owner Keepwarm does not know: the importer's
    sales = Vacancy.objects.get(title="Sales Executive")
    assert sales.status == Vacancy.Status.CLOSED  # on hold, though Bullhorn says isOpen
    assert sales.salary_min is None  # Bullhorn writes 0 for no salary
    assert Vacancy.objects.get(title="Account Manager").status == Vacancy.Status.OPEN
    assert not Vacancy.objects.filter(title="Ghost Job").exists()

    row = outcome(run, "JobOrder.csv", 5)
    assert row.outcome == RowResult.Outcome.CREATED
    assert row.reason.startswith("closed vacancy (not marked open)")
    assert "salary left out: 'competitive' is not an amount" in row.reason
    assert "'Nobody Known' is not a Keepwarm user" in row.reason
    # Placements still take their title, client and hiring manager from the job order.
    placement = Placement.objects.get(person__last_name="Okafor")
    assert (placement.role_title, placement.company) == ("Relief Driver", brightwater)


@pytest.mark.parametrize(
    ("status", "is_open", "becomes"),
    [
        ("Accepting Candidates", "", Vacancy.Status.OPEN),
        ("Offer Out", "true", Vacancy.Status.OPEN),
        ("Placed", "true", Vacancy.Status.FILLED),
        ("Filled by Client", "", Vacancy.Status.FILLED),
        ("Lost to Competition", "", Vacancy.Status.CLOSED),
        ("Cancelled", "", Vacancy.Status.CLOSED),
        ("Archive", "", Vacancy.Status.CLOSED),
        ("Inactive", "", Vacancy.Status.CLOSED),
        ("Unfilled", "true", Vacancy.Status.OPEN),
        ("", "FALSE", Vacancy.Status.CLOSED),
        ("Something home-made", "1", Vacancy.Status.OPEN),
        ("", "", Vacancy.Status.OPEN),
    ],
)
def test_bullhorn_job_order_statuses_read_as_open_filled_or_closed(
    status: str, is_open: str, becomes: str
) -> None:
    assert vacancy_status(status, is_open)[0] == becomes


def test_the_import_report_links_each_job_order_to_its_vacancy(
    client: Client, cast: Cast, bullhorn_dir: Path
) -> None:
    run = run_bullhorn(bullhorn_dir)
    supervisor = Vacancy.objects.get(title="Warehouse Supervisor")
    row = outcome(run, "JobOrder.csv", 2)
    assert (row.outcome, row.reason) == ("created", "open vacancy (status 'Accepting Candidates')")
    assert row.target_url == supervisor.get_absolute_url()
    client.force_login(cast.manager)
    assert supervisor.get_absolute_url() in client.get(run.get_absolute_url()).content.decode()


def test_importing_the_same_job_orders_again_leaves_their_vacancies_alone(
    cast: Cast, bullhorn_dir: Path
) -> None:
    run_bullhorn(bullhorn_dir)
    # A consultant adds to a vacancy in Keepwarm; the same files again do not undo it.
    Vacancy.objects.filter(title="Warehouse Supervisor").update(notes="Client wants nights only")
    again = run_bullhorn(bullhorn_dir)
    row = outcome(again, "JobOrder.csv", 2)
    assert (row.outcome, row.reason) == ("unchanged", "imported before")
    assert row.target_url == Vacancy.objects.get(title="Warehouse Supervisor").get_absolute_url()
    assert Vacancy.objects.get(title="Warehouse Supervisor").notes == "Client wants nights only"
    assert Vacancy.objects.count() == 5


def test_a_changed_job_order_updates_its_vacancy(cast: Cast, bullhorn_dir: Path) -> None:
    run_bullhorn(bullhorn_dir)
    path = bullhorn_dir / "JobOrder.csv"
    path.write_bytes(
        path.read_bytes().replace(b"Filled,false,Class 2", b"Closed,false,Class 2;HGV")
    )
    again = run_bullhorn(bullhorn_dir)
    driver = Vacancy.objects.get(title="Relief Driver")
    assert (driver.status, driver.skills) == (Vacancy.Status.CLOSED, "Class 2, HGV")
    row = outcome(again, "JobOrder.csv", 3)
    assert (row.outcome, row.target_url) == ("updated", driver.get_absolute_url())
    assert "closed vacancy (status 'Closed')" in row.reason
    assert again.updated == 1
    assert Vacancy.objects.count() == 5


def test_a_job_order_repeated_in_the_file_makes_one_vacancy(cast: Cast, bullhorn_dir: Path) -> None:
    path = bullhorn_dir / "JobOrder.csv"
    path.write_bytes(path.read_bytes() + b"JOB-6,Account Manager,CC-2,,,,,,,,,,\r\n")
    run = run_bullhorn(bullhorn_dir)
    assert run.state == ImportRun.State.DONE, run.error
    assert outcome(run, "JobOrder.csv", 8).reason == "repeats line 7"
    assert Vacancy.objects.filter(title="Account Manager").count() == 1


def test_a_company_repeated_in_the_file_is_imported_once(cast: Cast, bullhorn_dir: Path) -> None:
    # An export that lists a client twice used to fail the whole import on the second ref.
    path = bullhorn_dir / "ClientCorporation.csv"
    path.write_bytes(path.read_bytes() + b"CC-2,Acme Widgets Ltd,Manufacturing,Leeds,,\r\n")
    run = run_bullhorn(bullhorn_dir)
    assert run.state == ImportRun.State.DONE, run.error
    repeat = outcome(run, "ClientCorporation.csv", 5)
    assert (repeat.outcome, repeat.reason) == ("unchanged", "repeats line 3")
    assert ExternalRef.objects.filter(entity="company", external_id="CC-2").count() == 1
    assert Company.objects.filter(name__startswith="Acme Widgets").count() == 1


def test_a_job_order_imported_before_vacancies_gets_its_vacancy_on_the_next_import(
    cast: Cast, bullhorn_dir: Path
) -> None:
    run_bullhorn(bullhorn_dir)
    # As the import left a job order before: a ref to the company, no vacancy.
    Vacancy.objects.filter(title="Relief Driver").delete()
    ref = ExternalRef.objects.get(external_id="JOB-2")
    ref.object_id = Company.objects.get(name="Brightwater Logistics").pk
    del ref.data["vacancy_id"]
    ref.save()
    again = run_bullhorn(bullhorn_dir)
    driver = Vacancy.objects.get(title="Relief Driver")
    assert driver.status == Vacancy.Status.FILLED
    row = outcome(again, "JobOrder.csv", 3)
    assert row.outcome == "updated" and "imported before" in row.reason
    ref.refresh_from_db()
    assert ref.object_id == ref.data["vacancy_id"] == driver.pk
    assert ref.data["company_id"] == driver.company_id


def test_dry_run_reports_row_by_row_and_writes_nothing(cast: Cast, bullhorn_dir: Path) -> None:
    before = (
        Person.objects.count(),
        Company.objects.count(),
        Placement.objects.count(),
        ExternalRef.objects.count(),
        Vacancy.objects.count(),
    )
    run = run_bullhorn(bullhorn_dir, dry_run=True)
    assert run.state == ImportRun.State.DONE
    assert run.created > 0 and run.rejected > 0
    assert run.rows.count() == run.total_rows
    assert before == (
        Person.objects.count(),
        Company.objects.count(),
        Placement.objects.count(),
        ExternalRef.objects.count(),
        Vacancy.objects.count(),
    )
    # The check says what each job order would become.
    assert outcome(run, "JobOrder.csv", 3).reason == "filled vacancy (status 'Filled')"
    real = services.run_now(services.run_for_real(dry_run=run, by=None), now=NOW)
    assert (real.created, real.merged, real.rejected) == (run.created, run.merged, run.rejected)


def test_a_file_that_breaks_half_way_rolls_the_whole_import_back(
    cast: Cast, bullhorn_dir: Path
) -> None:
    # A quote left open swallows the rest of the file into one cell.
    (bullhorn_dir / "Note.csv").write_text('externalID,comments\nN-9,"' + "x" * 200_000 + "\n")
    before = (
        Person.objects.count(),
        Company.objects.count(),
        Placement.objects.count(),
        ExternalRef.objects.count(),
    )
    run = run_bullhorn(bullhorn_dir)
    assert run.state == ImportRun.State.FAILED
    assert "Note.csv" in run.error
    assert before == (
        Person.objects.count(),
        Company.objects.count(),
        Placement.objects.count(),
        ExternalRef.objects.count(),
    )


def test_command_line_dry_run_then_import(
    cast: Cast, bullhorn_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("import", "bullhorn", str(bullhorn_dir), "--dry-run")
    out = capsys.readouterr().out
    assert "Dry run, nothing written" in out
    assert "rejected Candidate.csv line 5: no name" in out
    assert not Person.objects.filter(email="tomasz.nowak@example.org").exists()
    call_command("import", "bullhorn", str(bullhorn_dir))
    assert Person.objects.filter(email="tomasz.nowak@example.org").exists()


def test_a_queued_import_runs_in_the_worker_tick(cast: Cast, bullhorn_dir: Path) -> None:
    from keepwarm.worker.tick import tick

    files, _ = services.bullhorn_files(sorted(bullhorn_dir.iterdir()))
    run = services.start_import(source=Source.BULLHORN, files=files, by=cast.manager, dry_run=False)
    assert services.progress_of(run) == (0, 0)
    tick(now=NOW)
    run.refresh_from_db()
    assert run.state == ImportRun.State.DONE
    assert services.progress_of(run) == (run.total_rows, run.total_rows)
    assert Person.objects.filter(email="tomasz.nowak@example.org").exists()
    # The next tick finds nothing queued and leaves the run alone.
    tick(now=NOW)
    assert ImportRun.objects.get().finished_at == run.finished_at


def test_progress_is_readable_while_the_import_is_running(cast: Cast, bullhorn_dir: Path) -> None:
    files, _ = services.bullhorn_files(sorted(bullhorn_dir.iterdir()))
    run = services.start_import(source=Source.BULLHORN, files=files, by=None, dry_run=True)
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.RUNNING, total_rows=10)
    progress = services.Progress(run.pk)
    try:
        progress.report(4)
    finally:
        progress.close()
    run.refresh_from_db()
    done, total = services.progress_of(run)
    assert total == 10
    # SQLite: the count is in a file beside the data; PostgreSQL: a side connection
    # wrote it, which a test's open transaction cannot see, so the row's own count shows.
    assert done in (4, 0)


def test_an_import_whose_worker_died_is_marked_failed_not_left_running(
    cast: Cast, bullhorn_dir: Path
) -> None:
    import datetime as dt

    files, _ = services.bullhorn_files(sorted(bullhorn_dir.iterdir()))
    run = services.start_import(source=Source.BULLHORN, files=files, by=None, dry_run=False)
    ImportRun.objects.filter(pk=run.pk).update(
        state=ImportRun.State.RUNNING, started_at=NOW - dt.timedelta(hours=13)
    )
    services.run_next_import(now=NOW)
    run.refresh_from_db()
    assert run.state == ImportRun.State.FAILED
    assert "nothing was written" in run.error


def _placements_folder(folder: Path, count: int) -> Path:
    folder.mkdir()
    (folder / "ClientCorporation.csv").write_text("externalID,name\nCC-1,Acme Widgets Ltd\n")
    (folder / "JobOrder.csv").write_text(
        "externalID,title,clientCorporation.externalID\nJ-1,Buyer,CC-1\n"
    )
    (folder / "Candidate.csv").write_text(
        "externalID,firstName,lastName,email\n"
        + "".join(f"C-{i},Sam,Okafor{i},sam{i}@example.org\n" for i in range(count))
    )
    (folder / "Placement.csv").write_text(
        "externalID,candidate.externalID,jobOrder.externalID,dateBegin\n"
        + "".join(f"P-{i},C-{i},J-1,1/5/26 0:00\n" for i in range(count))
    )
    return folder


def test_importing_unchanged_placements_again_reads_no_more_for_more_rows(
    cast: Cast, tmp_path: Path
) -> None:
    # Each unchanged row's report line names the person and company: read with the
    # placements, not one query per row (which made a re-import slower than the import).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = []
    for count in (3, 30):
        folder = _placements_folder(tmp_path / f"n{count}", count)
        run_bullhorn(folder)
        with CaptureQueriesContext(connection) as captured:
            again = run_bullhorn(folder)
        assert again.unchanged == 2 * count + 2
        placements = again.rows.filter(file_name="Placement.csv")
        assert placements.filter(label__startswith="Sam Okafor").count() == count
        queries.append(len(captured))
    assert queries[0] == queries[1]


def test_a_placement_repeated_in_the_file_is_imported_once(cast: Cast, tmp_path: Path) -> None:
    # The same externalID twice used to fail the whole import on the second ref.
    folder = _placements_folder(tmp_path / "twice", 2)
    with (folder / "Placement.csv").open("a") as placements:
        placements.write("P-0,C-1,J-1,2/5/26 0:00\n")
    before = Placement.objects.count()
    run = run_bullhorn(folder)
    assert run.state == ImportRun.State.DONE, run.error
    repeat = outcome(run, "Placement.csv", 4)
    assert (repeat.outcome, repeat.reason) == ("unchanged", "repeats line 2")
    assert Placement.objects.count() == before + 2
    assert repeat.label == "Buyer"  # the job order's title: the row has none of its own
    # The report reads in the file's order, the repeat (met first) after what was written.
    assert list(run.rows.filter(file_name="Placement.csv").values_list("line", flat=True)) == [
        2,
        3,
        4,
    ]
