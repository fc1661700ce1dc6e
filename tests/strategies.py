"""Hypothesis strategies for valid CreateModel requests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

names = st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True)
env_keys = st.from_regex(r"[A-Z_][A-Z0-9_]{0,15}", fullmatch=True)
env_values = st.one_of(st.text(min_size=0, max_size=20), st.integers(-10**6, 10**6))
images = st.builds(lambda repo, tag: f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repo}:{tag}",
                   names, st.from_regex(r"[a-z0-9.]{1,8}", fullmatch=True))
urls = st.builds(lambda b, k: f"s3://{b}/{k}/model.tar.gz", names, names)
ids = st.from_regex(r"(sg|subnet)-[0-9a-f]{8}", fullmatch=True)


@st.composite
def containers(draw: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"Image": draw(images)}
    if draw(st.booleans()):
        container["ModelDataUrl"] = draw(urls)
    if draw(st.booleans()):
        container["Environment"] = draw(st.dictionaries(env_keys, env_values, max_size=5))
    if draw(st.booleans()):
        container["Mode"] = draw(st.sampled_from(["SingleModel", "MultiModel"]))
    if draw(st.booleans()):
        container["ContainerHostname"] = draw(names)
    return container


@st.composite
def models(draw: Any) -> dict[str, Any]:
    model: dict[str, Any] = {
        "ModelName": draw(names),
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/" + draw(names),
    }
    items = draw(st.lists(containers(), min_size=1, max_size=3))
    if len(items) == 1 and draw(st.booleans()):
        model["PrimaryContainer"] = items[0]
    else:
        model["Containers"] = items
        if len(items) > 1 and draw(st.booleans()):
            model["InferenceExecutionConfig"] = {"Mode": draw(st.sampled_from(["Serial", "Direct"]))}
    if draw(st.booleans()):
        model["VpcConfig"] = {"SecurityGroupIds": draw(st.lists(ids, min_size=1, max_size=3, unique=True)),
                              "Subnets": draw(st.lists(ids, min_size=1, max_size=3, unique=True))}
    if draw(st.booleans()):
        model["EnableNetworkIsolation"] = draw(st.booleans())
    if draw(st.booleans()):
        model["Tags"] = draw(st.dictionaries(names, names, max_size=4))
    return model


def live_form(spec: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, str]] | None]:
    """What DescribeModel and ListTags return for a model created from ``spec``."""
    from drift.embedded import create_model_request

    request = create_model_request(spec)
    tags = request.pop("Tags", None)
    request["ModelArn"] = f"arn:aws:sagemaker:us-east-1:123456789012:model/{spec['ModelName']}"
    request["CreationTime"] = "2026-11-24T10:00:00Z"
    return request, tags
