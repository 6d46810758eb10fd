#!/usr/bin/env python3
"""Writes the JSON seed corpora of the fuzz targets (tests/fuzz/corpus/{gemini_reply,
session_record}): ordinary replies and records, and every hostile input of issue 13 in a small
form (nesting 10 000 levels deep is 20 KB; the limit is 64). The model corpora (forest_model,
dlib_model) are binary/YAML files written once by make-model-seeds.cpp. Run from anywhere:
    python3 tests/fuzz/make-corpus.py
"""
import json
import os

here = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(here, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def reply(text, finish="STOP"):
    return json.dumps({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                       "finishReason": finish, "index": 0}],
                       "usageMetadata": {"promptTokenCount": 42},
                       "modelVersion": "gemini-2.5-flash", "responseId": "r"})


g = "gemini_reply"
put(g, "ok.json", reply("Se te ve relajado: disfruta de la cena."))
put(g, "thought.json", json.dumps({"candidates": [{"content": {"parts": [
    {"text": "thinking", "thought": True}, {"text": "Answer."}]}, "finishReason": "STOP"}]}))
put(g, "max-tokens.json", reply("", "MAX_TOKENS").replace('"text": ""', '"x": 1'))
put(g, "blocked-prompt.json", json.dumps({"promptFeedback": {"blockReason": "SAFETY"}}))
put(g, "blocked-reply.json", json.dumps({"candidates": [{"finishReason": "RECITATION",
                                                         "finishMessage": "m"}]}))
put(g, "error-429.json", json.dumps({"error": {"code": 429, "message": "quota",
    "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]}}))
put(g, "malformed.json", reply("cut")[:30])
put(g, "nul-in-text.json", reply("before\u0000after"))  # json.dumps writes \u0000
put(g, "deep-arrays.json", "{\"candidates\":" + "[" * 10000 + "]" * 10000 + "}")
put(g, "deep-objects.json", "{\"a\":" * 2000 + "1" + "}" * 2000)
put(g, "escapes.json", reply('quote \" backslash \\\\ [[[ {{{ \\u00e9'))

s = "session_record"
record = {"session": "c576ee3f", "index": 0, "start": 0, "end": 10000000000,
          "duration": 10000000000, "stream_start": 0, "sample_interval": 1000000000,
          "closed_by": "full", "timeline": ["sadness", "happiness", "none"],
          "counts": {"happiness": 1, "none": 1, "sadness": 1}, "face_share": 0.6667,
          "dominant": "sadness", "frames": 240, "face_frames": 174, "context": "una cena",
          "language": "es", "model": "gemini-2.5-flash",
          "prompt": {"system_instruction": "Eres un asistente", "user_text": "Tema: una cena"},
          "analysis": {"state": "ok", "text": "Disfruta.", "detail": "", "http_status": 200,
                       "error_status": "", "attempts": 1, "model_version": "gemini-2.5-flash",
                       "retryable": False}}
put(s, "record.json", json.dumps(record))


def variant(name, **changes):
    r = json.loads(json.dumps(record))
    r.update(changes)
    put(s, name, json.dumps(r))


variant("int64-times.json", start=-2**63, end=2**63 - 1)
variant("end-before-start.json", start=10, end=5)
variant("counts-string.json", counts={"happiness": "1"})
variant("counts-array.json", counts={"happiness": [1]})
variant("counts-object.json", counts={"happiness": {"n": 1}})
variant("negative-index.json", index=-1)
variant("pending.json", analysis=dict(record["analysis"], state="pending", http_status=0))
put(s, "deep.json", "{\"session\":" + "[" * 10000 + "]" * 10000 + "}")
put(s, "cut.json", json.dumps(record)[:100])
