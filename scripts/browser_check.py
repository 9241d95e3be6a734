#!/usr/bin/env python3
"""Buys something in each store's storefront with a real, headless Chromium.

For every host: home page -> /products -> search -> first product -> add to cart -> cart -> checkout ->
confirmation, with a screenshot of each step (`<host>-<step>.png`). Also checks that each host
shows its own store's name. The storefront needs no JavaScript; this script only uses it to
look for images that failed to load.

Needs Debian's `chromium` and `chromium-driver` and the `selenium` Python module. Store hosts
(`<slug>.<root domain>`) are mapped to 127.0.0.1 inside Chromium, so no /etc/hosts entries are
needed.

    python3 scripts/browser_check.py --edge-port 8080 --root-domain lumora.test \
        --hosts acme.lumora.test,globex.lumora.test --screenshots .build/browser-screenshots

Exits 0 when every step passed; otherwise prints what failed (and where) and exits 1.
"""

import argparse
import os
from urllib.parse import urlparse
import re
import sys
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    from headless_chromium import CheckFailed, left_the_page, start_browser
except ImportError as error:  # pragma: no cover - environment problem, not a test failure
    print(f"browser_check: the selenium module is missing ({error}); try: pip install selenium", file=sys.stderr)
    sys.exit(2)

WAIT_SECONDS = 15

CUSTOMER = {
    "email": "grace.hopper@example.com",
    "first_name": "Grace",
    "last_name": "Hopper",
    "address_1": "1600 Pennsylvania Avenue NW",
    "city": "Washington",
    "postal_code": "20500",
    "country_code": "US",
}


