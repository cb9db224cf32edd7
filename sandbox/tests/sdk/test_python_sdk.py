"""The official Weavz Python client (weavz-io-sdk) against a running weavz-sandbox.

Run by `cargo xtask test` inside a virtualenv that has requirements.txt installed;
WEAVZ_SANDBOX_BIN names the binary to start.
"""

import os
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

        # The end user fills in the hosted form (what the popup does in a browser).
        res = httpx.post(
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


if __name__ == "__main__":
    unittest.main()
