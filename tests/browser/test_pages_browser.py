"""Every role opens every page in Chromium, on a database holding one of everything.

A page must show no error, no code (a `DeltaGenerator`, an `st.` call, a traceback, a raw Python
repr), no "Page not found", no serious or critical accessibility violation (axe-core), and no figure
or button label cut off in an 800-pixel window.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from simulator.core.settings import ROOT
from tests.browser.conftest import start_app, stop_app, wait_for_sign_in_cookie
from tests.browser.seed import PASSWORD, seed

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
AXE = ROOT / "tests" / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CODE = re.compile(r"DeltaGenerator|Traceback \(most recent call last\)|\bst\.[a-z_]+\(|<[a-z_.]+ object at 0x"
                  r"|\bsimulator\.[a-z_.]+Error\b")

PAGES = ["", "practice", "sessions", "formulation", "feedback", "progress", "assignments", "account", "dearman",
         "traps_drill", "restructuring", "review", "authoring", "authoring_scenarios", "export", "admin"]
ROLE_PAGES = {"review": ("ada", "sam"), "authoring": ("ada", "sam"), "authoring_scenarios": ("ada", "sam"),
              "export": ("ada", "rhea"), "admin": ("ada",)}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, browser_type_launch_args):
    """A seeded database and a real Streamlit server on it, shared by the module's tests."""
    db = tmp_path_factory.mktemp("pages") / "seeded.db"
    ids = seed(db)
    url, proc = start_app(db)
    yield url, ids
    stop_app(proc)


def signed_in(browser: Browser, url: str, user: str) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.get_by_role("textbox", name="Username").fill(user)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(IDLE, timeout=60_000)
    wait_for_sign_in_cookie(page)
    return page


def open_page(page: Page, url: str) -> str:
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(300)  # late fragments (the timer) draw after the run ends, and switches settle
    page.wait_for_selector(IDLE, timeout=60_000)
    main = page.locator("[data-testid='stMainBlockContainer']")
    expect(main).to_be_visible(timeout=30_000)
    # On a loaded machine the idle marker can show before the page's first run has drawn anything.
    expect(main).to_contain_text(re.compile(r"\w"), timeout=30_000)
    return main.inner_text()


def problems(page: Page, text: str) -> list[str]:
    found = [m.group(0) for m in CODE.finditer(text)]
    if "Page not found" in page.inner_text("body"):
        found.append("Page not found")
    found += [f"exception: {e[:200]}" for e in page.locator("[data-testid='stException']").all_inner_texts()]
    return found


def axe_violations(page: Page) -> list[str]:
    """Serious and critical axe-core findings. Streamlit's own sidebar menu is left out: it puts its
    section headings inside the <ul> of links, which no page of ours can change."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const context = {exclude: [['[data-testid="stSidebarNavItems"]']]};
        const r = await axe.run(context, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')');
    }""")
    return result


CUT = """() => [...document.querySelectorAll("[data-testid='stMetricValue'] div, "
        + "[data-testid='stMetricLabel'] *, [data-testid='stMainBlockContainer'] button *")]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.innerText)"""


def cut_in_a_narrow_window(page: Page) -> list[str]:
    """Figures, their labels and button labels cut off in an 800-pixel window: with the sidebar open that
    leaves the page under 500 pixels, where a button in a narrow column read "C…" and a score "16.7 po…"."""
    page.set_viewport_size({"width": 800, "height": 1000})
    try:
        # The layout follows the window in CSS, without a rerun: two frames let it settle.
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        return [f"cut off at 800 pixels: {text}" for text in page.evaluate(CUT)]
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})


def urls_for(url: str, ids: dict, user: str) -> list[tuple[str, str]]:
    out = [(p or "home", f"{url}/{p}") for p in PAGES]
    if user == "tess":
        out += [("practice: a session", f"{url}/?session={ids['interview']}"),
                ("practice: an active session", f"{url}/practice?session={ids['active_interview']}"),
                ("formulation: submitted", f"{url}/formulation?session={ids['interview']}"),
                ("feedback", f"{url}/feedback?session={ids['interview']}"),
                ("dearman: finished", f"{url}/dearman?dm={ids['dearman']}"),
                ("dearman: over, to finish", f"{url}/dearman?dm={ids['dearman_to_finish']}"),
                ("restructuring: a dialogue in progress", f"{url}/restructuring?rs={ids['restructuring']}")]
    return out


@pytest.mark.parametrize("user", ["tess", "sam", "rhea", "ada"])
def test_every_page_opens_cleanly_for_every_role(browser: Browser, seeded, user: str):
    url, ids = seeded
    assert AXE.exists(), "run `npm install --prefix tests/browser/axe` (make test does)"
    page = signed_in(browser, url, user)
    report: dict[str, list[str]] = {}
    for name, address in urls_for(url, ids, user):
        try:
            text = open_page(page, address)
        except AssertionError as err:
            report[name] = [f"did not finish drawing: {str(err)[:200]}"]
            continue
        found = problems(page, text) + axe_violations(page) + cut_in_a_narrow_window(page)
        page_name = name.split(":")[0]
        if page_name in ROLE_PAGES and user not in ROLE_PAGES[page_name]:
            # A page this role may not open says so, at its own address.
            if "This page is for" not in text:
                found.append("no explanation for a page this role may not open")
        if found:
            report[name] = found
    assert not report, report


