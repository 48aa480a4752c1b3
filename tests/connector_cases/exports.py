"""The export-file cases: a private copy of a fixture file per case; CFPB complaints and survey responses."""

from __future__ import annotations

import shutil
import tempfile
import weakref
from datetime import UTC, datetime
from pathlib import Path

from connector_helpers import FIXTURES, FakeTime
from fixture_server import FixtureServer

from cx_nlp.sources.connectors import CfpbComplaintsStream, CfpbConfig, SurveyConfig, SurveyResponsesStream


class ExportCase:
    """A case whose source is a file: copied to a private folder, so each case can change its own."""

    fixture: str
    # Nothing goes over the network: a rerun sends no request at all.
    rerun_requests = 0
    retry_after = 0.0

    def __init__(self, server: FixtureServer):
        self.server = server
        folder = Path(tempfile.mkdtemp(prefix="cx-export-case-"))
        weakref.finalize(self, shutil.rmtree, folder, True)
        self.export_file = folder / self.fixture

    def install(self) -> None:
        shutil.copyfile(FIXTURES / self.fixture, self.export_file)

    def data_requests(self) -> list:
        return []

    def inject_transient_faults(self) -> None:
        raise AssertionError("file sources have no transient faults to inject")


CFPB_HEADER = FIXTURES.joinpath("cfpb_complaints.csv").read_text().splitlines()[0]


def cfpb_row(complaint_id: str, received: str, narrative: str, company: str = "ACME BANK, N.A.") -> str:
    quoted = '"' + narrative.replace('"', '""') + '"'
    return (
        f'{received},Credit card,Store credit card,Fees or interest,Problem with fees,{quoted},,"{company}",OH,'
        f"432XX,,Consent provided,Web,{received},Closed with explanation,Yes,N/A,{complaint_id}"
    )


class CfpbCase(ExportCase):
    kind = "cfpb_complaints"
    fixture = "cfpb_complaints.csv"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    # 9100199 is about another company; 9100090 was received before `since`.
    expected_ids = frozenset({"9100101", "9100102", "9100103", "9100104"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 22, tzinfo=UTC)
    new_ids = frozenset({"9100105"})

    def make_stream(self, fake: FakeTime, **http) -> CfpbComplaintsStream:
        return CfpbComplaintsStream(CfpbConfig(path=self.export_file, companies=["Acme Bank, N.A."]))

    def add_new_item(self) -> None:
        with self.export_file.open("a") as handle:
            handle.write(cfpb_row("9100105", "10/24/2026", "Fee charged twice.") + "\n")

    def break_second_page(self) -> str:
        # A download cut off inside a quoted narrative.
        text = self.export_file.read_text()
        self.export_file.write_text(text[: text.index("without asking me")])
        return "malformed CSV"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        rows = [
            cfpb_row("9100201", "10/02/2026", "A late fee on a payment made on time."),
            cfpb_row("9100202", "10/02/2026", ""),
            cfpb_row("9100203", "13/45/2026", "Bad date."),
            cfpb_row("", "10/03/2026", "No complaint id."),
        ]
        self.export_file.write_text("\n".join([CFPB_HEADER, *rows]) + "\n")
        return {"9100201"}, [
            ("complaint_what_happened", "record '9100202': empty text"),
            ("date_received", "record '9100203': unparseable date '13/45/2026'"),
            ("complaint_id", "missing id"),
        ]


class SurveyCase(ExportCase):
    kind = "survey_responses"
    fixture = "survey_nps.csv"
    since = datetime(2026, 10, 1, tzinfo=UTC)
    expected_ids = frozenset({"r-101", "r-102", "r-103", "r-104"})
    expected_count = 4
    expected_bookmark = datetime(2026, 10, 22, 16, 0, tzinfo=UTC)
    new_ids = frozenset({"r-105"})

    def make_stream(self, fake: FakeTime, **http) -> SurveyResponsesStream:
        return SurveyResponsesStream(SurveyConfig(path=self.export_file, score_type="nps", metadata=["touchpoint"]))

    def add_new_item(self) -> None:
        with self.export_file.open("a") as handle:
            handle.write("r-105,2026-10-24T10:00:00Z,0,Never again.,delivery\n")

    def break_second_page(self) -> str:
        self.export_file.unlink()
        return "survey export not found"

    def install_bad_records(self) -> tuple[set[str], list[tuple[str, str]]]:
        self.export_file.write_text(
            "response_id,submitted_at,score,comment,touchpoint\n"
            "r-201,2026-10-02T09:00:00Z,6,Slow refund.,support\n"
            "r-202,2026-10-02T09:00:00Z,11,Off the scale.,support\n"
            "r-203,2026-10-02T09:00:00Z,8,,support\n"
            "r-204,2026-10-02T09:00:00Z,ten,Not a number.,support\n"
        )
        return {"r-201"}, [
            ("score", "record 'r-202': rating '11' outside 0..10"),
            ("comment", "record 'r-203': empty text"),
            ("score", "record 'r-204': rating 'ten' is not a number"),
        ]
