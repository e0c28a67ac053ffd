"""Builds the benign corpus: ordinary messages, written by others, as Slack payloads.

    .venv/bin/python bench/corpus/build_corpus.py [--mirrors DIR]

Reads bare git mirrors of public repositories (DIR/<owner>+<name>/repo, e.g. from
`git clone --mirror`), takes commit messages, changelog entries and Japanese prose from
them, adds CI and monitoring notifications in the formats their public documentation
gives, and writes bench/corpus/benign.jsonl.gz: one JSON object per line,
`{"source": "<owner>/<name>@<commit>:<where>", "payload": <Slack message>}`.
The commit of every repository read is written to bench/corpus/SOURCES.json, so the
corpus can be rebuilt exactly. The text is kept as written, with two exceptions (counted
in SOURCES.json): commit trailers that carry e-mail addresses (Signed-off-by and the like)
are dropped, and any message that still holds an e-mail address is left out — an address
is personal data, which the relay is right to find, so it cannot be a false positive.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "benign.jsonl.gz"
SOURCES = HERE / "SOURCES.json"

# (repository, how many commit messages to take at most)
COMMIT_SOURCES = (
    ("pypa/pip", 6000),
    ("psf/requests", 3000),
    ("pallets/flask", 3000),
    ("asciidwango/js-primer", 1500),
    ("kufu/smarthr-design-system", 1500),
)
CHANGELOGS = (
    ("pypa/pip", "NEWS.rst"),
    ("pallets/flask", "CHANGES.rst"),
    ("psf/requests", "HISTORY.md"),
)
# Japanese prose: documentation paragraphs (a business HR product's writing guidelines and
# docs, a JavaScript book, a framework's translated guide).
PROSE_SOURCES = (
    ("kufu/smarthr-design-system", "src/content/", 2500),
    ("asciidwango/js-primer", "source/", 1500),
    ("vuejs-jp/ja.vuejs.org", "src/", 1000),
)
SLACK_SECTION_LIMIT = 3000
SLACK_TEXT_LIMIT = 40_000  # longer texts go as sections (at most 49 fit: 147,000)
TRAILER = re.compile(
    r"^(?:signed-off-by|co-authored-by|reviewed-by|acked-by|tested-by|reported-by|"
    r"suggested-by|helped-by|cc|author|from):.*@.*$",
    re.IGNORECASE | re.MULTILINE,
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


class Corpus:
    def __init__(self) -> None:
        self.records: list[dict[str, object]] = []
        self.left_out_for_email = 0
        self.trailers_dropped = 0

    def add(self, source: str, text: str, shape: int, title: str = "") -> None:
        before = text
        text = TRAILER.sub("", text)
        self.trailers_dropped += text != before
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
        if not text or len(text) > 49 * SLACK_SECTION_LIMIT:
            return
        if EMAIL.search(text) or EMAIL.search(title):
            self.left_out_for_email += 1
            return
        self.records.append({"source": source, "payload": slack_payload(text, shape, title)})


def slack_payload(text: str, shape: int, title: str) -> dict[str, object]:
    """A message as a team would post it: plain text, or a header and mrkdwn sections."""
    if shape % 3 == 0 and len(text) <= SLACK_TEXT_LIMIT:
        return {"channel": "corpus", "text": text}
    first, _, rest = text.partition("\n")
    header = (title or first)[:150]  # Slack's limit for a header's text
    # Nothing is lost: the whole text is in the sections unless the header holds all of it.
    body = rest.strip() if not title and len(first) <= 150 else text
    sections = [body[i : i + SLACK_SECTION_LIMIT] for i in range(0, len(body), SLACK_SECTION_LIMIT)]
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}}
    ]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections]
    if shape % 3 == 2:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": header}]})
    return {"channel": "corpus", "text": header, "blocks": blocks}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], capture_output=True, check=True, text=True
    ).stdout


def commit_messages(repo: Path, limit: int) -> Iterator[tuple[str, str]]:
    log = git(repo, "log", "--no-merges", f"--max-count={limit}", "--format=%H%x00%B%x1e")
    for entry in log.split("\x1e"):
        sha, _, message = entry.strip("\n").partition("\x00")
        if sha:
            yield sha[:12], message


def changelog_entries(text: str) -> Iterator[str]:
    """Bullet entries of a changelog (reStructuredText or Markdown), one message each."""
    entry: list[str] = []
    for line in text.splitlines():
        if re.match(r"^\s*[-*] ", line) or not line.strip() or re.match(r"^[=~^-]{3,}$", line):
            if entry:
                yield "\n".join(entry)
            entry = [re.sub(r"^\s*[-*] ", "", line)] if re.match(r"^\s*[-*] ", line) else []
        elif entry:
            entry.append(line.strip())


def prose_paragraphs(text: str) -> Iterator[str]:
    """Paragraphs of Markdown/MDX prose: no front matter, code, imports or JSX-only lines."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)
    text = re.sub(r"^(```|~~~).*?^\1", "", text, flags=re.DOTALL | re.MULTILINE)
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [
            line
            for line in paragraph.splitlines()
            if not re.match(r"^\s*(import |export |<[A-Za-z/]|\{/\*)", line)
        ]
        body = "\n".join(lines).strip()
        if 20 <= len(body) <= 2000 and JAPANESE.search(body):
            yield body