class StoreCheck:
    """One host's walk through the storefront."""

    def __init__(self, driver, host, port, screenshots):
        self.driver = driver
        self.host = host
        self.base = f"http://{host}:{port}"
        self.screenshots = screenshots
        self.wait = WebDriverWait(driver, WAIT_SECONDS)
        self.step = "start"
        self.store_name = None
        self.product = None
        self.order_number = None
        self.warnings = []
        self.shots = []

    # -- helpers -----------------------------------------------------------------------------

    def fail(self, message):
        raise CheckFailed(message)

    def until(self, condition, what):
        try:
            return self.wait.until(condition)
        except TimeoutException:
            self.fail(f"timed out after {WAIT_SECONDS}s waiting for {what}")

    def open(self, path):
        self.driver.get(self.base + path)
        self.page_ready()

    def page_ready(self):
        self.until(lambda d: d.execute_script("return document.readyState") == "complete", "the page to load")
        network_error = self.driver.execute_script(
            "const page = document.querySelector('body.neterror');"
            "if (!page) return null;"
            "const code = document.querySelector('.error-code');"
            "return code ? code.textContent.trim() : 'network error';")
        if network_error:
            self.fail(f"Chromium could not load the page ({network_error}): is the edge listening, "
                      "and does --root-domain match the hosts?")
        errors = self.driver.find_elements(By.CSS_SELECTOR, "main.error")
        if errors:
            self.fail(f"the storefront showed an error page: {' '.join(errors[0].text.split())}")

    def heading(self):
        return self.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "main h1")), "the page's <h1>").text.strip()

    def screenshot(self, step):
        path = os.path.join(self.screenshots, f"{self.host}-{step}.png")
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

    def click_and_wait(self, element, url_part, what, exact=False):
        element.click()
        self.until(left_the_page(element), f"{what} to leave the page")
        if exact:
            # A form posted to /cart/add answers with a redirect to /cart: "contains /cart" would
            # already hold for the POST's own address, before the page we want has replaced it.
            self.until(lambda d: urlparse(d.current_url).path == url_part, f"the browser to reach {url_part}")
        else:
            self.until(EC.url_contains(url_part), f"the browser to reach {url_part}")
        self.page_ready()

    # -- the walk ----------------------------------------------------------------------------

    def run(self):
        self.step = "home"
        self.open("/")
        name = self.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".site-header .store-name")),
                          "the store's name in the header")
        self.store_name = name.text.strip()
        if not self.store_name:
            self.fail("the header shows no store name")
        self.screenshot("home")

        self.step = "products"
        self.open("/products")
        cards = self.driver.find_elements(By.CSS_SELECTOR, "ul.grid li.card a")
        if not cards:
            self.fail("/products lists no product cards")
        first = cards[0]
        self.product = first.find_element(By.TAG_NAME, "h3").text.strip()
        self.screenshot("products")

        self.step = "search"
        box = self.until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".site-header form.search input[name=q]")), "the search box")
        box.clear()
        box.send_keys(self.product)
        button = self.driver.find_element(By.CSS_SELECTOR, ".site-header form.search button")
        self.click_and_wait(button, "q=", "the search button")
        found = [card.find_element(By.TAG_NAME, "h3").text.strip() for card in self.driver.find_elements(By.CSS_SELECTOR, "ul.grid li.card a")]
        if self.product not in found:
            self.fail(f"searching for '{self.product}' found {found}")
        self.screenshot("search")
        self.open("/products")
        first = self.driver.find_elements(By.CSS_SELECTOR, "ul.grid li.card a")[0]

        self.step = "product"
        self.click_and_wait(first, "/products/", f"the link to '{self.product}'")
        title = self.heading()
        if title != self.product:
            self.fail(f"the product page's title is '{title}', but the card said '{self.product}'")
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.add-to-cart")),
                          "the 'Add to cart' form (is the product sold out?)")
        radios = [r for r in form.find_elements(By.CSS_SELECTOR, "input[type=radio][name=variant_id]") if r.is_enabled()]
        if not radios:
            self.fail("no variant can be chosen: every variant radio is disabled")
        if not radios[0].is_selected():
            radios[0].click()
        self.until(lambda d: radios[0].is_selected(), "the first variant to be selected")
        quantity = form.find_element(By.CSS_SELECTOR, "input[name=quantity]")
        quantity.clear()
        quantity.send_keys("2")
        self.screenshot("product")

        self.step = "cart"
        add = form.find_element(By.XPATH, ".//button[normalize-space()='Add to cart']")
        self.click_and_wait(add, "/cart", "the 'Add to cart' button", exact=True)
        if self.heading() != "Your cart":
            self.fail(f"after 'Add to cart' the page is '{self.heading()}', not the cart")
        notices = self.driver.find_elements(By.CSS_SELECTOR, "main .notice")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "table.cart tbody tr")
        if not any(self.product in row.text for row in rows):
            notice = f" (notice: {notices[0].text})" if notices else ""
            self.fail(f"the cart does not list '{self.product}'{notice}")
        row = next(row for row in rows if self.product in row.text)
        in_cart = row.find_element(By.CSS_SELECTOR, "input[name=quantity]").get_attribute("value")
        if in_cart != "2":
            self.fail(f"the cart holds {in_cart} of '{self.product}', expected 2")
        self.screenshot("cart")
        # The header counts the cart's items, on the cart and on cached catalog pages alike.
        for path in (None, "/products"):
            if path:
                self.open(path)
            count = self.driver.find_element(By.CSS_SELECTOR, ".site-header .cart-count").text.strip()
            if count != "2":
                self.fail(f"the header's cart count on {self.driver.current_url} is '{count}', expected 2")
        self.open("/cart")

        self.step = "checkout"
        checkout = self.until(EC.element_to_be_clickable((By.XPATH, "//main//a[normalize-space()='Check out']")),
                              "the 'Check out' link")
        self.click_and_wait(checkout, "/checkout", "the 'Check out' link")
        form = self.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.address")), "the address form")
        for field, value in CUSTOMER.items():
            box = form.find_element(By.NAME, field)
            box.clear()
            box.send_keys(value)
        self.screenshot("checkout")

        self.step = "shipping"
        onward = form.find_element(By.XPATH, ".//button[normalize-space()='Continue to shipping']")
        onward.click()
        try:
            self.wait.until(left_the_page(onward))
        except TimeoutException:
            invalid = self.driver.execute_script(
                "return Array.from(document.querySelectorAll('form.address :invalid')).map(e => e.name);")
            self.fail(f"'Continue to shipping' did not submit the form (invalid fields: {invalid})")
        self.until(lambda d: "/checkout/shipping" in d.current_url or d.find_elements(By.CSS_SELECTOR, "main .notice"),
                   "the shipping page")
        self.page_ready()
        if "/checkout/shipping" not in self.driver.current_url:
            notices = self.driver.find_elements(By.CSS_SELECTOR, "main .notice")
            self.fail(f"'Continue to shipping' led to {self.driver.current_url}"
                      + (f" with the notice: {notices[0].text}" if notices else ""))
        if not self.driver.find_elements(By.CSS_SELECTOR, "dl.totals dd.total"):
            self.fail("the shipping page shows no total")
        self.screenshot("shipping")

        self.step = "confirmation"
        place = self.until(EC.element_to_be_clickable((By.XPATH, "//main//button[normalize-space()='Place order']")), "the 'Place order' button")
        place.click()
        try:
            self.wait.until(left_the_page(place))
        except TimeoutException:
            self.fail("'Place order' did not submit the form")
        # The POST answers with a redirect: wait for the confirmation (or a refusal) to load
        # before reading it, or the page can be swapped out under us.
        self.until(lambda d: "/order/confirmation" in d.current_url or d.find_elements(By.CSS_SELECTOR, "main .notice"),
                   "the order to be placed")
        self.page_ready()
        if "/order/confirmation" not in self.driver.current_url:
            notices = self.driver.find_elements(By.CSS_SELECTOR, "main .notice")
            self.fail(f"'Place order' led to {self.driver.current_url}"
                      + (f" with the notice: {notices[0].text}" if notices else ""))
        if self.heading() != "Thank you for your order":
            self.fail(f"the confirmation page says '{self.heading()}'")
        number = self.driver.find_element(By.CSS_SELECTOR, "strong.order-number").text.strip()
        if not re.fullmatch(r"#\S+", number):
            self.fail(f"the confirmation shows no order number (got '{number}')")
        self.order_number = number
        main = self.driver.find_element(By.TAG_NAME, "main").text
        for expected in (self.product, CUSTOMER["email"]):
            if expected not in main:
                self.fail(f"the confirmation does not mention '{expected}'")
        header = self.driver.find_element(By.CSS_SELECTOR, ".site-header .store-name").text.strip()
        if header != self.store_name:
            self.fail(f"the confirmation's header says '{header}', the home page said '{self.store_name}'")
        self.screenshot("confirmation")


