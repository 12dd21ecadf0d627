"""The demo organisation's words: names, teams, skills, topics, titles and abstract sentences.

Plain data, written for kshare (not copied from any data set). The generator combines it with a
seeded random generator, so every list's order matters: reordering changes every seed's output.
"""

from __future__ import annotations

from typing import NamedTuple

COMPANY_NAME = "Brightwater Analytics"
COMPANY_DOMAIN = "brightwater.example"
ORGANISATION_TIMEZONE = "Europe/Berlin"

FIRST_NAMES = (
    "Aaliyah", "Aarav", "Abebe", "Adaeze", "Adrian", "Agnieszka", "Aiko", "Alejandro", "Amara",
    "Amir", "Ana", "Anders", "Anika", "Antoine", "Anya", "Arjun", "Astrid", "Ayesha", "Ben",
    "Bianca", "Bilal", "Camille", "Carlos", "Chen", "Chiara", "Chloe", "Dana", "Daniel", "Deepa",
    "Diego", "Dmitri", "Elena", "Elif", "Emeka", "Emil", "Emma", "Erik", "Esther", "Fatima",
    "Felix", "Fiona", "Francesca", "Gabriel", "Grace", "Hamza", "Hana", "Hannah", "Hiroshi",
    "Ines", "Ingrid", "Isaac", "Ivan", "Jakob", "James", "Jana", "Javier", "Jin", "Joanna",
    "Jonas", "Julia", "Kai", "Kavya", "Kenji", "Kofi", "Lara", "Laura", "Leila", "Lena", "Leon",
    "Liam", "Lina", "Lucas", "Luisa", "Maja", "Malik", "Marco", "Maria", "Marta", "Mateus",
    "Maya", "Mehmet", "Mei", "Mia", "Mikael", "Nadia", "Naledi", "Nikhil", "Nina", "Noah",
    "Nora", "Oliver", "Omar", "Paula", "Pedro", "Priya", "Rafael", "Rahul", "Rania", "Rosa",
    "Ruth", "Sami", "Sara", "Sebastian", "Sofia", "Sophie", "Stefan", "Sunita", "Tariq", "Tereza",
    "Thomas", "Tobias", "Valentina", "Vikram", "Wei", "Yara", "Yusuf", "Zainab", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Abara", "Adeyemi", "Ahmed", "Andersson", "Bauer", "Becker", "Bergström", "Bianchi", "Brandt",
    "Byrne", "Castillo", "Chandra", "Chen", "Costa", "Dąbrowski", "Das", "Dubois", "Eriksen",
    "Fernández", "Fischer", "Fontaine", "García", "Gonzaga", "Haddad", "Hansen", "Hartmann",
    "Hoffmann", "Horvat", "Hussain", "Iyer", "Jansen", "Jensen", "Kaur", "Keller", "Khan",
    "Kim", "Klein", "Kovač", "Kowalski", "Krüger", "Kumar", "Lange", "Larsen", "Laurent", "Lee",
    "Lindqvist", "Lopez", "Mahlangu", "Martin", "Mehta", "Mensah", "Meyer", "Molina", "Moreau",
    "Müller", "Murphy", "Nakamura", "Nguyen", "Novak", "Nowak", "O'Connor", "Okafor", "Olsen",
    "Ortiz", "Öztürk", "Park", "Patel", "Pereira", "Petrov", "Popescu", "Quinn", "Rahman", "Rao",
    "Reddy", "Richter", "Rossi", "Sánchez", "Santos", "Schmidt", "Schneider", "Schulz", "Sharma",
    "Silva", "Singh", "Sato", "Suzuki", "Svensson", "Tanaka", "Thomas", "Torres", "Vargas",
    "Varga", "Virtanen", "Vogel", "Wagner", "Walsh", "Wang", "Weber", "Wójcik", "Yamamoto",
    "Yilmaz", "Zhang", "Zimmermann",
)  # fmt: skip

# (time zone, weight): most of the company sits in Berlin, with hubs in London, New York and
# Bengaluru, and a few remote colleagues elsewhere.
TIMEZONES = (
    ("Europe/Berlin", 40),
    ("Europe/London", 14),
    ("America/New_York", 12),
    ("Asia/Kolkata", 10),
    ("Europe/Lisbon", 5),
    ("Europe/Warsaw", 5),
    ("Europe/Stockholm", 4),
    ("America/Chicago", 3),
    ("America/Los_Angeles", 3),
    ("Asia/Singapore", 2),
    ("Africa/Lagos", 2),
)


