"""The vocabulary of the demo agency: UK sectors, roles, salaries, terms and call notes.

Plain data for keepwarm.demo.agency. Salaries are 2026 UK market ranges in pounds a year;
phone numbers come from Ofcom's ranges reserved for drama, so none rings a real phone.
"""

from __future__ import annotations

from typing import NamedTuple

# Every demo address is at a .example domain, so demo mail can never reach anyone.
DOMAIN = "fernbrook-recruitment.example"


class Job(NamedTuple):
    title: str
    low: int  # salary range, £ a year
    high: int
    targets: tuple[tuple[str, float, str, str], ...] = ()  # name, value, unit, period
    duties: str = ""


class Sector(NamedTuple):
    name: str
    words: tuple[str, ...]  # for company names: "Hartley Precision Ltd"
    contact_titles: tuple[str, ...]
    jobs: tuple[Job, ...]
    weight: int


NEW_BUSINESS = ("New business", 40000, "GBP", "quarter")
SECTORS = (
    Sector(
        "Technology",
        ("Software", "Digital", "Systems", "Technologies", "Data"),
        ("Engineering Manager", "CTO", "Head of IT", "Head of Product"),
        (
            Job("Software Engineer", 42000, 65000, (), "Builds and maintains the customer portal"),
            Job("Senior Software Engineer", 62000, 85000, (), "Leads a squad of four engineers"),
            Job(
                "IT Support Analyst",
                25000,
                31000,
                (("Tickets resolved", 120, "tickets", "month"),),
                "First- and second-line support for 300 users",
            ),
            Job("Data Analyst", 34000, 46000, (), "Reporting and dashboards for the sales team"),
            Job("DevOps Engineer", 55000, 78000, (), "Owns the cloud platform and CI pipelines"),
            Job(
                "Account Executive (SaaS)",
                38000,
                48000,
                (NEW_BUSINESS, ("Qualified meetings booked", 12, "meetings", "month")),
                "Sells the platform to mid-market firms",
            ),
        ),
        5,
    ),
    Sector(
        "Accountancy & finance",
        ("Financial", "Accountants", "Partners", "Wealth"),
        ("Finance Director", "Financial Controller", "Practice Manager"),
        (
            Job("Accounts Assistant", 23500, 27500, (), "Purchase ledger and bank reconciliations"),
            Job(
                "Credit Controller",
                26000,
                31000,
                (("Debtor days", 45, "days", "month"),),
                "Chases 400 trade accounts",
            ),
            Job(
                "Management Accountant",
                42000,
                52000,
                (("Month-end close", 5, "working days", "month"),),
                "Month-end, forecasts and board pack",
            ),
            Job("Payroll Officer", 27000, 33000, (), "Weekly and monthly payroll for 650 staff"),
            Job("Financial Controller", 60000, 78000, (), "Runs a team of five; reports to the FD"),
        ),
        4,
    ),
    Sector(
        "Engineering & manufacturing",
        ("Engineering", "Precision", "Manufacturing", "Components", "Fabrications"),
        ("Operations Director", "Plant Manager", "Engineering Manager", "Production Manager"),
        (
            Job(
                "Maintenance Engineer",
                36000,
                45000,
                (("Planned maintenance completed", 95, "%", "month"),),
                "Multi-skilled; days with a one-in-four call-out rota",
            ),
            Job("Production Supervisor", 33000, 40000, (), "Leads a shift of 18 operatives"),
            Job("Quality Engineer", 38000, 47000, (), "ISO 9001 audits and supplier quality"),
            Job("CNC Machinist", 28000, 34000, (), "Sets and runs 5-axis machining centres"),
            Job("Design Engineer", 38000, 50000, (), "SolidWorks design of sheet-metal enclosures"),
        ),
        4,
    ),
    Sector(
        "Logistics & supply chain",
        ("Logistics", "Freight", "Distribution", "Supply Chain"),
        ("Operations Manager", "Head of Logistics", "Depot Manager"),
        (
            Job("Transport Planner", 28000, 34000, (), "Plans routes for a fleet of 40 HGVs"),
            Job(
                "Warehouse Manager",
                38000,
                47000,
                (("Order accuracy", 99.5, "%", "month"),),
                "A 120,000 sq ft site, two shifts",
            ),
            Job("Supply Chain Analyst", 32000, 40000, (), "Demand planning and stock optimisation"),
            Job("Buyer", 30000, 38000, (), "Buys packaging and raw materials"),
        ),
        3,
    ),
    Sector(
        "Sales & marketing",
        ("Media", "Marketing", "Brands", "Communications"),
        ("Sales Director", "Head of Marketing", "Managing Director"),
        (
            Job(
                "Business Development Manager",
                36000,
                48000,
                (NEW_BUSINESS,),
                "Opens new accounts across the North",
            ),
            Job(
                "Account Manager",
                30000,
                38000,
                (("Account retention", 95, "%", "year"),),
                "Looks after 60 existing clients",
            ),
            Job("Marketing Executive", 27000, 33000, (), "Campaigns, email and social"),
            Job(
                "Field Sales Executive",
                28000,
                34000,
                (("Sales", 25000, "GBP", "month"),),
                "Sells to independent retailers",
            ),
        ),
        3,
    ),
    Sector(
        "Construction & property",
        ("Construction", "Developments", "Homes", "Building Services"),
        ("Construction Director", "Commercial Manager", "Project Director"),
        (
            Job("Quantity Surveyor", 45000, 58000, (), "Commercial lead on two housing sites"),
            Job(
                "Site Manager",
                48000,
                60000,
                (("Plots completed", 60, "plots", "year"),),
                "Runs a 120-plot development",
            ),
            Job("Estimator", 40000, 50000, (), "Prices tenders up to £5m"),
            Job("Contracts Administrator", 30000, 36000, (), "Subcontract orders and valuations"),
        ),
        3,
    ),
    Sector(
        "Legal & office support",
        ("Solicitors", "Legal", "Law"),
        ("Practice Manager", "Office Manager", "Managing Partner"),
        (
            Job("Legal Secretary", 26000, 31000, (), "Supports two conveyancing partners"),
            Job("Office Manager", 30000, 37000, (), "Runs the office, facilities and suppliers"),
            Job("Executive Assistant", 33000, 40000, (), "Supports the managing partner"),
            Job("HR Advisor", 32000, 39000, (), "Generalist HR for 250 staff"),
        ),
        2,
    ),
    Sector(
        "Healthcare",
        ("Healthcare", "Care", "Medical", "Clinics"),
        ("Registered Manager", "Clinical Director", "Operations Manager"),
        (
            Job("Practice Manager", 34000, 42000, (), "Runs a five-GP practice"),
            Job("Registered Nurse", 34000, 41000, (), "Days, private hospital ward"),
            Job("Care Home Manager", 45000, 55000, (), "A 60-bed residential home"),
        ),
        2,
    ),
)

