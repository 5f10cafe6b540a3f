"""The official Bitrix24 Python SDK (b24pysdk) as an existing integration would use it, pointed
at this CRM by changing only its webhook: run by tests/e2e/b24pysdk.rs against crm-host over
HTTPS (the test's CA in REQUESTS_CA_BUNDLE).

Environment: CRM_DOMAIN ("127.0.0.1:PORT"), CRM_SETUP_EMAIL and CRM_SETUP_PASSWORD: the
script makes the first administrator and two webhooks through the JSON API (one with the crm
and user scopes, one with crm only), then works through the SDK with only the webhook. Prints
one JSON object of what it saw; exits non-zero with the failed check on stderr. The CRM part (crm.lead.add/list,
crm.deal.add/list) runs when `methods` lists those methods, and says so in "crm".
"""

import json
import os
import sys

import requests

from b24pysdk import BitrixWebhook, Client
from b24pysdk.errors import BitrixAPIInsufficientScope, BitrixAPINotFound
from b24pysdk.errors.oauth import BitrixOAuthNoAuthFound


def check(condition, message):
    if not condition:
        print(f"check failed: {message}", file=sys.stderr)
        sys.exit(1)


def raises(kind, call):
    try:
        call()
    except kind as error:
        return type(error).__name__
    except Exception as error:  # noqa: BLE001 - name what came instead
        check(False, f"expected {kind.__name__}, got {type(error).__name__}: {error}")
    check(False, f"expected {kind.__name__}, nothing raised")


def setup(domain):
    """The administrator and two webhooks, through the JSON API: ("uid/token" of each)."""
    base = f"https://{domain}"
    answer = requests.post(
        f"{base}/api/auth/setup",
        json={"email": os.environ["CRM_SETUP_EMAIL"], "password": os.environ["CRM_SETUP_PASSWORD"], "name": "Anna Admin"},
        timeout=30,
    )
    check(answer.status_code == 201, f"setup: {answer.status_code} {answer.text}")
    bearer = {"authorization": f"Bearer {answer.json()['token']}"}
    hooks = []
    for name, scopes in [("SDK", ["crm", "user"]), ("SDK crm only", ["crm"])]:
        made = requests.post(f"{base}/api/rest-hooks", json={"name": name, "scopes": scopes}, headers=bearer, timeout=30)
        check(made.status_code == 201, f"hook: {made.status_code} {made.text}")
        hooks.append(made.json()["path"].removeprefix("/rest/").strip("/"))
    return hooks


def main():
    domain = os.environ["CRM_DOMAIN"]
    hook, crm_only = setup(domain)
    user_id = int(hook.split("/")[0])
    client = Client(BitrixWebhook(domain=domain, webhook_token=hook))
    seen = {}

    # The caller, as the SDK reads it (POST .../user.current.json with a JSON body).
    current = client.user.current()
    check(current.result["ID"] == str(user_id), f"user.current: {current.result}")
    check(current.time.duration >= 0 and current.time.date_start is not None, "time parsed")
    seen["user_current"] = current.result
    profile = client.profile()
    check(profile.result["ADMIN"] is True, f"profile: {profile.result}")
    seen["profile"] = profile.result

    # A batch of SDK requests, by key.
    batch = client.call_batch({"me": client.user.current(), "profile": client.profile()}).result
    check(batch.result["me"]["ID"] == str(user_id), f"batch: {batch.result}")
    check(batch.result["profile"]["ID"] == str(user_id), f"batch: {batch.result}")
    check(not batch.result_error, f"batch errors: {batch.result_error}")
    seen["batch_keys"] = sorted(batch.result)

    # Raw calls, and Bitrix24's errors as the SDK's exceptions.
    methods = client.get_token().call_method("methods", {})["result"]
    seen["methods"] = methods
    seen["errors"] = {
        "unknown_method": raises(BitrixAPINotFound, lambda: client.get_token().call_method("no.such.method", {})),
        "bad_token": raises(
            BitrixOAuthNoAuthFound,
            lambda: Client(BitrixWebhook(domain=domain, webhook_token=f"{user_id}/{'x' * 24}")).profile().result,
        ),
        "no_scope": raises(
            BitrixAPIInsufficientScope,
            lambda: Client(BitrixWebhook(domain=domain, webhook_token=crm_only)).user.current().result,
        ),
    }

    crm = ["crm.lead.add", "crm.lead.list", "crm.deal.add", "crm.deal.list"]
    check(all(method in methods for method in crm), f"the CRM methods are listed: {methods}")

    # Leads: add two (one with a phone), read them back by filter, and page through all.
    lead_id = client.crm.lead.add(
        fields={"TITLE": "SDK lead", "NAME": "Ivan", "PHONE": [{"VALUE": "+79991234567", "VALUE_TYPE": "WORK"}]},
    ).result
    check(isinstance(lead_id, int) and lead_id > 0, f"crm.lead.add: {lead_id!r}")
    second = client.crm.lead.add(fields={"TITLE": "SDK lead 2"}).result
    found = client.crm.lead.list(select=["ID", "TITLE"], filter={"ID": lead_id}).result
    check([row["TITLE"] for row in found] == ["SDK lead"], f"crm.lead.list by ID: {found}")
    every = client.crm.lead.list(select=["ID"], order={"ID": "ASC"}).as_list().result
    check({str(lead_id), str(second)} <= {row["ID"] for row in every}, f"crm.lead.list as_list: {every}")

    # Deals: add one with an amount, list it (the fast way: start=-1 and ID order).
    deal_id = client.crm.deal.add(fields={"TITLE": "SDK deal", "OPPORTUNITY": "1500.00", "CURRENCY_ID": "RUB"}).result
    check(isinstance(deal_id, int) and deal_id > 0, f"crm.deal.add: {deal_id!r}")
    deals = client.crm.deal.list(select=["ID", "TITLE", "OPPORTUNITY"], filter={"ID": deal_id}).result
    check(len(deals) == 1 and deals[0]["TITLE"] == "SDK deal", f"crm.deal.list: {deals}")
    fast = list(client.crm.deal.list(select=["ID"]).as_list_fast().result)
    check(str(deal_id) in [row["ID"] for row in fast], f"crm.deal.list as_list_fast: {fast}")
    seen["crm"] = {"lead_id": lead_id, "leads": len(every), "deal_id": deal_id, "deal": deals[0]}
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