class TeamSpec(NamedTuple):
    name: str
    weight: int  # relative head count
    areas: tuple[str, ...]  # topic areas this team's people host
    skills: tuple[str, ...]  # the team's skill pool (tag names)


TEAMS = (
    TeamSpec(
        "Data Science",
        10,
        ("data",),
        (
            "python", "pandas", "sql", "statistics", "machine learning", "recommender systems",
            "experimentation", "forecasting", "causal inference", "llm", "embeddings",
            "scikit-learn", "polars", "data visualisation",
        ),
    ),
    TeamSpec(
        "Data Engineering",
        7,
        ("data", "engineering"),
        (
            "sql", "dbt", "airflow", "spark", "python", "duckdb", "data quality", "postgresql",
            "kafka", "data modelling", "terraform",
        ),
    ),
    TeamSpec(
        "Platform",
        8,
        ("engineering",),
        (
            "kubernetes", "terraform", "observability", "postgresql", "ci/cd", "go", "linux",
            "incident response", "aws", "security", "python",
        ),
    ),
    TeamSpec(
        "Backend Engineering",
        12,
        ("engineering",),
        (
            "python", "django", "go", "postgresql", "api design", "testing", "typing",
            "code review", "rust", "feature flags", "kafka", "observability",
        ),
    ),
    TeamSpec(
        "Frontend Engineering",
        8,
        ("engineering", "design"),
        (
            "typescript", "react", "accessibility", "css", "testing", "web performance", "htmx",
            "design systems", "code review",
        ),
    ),
    TeamSpec(
        "Security",
        3,
        ("engineering",),
        ("security", "threat modelling", "linux", "incident response", "aws", "python"),
    ),
    TeamSpec(
        "Product",
        7,
        ("product",),
        (
            "product discovery", "roadmaps", "okrs", "product specs", "experimentation", "sql",
            "pricing", "jobs to be done", "user research", "writing",
        ),
    ),
    TeamSpec(
        "Design",
        5,
        ("design",),
        (
            "figma", "design systems", "user research", "prototyping", "accessibility",
            "ux writing", "usability testing", "information architecture", "illustration",
        ),
    ),
    TeamSpec(
        "Sales",
        10,
        ("sales",),
        (
            "negotiation", "discovery calls", "salesforce", "prospecting", "enterprise sales",
            "forecasting", "public speaking", "excel", "storytelling",
        ),
    ),
    TeamSpec(
        "Marketing",
        5,
        ("sales",),
        (
            "seo", "content marketing", "storytelling", "writing", "data visualisation",
            "experimentation", "brand", "excel",
        ),
    ),
    TeamSpec(
        "Customer Success",
        9,
        ("customer",),
        (
            "customer onboarding", "churn", "zendesk", "communication", "excel", "sql",
            "negotiation", "customer health", "storytelling",
        ),
    ),
    TeamSpec(
        "Finance",
        4,
        ("finance",),
        (
            "excel", "financial modelling", "budgeting", "unit economics", "saas metrics", "sql",
            "procurement", "forecasting",
        ),
    ),
    TeamSpec(
        "People Ops",
        4,
        ("people",),
        (
            "hiring", "mentoring", "feedback", "public speaking", "facilitation", "wellbeing",
            "career growth", "remote work", "writing",
        ),
    ),
)  # fmt: skip

# Skills everyone may have, whatever the team.
COMMON_SKILLS = (
    "public speaking", "writing", "facilitation", "excel", "sql", "mentoring", "feedback",
    "remote work", "python", "storytelling",
)  # fmt: skip

# The guild's programme is restricted to these teams.
GUILD_TEAMS = ("Data Science", "Data Engineering", "Product")


class Subject(NamedTuple):
    name: str  # as it appears in a title
    tags: tuple[str, ...]
    brand: bool = False  # a lower-case product name ("pandas") keeps its case at a title's start