def main():
    parser = argparse.ArgumentParser(description="Buy one product in each store with headless Chromium.")
    parser.add_argument("--edge-port", type=int, required=True, help="the edge's HTTP port on 127.0.0.1")
    parser.add_argument("--hosts", required=True, help="comma-separated store hosts, e.g. acme.lumora.test,globex.lumora.test")
    parser.add_argument("--screenshots", required=True, help="directory for <host>-<step>.png")
    parser.add_argument("--root-domain", default="lumora.test", help="hosts under it are mapped to 127.0.0.1")
    arguments = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # keep stdout and stderr in order in a pipe

    hosts = [host.strip() for host in arguments.hosts.split(",") if host.strip()]
    if not hosts:
        parser.error("--hosts names no host")
    os.makedirs(arguments.screenshots, exist_ok=True)

    started = time.monotonic()
    checks = []
    driver = None
    try:
        driver = start_browser(arguments.root_domain, arguments.edge_port, WAIT_SECONDS, "browser_check")
        for host in hosts:
            check = StoreCheck(driver, host, arguments.edge_port, arguments.screenshots)
            checks.append(check)
            try:
                check.run()
            except (CheckFailed, WebDriverException) as error:
                message = error.msg if isinstance(error, WebDriverException) and error.msg else str(error)
                failure = os.path.join(arguments.screenshots, f"{host}-failure.png")
                try:
                    driver.save_screenshot(failure)
                except WebDriverException:
                    failure = "(none)"
                raise CheckFailed(f"{host}, step '{check.step}': {message}\n"
                                  f"  at {driver.current_url}\n  screenshot: {failure}")
            print(f"ok   {host}: store '{check.store_name}', bought 2 x '{check.product}', order {check.order_number}")
            for warning in check.warnings:
                print(f"warn {host}: {warning}")

        names = {}
        for check in checks:
            names.setdefault(check.store_name, []).append(check.host)
        shared = {name: owners for name, owners in names.items() if len(owners) > 1}
        if shared:
            raise CheckFailed("hosts show the same store name: "
                              + "; ".join(f"'{name}' on {', '.join(owners)}" for name, owners in shared.items()))
    except CheckFailed as error:
        print(f"FAIL {error}", file=sys.stderr)
        print(f"browser_check: failed after {time.monotonic() - started:.1f}s", file=sys.stderr)
        return 1
    finally:
        if driver is not None:
            driver.quit()

    shots = sum(len(check.shots) for check in checks)
    print(f"browser_check: {len(checks)} stores, {len(checks)} orders placed, {shots} screenshots in "
          f"{arguments.screenshots}, {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
