"""The SQS trigger: encrypted, TLS-only queues, a dead-letter queue, partial batch failures."""

from __future__ import annotations


def test_the_queue_feeds_the_function_and_dead_letters_after_retries(synthesis) -> None:
    queues = synthesis.resources("AWS::SQS::Queue")
    [(queue_id, queue)] = [(i, q) for i, q in queues.items() if "RedrivePolicy" in q["Properties"]]
    [dead_letter_id] = set(queues) - {queue_id}
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letter_id, "Arn"]}
    assert redrive["maxReceiveCount"] == 3
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * 30

    mapping = synthesis.only("AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_both_queues_are_encrypted_and_refuse_plain_http(synthesis) -> None:
    queues = synthesis.resources("AWS::SQS::Queue")
    assert all(q["Properties"]["SqsManagedSseEnabled"] is True for q in queues.values())
    protected = set()
    for policy in synthesis.resources("AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Effect"] == "Deny" and statement.get("Condition") == {
                "Bool": {"aws:SecureTransport": "false"}
            }:
                protected |= {queue["Ref"] for queue in policy["Properties"]["Queues"]}
    assert protected == set(queues)