# Topic areas and what their sessions are about. An area's people host its sessions.
SUBJECTS: dict[str, tuple[Subject, ...]] = {
    "data": (
        Subject("pandas", ("pandas", "python"), brand=True),
        Subject("SQL window functions", ("sql",)),
        Subject("dbt", ("dbt", "sql", "data modelling"), brand=True),
        Subject("A/B testing", ("experimentation", "statistics")),
        Subject("time-series forecasting", ("forecasting", "statistics", "python")),
        Subject("causal inference", ("causal inference", "statistics")),
        Subject("feature engineering", ("machine learning", "python")),
        Subject("recommender systems", ("recommender systems", "machine learning")),
        Subject("data quality checks", ("data quality", "dbt")),
        Subject("LLM evaluation", ("llm", "machine learning")),
        Subject("embeddings and vector search", ("embeddings", "llm")),
        Subject("Airflow", ("airflow", "python")),
        Subject("Spark", ("spark", "python")),
        Subject("DuckDB", ("duckdb", "sql")),
        Subject("polars", ("polars", "python"), brand=True),
        Subject("scikit-learn pipelines", ("scikit-learn", "machine learning"), brand=True),
        Subject("dashboards people actually read", ("data visualisation", "sql")),
        Subject("Bayesian statistics", ("statistics",)),
        Subject("streaming data with Kafka", ("kafka", "data modelling")),
    ),
    "engineering": (
        Subject("Kubernetes", ("kubernetes",)),
        Subject("Terraform", ("terraform", "aws")),
        Subject("observability with OpenTelemetry", ("observability",)),
        Subject("PostgreSQL performance", ("postgresql", "sql")),
        Subject("incident response", ("incident response",)),
        Subject("Python type hints", ("python", "typing")),
        Subject("code review", ("code review",)),
        Subject("CI pipelines", ("ci/cd",)),
        Subject("Rust", ("rust",)),
        Subject("threat modelling", ("threat modelling", "security")),
        Subject("feature flags", ("feature flags",)),
        Subject("API design", ("api design",)),
        Subject("Go concurrency", ("go",)),
        Subject("testing strategies", ("testing",)),
        Subject("TypeScript", ("typescript",)),
        Subject("web performance", ("web performance", "css")),
        Subject("Django", ("django", "python")),
        Subject("htmx", ("htmx",), brand=True),
        Subject("Linux troubleshooting", ("linux",)),
        Subject("AWS cost control", ("aws",)),
    ),
    "design": (
        Subject("Figma", ("figma",)),
        Subject("design systems", ("design systems",)),
        Subject("user interviews", ("user research",)),
        Subject("accessibility", ("accessibility",)),
        Subject("prototyping", ("prototyping", "figma")),
        Subject("information architecture", ("information architecture",)),
        Subject("UX writing", ("ux writing", "writing")),
        Subject("usability testing", ("usability testing", "user research")),
    ),
    "product": (
        Subject("product discovery", ("product discovery",)),
        Subject("roadmaps", ("roadmaps",)),
        Subject("OKRs", ("okrs",)),
        Subject("writing a good spec", ("product specs", "writing")),
        Subject("pricing experiments", ("pricing", "experimentation")),
        Subject("jobs to be done", ("jobs to be done", "user research")),
    ),
    "sales": (
        Subject("negotiation", ("negotiation",)),
        Subject("discovery calls", ("discovery calls",)),
        Subject("Salesforce hygiene", ("salesforce",)),
        Subject("pipeline forecasting", ("forecasting", "salesforce")),
        Subject("enterprise deals", ("enterprise sales", "negotiation")),
        Subject("cold outreach", ("prospecting",)),
        Subject("SEO", ("seo",)),
        Subject("content marketing", ("content marketing", "writing")),
        Subject("storytelling with customer cases", ("storytelling",)),
    ),
    "customer": (
        Subject("customer onboarding", ("customer onboarding",)),
        Subject("churn signals", ("churn", "sql")),
        Subject("support macros in Zendesk", ("zendesk",)),
        Subject("difficult customer conversations", ("communication",)),
        Subject("customer health scores", ("customer health", "churn")),
        Subject("quarterly business reviews", ("communication", "storytelling")),
    ),
    "finance": (
        Subject("Excel", ("excel",)),
        Subject("financial modelling", ("financial modelling", "excel")),
        Subject("budgeting", ("budgeting",)),
        Subject("unit economics", ("unit economics", "saas metrics")),
        Subject("SaaS metrics", ("saas metrics",)),
        Subject("procurement", ("procurement",)),
    ),
    "people": (
        Subject("public speaking", ("public speaking",)),
        Subject("giving feedback", ("feedback",)),
        Subject("running effective meetings", ("facilitation",)),
        Subject("mentoring", ("mentoring",)),
        Subject("writing clearly", ("writing",)),
        Subject("hiring interviews", ("hiring",)),
        Subject("remote collaboration", ("remote work",)),
        Subject("career conversations", ("career growth",)),
        Subject("avoiding burnout", ("wellbeing",)),
    ),
}

