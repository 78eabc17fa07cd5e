# ruff: noqa: INP001 (a script, not a package)
"""Write demo/customers.csv: 1,000 made-up customers shaped like an ERP "Customer List" export.

The output is deterministic (seeded `random`, standard library only), so running this again
rewrites the same bytes. Run it from anywhere:

    python3 demo/make_customers.py

A few values are messy on purpose, as real exports are: stray spaces around some names and
emails, some empty emails, and mostly empty second address lines. Every row still carries a
non-empty company name, a unique Customer ID and an ISO 3166-1 alpha-2 country code.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from pathlib import Path

SEED = 20261129
ROWS = 1000
OUT = Path(__file__).with_name("customers.csv")

# fmt: off
HEADERS = [
    "Customer ID", "Company Name", "Primary Email", "CC Emails", "Phone",
    "Billing Street 1", "Billing Street 2", "Billing City", "Billing State",
    "Billing Postal Code", "Billing Country", "Currency", "Terms", "Payment Terms Days",
    "Created Date", "Last Modified",
]

# Country: (weight, currency, email TLD, [(city, state or region, postal-code pattern)]).
# In a pattern, # is a digit, N a digit from 2 to 9 and A an uppercase letter.
COUNTRIES: dict[str, tuple[int, str, str, list[tuple[str, str, str]]]] = {
    "US": (600, "USD", "com", [
        ("New York", "NY", "100##"), ("Brooklyn", "NY", "112##"), ("Austin", "TX", "787##"),
        ("Dallas", "TX", "752##"), ("Houston", "TX", "770##"), ("San Francisco", "CA", "941##"),
        ("Los Angeles", "CA", "900##"), ("San Diego", "CA", "921##"), ("Seattle", "WA", "981##"),
        ("Portland", "OR", "972##"), ("Denver", "CO", "802##"), ("Chicago", "IL", "606##"),
        ("Columbus", "OH", "432##"), ("Atlanta", "GA", "303##"), ("Miami", "FL", "331##"),
        ("Tampa", "FL", "336##"), ("Charlotte", "NC", "282##"), ("Nashville", "TN", "372##"),
        ("Boston", "MA", "021##"), ("Philadelphia", "PA", "191##"), ("Pittsburgh", "PA", "152##"),
        ("Minneapolis", "MN", "554##"), ("Phoenix", "AZ", "850##"), ("Detroit", "MI", "482##"),
        ("Salt Lake City", "UT", "841##"), ("Kansas City", "MO", "641##"),
        ("Newark", "NJ", "071##"), ("Baltimore", "MD", "212##"), ("Richmond", "VA", "232##"),
        ("Louisville", "KY", "402##"),
    ]),
    "CA": (100, "CAD", "ca", [
        ("Toronto", "ON", "M5V #A#"), ("Mississauga", "ON", "L5B #A#"),
        ("Ottawa", "ON", "K1P #A#"), ("Montréal", "QC", "H3B #A#"), ("Vancouver", "BC", "V6B #A#"),
        ("Calgary", "AB", "T2P #A#"), ("Edmonton", "AB", "T5J #A#"), ("Winnipeg", "MB", "R3C #A#"),
        ("Halifax", "NS", "B3J #A#"),
    ]),
    "GB": (80, "GBP", "co.uk", [
        ("London", "", "EC1A #AA"), ("London", "", "SW1A #AA"), ("Manchester", "", "M1 #AA"),
        ("Birmingham", "West Midlands", "B1 #AA"), ("Leeds", "West Yorkshire", "LS1 #AA"),
        ("Bristol", "", "BS1 #AA"), ("Edinburgh", "", "EH1 #AA"), ("Glasgow", "", "G1 #AA"),
    ]),
    "DE": (50, "EUR", "de", [
        ("Berlin", "", "10###"), ("München", "Bayern", "80###"), ("Hamburg", "", "20###"),
        ("Köln", "Nordrhein-Westfalen", "50###"), ("Frankfurt am Main", "Hessen", "60###"),
        ("Stuttgart", "Baden-Württemberg", "70###"), ("Düsseldorf", "Nordrhein-Westfalen", "40###"),
    ]),
    "FR": (40, "EUR", "fr", [
        ("Paris", "", "750##"), ("Lyon", "", "6900#"), ("Marseille", "", "130##"),
        ("Toulouse", "", "3100#"), ("Bordeaux", "", "3300#"), ("Lille", "", "5900#"),
        ("Nantes", "", "4400#"),
    ]),
    "MX": (40, "MXN", "com.mx", [
        ("Ciudad de México", "CDMX", "06###"), ("Monterrey", "NL", "64###"),
        ("Guadalajara", "JAL", "44###"), ("Puebla", "PUE", "72###"), ("Querétaro", "QRO", "76###"),
        ("Tijuana", "BC", "22###"),
    ]),
    "AU": (40, "AUD", "com.au", [
        ("Sydney", "NSW", "2###"), ("Melbourne", "VIC", "3###"), ("Brisbane", "QLD", "4###"),
        ("Perth", "WA", "6###"), ("Adelaide", "SA", "5###"),
    ]),
    "NL": (30, "EUR", "nl", [
        ("Amsterdam", "", "10## AA"), ("Rotterdam", "", "30## AA"), ("Utrecht", "", "35## AA"),
        ("Eindhoven", "", "56## AA"), ("Den Haag", "", "25## AA"),
    ]),
    "IE": (20, "EUR", "ie", [
        ("Dublin", "Co. Dublin", "D02 A###"), ("Cork", "Co. Cork", "T12 A###"),
        ("Galway", "Co. Galway", "H91 A###"),
    ]),
}

# Company names: English-speaking countries take ROOTS + TRADES + a suffix of their own.
ROOTS = [
    "Northwind", "Bluegrass", "Pacific Rim", "Summit", "Ironwood", "Redwood", "Harbor",
    "Keystone", "Granite", "Silverline", "Cedar Ridge", "Lakeshore", "Pioneer", "Evergreen",
    "Cornerstone", "Bright Path", "Atlas", "Meridian", "Blue Heron", "Copperfield", "Oakmont",
    "Riverbend", "Sterling", "Highland", "Prairie", "Coastal", "Horizon", "Liberty", "Falcon",
    "Crescent", "Juniper", "Sequoia", "Tri-County", "Great Lakes", "Golden State", "Lone Star",
    "Magnolia", "Appalachian", "Bayside", "Frontier", "Westbrook", "Stonegate", "Willow Creek",
    "Red Rock", "Twin Peaks", "Clearwater", "Hudson", "Beacon", "Mesa", "Patriot", "Alder",
    "Birchwood", "Canyon", "Delta", "Emerald", "Foxglove", "Hillcrest", "Kingsley", "Larkspur",
    "Maple", "Nimbus", "Orchard", "Quarry", "Ridgeline", "Shoreline", "Timberline", "Union",
    "Vantage",
]
TRADES = [
    "Logistics", "Foods", "Hardware", "Supply", "Distributors", "Builders", "Industrial",
    "Medical Supply", "Packaging", "Electric", "Plumbing", "Auto Parts", "Office Solutions",
    "Dental Group", "Veterinary Clinic", "Construction", "Freight", "Brewing Company",
    "Coffee Roasters", "Landscaping", "Printing", "Software", "Analytics", "Staffing",
    "Consulting", "Marketing", "Furniture", "Textiles", "Paper Products", "Janitorial",
    "Security", "Engineering", "HVAC", "Roofing", "Pharmacy", "Bakery", "Seafood", "Produce",
]
SUFFIXES = {
    "US": ["Inc.", "LLC", "Co.", "Corp.", "Inc", "LLC", "Group", "Partners LLP", ""],
    "CA": ["Ltd.", "Inc.", "Corp.", "Ltée", ""],
    "GB": ["Ltd", "Ltd", "PLC", "& Sons Ltd", "LLP"],
    "AU": ["Pty Ltd", "Pty Ltd", "Group Pty Ltd"],
    "IE": ["Ltd", "Limited", "DAC"],
}
# Other countries: (family or place names, trades, legal forms).
LOCAL_NAMES = {
    "DE": (
        ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Krüger",
         "Wagner", "Zimmermann", "Schäfer", "Lehmann", "Bauer", "Richter", "Wolf"],
        ["Maschinenbau", "Logistik", "Elektrotechnik", "Handelsgesellschaft", "Bau",
         "Lebensmittel", "Metallwaren", "Druckerei", "Haustechnik", "Spedition"],
        ["GmbH", "GmbH", "GmbH & Co. KG", "AG", "KG"],
    ),
    "FR": (
        ["Lefèvre", "Dubois", "Moreau", "Laurent", "Girard", "Bonnet", "Durand", "Rousseau",
         "Fontaine", "Chevalier", "Garnier", "Mercier"],
        ["Transports", "Boulangerie", "Distribution", "Bâtiment", "Imprimerie", "Conseil",
         "Électricité", "Menuiserie", "Alimentation", "Informatique"],
        ["SARL", "SAS", "SA", "EURL"],
    ),
    "MX": (
        ["Azteca", "del Norte", "Hernández", "Guadalupe", "Sierra Madre", "del Pacífico", "Maya",
         "Monarca", "Los Altos", "Río Bravo", "Hidalgo"],
        ["Grupo Industrial", "Distribuidora", "Comercializadora", "Transportes", "Constructora",
         "Alimentos", "Servicios Integrales", "Farmacéutica"],
        ["S.A. de C.V.", "S.A. de C.V.", "S. de R.L. de C.V."],
    ),
    "NL": (
        ["Van der Berg", "De Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "De Boer",
         "Mulder", "Bos", "Vos"],
        ["Logistiek", "Bouw", "Installatietechniek", "Handelsonderneming", "Transport",
         "Voedingsmiddelen", "Techniek", "Groothandel"],
        ["B.V.", "B.V.", "N.V."],
    ),
}
# Words left out of email domains.
STOP_WORDS = {
    "inc", "llc", "co", "corp", "ltd", "ltee", "plc", "llp", "sons", "pty", "limited", "dac",
    "gmbh", "kg", "ag", "sarl", "sas", "sa", "eurl", "de", "cv", "s", "rl", "bv", "nv", "group",
    "partners", "the", "and", "del", "der", "van",
}

# Streets written "number street"; LOCAL_STREETS are written "street number" (except in FR).
STREETS = {
    "US": ["Main St", "Market St", "Oak Ave", "Industrial Pkwy", "Commerce Dr", "Elm St",
           "Broadway", "Park Ave", "Lake Shore Dr", "Peachtree St NE", "Congress Ave",
           "Technology Blvd", "Airport Rd", "Washington Ave", "Maple Ave", "Route 9",
           "Harbor Blvd", "Riverside Dr", "Mission St", "5th Ave", "Warehouse Row"],
    "CA": ["King St W", "Bay St", "Yonge St", "Rue Sainte-Catherine O", "Granville St",
           "Jasper Ave", "Portage Ave", "Barrington St", "Macleod Trail SE"],
    "GB": ["High Street", "Station Road", "Church Lane", "Victoria Road", "King Street",
           "Deansgate", "Queen Street", "Park Road", "Mill Lane"],
    "AU": ["George St", "Collins St", "Queen St", "Hay St", "King William St", "Pitt St"],
    "IE": ["Grafton Street", "Baggot Street Lower", "Patrick Street", "Shop Street",
           "Harcourt Street"],
}
LOCAL_STREETS = {
    "DE": ["Hauptstraße", "Friedrichstraße", "Industriestraße", "Bahnhofstraße", "Königsallee",
           "Schillerstraße", "Gewerbering"],
    "FR": ["Rue de Rivoli", "Avenue des Champs-Élysées", "Boulevard Haussmann",
           "Rue de la République", "Avenue Jean Jaurès", "Rue du Commerce"],
    "MX": ["Av. Constitución", "Calle Hidalgo", "Av. Reforma", "Blvd. Díaz Ordaz",
           "Calle Morelos", "Av. Insurgentes Sur"],
    "NL": ["Keizersgracht", "Coolsingel", "Stationsplein", "Damrak", "Industrieweg",
           "Herengracht"],
}
STREET_2 = {
    "US": ["Suite {n}", "Ste {n}", "Floor {f}", "Unit {n}", "Bldg {L}", "PO Box {p}"],
    "CA": ["Suite {n}", "Unit {n}", "Bureau {n}"],
    "GB": ["Unit {f}", "{f}th Floor", "Suite {f}"],
    "AU": ["Level {f}", "Suite {n}", "Unit {f}"],
    "IE": ["Unit {f}", "Floor {f}"],
    "DE": ["{f}. OG", "Haus {L}"],
    "FR": ["Bâtiment {L}", "{f}e étage"],
    "MX": ["Piso {f}", "Local {f}", "Int. {n}"],
    "NL": ["{f}e verdieping", "Unit {f}"],
}
PHONE = {
    "US": "+1 (N##) N##-####", "CA": "+1 (N##) N##-####", "GB": "+44 20 #### ####",
    "DE": "+49 ## #######", "FR": "+33 # ## ## ## ##", "MX": "+52 ## #### ####",
    "AU": "+61 # #### ####", "NL": "+31 ## ### ####", "IE": "+353 # ### ####",
}
# (terms as the ERP shows them, the days the export adds beside them, weight).
TERMS = [
    ("Net 30", 30, 55), ("Net 45", 45, 12), ("Net 60", 60, 10), ("Net 15", 15, 10),
    ("Due on receipt", 0, 8), ("Net 90", 90, 5),
]
AP_MAILBOXES = [
    "ap", "accounts.payable", "billing", "invoices", "finance", "accounting", "payables",
]
FIRST_NAMES = [
    "james", "maria", "robert", "linda", "michael", "sarah", "david", "emma", "daniel", "olivia",
    "thomas", "sofia", "kevin", "anna", "lucas", "chloe", "priya", "wei", "jonas", "camille",
    "diego", "fatima", "liam", "noah",
]
LAST_NAMES = [
    "smith", "garcia", "chen", "patel", "nguyen", "brown", "kowalski", "murphy", "okafor",
    "rossi", "dubois", "schmidt", "hernandez", "kim", "walsh", "silva",
]
ROLES = ["controller", "cfo", "ap.manager", "accounting", "bookkeeper"]
# fmt: on

FIRST_DAY = dt.date(2014, 1, 1)
LAST_CREATED = dt.date(2025, 9, 30)
EXPORTED_AT = dt.datetime(2025, 11, 28, 17, 0, tzinfo=dt.timezone.utc)


def fill(rng: random.Random, pattern: str) -> str:
    """Replace each # by a digit, each N by a digit from 2 to 9 and each A by a letter."""
    alphabet = {"#": "0123456789", "N": "23456789", "A": "ABCEGHJKLMNPRSTVWXYZ"}
    return "".join(rng.choice(alphabet[c]) if c in alphabet else c for c in pattern)


