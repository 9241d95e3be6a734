#!/usr/bin/env python3
"""Runs a store from Lumora's merchant dashboard with a real, headless Chromium.

A merchant signs up on the landing page and lands on the dashboard; adds a product with two
options and sees it in the storefront; sets up checkout (test cards, a shipping zone with a flat
rate for the shopper's country, a tax rate on top of prices); a shopper buys it there, sees
shipping and tax priced, has a test card declined and pays with another; the confirmation mail
reaches them; the merchant sees the order paid, refunds part of it and fulfils it, visits every
owner page and invites a staff member; the staff member accepts the invitation
(the link is read from the file the test harness writes for each mail), works on orders and
products, and is refused the Staff page. A screenshot of each step goes to
`<screenshots>/dashboard-<step>.png`. The dashboard is server-rendered and needs no
JavaScript; this script only uses it to read the page's state (form validity, the response's
status, images that failed to load).

Needs Debian's `chromium` and `chromium-driver` and the `selenium` Python module. The landing
host (`<root domain>`), the dashboard (`app.<root domain>`) and the storefront
(`<store>.<root domain>`) are mapped to 127.0.0.1 inside Chromium, so no /etc/hosts entries
are needed.

    python3 scripts/dashboard_check.py --edge-port 8080 --root-domain lumora.test --store shoes \
        --owner-email owner@shoes.test --password 'correct horse battery' \
        --staff-email clerk@shoes.test --staff-password 'clerk password' \
        --screenshots .build/dashboard-screenshots --mail-dir /tmp/lumora-mail --photo shoe.jpg

The store's platform must offer the `test` payment provider (the cell's `--payments test`).

Exits 0 when every step passed; otherwise saves `dashboard-failed.png`, prints what failed (and
where) and exits 1.
"""

import argparse
import os
import re
import sys
import time
from decimal import ROUND_HALF_EVEN, Decimal
from urllib.parse import urlparse, urlunparse

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, TimeoutException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from headless_chromium import CheckFailed, left_the_page, start_browser
except ImportError as error:  # pragma: no cover - environment problem, not a test failure
    print(f"dashboard_check: the selenium module is missing ({error}); try: pip install selenium", file=sys.stderr)
    sys.exit(2)

WAIT_SECONDS = 15

STORE_NAME = "Shoe Shop"

PRODUCT = {
    "title": "Trail Runner",
    "handle": "trail-runner",
    "description": "Light and fast.",
    "photo_alt": "A blue trail running shoe, side view",
    "variants": [
        {"title": "Size 42", "sku": "TR-42", "price": "89.00", "stocked": "5"},
        {"title": "Size 43", "sku": "TR-43", "price": "92.00", "stocked": "3"},
    ],
}

SHOPPER = {
    "email": "shopper@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "address_1": "12 St James's Square",
    "city": "London",
    "postal_code": "10001",
    "country_code": "US",
}

# What the merchant sets on the Checkout page: a zone for the shopper's country with one flat
# rate, and a tax rate added on top of prices (prices do not include tax).
SHIPPING_ZONE = {"name": "United States", "countries": SHOPPER["country_code"], "rate": "Standard", "amount": "5.00"}
TAX_RATE = {"country": SHOPPER["country_code"], "percent": "20", "name": "Sales tax"}

# Test cards (the test provider's page lists them): one declined, one that pays.
DECLINED_CARD = "4000000000000002"
GOOD_CARD = "4242424242424242"

# What the merchant refunds of the paid order, as typed in the Refund form.
REFUND = "5.00"

# The titles of the edge's error pages (error.mustache): a page with one of them is not the page asked for.
ERROR_TITLES = ("Page not found", "Not allowed", "Something went wrong")

# The owner's pages of step 6: (path under /stores/<store>, screenshot, the page's <h1>).
OWNER_PAGES = [
    ("/products/new", "product-new", "New product"),
    ("/orders", "orders", "Orders"),
    ("/collections", "collections", "Collections"),
    ("/settings", "settings", "Settings"),
    ("/checkout", "checkout", "Checkout"),
    ("/domains", "domains", "Domains"),
    ("/tokens", "tokens", "API tokens"),
    ("/staff", "staff", "Staff"),
    ("", "overview-after", "Overview"),
]


def collapse(text):
    return " ".join((text or "").split())


def cents(text):
    """`$1,234.50` → 123450 (the store sells in dollars)."""
    digits = re.sub(r"[^0-9.]", "", text or "")
    if not digits:
        return None
    return int((Decimal(digits) * 100).to_integral_value())


def money(amount):
    return f"${amount // 100:,}.{amount % 100:02d}"


