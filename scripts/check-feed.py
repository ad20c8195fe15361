#!/usr/bin/env python3
"""Validates an Atom feed with feedparser: check-feed.py FILE ENTRIES [TITLE_PART].

Exits non-zero, saying why, unless the file parses as Atom 1.0 without any
error (feedparser's "bozo" flag), has a feed id, title, updated time and self
link, and holds ENTRIES entries, each with an id, a title, an updated time
and a link (and, when given, the first entry's title contains TITLE_PART).
"""
import sys

import feedparser


def fail(message):
    print(f"check-feed: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    path, expected = sys.argv[1], int(sys.argv[2])
    title_part = sys.argv[3] if len(sys.argv) > 3 else None
    with open(path, "rb") as f:
        feed = feedparser.parse(f.read())
    if feed.bozo:
        fail(f"not well-formed: {feed.bozo_exception!r}")
    if feed.version != "atom10":
        fail(f"not Atom 1.0 but {feed.version!r}")
    for key in ("id", "title", "updated"):
        if not feed.feed.get(key):
            fail(f"the feed has no {key}")
    if not any(link.get("rel") == "self" for link in feed.feed.get("links", [])):
        fail("the feed has no self link")
    if len(feed.entries) != expected:
        fail(f"{len(feed.entries)} entries, expected {expected}")
    for entry in feed.entries:
        for key in ("id", "title", "updated", "link"):
            if not entry.get(key):
                fail(f"an entry has no {key}: {entry}")
    if title_part and expected and title_part not in feed.entries[0].title:
        fail(f"the first entry's title {feed.entries[0].title!r} lacks {title_part!r}")
    print(f"check-feed: valid Atom 1.0, {len(feed.entries)} entries")


if __name__ == "__main__":
    main()