def company_name(rng: random.Random, country: str) -> str:
    """A plausible company name for the country."""
    if country in LOCAL_NAMES:
        names, trades, suffixes = LOCAL_NAMES[country]
        if country in {"FR", "MX"}:  # "Transports Dubois SAS", "Grupo Industrial Maya S.A. de C.V."
            return f"{rng.choice(trades)} {rng.choice(names)} {rng.choice(suffixes)}"
        return f"{rng.choice(names)} {rng.choice(trades)} {rng.choice(suffixes)}"
    name = f"{rng.choice(ROOTS)} {rng.choice(TRADES)}"
    suffix = rng.choice(SUFFIXES[country])
    if suffix.startswith(("Inc.", "Corp.", "Ltd.")) and rng.random() < 0.5:  # noqa: PLR2004
        return f"{name}, {suffix}"
    return f"{name} {suffix}".strip()


def domain_for(name: str, tld: str) -> str:
    """An email domain derived from the company name, suffixes left out."""
    words = re.sub(r"[^a-z0-9 ]", "", ascii_fold(name).lower()).split()
    kept = [w for w in words if w not in STOP_WORDS] or words
    return "".join(kept[:2]) + "." + tld


def ascii_fold(text: str) -> str:
    """Drop accents so the text can be part of an email address."""
    table = str.maketrans(
        "àâäáçéèêëíîïñóôöúùûüÀÂÄÁÇÉÈÊËÍÎÏÑÓÔÖÚÙÛÜß", "aaaaceeeeiiinooouuuuAAAACEEEEIIINOOOUUUUs"
    )
    return text.translate(table)


