"""The official Weavz Python client (weavz-io-sdk) against a running weavz-sandbox.

Run by `cargo xtask test` inside a virtualenv that has requirements.txt installed;
WEAVZ_SANDBOX_BIN names the binary to start.
"""

import html
import json
import os
import re
import subprocess
import unittest

import httpx
from weavz_sdk import WeavzClient
from weavz_sdk.errors import WeavzError

WORKSPACE = "5a4d0b0e-0000-4000-8000-000000000001"


class SandboxProcess:
    def __init__(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("WEAVZ_")}
        self.proc = subprocess.Popen(
            [os.environ["WEAVZ_SANDBOX_BIN"], "--host-port", "0", "--connect-port", "0", "--provider-port", "0"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.urls = {}
        while "workspace" not in self.urls:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("weavz-sandbox exited before printing its URLs")
            key, _, value = line.strip().partition(": ")
            self.urls[key] = value

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


class PythonSdkAgainstSandbox(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sandbox = SandboxProcess()
        cls.connect = cls.sandbox.urls["connect"]
        cls.client = WeavzClient(api_key=cls.sandbox.urls["api key"], base_url=cls.connect, max_retries=0)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.sandbox.stop()

    def test_end_user_token_poll_and_connections(self):
        created = self.client.end_users.create(workspace_id=WORKSPACE, external_id="py-user", display_name="Py")
        end_user = created["endUser"]
        self.assertEqual(end_user["externalId"], "py-user")
        self.assertEqual(self.client.end_users.get(end_user["id"])["endUser"]["id"], end_user["id"])
        listed = self.client.end_users.list(WORKSPACE)
        self.assertEqual(listed["total"], 1)

        token = self.client.connect.create_token(
            integration_name="openai",
            connection_name="OpenAI for Py",
            external_id="py-openai",
            workspace_id=WORKSPACE,
            end_user_id="py-user",
        )
        self.assertTrue(token["token"].startswith("cst_"))
        self.assertTrue(token["connectUrl"].startswith(self.connect + "/connect?token="))
        self.assertEqual(self.client.connect.poll(token["token"])["status"], "PENDING")

        # The end user opens the hosted form and fills it in (what the popup does in a
        # browser); the form is bound to the browser (cookie) that opened it.
        with httpx.Client(follow_redirects=False) as browser:
            self.assertEqual(browser.get(token["connectUrl"]).status_code, 200)
            res = browser.post(
                self.connect + "/connect/submit",
                data={"token": token["token"], "secretText": "sk-python-0123456789abcdef"},
            )
            self.assertEqual(res.status_code, 200)

        done = self.client.connect.wait(token["token"], timeout=10, interval=0.2)
        self.assertEqual(done["status"], "COMPLETED")
        self.assertEqual(done["integrationName"], "openai")
        self.assertEqual(done["externalId"], "py-openai")

        session = self.client.connect.get_session(token["token"])["session"]
        self.assertEqual(session["connectionId"], done["connectionId"])

        connections = self.client.connections.list()
        self.assertEqual(connections["total"], 1)
        connection = connections["connections"][0]
        self.assertEqual(connection["id"], done["connectionId"])
        self.assertEqual(connection["endUserId"], "py-user")
        self.assertEqual(self.client.connections.get(connection["id"])["connection"]["type"], "SECRET_TEXT")

        portal = self.client.end_users.create_connect_token(end_user["id"], integration_name="slack")
        self.assertTrue(portal["token"].startswith("eut_"))

        deleted = self.client.connections.delete(connection["id"])
        self.assertEqual(deleted, {"deleted": True, "id": connection["id"]})
        self.assertEqual(self.client.connections.list()["total"], 0)

    def test_integrations(self):
        full = self.client.integrations.list()
        self.assertGreaterEqual(full["total"], 6)
        names = {i["name"] for i in full["integrations"]}
        self.assertTrue({"slack", "github", "google-sheets", "openai", "smtp"} <= names)
        summary = self.client.integrations.list_summary()
        self.assertEqual(summary["total"], full["total"])
        self.assertEqual({i["auth"]["type"] for i in summary["integrations"]},
                         {"OAUTH2", "SECRET_TEXT", "BASIC_AUTH", "CUSTOM_AUTH"})
        self.assertEqual(self.client.integrations.get("slack")["integration"]["displayName"], "Slack")
        with self.assertRaises(WeavzError) as ctx:
            self.client.integrations.get("myspace")
        self.assertEqual(ctx.exception.code, "INTEGRATION_NOT_FOUND")

    def test_errors_come_back_as_weavz_errors(self):
        with self.assertRaises(WeavzError) as ctx:
            self.client.connect.create_token(
                integration_name="myspace", connection_name="x", external_id="x", workspace_id=WORKSPACE
            )
        self.assertEqual((ctx.exception.status, ctx.exception.code), (404, "INTEGRATION_NOT_FOUND"))

        with self.assertRaises(WeavzError) as ctx:
            self.client.connect.poll("cst_unknown")
        self.assertEqual((ctx.exception.status, ctx.exception.code), (401, "INVALID_TOKEN"))

        bad = WeavzClient(api_key="wvz_wrong", base_url=self.connect, max_retries=0)
        with self.assertRaises(WeavzError) as ctx:
            bad.connections.list()
        bad.close()
        self.assertEqual((ctx.exception.status, ctx.exception.code), (401, "UNAUTHORIZED"))


# The workspace the seed's examples use; the sandbox accepts any workspace UUID.
SEED_WORKSPACE = "550e8400-e29b-41d4-a716-446655440000"
OTHER_WORKSPACE = "5a4d0b0e-0000-4000-8000-0000000000ff"
ALPHA_KEY = "sk-proj-alpha-0123456789abcdef"


def authorize_in_portal(connect_url, integration):
    """What the end user does in the portal popup: pick the integration, approve it at
    the provider. Returns the finish page's weavz-connect-result message."""
    with httpx.Client(follow_redirects=False) as http:
        portal = http.get(connect_url)
        assert portal.status_code == 200, portal.text
        token = re.search(r'name="token" value="([^"]+)"', portal.text).group(1)
        start = http.post(connect_url.split("/connect/portal")[0] + "/connect/portal/start",
                          data={"token": html.unescape(token), "integration": integration})
        assert start.status_code == 303, start.text
        # The connect page is an interstitial whose script goes on to the provider.
        to_provider = http.get(start.headers["location"])
        assert to_provider.status_code == 200, to_provider.text
        page = re.search(r'<script type="application/json" id="weavz-page">(.*?)</script>',
                         to_provider.text, re.S).group(1)
        authorize = json.loads(page)["next"]
        consent = http.get(authorize)
        assert consent.status_code == 200, consent.text
        request = re.search(r'name="request" value="([^"]+)"', consent.text).group(1)
        action = re.search(r'action="([^"]+)"', consent.text).group(1)
        provider = authorize.split("/oauth/")[0]
        decided = http.post(provider + html.unescape(action),
                            data={"request": html.unescape(request), "decision": "approve"})
        assert decided.status_code == 303, decided.text
        finish = http.get(decided.headers["location"])
        assert finish.status_code == 200, finish.text
        data = re.search(r'<script type="application/json" id="weavz-result">(.*?)</script>',
                         finish.text, re.S).group(1)
        return json.loads(data)["message"]


class SeedExamplesAgainstSandbox(unittest.TestCase):
    """The seed's Python examples for end users and connections with external IDs, run
    with only the base URL and the API key changed."""

    @classmethod
    def setUpClass(cls):
        cls.sandbox = SandboxProcess()
        cls.connect = cls.sandbox.urls["connect"]
        cls.client = WeavzClient(api_key=cls.sandbox.urls["api key"], base_url=cls.connect)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.sandbox.stop()

    def test_end_user_portal_and_connection_by_external_id(self):
        client = self.client

        # Register the end user
        result = client.end_users.create(
            workspace_id=SEED_WORKSPACE,
            external_id="user_456",
            display_name="Alice Johnson",
        )
        end_user = result["endUser"]
        # Generate a connect URL for Slack
        result = client.end_users.create_connect_token(
            end_user["id"],
            integration_name="slack",
        )
        connect_url = result["connectUrl"]
        # Open connect_url in a popup for the user to authorize

        self.assertEqual((end_user["externalId"], end_user["displayName"]), ("user_456", "Alice Johnson"))
        self.assertEqual(end_user["workspaceId"], SEED_WORKSPACE)
        self.assertTrue(result["token"].startswith("eut_"))
        self.assertTrue(connect_url.startswith(self.connect + "/connect/portal?token="))

        # The end user approves Slack; the portal tells the opener, with endUserId.
        message = authorize_in_portal(connect_url, "slack")
        self.assertEqual(message["type"], "weavz-connect-result")
        self.assertEqual(message["status"], "success")
        self.assertEqual(message["integrationName"], "slack")
        self.assertEqual(message["endUserId"], "user_456")
        slack_id = message["connectionId"]

        # Linked to the end user automatically; found again by their externalId.
        got = client.end_users.get(end_user["id"])
        self.assertEqual(got["endUser"]["connectionCount"], 1)
        self.assertEqual([c["id"] for c in got["connections"]], [slack_id])
        slack = client.connections.resolve(
            integration_name="slack", workspace_id=SEED_WORKSPACE, end_user_id="user_456"
        )["connection"]
        self.assertEqual((slack["id"], slack["scope"], slack["endUserId"]), (slack_id, "USER", "user_456"))

        # A connection with a stable external ID
        result = client.connections.create(
            type="SECRET_TEXT",
            integration_name="openai",
            workspace_id=SEED_WORKSPACE,
            external_id="conn_project_alpha_openai",
            display_name="Project Alpha OpenAI",
            secret_text=ALPHA_KEY,
        )
        connection = result["connection"]
        # Resolve it by external ID
        result = client.connections.resolve(
            integration_name="openai",
            workspace_id=SEED_WORKSPACE,
            external_id="conn_project_alpha_openai",
        )
        resolved = result["connection"]

        self.assertEqual(resolved, connection)
        self.assertEqual(resolved["type"], "SECRET_TEXT")
        self.assertEqual(resolved["externalId"], "conn_project_alpha_openai")
        self.assertEqual((resolved["scope"], resolved["workspaceId"]), ("WORKSPACE", SEED_WORKSPACE))
        self.assertEqual(client.connections.get(connection["id"])["connection"]["id"], connection["id"])
        for answer in (connection, resolved, client.connections.list()):
            self.assertNotIn(ALPHA_KEY, json.dumps(answer))

        # Resolution from another workspace is rejected.
        with self.assertRaises(WeavzError) as ctx:
            client.connections.resolve(
                integration_name="openai",
                workspace_id=OTHER_WORKSPACE,
                external_id="conn_project_alpha_openai",
            )
        self.assertEqual((ctx.exception.status, ctx.exception.code), (403, "SCOPE_DENIED"))

        # The same external ID twice in one workspace is a conflict.
        with self.assertRaises(WeavzError) as ctx:
            client.connections.create(
                type="SECRET_TEXT", integration_name="openai", workspace_id=SEED_WORKSPACE,
                external_id="conn_project_alpha_openai", display_name="Again", secret_text=ALPHA_KEY,
            )
        self.assertEqual((ctx.exception.status, ctx.exception.code), (409, "DUPLICATE"))

        with self.assertRaises(WeavzError) as ctx:
            client.connections.resolve(
                integration_name="openai", workspace_id=SEED_WORKSPACE, external_id="conn_project_beta_openai"
            )
        self.assertEqual((ctx.exception.status, ctx.exception.code), (404, "CONNECTION_NOT_FOUND"))

        # Deleting the end user deletes their connections, not the workspace's.
        self.assertEqual(client.end_users.delete(end_user["id"]), {"deleted": True, "id": end_user["id"]})
        remaining = [c["id"] for c in client.connections.list()["connections"]]
        self.assertEqual(remaining, [connection["id"]])


if __name__ == "__main__":
    unittest.main()