# Title templates by format: {s} is the subject as written, {S} the same with a capital letter.
TITLES_ANY_AREA: dict[str, tuple[str, ...]] = {
    "lightning": (
        "{S} in 15 minutes",
        "One trick for {s} I use every day",
        "{S}: the one slide version",
        "Three things I learned the hard way about {s}",
        "Why {s} is easier than you think",
        "A tiny {s} win from last sprint",
        "{S} myths, busted in ten minutes",
        "The {s} checklist I keep on my desk",
        "{S}: a before and after",
        "If you remember one thing about {s}",
    ),
    "talk": (
        "A gentle introduction to {s}",
        "{S}: lessons from a year in production",
        "What I wish I knew before starting with {s}",
        "{S} for the rest of us",
        "{S} pitfalls and how to avoid them",
        "How we use {s} at Brightwater",
        "Beyond the basics: {s}",
        "{S} 101",
        "Live demo: {s}",
        "From zero to useful with {s}",
        "The state of {s} in 2025",
        "What changed our minds about {s}",
        "Scaling {s} without losing your weekend",
        "{S}, explained with real examples",
        "Case study: {s} on the customer dashboard",
        "{S} done right, and done wrong",
        "Everything I got wrong about {s}",
        "{S} for people in a hurry",
    ),
    "workshop": (
        "Hands-on {s}",
        "{S} workshop: bring your laptop",
        "Build it together: {s}",
        "{S} clinic: bring your own problem",
        "A practical {s} lab",
        "Pair up and practise: {s}",
        "{S} from scratch",
        "Deliberate practice: {s}",
        "{S} kata: small exercises, big gains",
        "Mob session: {s}",
    ),
    "discussion": (
        "Let's talk about {s}",
        "Ask me anything: {s}",
        "{S}: where are we heading?",
        "Round table on {s}",
        "Should we invest more in {s}?",
        "Open questions about {s}",
        "{S}: share your war stories",
        "Fishbowl discussion: {s}",
        "Lean coffee: {s}",
        "What would make {s} easier here?",
    ),
}

TITLES_BY_AREA: dict[str, tuple[str, ...]] = {
    "data": (
        "From notebook to production: {s}",
        "{S} without fooling yourself",
        "Reading the numbers: {s} for decision makers",
        "{S} on our event data",
        "Trust your data: {s}",
    ),
    "engineering": (
        "On-call stories: {s}",
        "{S}: what the on-call rota taught us",
        "{S} at Brightwater: where we are and where we go",
        "Boring technology: {s}",
        "Paying down tech debt with {s}",
    ),
    "design": (
        "Designing with {s}",
        "Critique club: {s}",
        "{S} for engineers",
        "What users taught us about {s}",
    ),
    "product": (
        "{S} for engineers and designers",
        "How product decisions get made: {s}",
        "{S} in a team of five",
    ),
    "sales": (
        "Role-play: {s}",
        "Winning deals with {s}",
        "{S} that customers remember",
        "What our best quarter taught us about {s}",
    ),
    "customer": (
        "{S}: what customers told us",
        "From ticket to insight: {s}",
        "{S} before renewal season",
        "{S} with the customer in the room",
    ),
    "finance": (
        "{S} for non-finance people",
        "Where the money goes: {s}",
        "{S} before the board meeting",
    ),
    "people": (
        "{S} for new managers",
        "{S} in a hybrid team",
        "A practical guide to {s}",
        "Growing through {s}",
    ),
}

ABSTRACT_OPENERS: dict[str, tuple[str, ...]] = {
    "lightning": (
        "Ten minutes, one idea: {s}.",
        "A quick tour of {s}, with one example you can reuse tomorrow.",
        "Short and practical: how {s} saved us an afternoon last month.",
    ),
    "talk": (
        "This talk walks through {s} from first principles to the details that bite in practice.",
        "We have used {s} for a while now: time to share what worked and what did not.",
        "If you have heard about {s} but never had time to look closer, this session is for you.",
        "A story about {s}: where we started, the mistakes we made, and where we are today.",
    ),
    "workshop": (
        "Bring a laptop: in this workshop we practise {s} on realistic exercises.",
        "A hands-on session on {s} in pairs, with a stretch goal for those who finish early.",
        "We learn {s} by doing: short explanations, then plenty of time at the keyboard.",
    ),
    "discussion": (
        "An open conversation about {s}: no slides, just questions and experiences.",
        "Let's compare notes on {s} across teams and find out what we could do better together.",
        "A facilitated discussion on {s}; come with a question or a story.",
    ),
}

