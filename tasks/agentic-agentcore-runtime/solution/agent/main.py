"""The reference helpdesk agent for AgentCore Runtime: the HTTP contract (/ping, /invocations on
port 8080) with the standard library, memory and the model through boto3 (its only dependency).

Each turn it reads the user's long-term facts (extracted by the memory's semantic strategy into
/facts/{actorId}) and this session's earlier turns, asks the model, and saves the turn as events.
"""
import json
import os
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

MEMORY_ID = os.environ["MEMORY_ID"]
MODEL_ID = os.environ.get("MODEL_ID", "amazon.nova-lite-v1:0")
memory = boto3.client("bedrock-agentcore")
model = boto3.client("bedrock-runtime")


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
    system = "You are Northwind's IT helpdesk assistant. Be brief."
    if known:
        system += " What you know about this user from earlier conversations:\n- " + "\n- ".join(known)
    messages = history(actor_id, session_id) + [{"role": "user", "content": [{"text": prompt}]}]
    res = model.converse(modelId=MODEL_ID, system=[{"text": system}], messages=messages)
    reply = res["output"]["message"]["content"][0]["text"]
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
