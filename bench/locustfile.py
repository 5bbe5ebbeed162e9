"""Staff browsing and searching, for bench/load_test.py (run by locust, headless).

Each simulated user signs in as one of the demo consultants, then opens the pages a
recruiter uses all day: Today, the lists, a search, a person. Names group the requests so
the report has one line per kind of page.
"""

from __future__ import annotations

import itertools
import random
import re

from locust import HttpUser, between, task

ACCOUNTS = itertools.cycle(["demo", "amelia", "tom", "grace", "rhys"])
PASSWORD = "keepwarm-demo"  # the demo agency's, printed by `keepwarm demo-data`
SEARCHES = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "manager", "07700", "Leeds", "sales"]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PERSON = re.compile(r'href="/people/(\d+)/"')


class Recruiter(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        page = self.client.get("/login/", name="sign in page")
        token = CSRF.search(page.text)
        self.client.post(
            "/login/",
            {
                "username": next(ACCOUNTS),
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/login/"},
            name="sign in",
        )
        people = self.client.get("/people/", name="first page after signing in")
        self.people = PERSON.findall(people.text) or ["1"]

    @task(4)
    def today(self) -> None:
        self.client.get("/", name="today")

    @task(3)
    def search(self) -> None:
        self.client.get("/search/", params={"q": random.choice(SEARCHES)}, name="search")

    @task(2)
    def people_list(self) -> None:
        self.client.get("/people/", params={"q": random.choice(SEARCHES)}, name="people list")

    @task(2)
    def placements_list(self) -> None:
        self.client.get("/placements/", name="placements list")

    @task(1)
    def companies_list(self) -> None:
        self.client.get("/companies/", name="companies list")

    @task(2)
    def person(self) -> None:
        self.client.get(f"/people/{random.choice(self.people)}/", name="person page")

    @task(1)
    def anchor(self) -> None:
        # The ceiling: a static file, served by whitenoise from the same processes.
        self.client.get("/static/keepwarm.css", name="static file (ceiling)")