class DashboardCheck:
    """One merchant's walk through the dashboard, one shopper's purchase, one staff member's visit."""

    def __init__(self, driver, arguments):
        self.driver = driver
        self.arguments = arguments
        self.root = arguments.root_domain
        self.port = arguments.edge_port
        self.store = arguments.store
        self.landing = f"http://{self.root}:{self.port}"
        self.dashboard_host = f"app.{self.root}"
        self.dashboard = f"http://{self.dashboard_host}:{self.port}"
        self.storefront = f"http://{self.store}.{self.root}:{self.port}"
        self.store_base = f"/stores/{self.store}"
        self.screenshots = arguments.screenshots
        self.wait = WebDriverWait(driver, WAIT_SECONDS)
        self.step = "start"
        self.order_number = None
        self.expected_total = None
        self.earlier_link = None
        self.warnings = []
        self.shots = []

    # -- helpers -----------------------------------------------------------------------------

    def fail(self, message):
        raise CheckFailed(message)

    def ok(self, what):
        print(f"ok   {what}")

    def until(self, condition, what, seconds=WAIT_SECONDS):
        wait = self.wait if seconds == WAIT_SECONDS else WebDriverWait(self.driver, seconds)
        try:
            return wait.until(condition)
        except TimeoutException:
            self.fail(f"timed out after {seconds}s waiting for {what}")

    def path(self):
        return urlparse(self.driver.current_url).path

    def host(self):
        return urlparse(self.driver.current_url).hostname

    def at(self, path):
        """Whether the browser shows `path` (on whichever host it is)."""
        return self.path().rstrip("/") == path.rstrip("/") if path != "/" else self.path() == "/"

    def loaded(self):
        self.until(lambda d: d.execute_script("return document.readyState") == "complete", "the page to load")

    def network_error(self):
        return self.driver.execute_script(
            "const page = document.querySelector('body.neterror');"
            "if (!page) return null;"
            "const code = document.querySelector('.error-code');"
            "return code ? code.textContent.trim() : 'network error';")

    def page_ready(self):
        """The page loaded; a page Chromium made itself (it reached no server) fails the check."""
        self.loaded()
        problem = self.network_error()
        if problem:
            self.fail(f"Chromium could not load the page ({problem}): is the edge listening on port {self.port}, "
                      f"and does --root-domain match the hosts?")

    def status(self):
        """The HTTP status of the page shown (after redirects), or None when Chromium does not say."""
        try:
            status = self.driver.execute_script(
                "const entry = performance.getEntriesByType('navigation')[0];"
                "return entry && entry.responseStatus ? entry.responseStatus : null;")
        except WebDriverException:
            return None
        return int(status) if status else None

    def error_page(self):
        """`<status> <title>: <message>` when the page is one of the edge's error pages, else None."""
        pages = self.driver.find_elements(By.CSS_SELECTOR, "main.error")
        headings = [h.text.strip() for h in self.driver.find_elements(By.CSS_SELECTOR, "main h1")]
        if not pages and not any(heading in ERROR_TITLES for heading in headings):
            return None
        text = collapse(pages[0].text) if pages else collapse(" ".join(headings))
        status = self.status()
        return f"{status} {text}" if status and not text.startswith(str(status)) else text

    def h1_now(self):
        """The page's <h1> as it is now (None when it has none), without waiting."""
        headings = self.driver.find_elements(By.CSS_SELECTOR, "main h1")
        return headings[0].text.strip() if headings else None

    def heading(self):
        return self.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "main h1")), "the page's <h1>").text.strip()

    def main_text(self):
        mains = self.driver.find_elements(By.TAG_NAME, "main")
        return collapse(mains[0].text) if mains else collapse(self.driver.find_element(By.TAG_NAME, "body").text)

    def notices(self):
        return [collapse(n.text) for n in self.driver.find_elements(By.CSS_SELECTOR, ".notice, .field-error") if n.text.strip()]

    def open(self, url):
        self.driver.get(url)
        self.page_ready()

    def expect_page(self, h1=None, texts=(), status=200, what=None):
        """The page is the one asked for: no error page, its <h1>, the texts, the status (when known)."""
        what = what or self.path()
        problem = self.error_page()
        if problem:
            self.fail(f"{what} showed an error page: {problem}")
        heading = self.heading()
        if h1 is not None and heading != h1:
            notices = self.notices()
            self.fail(f"{what}: the page's <h1> is '{heading}', expected '{h1}'"
                      + (f" (the page says: {' / '.join(notices)})" if notices else ""))
        text = self.main_text()
        for expected in texts:
            if expected not in text:
                self.fail(f"{what}: the page does not show '{expected}'")
        shown = self.status()
        if status is not None and shown is not None and shown != status:
            self.fail(f"{what} answered {shown}, expected {status}")
        return heading

    def open_until(self, url, what, accept=None, reload_first=True):
        """Loads `url` again and again, up to WAIT_SECONDS, until it is not an error page (and
        `accept()`, which names what is still wrong or returns None, is happy): a store that was
        just made may need a moment before every host answers for it."""
        state = {"first": True, "last": "nothing loaded"}

        def attempt(driver):
            if not (state["first"] and not reload_first):
                driver.get(url)
            state["first"] = False
            self.loaded()
            problem = self.network_error()
            if problem:
                state["last"] = f"Chromium could not load the page ({problem})"
                return False
            problem = self.error_page()
            if problem is None and accept is not None:
                problem = accept()
            state["last"] = problem
            return problem is None

        try:
            WebDriverWait(self.driver, WAIT_SECONDS, poll_frequency=0.25).until(attempt)
        except TimeoutException:
            self.fail(f"{what}: still not there after {WAIT_SECONDS}s; the last answer was: {state['last']}")

    def screenshot(self, name):
        path = os.path.join(self.screenshots, f"dashboard-{name}.png")
        if not self.driver.save_screenshot(path):
            self.fail(f"could not write the screenshot {path}")
        self.shots.append(path)
        self.look_for_broken_images()

    def look_for_broken_images(self):
        broken = self.driver.execute_script(
            "return Array.from(document.images)"
            ".filter(i => i.complete && i.naturalWidth === 0).map(i => i.currentSrc || i.src);")
        for source in broken:
            warning = f"{self.step}: image did not load: {source}"
            if warning not in self.warnings:
                self.warnings.append(warning)

    def fill(self, form, name, value):
        try:
            box = form.find_element(By.NAME, name)
        except NoSuchElementException:
            self.fail(f"the form has no field named '{name}'")
        box.clear()
        if value:
            box.send_keys(value)
        return box

    def button(self, scope, text):
        try:
            return scope.find_element(By.XPATH, f".//button[normalize-space()='{text}']")
        except NoSuchElementException:
            self.fail(f"there is no '{text}' button")

    def submit(self, form, button, what, hint=None):
        """Clicks a form's button like a person: refused by the browser itself when a field is
        invalid (named here at once, rather than a timeout), then waits for the next page."""
        invalid = self.driver.execute_script(
            "const form = arguments[0];"
            "if (form.checkValidity()) return null;"
            "return Array.from(form.elements).filter(e => e.willValidate && !e.checkValidity())"
            ".map(e => (e.name || e.id || e.tagName.toLowerCase()) + ': ' + e.validationMessage);", form)
        if invalid:
            self.fail(f"{what} cannot be submitted, the browser refuses these fields: {'; '.join(invalid)}"
                      + (f" ({hint})" if hint else ""))
        button.click()
        self.until(left_the_page(button), f"{what} to leave the page")
        self.page_ready()

    def rows(self, selector="table.list tbody tr"):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    # -- the walk ----------------------------------------------------------------------------

    def run(self):
        self.sign_up()
        self.add_product()
        self.add_photo()
        self.list_products()
        self.set_up_checkout()
        self.buy_in_the_storefront()
        self.read_confirmation_mail()
        self.fulfil_the_order()
        self.visit_owner_pages()
        self.invite_staff()
        self.work_as_staff()

    def sign_up(self):
        self.step = "landing"
        self.open(self.landing + "/")
        problem = self.error_page()
        if problem:
            self.fail(f"the landing page is an error page: {problem}")
        forms = self.driver.find_elements(By.CSS_SELECTOR, "form.signup")
        if not forms:
            self.fail(f"the landing page has no signup form (it says: {self.main_text()[:200]})")
        form = forms[0]
        for name, value in (("slug", self.store), ("name", STORE_NAME), ("owner_email", self.arguments.owner_email),
                            ("password", self.arguments.password)):
            self.fill(form, name, value)
        self.ok(f"landing page {self.landing}/ offers the signup form")
        self.screenshot("landing")

        self.step = "overview"
        overview = f"{self.store_base}"
        self.submit(form, form.find_element(By.CSS_SELECTOR, "button[type=submit]"), "the signup form")
        self.until(lambda d: self.at(overview) or d.find_elements(By.CSS_SELECTOR, "main .notice, main.error"),
                   f"the dashboard's {overview} after signing up")
        if not self.at(overview):
            self.loaded()
            reason = self.error_page() or " / ".join(self.notices())
            self.fail(f"signing up as '{self.store}' was refused: {reason}")
        if self.host() != self.dashboard_host:
            self.fail(f"signing up led to {self.driver.current_url}, not the dashboard host {self.dashboard_host}")
        self.ok(f"signed up '{self.store}' as {self.arguments.owner_email}: redirected to {self.driver.current_url}")
        # The store's route may reach the edge a moment after the store was made: reload until it does.
        self.open_until(self.dashboard + overview, "the new store's overview",
                        accept=lambda: None if self.h1_now() == "Overview" else f"the page's <h1> is {self.h1_now()!r}",
                        reload_first=False)
        self.expect_page(h1="Overview")
        store_name = collapse(self.driver.find_element(By.CSS_SELECTOR, "header .store-name").text)
        if store_name != STORE_NAME:
            self.fail(f"the top bar names the store '{store_name}', expected '{STORE_NAME}'")
        role = collapse(self.driver.find_element(By.CSS_SELECTOR, "nav.areas .role-note").text)
        if "owner" not in role:
            self.fail(f"the new store's creator is not its owner ('{role}')")
        self.ok(f"dashboard overview of '{STORE_NAME}' ({role})")
        self.screenshot("overview")

    def add_product(self):
        self.step = "product-new"
        self.open(f"{self.dashboard}{self.store_base}/products/new")
        self.expect_page(h1="New product")
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.stacked[action$='/products']")),
                          "the new-product form")
        self.fill(form, "title", PRODUCT["title"])
        self.fill(form, "description", PRODUCT["description"])
        handle = self.fill(form, "handle", "")  # the dashboard makes one from the title
        published = form.find_element(By.NAME, "published")
        if not published.is_selected():
            published.click()
        self.until(lambda d: published.is_selected(), "'Published' to be checked")
        for index, variant in enumerate(PRODUCT["variants"], start=1):
            for field in ("title", "sku", "price", "stocked"):
                self.fill(form, f"variant_{index}_{field}", variant[field])
        hint = None
        if handle.get_attribute("required") is not None:
            hint = "the new-product form's handle input is `required`, so a browser cannot leave it empty for the dashboard to make one"
        self.submit(form, self.button(form, "Add product"), "the new-product form", hint=hint)

        self.step = "product-saved"
        self.until(lambda d: d.find_elements(By.CSS_SELECTOR, "main .notice, main .field-error, main.error"),
                   "the product page (or the form's errors)")
        problem = self.error_page()
        if problem:
            self.fail(f"adding the product showed an error page: {problem}")
        if "Saved." not in self.main_text():
            self.fail(f"adding the product was refused: {' / '.join(self.notices())}")
        if not re.fullmatch(rf"{re.escape(self.store_base)}/products/(?!new$)[^/]+", self.path()):
            self.fail(f"after 'Add product' the browser is at {self.path()}, not a product's page")
        self.expect_page(h1=PRODUCT["title"], texts=["Saved."] + [v["title"] for v in PRODUCT["variants"]])
        for variant in PRODUCT["variants"]:
            row = next((r for r in self.rows() if variant["title"] in r.text), None)
            if row is None or variant["sku"] not in row.text:
                self.fail(f"the product page does not list '{variant['title']}' with SKU {variant['sku']}")
        links = self.driver.find_elements(By.XPATH, "//main//a[normalize-space()='See it in the store']")
        if not links:
            self.fail("the published product has no 'See it in the store' link")
        storefront_link = links[0].get_attribute("href")
        if not storefront_link.rstrip("/").endswith(f"/products/{PRODUCT['handle']}"):
            self.fail(f"the product's storefront link is {storefront_link}: the handle is not '{PRODUCT['handle']}'")
        self.ok(f"product '{PRODUCT['title']}' saved at {self.path()} with options "
                f"{', '.join(v['title'] for v in PRODUCT['variants'])}; handle '{PRODUCT['handle']}' made by the dashboard")
        self.screenshot("product-saved")

    def add_photo(self):
        """The merchant picks a photo on the product page, as from their own computer."""
        self.step = "product-picture"
        product_page = self.path()
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form[action$='/pictures']")),
                          "the product page's picture upload form")
        chooser = form.find_element(By.CSS_SELECTOR, "input[type=file][name=file]")
        chooser.send_keys(os.path.abspath(self.arguments.photo))
        self.fill(form, "alt", PRODUCT["photo_alt"])
        self.submit(form, self.button(form, "Upload picture"), "the picture upload form")
        problem = self.error_page()
        if problem:
            self.fail(f"uploading the picture showed an error page: {problem}")
        if self.path() != product_page or "Saved." not in self.main_text():
            self.fail(f"after 'Upload picture' the browser is at {self.path()}: {' / '.join(self.notices()) or self.main_text()[:300]}")

        def picture_loaded(driver):
            return driver.execute_script(
                "const i = document.querySelector('ul.pictures img');"
                "return i && i.complete && i.naturalWidth > 0 ? i.alt : null;")
        alt = self.until(picture_loaded, "the uploaded picture to show on the product page")
        if alt != PRODUCT["photo_alt"]:
            self.fail(f"the product page's picture has the alt text {alt!r}, not {PRODUCT['photo_alt']!r}")
        self.ok(f"picture uploaded and shown on the product page (alt {alt!r})")
        self.driver.execute_script("document.querySelector('ul.pictures').scrollIntoView({block: 'center'});")
        self.screenshot("product-picture")

    def list_products(self):
        self.step = "products"
        self.open(f"{self.dashboard}{self.store_base}/products")
        self.expect_page(h1="Products")
        row = next((r for r in self.rows() if PRODUCT["title"] in r.text), None)
        if row is None:
            self.fail(f"the product list does not show '{PRODUCT['title']}' (it shows: {self.main_text()[:300]})")
        if f"/{PRODUCT['handle']}" not in row.text or "published" not in row.text:
            self.fail(f"the product list's row is '{collapse(row.text)}': expected /{PRODUCT['handle']}, published")
        self.ok(f"product list shows '{collapse(row.text)}'")
        self.screenshot("products")

    # -- checkout settings -------------------------------------------------------------------

    def refused_or(self, expected):
        """A condition: the page says `expected`, or shows a refusal (an alert, a field error, an error page)."""
        return lambda d: expected in self.main_text() or d.find_elements(
            By.CSS_SELECTOR, "main .field-error, main .notice[role=alert], main.error")

    def confirmed(self, expected, what):
        self.until(self.refused_or(expected), f"'{expected}' after {what}")
        problem = self.error_page()
        if problem:
            self.fail(f"{what} showed an error page: {problem}")
        if expected not in self.main_text():
            self.fail(f"{what} was refused: {' / '.join(self.notices())}")

    def scroll_to(self, selector):
        self.driver.execute_script("const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'center'});", selector)

    def set_up_checkout(self):
        """The merchant offers test cards, ships to the shopper's country and charges tax on top."""
        self.step = "checkout-payments"
        page = f"{self.store_base}/checkout"
        self.open(f"{self.dashboard}{page}")
        self.expect_page(h1="Checkout")
        areas = [a.text.strip() for a in self.driver.find_elements(By.CSS_SELECTOR, "nav.areas a")]
        if "Checkout" not in areas or "Settings" not in areas or areas.index("Checkout") != areas.index("Settings") + 1:
            self.fail(f"the store's navigation has no 'Checkout' next to 'Settings' ({areas})")
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.payments")), "the payments form")
        radios = {r.get_attribute("value"): r for r in form.find_elements(By.CSS_SELECTOR, "input[type=radio][name=payment_provider]")}
        if "test" not in radios or "manual" not in radios:
            self.fail(f"the payments form offers {sorted(radios)}, expected manual and test (is the cell run with --payments test?)")
        for provider, radio in radios.items():
            sentence = radio.find_element(By.XPATH, "./ancestor::div[contains(@class,'provider')][1]").text
            if len(collapse(sentence)) < 40:
                self.fail(f"the provider '{provider}' has no sentence saying what it does ('{collapse(sentence)}')")
        radios["test"].click()
        self.until(lambda d: radios["test"].is_selected(), "'Test cards' to be chosen")
        included = form.find_element(By.NAME, "prices_include_tax")
        if included.is_selected():
            included.click()  # the tax is added at checkout
        self.submit(form, self.button(form, "Save payments"), "the payments form")
        self.confirmed("Saved.", "saving the payments form")
        if not self.at(page):
            self.fail(f"after 'Save payments' the browser is at {self.path()}, not {page}")
        chosen = [r.get_attribute("value") for r in self.driver.find_elements(By.CSS_SELECTOR, "form.payments input[name=payment_provider]")
                  if r.is_selected()]
        if chosen != ["test"]:
            self.fail(f"after saving, the payments form shows {chosen} chosen, not ['test']")
        if self.driver.find_element(By.CSS_SELECTOR, "form.payments input[name=prices_include_tax]").is_selected():
            self.fail("after saving, 'Prices include tax' is ticked")
        self.ok(f"checkout page {page}: payments by test cards saved, prices without tax")
        self.screenshot("checkout-payments")

        self.step = "checkout-shipping"
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.zone")), "the add-a-zone form")
        self.fill(form, "zone_name", SHIPPING_ZONE["name"])
        self.fill(form, "zone_countries", SHIPPING_ZONE["countries"])
        self.fill(form, "rate_name", SHIPPING_ZONE["rate"])
        Select(form.find_element(By.NAME, "rate_kind")).select_by_value("flat")
        self.fill(form, "rate_amount", SHIPPING_ZONE["amount"])
        self.submit(form, self.button(form, "Add zone"), "the add-a-zone form")
        self.confirmed("Shipping zone added.", "adding the shipping zone")
        rate = f"{SHIPPING_ZONE['rate']}: {money(cents(SHIPPING_ZONE['amount']))}"
        row = next((r for r in self.rows("table.zones tbody tr") if SHIPPING_ZONE["name"] in r.text), None)
        if row is None or SHIPPING_ZONE["countries"] not in row.text or rate not in row.text:
            self.fail(f"the zone list does not show '{SHIPPING_ZONE['name']}' to {SHIPPING_ZONE['countries']} with '{rate}' "
                      f"(it shows: {[collapse(r.text) for r in self.rows('table.zones tbody tr')]})")
        self.ok(f"shipping zone added: '{collapse(row.text)}'")
        self.scroll_to("#shipping")
        self.screenshot("checkout-shipping")

        self.step = "checkout-tax"
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.tax")), "the add-a-tax-rate form")
        self.fill(form, "tax_country", TAX_RATE["country"])
        self.fill(form, "tax_region", "")
        self.fill(form, "tax_percent", TAX_RATE["percent"])
        self.fill(form, "tax_name", TAX_RATE["name"])
        self.submit(form, self.button(form, "Add tax rate"), "the add-a-tax-rate form")
        self.confirmed("Tax rate saved.", "adding the tax rate")
        row = next((r for r in self.rows("table.tax-rates tbody tr") if TAX_RATE["name"] in r.text), None)
        if row is None or TAX_RATE["country"] not in row.text or f"{TAX_RATE['percent']} %" not in row.text:
            self.fail(f"the tax rates do not list '{TAX_RATE['name']}' {TAX_RATE['percent']} % for {TAX_RATE['country']} "
                      f"(they show: {[collapse(r.text) for r in self.rows('table.tax-rates tbody tr')]})")
        self.ok(f"tax rate added: '{collapse(row.text)}'")
        self.scroll_to("#tax")
        self.screenshot("checkout-tax")

    def buy_in_the_storefront(self):
        self.step = "storefront-product"
        sizes = [v["title"] for v in PRODUCT["variants"]]

        def product_shown():
            title = self.h1_now()
            return None if title == PRODUCT["title"] else f"the page's <h1> is {title!r}"

        url = f"{self.storefront}/products/{PRODUCT['handle']}"
        self.open_until(url, f"the storefront's {url}", accept=product_shown)
        self.expect_page(h1=PRODUCT["title"], texts=[PRODUCT["description"]] + sizes)
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form[action$='/cart/add']")),
                          "the add-to-cart form (is the product sold out?)")
        for size in sizes:
            if size not in form.text:
                self.fail(f"the add-to-cart form does not offer '{size}'")
        self.ok(f"storefront {url} shows '{PRODUCT['title']}' with {', '.join(sizes)}")

        def photo_shown(driver):
            return driver.execute_script(
                "const i = document.querySelector('.gallery picture img');"
                "if (!i || !i.complete || i.naturalWidth === 0) return null;"
                "const webp = document.querySelector('.gallery picture source[type=\"image/webp\"]');"
                "return {alt: i.alt, srcset: i.getAttribute('srcset') || '', webp: webp ? webp.getAttribute('srcset') : '',"
                " current: i.currentSrc, lazy: i.loading, sizes: i.getAttribute('sizes') || ''};")
        shown = self.until(photo_shown, "the product's photo to load on the storefront")
        if shown["alt"] != PRODUCT["photo_alt"]:
            self.fail(f"the storefront's photo has the alt text {shown['alt']!r}")
        widths = re.findall(r" (\d+)w", shown["srcset"])
        if len(widths) < 3 or not shown["webp"] or not shown["sizes"] or shown["lazy"] != "lazy":
            self.fail(f"the storefront's photo is not responsive: srcset {shown['srcset']!r}, webp {shown['webp']!r}, "
                      f"sizes {shown['sizes']!r}, loading {shown['lazy']!r}")
        if "/media/" not in shown["current"]:
            self.fail(f"the browser showed {shown['current']!r}, not one of the store's media files")
        self.ok(f"storefront photo loaded from {urlparse(shown['current']).path} (srcset widths {', '.join(widths)})")
        self.screenshot("storefront-product")

        self.step = "storefront-cart"
        wanted = sizes[0]
        radios = form.find_elements(By.CSS_SELECTOR, "input[type=radio][name=variant_id]")
        if radios:
            choice = None
            for radio in radios:
                labels = radio.find_elements(By.XPATH, "./ancestor::label[1]")
                if labels and wanted in labels[0].text:
                    choice = radio
                    break
            if choice is None:
                self.fail(f"no option labelled '{wanted}' can be chosen")
            if not choice.is_enabled():
                self.fail(f"the option '{wanted}' is disabled (out of stock?)")
            if not choice.is_selected():
                choice.click()
            self.until(lambda d: choice.is_selected(), f"'{wanted}' to be selected")
        add = form.find_element(By.CSS_SELECTOR, "button[type=submit], button:not([type])")
        self.submit(form, add, "the add-to-cart form")
        # The POST to /cart/add answers with a redirect to /cart: wait for the cart itself.
        self.until(lambda d: self.at("/cart"), "the browser to reach /cart")
        self.page_ready()
        self.expect_page(h1="Your cart")
        rows = self.rows("table.cart tbody tr")
        if not any(PRODUCT["title"] in r.text and wanted in r.text for r in rows):
            notices = self.notices()
            self.fail(f"the cart does not hold '{PRODUCT['title']}' ({wanted})" + (f": {' / '.join(notices)}" if notices else ""))
        self.ok(f"cart holds '{PRODUCT['title']}' ({wanted})")

        self.step = "storefront-checkout"
        self.open(f"{self.storefront}/checkout")
        self.expect_page(h1="Checkout")
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.address")), "the address form")
        for field, value in SHOPPER.items():
            self.fill(form, field, value)
        onward = self.button(form, "Continue to shipping")
        self.submit(form, onward, "the checkout form")
        self.until(lambda d: "/checkout/shipping" in d.current_url or d.find_elements(By.CSS_SELECTOR, "main .notice, main.error"),
                   "the shipping page")
        self.page_ready()
        if "/checkout/shipping" not in self.driver.current_url:
            reason = self.error_page() or " / ".join(self.notices())
            self.fail(f"'Continue to shipping' led to {self.driver.current_url}: {reason}")
        self.choose_shipping()
        self.pay_with_test_cards()

    def totals(self):
        """The page's subtotal, shipping, tax and total lines (partials/totals), in cents."""
        shown = {}
        for name in ("subtotal", "shipping", "tax", "total"):
            found = self.driver.find_elements(By.CSS_SELECTOR, f"main dl.totals dd.{name}")
            shown[name] = cents(found[0].text) if found else None
        return shown

    def expected_totals(self):
        """What the order must cost: the first option's price, the zone's flat rate, and the tax
        rate on both (shipping is taxed like the goods), rounded to the cent."""
        price = cents(PRODUCT["variants"][0]["price"])
        shipping = cents(SHIPPING_ZONE["amount"])
        rate = Decimal(TAX_RATE["percent"]) / 100
        tax = int((Decimal(price) * rate).quantize(Decimal(1), ROUND_HALF_EVEN)
                  + (Decimal(shipping) * rate).quantize(Decimal(1), ROUND_HALF_EVEN))
        return {"subtotal": price, "shipping": shipping, "tax": tax, "total": price + shipping + tax}

    def check_totals(self, what):
        shown, expected = self.totals(), self.expected_totals()
        if shown != expected:
            self.fail(f"{what} shows {({k: money(v) if v is not None else None for k, v in shown.items()})}, "
                      f"expected {({k: money(v) for k, v in expected.items()})}")
        return expected

    def choose_shipping(self):
        self.step = "storefront-shipping"
        self.expect_page(h1="Shipping and total")
        form = self.until(EC.presence_of_element_located((By.XPATH, "//main//form[.//button[normalize-space()='Place order']]")), "the order form")
        choice, offered = None, []
        for radio in form.find_elements(By.CSS_SELECTOR, "input[type=radio][name=shipping_option]"):
            labels = radio.find_elements(By.XPATH, "./ancestor::label[1]")
            text = collapse(labels[0].text) if labels else ""
            offered.append(text)
            if text.startswith(SHIPPING_ZONE["rate"]):
                choice = radio
        if choice is None:
            self.fail(f"/checkout/shipping does not offer '{SHIPPING_ZONE['rate']}' (it offers {offered})")
        if not choice.is_selected():
            choice.click()
        self.until(lambda d: choice.is_selected(), f"'{SHIPPING_ZONE['rate']}' to be chosen")
        self.submit(form, self.button(form, "Update total"), "'Update total'")
        self.expect_page(h1="Shipping and total")
        expected = self.check_totals("/checkout/shipping")
        self.expected_total = money(expected["total"])
        self.ok(f"shipping '{SHIPPING_ZONE['rate']}' chosen: subtotal {money(expected['subtotal'])}, shipping {money(expected['shipping'])}, "
                f"tax {money(expected['tax'])} ({TAX_RATE['percent']} % of goods and shipping), total {self.expected_total}")
        self.screenshot("storefront-shipping")

        form = self.until(EC.presence_of_element_located((By.XPATH, "//main//form[.//button[normalize-space()='Place order']]")), "the order form")
        self.submit(form, self.button(form, "Place order"), "the order form")
        # The POST answers with a redirect: wait for the payment page (or a refusal) to load.
        self.until(lambda d: "/checkout/pay" in d.current_url or "/order/confirmation" in d.current_url
                   or d.find_elements(By.CSS_SELECTOR, "main .notice, main.error"), "the order to be placed")
        self.page_ready()
        if "/checkout/pay" not in self.driver.current_url:
            reason = self.error_page() or " / ".join(self.notices()) or self.main_text()[:200]
            self.fail(f"'Place order' led to {self.driver.current_url}, not the test payment page /checkout/pay: {reason}")

    def pay_with_test_cards(self):
        self.step = "storefront-declined"
        heading = self.expect_page(texts=("Test payments",))
        if not heading.startswith("Pay for order #"):
            self.fail(f"the payment page's <h1> is '{heading}'")
        self.check_totals("/checkout/pay")
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.card")), "the card form")
        self.fill(form, "card_number", DECLINED_CARD)
        self.submit(form, form.find_element(By.CSS_SELECTOR, "button[type=submit]"), "the card form")
        self.until(lambda d: d.find_elements(By.CSS_SELECTOR, "main .notice, main.error") or "/order/confirmation" in d.current_url,
                   "the declined card's answer")
        problem = self.error_page()
        if problem:
            self.fail(f"the declined card showed an error page: {problem}")
        if "/checkout/pay" not in self.driver.current_url:
            self.fail(f"the declined card {DECLINED_CARD} led to {self.driver.current_url}")
        notice = " / ".join(self.notices())
        if "declined" not in notice:
            self.fail(f"the declined card's page does not say it was declined: '{notice}'")
        shown = self.status()
        if shown is not None and shown != 402:
            self.fail(f"the declined card answered {shown}, expected 402")
        self.ok(f"card {DECLINED_CARD} declined: '{notice}'")
        self.screenshot("storefront-declined")

        self.step = "storefront-confirmation"
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.card")), "the card form after the decline")
        self.fill(form, "card_number", GOOD_CARD)
        self.submit(form, form.find_element(By.CSS_SELECTOR, "button[type=submit]"), "the card form")
        self.until(lambda d: "/order/confirmation" in d.current_url or d.find_elements(By.CSS_SELECTOR, "main .notice, main.error"),
                   "the payment to go through")
        self.page_ready()
        if "/order/confirmation" not in self.driver.current_url:
            reason = self.error_page() or " / ".join(self.notices())
            self.fail(f"paying with {GOOD_CARD} led to {self.driver.current_url}: {reason}")
        self.expect_page(h1="Thank you for your order", texts=(PRODUCT["title"], SHOPPER["email"], "is paid"))
        status = self.driver.find_element(By.CSS_SELECTOR, "strong.order-status").text.strip()
        if status != "paid":
            self.fail(f"the confirmation says the order is '{status}', not paid")
        self.check_totals("/order/confirmation")
        number = self.driver.find_element(By.CSS_SELECTOR, "strong.order-number").text.strip()
        if not re.fullmatch(r"#\S+", number):
            self.fail(f"the confirmation shows no order number (got '{number}')")
        self.order_number = number
        self.ok(f"shopper {SHOPPER['email']} paid order {number} ({self.expected_total}) with {GOOD_CARD}")
        self.screenshot("storefront-confirmation")

    def read_confirmation_mail(self):
        """The shop's mail "Order #… is confirmed" with the total paid, as the harness wrote it."""
        self.step = "confirmation-mail"
        email = SHOPPER["email"]
        pattern = re.compile(rf"^{re.escape(email)}\.(\d+)\.mail$", re.IGNORECASE)
        deadline = time.monotonic() + WAIT_SECONDS
        seen = []
        while True:
            seen = []
            try:
                names = sorted((n for n in os.listdir(self.arguments.mail_dir) if pattern.match(n)), key=lambda n: int(pattern.match(n).group(1)))
            except OSError as error:
                self.fail(f"could not list {self.arguments.mail_dir}: {error}")
            for name in names:
                with open(os.path.join(self.arguments.mail_dir, name), encoding="utf-8") as handle:
                    text = handle.read()
                subject = text.split("\n", 1)[0].removeprefix("Subject: ")
                seen.append(subject)
                if "is confirmed" in subject and (self.order_number or "") in subject:
                    if f"Total: {self.expected_total}" not in text:
                        self.fail(f"the mail '{subject}' does not say 'Total: {self.expected_total}':\n{text[:800]}")
                    self.ok(f"mail to {email}: '{subject}', Total: {self.expected_total}")
                    return
            if time.monotonic() >= deadline:
                self.fail(f"no mail 'Order {self.order_number} … is confirmed' to {email} in {self.arguments.mail_dir} "
                          f"within {WAIT_SECONDS}s (mails to them: {seen})")
            time.sleep(0.1)

    def fulfil_the_order(self):
        self.step = "orders"
        self.open(f"{self.dashboard}{self.store_base}/orders")
        self.expect_page(h1="Orders")
        row = next((r for r in self.rows() if SHOPPER["email"] in r.text), None)
        if row is None:
            self.fail(f"the order list does not show the order from {SHOPPER['email']} (it shows: {self.main_text()[:300]})")
        if self.order_number and self.order_number not in row.text:
            self.warnings.append(f"orders: the row of {SHOPPER['email']} is '{collapse(row.text)}', "
                                 f"the confirmation said {self.order_number}")
        links = row.find_elements(By.CSS_SELECTOR, "a[href*='/orders/order_']")
        if not links:
            self.fail(f"the order row '{collapse(row.text)}' has no link to the order")
        self.ok(f"order list shows '{collapse(row.text)}'")
        link = links[0]
        link.click()
        self.until(left_the_page(link), "the order's link to leave the page")
        self.until(EC.url_contains("/orders/order_"), "the order's page")
        self.page_ready()

        self.step = "order"
        self.expect_page(texts=(SHOPPER["email"],))
        if not self.heading().startswith("Order #"):
            self.fail(f"the order page's <h1> is '{self.heading()}'")
        order_path = self.path()
        # Paid by card at checkout: nothing to mark paid, ready to ship.
        tags = [t.text.strip() for t in self.driver.find_elements(By.CSS_SELECTOR, "span.tag")]
        if "paid" not in tags:
            self.fail(f"the order paid by card is not shown paid (tags: {tags})")
        payment = self.driver.find_elements(By.CSS_SELECTOR, "main .payment")
        if not payment or collapse(payment[0].text) != "test · paid":
            self.fail(f"the order's payment reads {collapse(payment[0].text) if payment else None!r}, expected 'test · paid'")
        if self.driver.find_elements(By.XPATH, "//button[normalize-space()='Mark as paid']"):
            self.fail("the order paid by card still offers 'Mark as paid'")
        total = self.driver.find_element(By.XPATH, "//table[contains(@class,'list')]//tfoot//tr[td[1][normalize-space()='Total']]/td[2]").text.strip()
        if total != self.expected_total:
            self.fail(f"the order page's total is {total}, the shopper paid {self.expected_total}")
        self.button(self.driver.find_element(By.TAG_NAME, "main"), "Mark as fulfilled")
        self.ok(f"order page {order_path}: '{self.heading()}', from {SHOPPER['email']}, paid by test card ({total}), offers 'Mark as fulfilled'")
        self.screenshot("order")

        self.step = "order-refunded"
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.refund")), "the Refund form")
        self.fill(form, "amount", REFUND)
        self.fill(form, "reason", "Scuffed box")
        self.submit(form, self.button(form, "Refund"), "the Refund form")
        self.until(lambda d: self.at(order_path) or d.find_elements(By.CSS_SELECTOR, "main .notice, main.error"),
                   f"the browser to come back to {order_path}")
        problem = self.error_page()
        if problem:
            self.fail(f"the refund showed an error page: {problem}")
        refunded = self.driver.find_elements(By.CSS_SELECTOR, "main td.refunded")
        if not refunded or refunded[0].text.strip() != money(cents(REFUND)):
            self.fail(f"after refunding {REFUND} the order shows refunded {refunded[0].text.strip() if refunded else None!r} "
                      f"(the page says: {' / '.join(self.notices())})")
        tags = [t.text.strip() for t in self.driver.find_elements(By.CSS_SELECTOR, "span.tag")]
        if "paid" not in tags:
            self.fail(f"a partial refund left the order {tags}, not paid")
        payment = collapse(self.driver.find_element(By.CSS_SELECTOR, "main .payment").text)
        if payment != "test · partially refunded":
            self.fail(f"after a partial refund the order's payment reads '{payment}', expected 'test · partially refunded'")
        fulfil = self.button(self.driver.find_element(By.TAG_NAME, "main"), "Mark as fulfilled")
        self.ok(f"refunded {money(cents(REFUND))} of {self.expected_total}: the order stays paid")
        self.scroll_to("main td.refunded")
        self.screenshot("order-refunded")

        self.step = "order-fulfilled"
        fulfil.click()
        self.until(left_the_page(fulfil), "'Mark as fulfilled' to leave the page")
        self.until(lambda d: self.at(order_path) or d.find_elements(By.CSS_SELECTOR, "main .notice, main.error"),
                   f"the browser to come back to {order_path}")
        self.page_ready()
        problem = self.error_page()
        if problem:
            self.fail(f"'Mark as fulfilled' showed an error page: {problem}")
        self.until(lambda d: any(t.text.strip() == "fulfilled" for t in d.find_elements(By.CSS_SELECTOR, "span.tag"))
                   or d.find_elements(By.CSS_SELECTOR, "main .notice"), "the order to show 'fulfilled'")
        tags = [t.text.strip() for t in self.driver.find_elements(By.CSS_SELECTOR, "span.tag")]
        if "fulfilled" not in tags:
            self.fail(f"the order is not fulfilled (tags: {tags}; the page says: {' / '.join(self.notices())})")
        if self.driver.find_elements(By.XPATH, "//button[normalize-space()='Mark as fulfilled']"):
            self.fail("the fulfilled order still offers 'Mark as fulfilled'")
        self.ok(f"order {order_path} is fulfilled, and no longer offers 'Mark as fulfilled'")
        self.screenshot("order-fulfilled")

    def visit_owner_pages(self):
        self.step = "pages"
        for path, name, h1 in OWNER_PAGES:
            self.step = f"pages: {name}"
            self.open(f"{self.dashboard}{self.store_base}{path}")
            self.expect_page(h1=h1)
            self.ok(f"owner page {self.store_base}{path}: '{h1}'")
            self.screenshot(name)
        self.step = "pages: password"
        self.open(f"{self.dashboard}/password")
        self.expect_page(h1="Password")
        self.ok("owner page /password: 'Password'")
        self.screenshot("password")

    def mail_file(self):
        email = self.arguments.staff_email
        names = [email] + ([email.lower()] if email.lower() != email else [])
        return [os.path.join(self.arguments.mail_dir, f"{name}.link") for name in names]

    def read_mail(self, files):
        for file in files:
            try:
                with open(file, encoding="utf-8") as handle:
                    return file, handle.read().strip()
            except FileNotFoundError:
                continue
            except OSError as error:
                self.fail(f"could not read {file}: {error}")
        return None, None

    def invite_staff(self):
        self.step = "invite"
        email = self.arguments.staff_email
        _, self.earlier_link = self.read_mail(self.mail_file())  # a link from an earlier run is not this one
        self.open(f"{self.dashboard}{self.store_base}/staff")
        self.expect_page(h1="Staff")
        if self.arguments.owner_email.lower() not in self.main_text().lower():
            self.fail(f"the staff page does not list the owner {self.arguments.owner_email}")
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.stacked[action$='/staff']")),
                          "the invitation form")
        self.fill(form, "email", email)
        Select(form.find_element(By.NAME, "role")).select_by_value("staff")
        self.submit(form, self.button(form, "Send invitation"), "the invitation form")
        expected = f"Invitation sent to {email.lower()}"
        self.until(lambda d: expected.lower() in self.main_text().lower() or d.find_elements(By.CSS_SELECTOR, "main .field-error, main.error"),
                   f"'{expected}'")
        if expected.lower() not in self.main_text().lower():
            self.fail(f"the invitation was refused: {self.error_page() or ' / '.join(self.notices())}")
        pending = [collapse(item.text) for item in self.driver.find_elements(By.CSS_SELECTOR, "ul.plain li")]
        if not any(email.lower() in item.lower() and "as staff" in item for item in pending):
            self.fail(f"the staff page's invitations do not list {email} as staff ({pending})")
        self.ok(f"invited {email} as staff: '{expected}'")
        self.screenshot("staff-invited")

    def wait_for_invitation_link(self):
        files = self.mail_file()
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            file, link = self.read_mail(files)
            if link and link != self.earlier_link:
                return file, link
            if time.monotonic() >= deadline:
                where = " or ".join(files)
                self.fail(f"no invitation mail for {self.arguments.staff_email}: {where} "
                          + ("still holds the earlier link" if link else "was not written") + f" within {WAIT_SECONDS}s")
            time.sleep(0.1)

    def work_as_staff(self):
        self.step = "sign-out"
        topbar = self.driver.find_element(By.CSS_SELECTOR, "header.topbar")
        sign_out = topbar.find_element(By.CSS_SELECTOR, "form[action='/logout']")
        self.submit(sign_out, self.button(sign_out, "Sign out"), "'Sign out'")
        self.until(lambda d: self.at("/login"), "the sign-in page after signing out")
        self.page_ready()
        self.expect_page(h1="Sign in")
        self.ok(f"owner signed out: {self.path()}")
        self.screenshot("login")

        self.step = "invitation"
        file, link = self.wait_for_invitation_link()
        parsed = urlparse(link)
        if parsed.hostname != self.dashboard_host or not parsed.path.startswith("/invitations/"):
            self.fail(f"the invitation link in {file} is {link}: expected http://{self.dashboard_host}/invitations/…")
        # The mail names the dashboard's public address; the browser reaches it through the edge's port.
        url = urlunparse(("http", f"{self.dashboard_host}:{self.port}", parsed.path, "", parsed.query, ""))
        self.ok(f"invitation mail for {self.arguments.staff_email}: {link}")
        self.open(url)
        heading = self.expect_page()
        if not heading.startswith("Join"):
            self.fail(f"the invitation page's <h1> is '{heading}', expected 'Join …'")
        roles = [s.text.strip() for s in self.driver.find_elements(By.CSS_SELECTOR, "main strong")]
        if "staff" not in roles:
            self.fail(f"the invitation page does not name the role 'staff' (it says: {self.main_text()[:300]})")
        self.ok(f"invitation page: '{heading}' as staff")
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form[action^='/invitations/']")), "the invitation's form")
        self.fill(form, "password", self.arguments.staff_password)
        self.submit(form, self.button(form, "Accept and sign in"), "the invitation's form")

        self.step = "staff-overview"
        self.until(lambda d: self.at(self.store_base) or d.find_elements(By.CSS_SELECTOR, "main .field-error, main .notice, main.error"),
                   f"{self.store_base} after accepting the invitation")
        if not self.at(self.store_base):
            self.fail(f"accepting the invitation was refused: {self.error_page() or ' / '.join(self.notices())}")
        self.expect_page(h1="Overview")
        who = self.driver.find_element(By.CSS_SELECTOR, "header.topbar .email").text.strip()
        if who.lower() != self.arguments.staff_email.lower():
            self.fail(f"the dashboard is signed in as '{who}', not {self.arguments.staff_email}")
        role = collapse(self.driver.find_element(By.CSS_SELECTOR, "nav.areas .role-note").text)
        if not role.endswith("staff"):
            self.fail(f"the staff member's role note says '{role}'")
        self.ok(f"signed in as {who} ({role}) on {self.path()}")
        self.screenshot("staff-overview")

        self.step = "staff-orders"
        self.open(f"{self.dashboard}{self.store_base}/orders")
        self.expect_page(h1="Orders", status=200)
        row = next((r for r in self.rows() if SHOPPER["email"] in r.text), None)
        if row is None or "fulfilled" not in row.text:
            self.fail(f"the staff member's order list does not show the fulfilled order from {SHOPPER['email']}")
        self.ok(f"staff opens {self.store_base}/orders: '{collapse(row.text)}'")
        areas = self.driver.find_elements(By.CSS_SELECTOR, "nav.areas")
        if not areas:
            self.fail("the staff member's page has no store navigation (nav.areas)")
        titles = [a.text.strip() for a in areas[0].find_elements(By.TAG_NAME, "a")]
        barred = [title for title in titles if title in ("Staff", "Settings", "Checkout")]
        if barred:
            self.fail(f"the staff member's navigation links to {barred} ({titles})")
        for needed in ("Orders", "Products"):
            if needed not in titles:
                self.fail(f"the staff member's navigation has no '{needed}' ({titles})")
        self.ok(f"staff navigation: {', '.join(titles)} (no Staff, no Settings, no Checkout)")

        self.step = "staff-products"
        self.open(f"{self.dashboard}{self.store_base}/products")
        self.expect_page(h1="Products", texts=(PRODUCT["title"],), status=200)
        self.ok(f"staff opens {self.store_base}/products: '{PRODUCT['title']}' listed")

        self.step = "staff-forbidden"
        self.open(f"{self.dashboard}{self.store_base}/staff")
        if not self.driver.find_elements(By.CSS_SELECTOR, "main.error"):
            self.fail(f"the staff member opened {self.store_base}/staff: '{self.heading()}' instead of an error page")
        heading = self.heading()
        if heading != "Not allowed":
            self.fail(f"the staff member's {self.store_base}/staff is '{self.error_page()}', expected 'Not allowed'")
        if "does not open this page" not in self.main_text():
            self.fail(f"the refusal does not say why: {self.main_text()[:300]}")
        status = self.status()
        if status is not None and status != 403:
            self.fail(f"the refusal answered {status}, expected 403")
        answered = f"{status} " if status else ""
        self.ok(f"staff is refused {self.store_base}/staff: {answered}'{heading}' ({self.main_text()[:160]})")
        self.screenshot("staff-forbidden")


