"""The reference helpdesk agent for AgentCore Runtime: the HTTP contract (/ping, /invocations on
port 8080) with the standard library, memory through boto3, and a Strands agent whose only tools are
the gateway's, reached as an MCP client with a token of the sandbox's helpdesk-agent app client.

Each turn it reads the user's long-term facts (extracted by the memory's semantic strategy into
/facts/{actorId}) and this session's earlier turns, lets the model answer (calling the gateway's
get_ticket_status tool for ticket questions), and saves the turn as events. The runtime's role may not
read the tickets table or invoke the tool's function: tickets come only through the gateway.
"""
import base64
import json
import os
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from mcp.client.streamable_http import streamablehttp_client
from strands import Agent
from strands.models import BedrockModel
from strands.tools.mcp import MCPClient

MEMORY_ID = os.environ["MEMORY_ID"]
MODEL_ID = os.environ.get("MODEL_ID", "amazon.nova-lite-v1:0")
GATEWAY_URL = os.environ["GATEWAY_URL"]
USER_POOL_ID = os.environ["USER_POOL_ID"]
AGENT_CLIENT_ID = os.environ["AGENT_CLIENT_ID"]
memory = boto3.client("bedrock-agentcore")
cognito = boto3.client("cognito-idp")
_token = {"value": None, "expires": 0.0}
_token_lock = threading.Lock()


def gateway_token():
    """An access token of the helpdesk-agent app client (client-credentials grant), renewed a minute before it expires."""
    with _token_lock:
        if _token["value"] and time.time() < _token["expires"] - 60:
            return _token["value"]
        domain = cognito.describe_user_pool(UserPoolId=USER_POOL_ID)["UserPool"]["Domain"]
        secret = cognito.describe_user_pool_client(UserPoolId=USER_POOL_ID, ClientId=AGENT_CLIENT_ID)["UserPoolClient"]["ClientSecret"]
        region = USER_POOL_ID.split("_")[0]
        request = urllib.request.Request(
            f"https://{domain}.auth.{region}.amazoncognito.com/oauth2/token",
            data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
            headers={
                "content-type": "application/x-www-form-urlencoded",
                "authorization": "Basic " + base64.b64encode(f"{AGENT_CLIENT_ID}:{secret}".encode()).decode(),
            },
        )
        with urllib.request.urlopen(request, timeout=10) as res:
            body = json.load(res)
        _token.update(value=body["access_token"], expires=time.time() + body["expires_in"])
        return _token["value"]


def facts(actor_id, prompt):
    res = memory.retrieve_memory_records(
        memoryId=MEMORY_ID, namespace=f"/facts/{actor_id}", searchCriteria={"searchQuery": prompt, "topK": 5}
    )
    return [r["content"]["text"] for r in res.get("memoryRecordSummaries", [])]


def history(actor_id, session_id):
    res = memory.list_events(memoryId=MEMORY_ID, actorId=actor_id, sessionId=session_id, includePayloads=True, maxResults=20)
    turns = []
    for event in sorted(res.get("events", []), key=lambda e: e["eventTimestamp"]):
        for item in event.get("payload", []):
            conv = item.get("conversational")
            if conv:
                turns.append({"role": conv["role"].lower(), "content": [{"text": conv["content"]["text"]}]})
    return turns


def answer(prompt, actor_id, session_id):
    known = facts(actor_id, prompt)
    system = (
        "You are Northwind's IT helpdesk assistant. Be brief. For any question about a ticket, look it up with"
        " the get_ticket_status tool and never guess; give the status and the update reference it returns."
    )
    if known:
        system += " What you know about this user from earlier conversations:\n- " + "\n- ".join(known)
    # The gateway is an MCP server over streamable HTTP; its JWT authoriser admits only this app client's tokens.
    gateway = MCPClient(lambda: streamablehttp_client(GATEWAY_URL, headers={"Authorization": f"Bearer {gateway_token()}"}))
    with gateway:
        agent = Agent(
            model=BedrockModel(model_id=MODEL_ID),
            system_prompt=system,
            messages=history(actor_id, session_id),
            tools=gateway.list_tools_sync(),
            callback_handler=None,
        )
        reply = str(agent(prompt)).strip()
    memory.create_event(
        memoryId=MEMORY_ID,
        actorId=actor_id,
        sessionId=session_id,
        eventTimestamp=datetime.now(timezone.utc),
        payload=[
            {"conversational": {"role": "USER", "content": {"text": prompt}}},
            {"conversational": {"role": "ASSISTANT", "content": {"text": reply}}},
        ],
    )
    return reply


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/ping":
            self._send(200, {"status": "Healthy"})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self):
        if self.path != "/invocations":
            return self._send(404, {"error": "not found"})
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
        session_id = self.headers.get("X-Amzn-Bedrock-AgentCore-Runtime-Session-Id", "default-session-0000000000000000000")
        self._send(200, {"result": answer(body["prompt"], body.get("actorId", "anonymous"), session_id)})


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