def notifications(rng: random.Random, count: int, shas: list[str]) -> Iterator[tuple[str, str]]:
    """CI and monitoring notifications in the shapes their public documentation gives."""
    regions = ["us-east-1", "eu-west-1", "ap-northeast-1", "eu-central-1", "us-west-2"]
    metrics = [
        ("AWS/EC2", "CPUUtilization", "Percent", "InstanceId", "i-0{h}"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Count", "QueueName", "orders-{n}"),
        ("AWS/Lambda", "Errors", "Count", "FunctionName", "billing-export-{n}"),
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Count", "LoadBalancer", "app/web/{h}"),
        ("AWS/RDS", "FreeStorageSpace", "Bytes", "DBInstanceIdentifier", "reports-db-{n}"),
    ]
    for index in range(count):
        kind = index % 5
        sha = shas[index % len(shas)]
        region = rng.choice(regions)
        n, h = rng.randint(1, 999), f"{rng.getrandbits(60):015x}"
        when = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
        when += f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}+0000"
        if kind == 0:  # CloudWatch alarm state change, as SNS delivers it
            namespace, metric, unit, dimension, value = rng.choice(metrics)
            threshold, observed = rng.randint(1, 90), rng.randint(91, 5000)
            alarm = f"{metric}-high-{n}"
            yield (
                "cloudwatch-alarm",
                f'ALARM: "{alarm}" in {region}\n'
                f"Alarm Name: {alarm}\nAWS Account: 123456789012\nNew State: ALARM\n"
                f"Old State: OK\nReason: Threshold Crossed: 1 out of the last 1 datapoints "
                f"[{observed}.0 ({when[5:10]} {when[11:19]})] was greater than the threshold "
                f"({threshold}.0) (minimum 1 datapoint for OK -> ALARM transition).\n"
                f"State Change Time: {when}\nAlarm ARN: arn:aws:cloudwatch:{region}:"
                f"123456789012:alarm:{alarm}\nMetric: {namespace} {metric} ({unit}), "
                f"{dimension} = {value.format(n=n, h=h)}, Period 300 s, Statistic Average",
            )
        elif kind == 1:  # CodePipeline Pipeline Execution State Change (EventBridge)
            state = rng.choice(["STARTED", "SUCCEEDED", "FAILED", "SUPERSEDED"])
            execution = f"{h[:8]}-{h[8:12]}-4{h[12:15]}-8{n:03d}-{rng.getrandbits(48):012x}"
            yield (
                "codepipeline",
                f"CodePipeline Pipeline Execution State Change: {state}\n"
                f"pipeline: deploy-service-{n}\nexecution-id: {execution}\n"
                f"region: {region}\naccount: 123456789012\ntime: {when[:19]}Z\n"
                f"source revision: {sha}",
            )
        elif kind == 2:  # CodeBuild Build State Change (EventBridge)
            status = rng.choice(["SUCCEEDED", "FAILED", "STOPPED", "IN_PROGRESS"])
            yield (
                "codebuild",
                f"CodeBuild Build State Change: {status}\nproject-name: unit-tests-{n}\n"
                f"build-id: arn:aws:codebuild:{region}:123456789012:build/unit-tests-{n}:"
                f"{h[:8]}-{h[8:12]}-{h[12:15]}a-9{n:03d}-{rng.getrandbits(48):012x}\n"
                f"current-phase: {rng.choice(['BUILD', 'POST_BUILD', 'COMPLETED'])}\n"
                f"source-version: {sha}\nlogs: /aws/codebuild/unit-tests-{n}",
            )
        elif kind == 3:  # GitHub Actions workflow_run (webhook fields)
            conclusion = rng.choice(["success", "failure", "cancelled", "timed_out"])
            run = rng.randint(1000, 99999)
            yield (
                "github-actions",
                f"Workflow *CI* run #{run} on `main`: *{conclusion}*\n"
                f"head_sha {sha} · event push · attempt {rng.randint(1, 3)}\n"
                f"jobs: lint ✓, test (3.12) {'✓' if conclusion == 'success' else '✗'}, "
                f"build ✓ · duration {rng.randint(1, 59)}m {rng.randint(0, 59)}s",
            )
        else:  # ECS Task State Change (EventBridge)
            yield (
                "ecs-task",
                f"ECS Task State Change: STOPPED\ncluster: arn:aws:ecs:{region}:123456789012:"
                f"cluster/batch\ntask: arn:aws:ecs:{region}:123456789012:task/batch/{h}{n:03d}\n"
                f"stoppedReason: Essential container in task exited\ncontainer worker exit "
                f"code {rng.choice([0, 1, 137, 143])}\ngroup: service:report-worker-{n}",
            )


