# SPDX-License-Identifier: MIT
"""The seed's side of benchmark W1, run by bench_w1 (or by hand) to measure the
Python reference implementation on the same machine in the same run.

It imports the seed from SHARED/seed/runnable, builds the W1 events with
Event.from_parts (A authors x N events, the same payloads, stamps and author
ids as bench_w1.c, minus our feed.open), and prints one JSON object:

  mode "measure": in-memory ingest rate one event at a time (FeedStore.ingest,
                  which checks the id) and through FeedStore.ingest_many, per
                  wall second and per CPU second; the view time (materialize + json.dumps(indent=2, sort_keys=True),
                  best of 3) and the view text's SHA-256, so the caller can check
                  that both implementations print the same bytes.
  mode "rss":     peak RSS (ru_maxrss) of a process that builds the events,
                  ingests them and prints the view once; run it in a fresh
                  process so nothing else counts.

Nothing here is timed except the calls named above; building events is not.
"""
import argparse
import hashlib
import json
import os
import resource
import sys
import time

T0_MS = 1764000000000  # the W1 clock start


def w1_events(Event, authors, n):
    """The W1 events, author-major. One shared clock ticks 1 ms per event
    round-robin over the authors; slot 0 of each author is where bench_w1.c
    puts its feed.open, so the same event carries the same stamp in both."""
    count = len(authors)
    out = []
    for i, author in enumerate(authors):
        prev = ""
        rid = ""
        for k in range(n):
            if k % 10 == 0:
                rid = "R-%d-%d" % (i, k)
                kind, payload = "record.create", {"record_id": rid, "form": "site_assessment",
                                                  "by": author}
            elif k % 50 == 49:
                kind, payload = "note.add", {"record_id": rid, "text": "note %d" % k}
            else:
                kind, payload = "field.set", {"record_id": rid, "field": "f%d" % (k % 7),
                                              "value": k}
            ev = Event.from_parts(author=author, seq=k + 1, hlc=(T0_MS + (k + 1) * count + i, 0),
                                  kind=kind, payload=payload, prev=prev)
            prev = ev.id
            out.append(ev)
    return out


def author_ids(count, given):
    if given:
        ids = given.split(",")
        if len(ids) != count:
            sys.exit("seed_w1.py: --author-ids has %d ids, --authors says %d" % (len(ids), count))
        return ids
    return [hashlib.sha256(b"w1-author-%d" % i).hexdigest()[:32] for i in range(count)]


def view_text(materialize, store):
    return json.dumps(materialize(store.all_events()), indent=2, sort_keys=True)


class Timer:
    """Wall (perf_counter) and CPU (process_time) seconds of a with-block."""
    def __enter__(self):
        self.w, self.c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w
        self.cpu = time.process_time() - self.c


def measure(seed, events):
    n = len(events)
    with Timer() as t_one:
        one = seed.FeedStore()
        for ev in events:
            one.ingest(ev)
    assert one.event_count() == n
    with Timer() as t_many:
        many = seed.FeedStore()
        applied = many.ingest_many(events)
    assert applied == n
    del many
    best, best_cpu, text = None, None, ""
    for _ in range(3):
        with Timer() as t:
            text = view_text(seed.materialize, one)
        best = t.wall if best is None else min(best, t.wall)
        best_cpu = t.cpu if best_cpu is None else min(best_cpu, t.cpu)
    return {
        "events": n,
        "ingest_one_events_per_s": n / t_one.wall,
        "ingest_many_events_per_s": n / t_many.wall,
        "ingest_one_cpu_events_per_s": n / t_one.cpu,
        "ingest_many_cpu_events_per_s": n / t_many.cpu,
        "view_s": best,
        "view_cpu_s": best_cpu,
        "view_bytes": len(text),
        "view_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }


def rss(seed, events):
    store = seed.FeedStore()
    for ev in events:
        store.ingest(ev)
    text = view_text(seed.materialize, store)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"events": store.event_count(), "view_bytes": len(text), "rss_kb": peak,
            "rss_mb": peak / 1024.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("measure", "rss"))
    ap.add_argument("--shared", default=os.environ.get("MESHLOG_SHARED", ""),
                    help="the shared folder holding seed/runnable")
    ap.add_argument("--authors", type=int, default=10)
    ap.add_argument("--events", type=int, default=10000, help="W1 events per author")
    ap.add_argument("--author-ids", default="", help="comma-separated author ids")
    args = ap.parse_args()
    if not args.shared:
        args.shared = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                   "shared")
    sys.path.insert(0, os.path.join(args.shared, "seed", "runnable"))
    import meshlog as seed  # the seed package, not ours
    events = w1_events(seed.Event, author_ids(args.authors, args.author_ids), args.events)
    out = measure(seed, events) if args.mode == "measure" else rss(seed, events)
    out["mode"] = args.mode
    out["python"] = sys.version.split()[0]
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
