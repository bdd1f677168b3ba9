"""A browser of the hub's admin app for the Flask test client: follows forms with their
CSRF token."""
import re

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Admin:
    """A browser of the admin app: follows forms with their CSRF token."""

    def __init__(self, client):
        self.client = client

    def token(self, path):
        page = self.client.get(path).get_data(as_text=True)
        return TOKEN.search(page)[1]

    def submit(self, path, data, status=None, form_page=None):
        response = self.client.post(path, data={**data,
                                                "csrf_token": self.token(form_page or path)})
        if status is not None:
            assert response.status_code == status, response.get_data(as_text=True)[:500]
        return response

    def forged(self, path, data):
        """Post ``data`` without the form's CSRF token, as another site could: refused."""
        response = self.client.post(path, data=data)
        assert response.status_code == 400, response.status_code
        assert "did not come from this site" in response.get_data(as_text=True)

    def sign_in(self, username, password=PASSWORD):
        return self.submit("/sign-in", {"username": username, "password": password})

    def page(self, path, status=200):
        response = self.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)


def sign_in_browser(hub, url, username, password=PASSWORD):
    """In a real browser (a ``tests.edge.browser.Screen``): open ``url``, which asks to
    sign in first, and sign in."""
    hub.page.goto(url)
    hub("username").fill(username)
    hub("password").fill(password)
    with hub.page.expect_navigation():  # to the page's load: its scripts (htmx) have run
        hub.tap("sign-in")