# Each tab of the pages that draw only their open tab, and a line that tab shows.
TABBED = {("admin", "ada"): {"People": "Add an account", "Cohorts": "New cohort name",
                             "Sessions without an owner": "", "Language model": "Which exercises may use the model",
                             "Erasure and retention": "Erase a person", "Audit log": "entries (newest first"},
          ("review", "sam"): {"Interviews": "", "DEAR MAN": "", "Thinking-traps drill": "",
                              "Cognitive restructuring": "", "Agreement with supervisors": ""}}


@pytest.mark.parametrize("where", list(TABBED), ids=lambda w: w[0])
def test_every_tab_draws_its_own_content_when_opened(browser: Browser, seeded, where):
    url, _ = seeded
    name, user = where
    page = signed_in(browser, url, user)
    open_page(page, f"{url}/{name}")
    report: dict[str, list[str]] = {}
    main = page.locator("[data-testid='stMainBlockContainer']")
    for tab, shows in TABBED[where].items():
        page.get_by_role("tab", name=tab).click()
        found = []
        try:  # the click starts a rerun that draws the tab: wait for what it draws, not a fixed time
            expect(page.locator("[role='tabpanel']:visible").first).not_to_be_empty(timeout=30_000)
            if shows:
                expect(main).to_contain_text(shows, timeout=30_000)
        except AssertionError as err:
            found.append(f"did not draw its content: {str(err)[:200]}")
        page.wait_for_selector(IDLE, timeout=60_000)
        found += problems(page, main.inner_text()) + axe_violations(page) + cut_in_a_narrow_window(page)
        if found:
            report[tab] = found
    assert not report, report


def test_a_dearman_conversation_that_is_over_shows_its_outcome_and_the_closing_ratings(browser: Browser, seeded):
    url, ids = seeded
    page = signed_in(browser, url, "tess")
    text = open_page(page, f"{url}/dearman?dm={ids['dearman_to_finish']}")
    assert "You ended the conversation." in text
    assert "How strongly do you feel each of these now?" in text
    assert not problems(page, text)


def test_the_practice_address_and_the_root_open_the_same_page(browser: Browser, seeded):
    url, ids = seeded
    page = signed_in(browser, url, "tess")
    for address in (f"{url}/practice", url):
        text = open_page(page, address)
        assert "Practice a CBT interview" in text and not problems(page, text)


def test_choosing_a_patient_brings_the_session_setup_into_view(browser: Browser, seeded):
    url, ids = seeded
    page = signed_in(browser, url, "tess")
    open_page(page, url)
    page.locator(".st-key-choose-walter-brandt button").click()
    page.wait_for_selector(IDLE, timeout=60_000)
    start = page.get_by_role("button", name="Start session")
    expect(start).to_be_in_viewport(timeout=10_000)
    expect(page.get_by_text("Session with Walter Brandt")).to_be_visible()


def tab_to(page: Page, target) -> None:
    """Press Tab until `target` has the focus, as a keyboard user would; fail if it never does."""
    for _ in range(40):
        if target.evaluate("b => b === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"{target} cannot be reached with Tab")


def test_a_session_can_be_started_and_a_message_sent_with_the_keyboard_alone(browser: Browser, seeded):
    url, ids = seeded
    page = signed_in(browser, url, "tess")
    open_page(page, url)
    search = page.get_by_role("textbox", name="Search patients")
    search.focus()
    page.keyboard.type("Marcus")
    page.keyboard.press("Enter")
    # The filtered list comes from a rerun: until it ends, Streamlit can show Marcus's old card (stale)
    # beside the new one, and the idle marker may still be the one from before the rerun started.
    # Walter Brandt's card (not matched, and after Marcus's, so nothing is redrawn in its place) goes
    # only when the rerun ends.
    expect(page.locator(".st-key-choose-walter-brandt")).to_have_count(0, timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    choose = page.locator(".st-key-choose-marcus-bell button")
    expect(choose).to_have_count(1, timeout=30_000)
    tab_to(page, choose)
    page.keyboard.press("Enter")
    page.wait_for_selector(IDLE, timeout=60_000)
    tab_to(page, page.get_by_role("button", name="Start session"))
    page.keyboard.press("Enter")
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=30_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    box.focus()
    page.keyboard.type("Hello Marcus, what would you like to talk about today?")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2, timeout=30_000)


def test_the_add_account_form_is_empty_again_after_a_save(browser: Browser, seeded):
    url, ids = seeded
    page = signed_in(browser, url, "ada")
    open_page(page, f"{url}/admin")
    page.get_by_role("textbox", name="Username").fill("nina")
    page.get_by_label("Initial password").fill(PASSWORD)
    page.get_by_role("button", name="Add account").click()
    expect(page.get_by_text("nina", exact=True).first).to_be_visible(timeout=30_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    # The browser used to keep the last person's name and password in the fields after the save.
    expect(page.get_by_role("textbox", name="Username")).to_have_value("", timeout=30_000)
    expect(page.get_by_label("Initial password")).to_have_value("")


@pytest.mark.parametrize(("user", "own"), [("sam", ["Review", "Author cases"]), ("ada", ["Accounts", "Export"])])
def test_a_roles_own_pages_are_listed_in_the_sidebar_without_opening_more(browser: Browser, seeded, user, own):
    url, ids = seeded
    page = signed_in(browser, url, user)
    open_page(page, url)
    nav = page.locator("[data-testid='stSidebarNav']")
    for title in own:
        expect(nav.get_by_role("link", name=title)).to_be_visible(timeout=30_000)