def street_line_1(rng: random.Random, country: str) -> str:
    """A street address in the country's usual order."""
    if country in LOCAL_STREETS:
        street = rng.choice(LOCAL_STREETS[country])
        number = rng.randint(1, 240)
        if country == "FR":
            return f"{number} {street}"
        return f"{street} {number}"
    return f"{rng.randint(1, 9899)} {rng.choice(STREETS[country])}"


def street_line_2(rng: random.Random, country: str) -> str:
    """A second address line, empty for most customers."""
    if rng.random() >= 0.28:  # noqa: PLR2004
        return ""
    template = rng.choice(STREET_2[country])
    return template.format(
        n=rng.choice([100, 110, 200, 210, 250, 300, 400, 410, 500, 600, 1200, 1450]),
        f=rng.randint(2, 9),
        L=rng.choice("ABCDE"),
        p=rng.randint(1000, 99999),
    )


def cc_emails(rng: random.Random, domain: str) -> str:
    """Zero to three extra addresses, separated by semicolons; empty for most customers."""
    count = rng.choices([0, 1, 2, 3], weights=[68, 20, 9, 3])[0]
    people = [
        f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}@{domain}"
        if rng.random() < 0.7  # noqa: PLR2004
        else f"{rng.choice(ROLES)}@{domain}"
        for _ in range(count)
    ]
    return ";".join(dict.fromkeys(people))