ABSTRACT_MIDDLES: dict[str, tuple[str, ...]] = {
    "data": (
        "We look at real (anonymised) examples from our product analytics.",
        "Expect a few charts, a short notebook walk-through and an honest look at the error bars.",
        "We compare a simple baseline with the fancy approach; the baseline does rather well.",
        "You will see how one question gets different answers depending on how you slice the data.",
    ),
    "engineering": (
        "We go through the architecture, the trade-offs we accepted and the incidents behind them.",
        "There is a live demo, and it may fail, which is part of the lesson.",
        "The examples come from our own services, so you can look them up afterwards.",
        "We cover the setup, the day-to-day workflow and the sharp edges.",
    ),
    "design": (
        "We look at before-and-after screens from recent projects.",
        "You will see the research notes that changed the design, not only the final mock-ups.",
        "We talk about how design and engineering hand work over without losing the details.",
    ),
    "product": (
        "We walk through a recent decision from first signal to shipped feature.",
        "You will see the artefacts we actually use, warts and all.",
        "We talk about saying no, and how to make it easier for everyone.",
    ),
    "sales": (
        "We replay a few real calls (with permission) and pause at the moments that mattered.",
        "Expect role-play: you will practise with a colleague, not just listen.",
        "We share the phrases and questions that work, and the ones that backfire.",
    ),
    "customer": (
        "We look at real tickets and conversations, with names removed.",
        "You will see how signals in the data line up with what customers tell us.",
        "We share a playbook the team built over the last few quarters.",
    ),
    "finance": (
        "No finance background needed: we start from the numbers you already see every month.",
        "We build a small model together and see which assumptions move the result.",
        "You will learn to read the monthly report and ask the questions that matter.",
    ),
    "people": (
        "We share frameworks that help, and the research behind them.",
        "There will be short exercises in pairs; nobody has to share anything they do not want to.",
        "We look at what works in a team spread across time zones.",
    ),
}

ABSTRACT_CLOSERS = (
    "You will leave with a checklist you can apply to your own work.",
    "We keep the last part for your questions and ideas for follow-ups.",
    "Slides and notes will be shared afterwards.",
    "No preparation needed; curiosity is enough.",
    "Bring your questions, the more specific the better.",
    "If this sparks ideas, add them to the ideas board after the session.",
    "Everyone is welcome, whatever your team or level.",
    "Afterwards we collect topics for a follow-up session.",
)

CANCEL_REASONS = (
    "The host is ill; we will find a new date.",
    "Clashes with the quarterly planning offsite.",
    "Too few people signed up this time.",
    "The host moved to another project; looking for a new host.",
    "Postponed until the new release is out.",
    "Public holiday in several offices.",
)

# The seed's own first topic: the first held session of the default programme.
FIRST_TALK_TITLE = "Recommender systems: how Netflix knows what you'll watch next"
FIRST_TALK_ABSTRACT = (
    "Why does Netflix suggest *that* series after you finish a documentary? In this talk we open "
    "the box of **recommender systems**: collaborative filtering (people like you liked this), "
    "content-based matching (this is like what you liked), and the hybrid approaches the big "
    "platforms use. We build a tiny recommender live in `pandas`, look at why popularity is such "
    "a strong baseline, and discuss what it would take to recommend *sessions and colleagues* "
    "inside Brightwater. No maths background needed; plenty of time for discussion at the end."
)
FIRST_TALK_TAGS = ("recommender systems", "machine learning", "python")

# The member login's own sessions: one upcoming, one proposed.
MEMBER_UPCOMING_TITLE = "pandas beyond the basics: method chaining and tidy data"
MEMBER_UPCOMING_ABSTRACT = (
    "Most of us learned `pandas` from Stack Overflow answers, one line at a time. This talk shows "
    "a calmer style: **method chaining**, tidy data and small, named steps that read like a "
    "recipe. We refactor a real analysis notebook together and compare the before and after. "
    "Bring your own messy notebook if you would like a second pair of eyes."
)
MEMBER_UPCOMING_TAGS = ("pandas", "python")
MEMBER_PROPOSED_TITLE = "What we learned from A/B testing the onboarding e-mails"
MEMBER_PROPOSED_ABSTRACT = (
    "Last quarter we ran six experiments on the onboarding e-mails. Two of them *looked* like "
    "wins and were not. A short story about sample sizes, peeking, and why the boring variant "
    "won, with a checklist for your next experiment."
)
MEMBER_PROPOSED_TAGS = ("experimentation", "statistics")

# Interests beyond work skills.
EXTRA_INTERESTS = (
    "open source", "climate", "diversity and inclusion", "photography", "running",
    "board games", "cooking", "languages", "music production", "chess",
)  # fmt: skip