CITIES = (
    ("Leeds", "0113 496 0"),
    ("Bradford", "01632 960"),
    ("Manchester", "0161 496 0"),
    ("Sheffield", "0114 496 0"),
    ("Birmingham", "0121 496 0"),
    ("Nottingham", "0115 496 0"),
    ("Leicester", "0116 496 0"),
    ("Bristol", "0117 496 0"),
    ("Reading", "0118 496 0"),
    ("Newcastle upon Tyne", "0191 498 0"),
    ("London", "020 7946 0"),
    ("Cardiff", "029 2018 0"),
    ("Edinburgh", "0131 496 0"),
    ("Glasgow", "0141 496 0"),
)
PLACE_WORDS = (
    "Pennine", "Aire Valley", "Northgate", "Kestrel", "Severn", "Calder", "Wharfe",
    "Riverside", "Castlegate", "Moorland", "Heron", "Granary", "Millstone", "Oakfield",
)  # fmt: skip

# (length, unit, remedy, rebate scale as (up to day, percent)), weighted by repetition.
TERMS = (
    (90, "calendar", "refund", ((30, 100), (60, 50), (90, 25))),
    (90, "calendar", "refund", ((30, 100), (60, 50), (90, 25))),
    (90, "calendar", "refund", ((28, 100), (56, 60), (90, 30))),
    (84, "calendar", "refund", ((28, 100), (56, 50), (84, 25))),
    (60, "working", "refund", ((20, 100), (40, 50), (60, 25))),
    (90, "calendar", "replacement", ()),
    (180, "calendar", "refund", ((60, 100), (120, 50), (180, 25))),
)
FEE_PERCENTS = (15, 18, 18, 20, 20, 20, 22, 25)
HOURS = (37.5, 37.5, 37.5, 40, 35)
PROBATION_WEEKS = (12, 13, 13, 26, 26)
BENEFITS = (
    "25 days' holiday plus bank holidays; 5% matched pension",
    "28 days' holiday including bank holidays; 4% pension; free parking",
    "25 days' holiday; 6% pension; private medical after probation",
    "26 days' holiday rising with service; 5% pension; life cover 4x salary",
    "25 days' holiday; 5% pension; car allowance £4,800",
)
TERMS_NOTES = (
    "",
    "",
    "Hybrid: three days a week in the office.",
    "Early finish on Fridays.",
    "Training budget agreed: £1,500 a year.",
    "Salary review after probation.",
    "Study support for a professional qualification.",
)
LEAVE_NOTES = {
    "counter_offer": "Accepted a counter-offer from their employer the week before starting.",
    "role_not_as_described": "Said the job was mostly admin, not the project work agreed.",
    "manager": "Clashed with the new line manager from week two.",
    "pay": "Offered £6k more by a competitor.",
    "relocation": "Partner's job moved them to Scotland.",
    "performance": "Client ended it in probation: missed targets two months running.",
    "personal": "Family reasons; needed to care for a parent.",
    "other": "Role made redundant in a restructure.",
}