def page_excerpt(driver, limit=600):
    try:
        text = collapse(driver.find_element(By.TAG_NAME, "body").text)
    except WebDriverException:
        return "(no page)"
    return text[:limit] + ("…" if len(text) > limit else "")


def main():
    parser = argparse.ArgumentParser(description="Run a store from Lumora's merchant dashboard with headless Chromium.")
    parser.add_argument("--edge-port", type=int, required=True, help="the edge's HTTP port on 127.0.0.1")
    parser.add_argument("--root-domain", default="lumora.test", help="the landing host; it and hosts under it are mapped to 127.0.0.1")
    parser.add_argument("--store", required=True, help="the slug of the store to sign up, e.g. shoes")
    parser.add_argument("--owner-email", required=True, help="the new store owner's e-mail")
    parser.add_argument("--password", required=True, help="the owner's password (8 characters or more)")
    parser.add_argument("--staff-email", required=True, help="the e-mail to invite as staff")
    parser.add_argument("--staff-password", required=True, help="the staff member's password (8 characters or more)")
    parser.add_argument("--screenshots", required=True, help="directory for dashboard-<step>.png")
    parser.add_argument("--mail-dir", required=True, help="directory where the harness writes <recipient e-mail>.link per mail")
    parser.add_argument("--photo", required=True, help="a JPEG the merchant uploads as the product's picture")
    arguments = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # keep stdout and stderr in order in a pipe

    os.makedirs(arguments.screenshots, exist_ok=True)
    started = time.monotonic()
    driver = None
    check = None
    try:
        driver = start_browser(arguments.root_domain, arguments.edge_port, WAIT_SECONDS, "dashboard_check")
        check = DashboardCheck(driver, arguments)
        try:
            check.run()
        except (CheckFailed, WebDriverException) as error:
            message = error.msg if isinstance(error, WebDriverException) and error.msg else str(error)
            failure = os.path.join(arguments.screenshots, "dashboard-failed.png")
            try:
                if not driver.save_screenshot(failure):
                    failure = "(none)"
                url = driver.current_url
            except WebDriverException:
                failure, url = "(none)", "(unknown)"
            raise CheckFailed(f"step '{check.step}': {message}\n"
                              f"  at {url}\n"
                              f"  page: {page_excerpt(driver)}\n"
                              f"  screenshot: {failure}")
    except CheckFailed as error:
        if check:
            for warning in check.warnings:
                print(f"warn {warning}")
        print(f"FAIL {error}", file=sys.stderr)
        print(f"dashboard_check: failed after {time.monotonic() - started:.1f}s", file=sys.stderr)
        return 1
    finally:
        if driver is not None:
            driver.quit()

    for warning in check.warnings:
        print(f"warn {warning}")
    print(f"dashboard_check: {len(check.shots)} screenshots in {arguments.screenshots}, "
          f"{time.monotonic() - started:.1f}s")
    print("dashboard_check: all steps passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
