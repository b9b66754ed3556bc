"""Millbrook's reference data: districts, departments, request types, permit and event types.

Everything here is hand-written and independent of the seed, so every seed describes the same
city and only the generated activity differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CITY_NAME = "Millbrook"


@dataclass(frozen=True)
class District:
    name: str
    share: float  # of the city's residents in 2023
    growth: float  # yearly population growth
    lat: tuple[float, float]  # south and north edge
    lon: tuple[float, float]  # west and east edge


# The city's bounding box is 41.70..41.90 N, 87.80..87.55 W: four bands of two districts each.
DISTRICTS: tuple[District, ...] = (
    District("Northgate", 0.140, 0.009, (41.85, 41.90), (-87.800, -87.675)),
    District("Hillcrest", 0.120, 0.014, (41.85, 41.90), (-87.675, -87.550)),
    District("Westbrook", 0.130, 0.010, (41.80, 41.85), (-87.800, -87.675)),
    District("Old Town", 0.100, 0.003, (41.80, 41.85), (-87.675, -87.550)),
    District("Riverside", 0.130, 0.012, (41.75, 41.80), (-87.800, -87.675)),
    District("Harbor", 0.090, 0.022, (41.75, 41.80), (-87.675, -87.550)),
    District("Southview", 0.140, 0.008, (41.70, 41.75), (-87.800, -87.675)),
    District("Eastfield", 0.150, 0.028, (41.70, 41.75), (-87.675, -87.550)),
)
DISTRICT_NAMES = tuple(d.name for d in DISTRICTS)
POPULATION_2023 = 405_000

FUNDS = ("General Fund", "Special Revenue Fund", "Enterprise Fund", "Capital Fund", "Grants Fund")
ACCOUNT_TYPES = (
    "Personnel", "Contractual Services", "Supplies & Materials", "Equipment", "Debt Service",
    "Transfers",
)

# Share of a department's money by account type (Debt Service only where the profile has it).
ACCOUNT_MIX: dict[str, dict[str, float]] = {
    "public_safety": {"Personnel": 0.78, "Contractual Services": 0.07,
                      "Supplies & Materials": 0.05, "Equipment": 0.06, "Transfers": 0.04},
    "operations": {"Personnel": 0.45, "Contractual Services": 0.24, "Supplies & Materials": 0.13,
                   "Equipment": 0.09, "Debt Service": 0.05, "Transfers": 0.04},
    "utility": {"Personnel": 0.30, "Contractual Services": 0.22, "Supplies & Materials": 0.12,
                "Equipment": 0.08, "Debt Service": 0.20, "Transfers": 0.08},
    "services": {"Personnel": 0.40, "Contractual Services": 0.48, "Supplies & Materials": 0.04,
                 "Equipment": 0.02, "Transfers": 0.06},
    "office": {"Personnel": 0.68, "Contractual Services": 0.18, "Supplies & Materials": 0.05,
               "Equipment": 0.04, "Transfers": 0.05},
    "finance": {"Personnel": 0.30, "Contractual Services": 0.12, "Supplies & Materials": 0.02,
                "Equipment": 0.01, "Debt Service": 0.50, "Transfers": 0.05},
}


@dataclass(frozen=True)
class Program:
    name: str
    weight: float  # share of the department's budget, before normalising
    first_fy: int = 2023  # a program created or ended within the five years
    last_fy: int = 2027


@dataclass(frozen=True)
class Department:
    name: str
    budget_fy2023: float  # total across its lines, in millions of dollars
    growth: float  # yearly budget growth
    funds: tuple[str, ...]  # the first is the department's main fund
    mix: str  # key into ACCOUNT_MIX
    programs: tuple[Program, ...] = field(default=())


def _programs(*items: tuple) -> tuple[Program, ...]:
    return tuple(Program(*item) for item in items)


DEPARTMENTS: tuple[Department, ...] = (
    Department("Police", 390, 0.034, ("General Fund", "Grants Fund"), "public_safety", _programs(
        ("Patrol Operations", 5), ("Investigations", 2), ("Community Policing", 1),
        ("Traffic Enforcement", 0.8), ("Emergency Communications", 1), ("Police Training", 0.5))),
    Department("Fire", 245, 0.033, ("General Fund", "Grants Fund"), "public_safety", _programs(
        ("Fire Suppression", 5), ("Emergency Medical Services", 3), ("Fire Prevention", 0.8),
        ("Fire Training", 0.5), ("Emergency Management", 0.5))),
    Department("Public Works", 215, 0.032,
               ("General Fund", "Enterprise Fund", "Capital Fund"), "operations", _programs(
        ("Solid Waste Collection", 4), ("Street Maintenance", 3), ("Snow and Ice Control", 1),
        ("Fleet Services", 1.5), ("Facilities Maintenance", 1.5),
        ("Climate Resilience", 0.6, 2025))),
    Department("Water & Sewer", 195, 0.040,
               ("Enterprise Fund", "Capital Fund"), "utility", _programs(
        ("Water Treatment", 3), ("Water Distribution", 2.5), ("Wastewater Treatment", 3),
        ("Sewer Maintenance", 1.5), ("Stormwater Management", 1), ("Utility Billing", 0.6))),
    Department("Transportation", 130, 0.037,
               ("Special Revenue Fund", "Capital Fund", "General Fund"), "operations", _programs(
        ("Traffic Signals and Lighting", 1.5), ("Street Resurfacing", 3), ("Transit Support", 2),
        ("Parking Services", 1), ("Sidewalks and Bike Lanes", 1))),
    Department("Parks & Recreation", 88, 0.030,
               ("General Fund", "Special Revenue Fund", "Capital Fund"), "operations", _programs(
        ("Park Maintenance", 3), ("Recreation Programs", 2), ("Aquatics", 1),
        ("Urban Forestry", 1), ("Community Centers", 1.5))),
    Department("Health & Human Services", 100, 0.034,
               ("General Fund", "Grants Fund"), "services", _programs(
        ("Public Health Clinics", 2), ("Environmental Health", 1), ("Senior Services", 1.5),
        ("Homeless Services", 2), ("Pandemic Recovery", 1, 2023, 2024),
        ("Behavioral Health", 1.2))),
    Department("Housing", 62, 0.044, ("Grants Fund", "Special Revenue Fund"), "services",
               _programs(
        ("Affordable Housing Development", 3), ("Rental Assistance", 2),
        ("Housing Code Enforcement", 1), ("Homeownership Programs", 0.8))),
    Department("Library", 42, 0.025, ("General Fund", "Special Revenue Fund"), "office",
               _programs(
        ("Branch Services", 4), ("Collections", 1.5), ("Digital Services", 1),
        ("Youth and Literacy", 1))),
    Department("Planning & Building", 35, 0.035, ("Special Revenue Fund", "General Fund"),
               "office", _programs(
        ("Building Permits and Inspections", 3), ("Long-Range Planning", 1),
        ("Zoning Administration", 1), ("Code Compliance", 1.2))),
    Department("Finance", 36, 0.030, ("General Fund",), "finance", _programs(
        ("Accounting", 1), ("Budget Office", 0.6), ("Treasury and Revenue", 1),
        ("Procurement", 0.7), ("General Obligation Debt", 3))),
    Department("Information Technology", 50, 0.045, ("General Fund", "Capital Fund"), "office",
               _programs(
        ("Infrastructure and Operations", 2), ("Enterprise Applications", 2),
        ("Cybersecurity", 1), ("Open Data and Analytics", 0.6), ("Service Desk", 0.8))),
    Department("City Clerk", 11, 0.022, ("General Fund",), "office", _programs(
        ("Elections", 1.5), ("Records Management", 1), ("Council Support", 0.8))),
    Department("Economic Development", 22, 0.040, ("General Fund", "Grants Fund"), "services",
               _programs(
        ("Business Attraction", 1), ("Small Business Support", 1), ("Workforce Development", 1.2),
        ("Downtown Revitalization", 0.8))),
    Department("Human Resources", 16, 0.028, ("General Fund",), "office", _programs(
        ("Recruitment", 1), ("Benefits Administration", 1.2), ("Labor Relations", 0.6))),
    Department("City Attorney", 15, 0.027, ("General Fund",), "office", _programs(
        ("Litigation", 1.5), ("Legal Counsel", 1), ("Prosecution", 0.8))),
)
DEPARTMENT_NAMES = tuple(d.name for d in DEPARTMENTS)

# Monthly demand multipliers, January first; each is normalised to a yearly mean of 1.
SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
    "snow": (3.2, 2.6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2.2),
    "thaw": (1.2, 2.4, 2.8, 2.2, 1.1, 0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 0.9),
    "summer": (0.4, 0.4, 0.6, 0.9, 1.3, 1.7, 1.9, 1.8, 1.3, 0.9, 0.5, 0.4),
    "growing": (0, 0, 0.1, 0.6, 2.0, 2.6, 2.6, 2.3, 1.4, 0.4, 0, 0),
    "warm": (0.7, 0.7, 0.8, 1.0, 1.1, 1.2, 1.3, 1.3, 1.2, 1.0, 0.9, 0.8),
    "cold": (1.6, 1.5, 1.1, 0.8, 0.6, 0.6, 0.7, 0.7, 0.8, 1.0, 1.3, 1.5),
    "heating": (2.6, 2.2, 1.3, 0.5, 0.1, 0, 0, 0, 0.1, 0.9, 1.8, 2.5),
    "fall": (0.1, 0.05, 0.1, 0.15, 0.2, 0.2, 0.2, 0.3, 0.8, 3.5, 4.2, 1.2),
    "rain": (0.6, 0.7, 1.2, 1.5, 1.5, 1.3, 1.1, 1.0, 1.0, 0.9, 0.7, 0.6),
}

# Crews fall behind in winter: typical close time is multiplied by this, January first.
WINTER_BACKLOG = (1.35, 1.35, 1.25, 1.1, 1, 1, 1, 1, 1, 1, 1.05, 1.2)


@dataclass(frozen=True)
class RequestType:
    name: str
    department: str
    share: float  # relative yearly volume
    sla_days: int
    median_days: float  # typical time to close
    late_share: float  # share closed after the SLA outside the winter backlog
    season: str  # key into SEASONS
    winter_backlog: bool = False  # slower in winter (outdoor crews)
    night: bool = False  # reported mostly in the evening and at night
    weekend: float = 0.55  # weekend volume relative to a weekday
    storms: bool = False  # volume comes in bursts on a few days
    hot_districts: tuple[str, ...] = ()  # districts with twice the usual volume
    phrases: tuple[str, ...] = ()  # what residents write


REQUEST_TYPES: tuple[RequestType, ...] = (
    RequestType("Missed trash pickup", "Public Works", 12, 2, 0.8, 0.10, "flat",
                phrases=("Trash was not picked up", "Garbage cart skipped again this week",
                         "Missed collection, cart was out on time")),
    RequestType("Missed recycling pickup", "Public Works", 5, 3, 1.2, 0.10, "flat",
                phrases=("Recycling not collected", "Blue cart missed",
                         "Recycling truck skipped our block")),
    RequestType("Bulk item pickup", "Public Works", 6, 10, 4.5, 0.12, "warm",
                phrases=("Couch and mattress for pickup", "Old appliances to collect",
                         "Furniture left for bulk pickup")),
    RequestType("Pothole", "Transportation", 8, 5, 2.0, 0.12, "thaw", winter_backlog=True,
                hot_districts=("Riverside", "Southview"),
                phrases=("Pothole in the travel lane", "Large pothole, about a foot wide",
                         "Deep pothole damaging cars")),
    RequestType("Snow and ice removal", "Public Works", 4, 2, 0.7, 0.14, "snow",
                winter_backlog=True, weekend=0.9, storms=True,
                phrases=("Street not plowed", "Ice on sidewalk, not salted",
                         "Snow piled at the crosswalk")),
    RequestType("Streetlight out", "Transportation", 6, 7, 3.0, 0.11, "cold",
                phrases=("Streetlight out", "Light flickering all night",
                         "Two lights out on the block")),
    RequestType("Traffic signal malfunction", "Transportation", 2, 1, 0.25, 0.10, "flat",
                weekend=0.8,
                phrases=("Signal stuck on red", "Traffic light dark",
                         "Walk signal not working")),
    RequestType("Graffiti removal", "Public Works", 4, 7, 2.5, 0.13, "warm",
                hot_districts=("Old Town", "Harbor"),
                phrases=("Graffiti on wall", "Tagging on a bus shelter",
                         "Graffiti on a garage door, offensive words")),
    RequestType("Illegal dumping", "Public Works", 5, 5, 2.0, 0.14, "warm",
                hot_districts=("Harbor", "Eastfield"),
                phrases=("Tires dumped in the alley", "Construction debris dumped",
                         "Bags of trash left on the curb")),
    RequestType("Noise complaint", "Police", 9, 1, 0.15, 0.10, "summer", night=True,
                weekend=1.5, hot_districts=("Old Town", "Harbor"),
                phrases=("Loud music late at night", "Party noise, neighbors shouting",
                         'Caller says "it happens every weekend"')),
    RequestType("Abandoned vehicle", "Police", 4, 10, 4.0, 0.15, "flat",
                phrases=("Car parked for weeks, flat tires", "Vehicle with no plates",
                         "Abandoned van blocking the driveway")),
    RequestType("Overgrown grass and weeds", "Planning & Building", 4, 14, 6.0, 0.15,
                "growing", hot_districts=("Southview", "Westbrook"),
                phrases=("Tall grass on vacant lot", "Weeds over two feet high",
                         "Yard not mowed all summer")),
    RequestType("Tree maintenance", "Parks & Recreation", 4, 14, 5.0, 0.16, "summer",
                storms=True,
                phrases=("Fallen branch on sidewalk", "Tree limb touching wires",
                         "Dead tree, may fall")),
    RequestType("Park maintenance", "Parks & Recreation", 3, 10, 3.5, 0.12, "summer",
                weekend=0.9,
                phrases=("Broken swing at playground", "Trash cans overflowing in the park",
                         "Water fountain not working")),
    RequestType("Water main break", "Water & Sewer", 2, 1, 0.3, 0.12, "cold", winter_backlog=True,
                weekend=0.9,
                phrases=("Water bubbling up from street", "Water main break, street flooding",
                         "Low water pressure and a leak")),
    RequestType("Sewer backup", "Water & Sewer", 2, 2, 0.6, 0.12, "rain", storms=True,
                phrases=("Sewer backing up into basement", "Manhole overflowing",
                         "Storm drain clogged, water pooling")),
    RequestType("Water bill question", "Water & Sewer", 5, 5, 1.5, 0.10, "flat", weekend=0.2,
                phrases=("Bill much higher than usual", "Question about a late fee",
                         "Meter reading looks wrong")),
    RequestType("Building code violation", "Planning & Building", 4, 21, 8.0, 0.16, "flat",
                phrases=("Work without a permit", "Unsafe porch, stairs broken",
                         "Illegal unit in the basement")),
    RequestType("No heat", "Housing", 2, 2, 0.8, 0.14, "heating", weekend=0.9,
                phrases=("No heat in apartment", "Landlord not fixing the furnace",
                         "Heat off, children in the unit")),
    RequestType("Rodent control", "Health & Human Services", 3, 7, 3.0, 0.13, "summer",
                hot_districts=("Old Town",),
                phrases=("Rats in the alley", "Rodents near dumpsters",
                         "Rat burrows in the yard")),
    RequestType("Sidewalk repair", "Transportation", 3, 30, 12.0, 0.18, "warm",
                phrases=("Cracked sidewalk, trip hazard", "Sidewalk heaved by tree roots",
                         "Missing curb ramp")),
    RequestType("Leaf collection", "Public Works", 2, 7, 3.0, 0.15, "fall", winter_backlog=True,
                phrases=("Leaf bags not picked up", "Leaves blocking storm drain",
                         "Leaf pile in the street")),
)

STREETS = (
    "Maple Ave", "Oak St", "Cedar Ln", "Elm St", "Pine St", "Lake Shore Dr", "Main St",
    "Church St", "Mill Rd", "River Rd", "Harbor Blvd", "Park Ave", "Union St", "Franklin Ave",
    "Washington Blvd", "Lincoln Ave", "Highland Ave", "Grove St", "Spring St", "Prospect Ave",
    "Summit Ave", "Ashland Ave", "Western Ave", "Division St", "Fulton St", "Kingsley Rd",
    "Brook St", "Orchard Way", "Chestnut St", "Birch Ct",
)
LANDMARKS = (
    "Millbrook City Hall", "Northgate Library", "Riverside Park", "Old Town Square",
    "Eastfield Community Center", "Harbor Pier", "Westbrook High School", "Southview Mall",
    "Hillcrest Pool", "Central Station", "Millbrook General Hospital", "Lakeview Cemetery",
)


@dataclass(frozen=True)
class PermitType:
    name: str
    share: float
    days: tuple[int, int]  # processing time range, in days
    valuation: float  # median declared value, dollars
    spread: float  # sigma of the log of the valuation
    season: str = "warm"


PERMIT_TYPES: tuple[PermitType, ...] = (
    PermitType("Building - New Construction", 5, (30, 120), 420_000, 0.8),
    PermitType("Building - Addition", 6, (20, 75), 95_000, 0.7),
    PermitType("Building - Alteration", 16, (10, 45), 38_000, 0.9),
    PermitType("Electrical", 20, (3, 10), 4_500, 0.9, "flat"),
    PermitType("Plumbing", 16, (3, 12), 3_800, 0.8, "flat"),
    PermitType("Mechanical", 12, (3, 14), 7_500, 0.8, "cold"),
    PermitType("Roofing", 9, (2, 7), 14_000, 0.6, "summer"),
    PermitType("Demolition", 2, (14, 45), 25_000, 0.8),
    PermitType("Solar", 5, (5, 25), 26_000, 0.4),
    PermitType("Sign", 4, (5, 20), 3_000, 0.7, "flat"),
    PermitType("Fence", 5, (2, 10), 5_500, 0.6, "summer"),
)
PERMIT_STATUSES = ("Issued", "Under review", "Applied", "Denied", "Withdrawn")

ENGAGEMENT_EVENT_TYPES = (
    "sign_up", "post", "practice_shared", "practice_implemented", "webinar_attended", "feedback",
    "dataset_downloaded",
)
TOPICS = (
    "Open data", "Budget transparency", "Digital services", "Climate resilience",
    "Public safety", "Housing", "Transportation", "Community engagement", "Procurement",
    "Performance management", "Accessibility",
)
TOPIC_WEIGHTS = (1.6, 1.3, 1.4, 1.0, 0.9, 1.0, 0.9, 1.2, 0.6, 1.1, 0.7)
NEIGHBOURING_CITIES = (
    "City of Ashford", "City of Lakeview", "City of Crestwood", "City of Fairhaven",
    "City of Brookdale",
)

# The open-data site: the datasets it offers for download, and the public KPIs whose pages
# (/kpi/<id>, ids as in config/kpis.yaml) residents give feedback on, with their popularity.
DATASET_IDS = ("budget_lines", "service_requests", "permits", "engagement", "kpi_values")
DATASET_WEIGHTS = (0.24, 0.33, 0.15, 0.08, 0.20)  # share of downloads outside budget season
KPI_PAGES: dict[str, float] = {
    "budget_execution_rate": 1.3, "budget_variance": 0.5, "spend_per_resident": 1.5,
    "budget_growth": 0.7, "savings_achieved": 0.4, "median_days_to_close": 1.8,
    "on_time_rate": 1.3, "backlog": 0.9, "permit_processing_days": 0.8, "digital_takeup": 0.6,
    "resident_satisfaction": 1.2, "active_contributors": 0.3, "practices_shared": 0.2,
    "practices_implemented": 0.2, "webinar_attendance": 0.2, "open_data_downloads": 0.5,
    "member_satisfaction": 0.2, "feedback_response_time": 0.6, "pages_found_useful": 0.4,
}