def timestamps(rng: random.Random) -> tuple[str, str]:
    """Created date (a day) and last-modified time (UTC) no earlier than it."""
    created = FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_CREATED - FIRST_DAY).days))
    start = dt.datetime.combine(created, dt.time(9), tzinfo=dt.timezone.utc)
    span = int((EXPORTED_AT - start).total_seconds())
    modified = start + dt.timedelta(seconds=rng.randrange(span))
    return created.isoformat(), modified.strftime("%Y-%m-%dT%H:%M:%SZ")


def messy(rng: random.Random, value: str, rate: float) -> str:
    """Now and then pad a value with the stray spaces exports are known for."""
    if value and rng.random() < rate:
        return rng.choice([" ", "  ", ""]) + value + rng.choice([" ", "  ", "\t"])
    return value


def make_row(rng: random.Random, customer_id: str, name: str, country: str) -> dict[str, str]:
    """One customer, with every column of the export."""
    _, currency, tld, places = COUNTRIES[country]
    city, state, postal = rng.choice(places)
    domain = domain_for(name, tld)
    email = "" if rng.random() < 0.05 else f"{rng.choice(AP_MAILBOXES)}@{domain}"  # noqa: PLR2004
    terms, days, _ = rng.choices(TERMS, weights=[w for *_, w in TERMS])[0]
    created, modified = timestamps(rng)
    return {
        "Customer ID": customer_id,
        "Company Name": messy(rng, name, 0.03),
        "Primary Email": messy(rng, email, 0.03),
        "CC Emails": cc_emails(rng, domain),
        "Phone": fill(rng, PHONE[country]),
        "Billing Street 1": street_line_1(rng, country),
        "Billing Street 2": street_line_2(rng, country),
        "Billing City": city,
        "Billing State": state,
        "Billing Postal Code": fill(rng, postal),
        "Billing Country": country,
        "Currency": currency,
        "Terms": terms,
        "Payment Terms Days": str(days),
        "Created Date": created,
        "Last Modified": modified,
    }


def make_rows(rng: random.Random) -> list[dict[str, str]]:
    """All customers, in Customer ID order, as the export lists them."""
    codes = list(COUNTRIES)
    weights = [COUNTRIES[c][0] for c in codes]
    # Gaps in the numbering, as in a ledger whose customers were merged or deleted.
    ids = sorted(rng.sample(range(10001, 11401), ROWS))
    seen: set[str] = set()
    rows = []
    for number in ids:
        country = rng.choices(codes, weights=weights)[0]
        name = company_name(rng, country)
        while name in seen:
            name = company_name(rng, country)
        seen.add(name)
        rows.append(make_row(rng, f"C-{number}", name, country))
    return rows


def main() -> None:
    """Write the CSV next to this script."""
    rows = make_rows(random.Random(SEED))  # noqa: S311 (made-up data, not secrets)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADERS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} customers to {OUT}")  # noqa: T201


if __name__ == "__main__":
    main()