# Call notes by the stage of the relationship, then by outcome.
NOTES = {
    "pre": (
        "Confirmed start at 9am; knows to ask for the hiring manager at reception.",
        "All set for Monday. Nervous but excited; references cleared.",
        "Start confirmed. Asked about parking; told them the client has spaces.",
        "Resigned and worked notice without a counter-offer. Start confirmed.",
    ),
    "week1": (
        "Good first week; team friendly, laptop and logins sorted by day two.",
        "Settling in. Induction a bit thin; will mention to the client at the month check-in.",
        "Loving it so far. Already shadowing on the big account.",
        "Fine, but hours have run late twice. Keep an eye on it.",
    ),
    "keep": (
        "All good. Enjoying the work; no concerns.",
        "Going well. Mentioned a former colleague who is looking; passed details on.",
        "Happy. Got through probation early.",
        "Says the workload has doubled since a colleague left; not unhappy yet.",
        "Positive. Their team is hiring two more; passed the lead to the BD team.",
        "Fine. Asked about training budget; suggested raising it at the review.",
        "Doing well; promoted to team leader last month.",
        "Bit flat: no pay rise at the review. Worth another call next month.",
    ),
    "client": (
        "Hiring manager pleased; settled in quickly and hitting the early targets.",
        "Client happy. Asked us to quote for a second role in the same team.",
        "Good feedback. Wants a little more initiative; will coach at next call.",
        "Client keen to keep them; discussed a salary review after probation.",
    ),
    "offer": (
        "Offer accepted verbally; start date and salary confirmed in writing.",
        "Offer accepted after a small uplift on salary. Client delighted.",
    ),
    "voicemail": (
        "Left a voicemail; will try again.",
        "Voicemail. Sent a text to say I'd called.",
    ),
    "no_answer": ("No answer.", "No answer; phone went straight to voicemail, no message left."),
}

PERSON_NOTES = (
    "Prefers a WhatsApp message before a call during work hours.",
    "Studying for a professional qualification in the evenings.",
    "Open to a move in a year or two; wants to step up to a management role.",
    "Knows lots of people at their previous employer; good for referrals.",
    "Only interested in hybrid roles from now on.",
    "Played down salary at interview; would move for £5k more.",
)
HEADLINE_EXTRAS = ("", "", " (CIMA)", " (ACCA part-qualified)", " — open to hybrid", "")
# Accountancy qualifications; on anyone else's headline they read as nonsense ("Registered
# Nurse (CIMA)").
FINANCE_QUALIFICATIONS = (" (CIMA)", " (ACCA part-qualified)")


def headline(job: Job, sector: Sector, extra: str) -> str:
    """A candidate's headline: the job's title, perhaps with a qualification or a wish."""
    if extra in FINANCE_QUALIFICATIONS and sector.name != "Accountancy & finance":
        return job.title
    return job.title + extra
