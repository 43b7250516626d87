#!/usr/bin/env python3
"""Checks every relative link in the repository's Markdown files: the file or folder it names exists, and an anchor
(#heading) names a heading of that page, spelt as GitHub spells it. Most pages cite files as plain text
("docs/harness.md", `samples/AgentSession`) rather than as links, so a path from the repository root that starts with
one of its top folders is checked too, wherever it is written (globs, build outputs under bin/ and obj/, and names in
capitals such as src/NAME, which stand for a value, are left alone).
Usage: python3 tools/doc-links/check.py [root]. Prints one line per broken link and exits 1 if there is any; external
links (http, https, mailto) are not fetched."""
import os
import re
import sys

LINK = re.compile(r'(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
IMAGE = re.compile(r'!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)')
REFDEF = re.compile(r'^\s{0,3}\[[^\]]+\]:\s+<?(\S+?)>?(?:\s+"[^"]*")?\s*$')
HEADING = re.compile(r'^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$')
HTML_ANCHOR = re.compile(r'<a\s+(?:name|id)="([^"]+)"', re.I)
PLAIN_PATH = re.compile(r'(?<![\w./-])((?:docs|src|samples|tests|benchmarks|tools|\.ci)/[\w./*-]*[\w*])')
SKIP_DIRS = {'.git', 'bin', 'obj', 'node_modules', 'BenchmarkDotNet.Artifacts', 'TestResults'}


def slug(heading):
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces to hyphens."""
    text = re.sub(r'`([^`]*)`', r'\1', heading)
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', text)  # a link keeps its text
    text = re.sub(r'<[^>]+>', '', text)
    text = text.strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)  # \w keeps letters, digits and underscores, as GitHub does
    return text.replace(' ', '-')


def anchors(path, cache={}):
    if path not in cache:
        found, counts, fenced = set(), {}, False
        with open(path, encoding='utf-8') as f:
            for line in f:
                if line.lstrip().startswith(('```', '~~~')):
                    fenced = not fenced
                    continue
                if fenced:
                    continue
                found.update(a.lower() for a in HTML_ANCHOR.findall(line))
                m = HEADING.match(line)
                if m:
                    base = slug(m.group(2))
                    n = counts.get(base, 0)
                    counts[base] = n + 1
                    found.add(base if n == 0 else f'{base}-{n}')
        cache[path] = found
    return cache[path]


def links(path):
    fenced = False
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if line.lstrip().startswith(('```', '~~~')):
                fenced = not fenced
                continue
            if fenced:
                continue
            text = re.sub(r'`[^`]*`', '', line)  # code spans are not links
            for pattern in (LINK, IMAGE, REFDEF):
                for m in pattern.finditer(text):
                    yield number, m.group(1)


def plain_paths(path):
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            for m in PLAIN_PATH.finditer(line):
                yield number, m.group(1)


def check(root):
    broken = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith('.'))
        for name in sorted(files):
            if not name.endswith('.md'):
                continue
            page = os.path.join(folder, name)
            for number, target in links(page):
                if re.match(r'^[a-z][a-z0-9+.-]*:', target, re.I):
                    continue  # http:, https:, mailto:
                where = f'{os.path.relpath(page, root)}:{number}'
                file_part, _, anchor = target.partition('#')
                resolved = page if file_part == '' else os.path.normpath(os.path.join(folder, file_part))
                if not os.path.exists(resolved):
                    broken.append(f'{where}: {target}: no such file {os.path.relpath(resolved, root)}')
                    continue
                if anchor and resolved.endswith('.md') and anchor.lower() not in anchors(resolved):
                    broken.append(f'{where}: {target}: no heading #{anchor} in {os.path.relpath(resolved, root)}')
            for number, cited in plain_paths(page):
                if '*' in cited or re.search(r'/(bin|obj)/|/[A-Z]+$', cited):
                    continue
                if not (os.path.exists(os.path.join(root, cited)) or os.path.exists(os.path.join(folder, cited))):
                    broken.append(f'{os.path.relpath(page, root)}:{number}: {cited}: no such file or folder')
    return broken


if __name__ == '__main__':
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..'))
    problems = check(root)
    for p in problems:
        print(p)
    print(f'{len(problems)} broken relative link(s)')
    sys.exit(1 if problems else 0)