def build(mirrors: Path) -> tuple[Corpus, dict[str, str]]:
    corpus, commits, shape = Corpus(), {}, 0
    repos = {name for name, _ in COMMIT_SOURCES} | {name for name, _, _ in PROSE_SOURCES}
    for name in sorted(repos | {name for name, _ in CHANGELOGS}):
        repo = mirrors / name.replace("/", "+") / "repo"
        if not repo.is_dir():
            sys.exit(f"missing mirror {repo}: clone it with `git clone --mirror` (see README.md)")
        commits[name] = git(repo, "rev-parse", "HEAD").strip()
    shas: list[str] = []
    for name, limit in COMMIT_SOURCES:
        repo = mirrors / name.replace("/", "+") / "repo"
        for sha, message in commit_messages(repo, limit):
            shas.append(sha)
            corpus.add(f"{name}@{sha}", message, shape := shape + 1)
    for name, path in CHANGELOGS:
        repo = mirrors / name.replace("/", "+") / "repo"
        text = git(repo, "show", f"{commits[name]}:{path}")
        for number, entry in enumerate(changelog_entries(text)):
            corpus.add(f"{name}@{commits[name][:12]}:{path}#{number}", entry, shape := shape + 1)
    for name, prefix, limit in PROSE_SOURCES:
        repo = mirrors / name.replace("/", "+") / "repo"
        files = [
            f
            for f in git(repo, "ls-tree", "-r", "--name-only", commits[name]).splitlines()
            if f.startswith(prefix) and f.endswith((".md", ".mdx"))
        ]
        taken = 0
        for path in files:
            for paragraph in prose_paragraphs(git(repo, "show", f"{commits[name]}:{path}")):
                if taken < limit:
                    corpus.add(f"{name}@{commits[name][:12]}:{path}", paragraph, shape := shape + 1)
                    taken += 1
    rng = random.Random(20261203)
    for kind, text in notifications(rng, 2500, shas):
        title = text.partition("\n")[0]
        corpus.add(f"notification:{kind}", text, shape := shape + 1, title=title)
    return corpus, commits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    args = parser.parse_args()
    corpus, commits = build(args.mirrors)
    with gzip.GzipFile(OUTPUT, "wb", mtime=0) as out:  # mtime 0: the same input, same bytes
        for record in corpus.records:
            out.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    counts: dict[str, int] = {}
    for record in corpus.records:
        key = str(record["source"]).partition("@")[0].partition(":")[0]
        counts[key] = counts.get(key, 0) + 1
    summary = {
        "commits": commits,
        "messages": len(corpus.records),
        "per_source": counts,
        "trailers_with_email_dropped": corpus.trailers_dropped,
        "left_out_holding_an_email_address": corpus.left_out_for_email,
    }
    SOURCES.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"{OUTPUT}: {OUTPUT.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
