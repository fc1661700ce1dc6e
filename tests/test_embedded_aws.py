"""ECR, S3, STS and Organizations on the embedded server behave as drift's integrity and organization reads expect."""

from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import ClientError

from drift.embedded.world import AwsWorld, manifest_for
from tests.aws_world import OTHER_ACCOUNT, Aws


# -- ECR ----------------------------------------------------------------------------------------------
def test_an_image_digest_is_the_sha256_of_its_manifest(aws: Aws) -> None:
    """ECR's digest is the manifest's sha256 (moto hashed the layer list, so layer-less manifests collided)."""
    digest = aws.world.push_image("svc", "1.0", manifest_for("build-1"))
    assert "sha256:" + hashlib.sha256(manifest_for("build-1")).hexdigest() == digest


def test_pushing_another_manifest_under_a_tag_repoints_it_and_keeps_the_old_image(aws: Aws) -> None:
    """The tag moves to the new digest; the old image stays, untagged, reachable by its digest."""
    _, old = aws.pushed("svc", "1.0", "build-1")
    _, new = aws.pushed("svc", "1.0", "build-2")
    ecr = aws.client("ecr")
    by_tag = ecr.batch_get_image(registryId="123456789012", repositoryName="svc", imageIds=[{"imageTag": "1.0"}])
    by_digest = ecr.batch_get_image(repositoryName="svc", imageIds=[{"imageDigest": old}])
    assert ([{"imageDigest": new, "imageTag": "1.0"}], [{"imageDigest": old}]) == (
        [i["imageId"] for i in by_tag["images"]], [i["imageId"] for i in by_digest["images"]])
    assert manifest_for("build-1").decode() == by_digest["images"][0]["imageManifest"]


def test_batch_get_image_reports_missing_tags_and_digests_as_requested(aws: Aws) -> None:
    """A missing tag or digest is a failure echoing the requested imageId, code ImageNotFound."""
    aws.pushed("svc", "1.0", "build-1")
    missing = "sha256:" + "0" * 64
    answer = aws.client("ecr").batch_get_image(repositoryName="svc",
                                               imageIds=[{"imageTag": "2.0"}, {"imageDigest": missing}])
    assert ([], [({"imageTag": "2.0"}, "ImageNotFound"), ({"imageDigest": missing}, "ImageNotFound")]) == (
        answer["images"], [(f["imageId"], f["failureCode"]) for f in answer["failures"]])


def test_batch_get_image_of_a_missing_repository_is_repository_not_found(aws: Aws) -> None:
    """A repository that does not exist: RepositoryNotFoundException naming the registry."""
    with pytest.raises(ClientError) as caught:
        aws.client("ecr").batch_get_image(registryId="123456789012", repositoryName="nope",
                                          imageIds=[{"imageTag": "1.0"}])
    assert ("RepositoryNotFoundException",
            "The repository with name 'nope' does not exist in the registry with id '123456789012'") == (
        caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"])


def test_batch_get_image_reads_the_registry_registry_id_names(aws: Aws) -> None:
    """registryId selects the registry: another account's image is found from this account (moto ignored it)."""
    _, digest = aws.pushed("shared", "2.0", "other", account=OTHER_ACCOUNT)
    answer = aws.client("ecr").batch_get_image(registryId=OTHER_ACCOUNT, repositoryName="shared",
                                               imageIds=[{"imageTag": "2.0"}])
    assert [(OTHER_ACCOUNT, digest)] == [(i["registryId"], i["imageId"]["imageDigest"]) for i in answer["images"]]


# -- S3 -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("versioned", [True, False])
def test_head_object_reports_etag_version_and_size(aws: Aws, versioned: bool) -> None:
    """HeadObject: the ETag and VersionId the write returned (no VersionId unversioned) and the size."""
    etag, version = aws.world.put_object("ml-artifacts", "m/model.tar.gz", b"weights-1", versioned=versioned)
    head = aws.client("s3").head_object(Bucket="ml-artifacts", Key="m/model.tar.gz")
    assert (etag, version, 9, versioned) == (head["ETag"], head.get("VersionId"), head["ContentLength"],
                                             version is not None)


def test_overwriting_an_object_changes_its_identity(aws: Aws) -> None:
    """An object overwritten in place has another ETag (and VersionId in a versioned bucket)."""
    first = aws.world.put_object("ml-artifacts", "k", b"one", versioned=True)
    second = aws.world.put_object("ml-artifacts", "k", b"two", versioned=True)
    assert (True, True) == (first[0] != second[0], first[1] != second[1])


def test_list_objects_v2_pages(aws: Aws) -> None:
    """ListObjectsV2 under a prefix: MaxKeys a page, continuation tokens to the end."""
    for i in range(5):
        aws.world.put_object("ml-artifacts", f"p/{i}", b"x")
    pages = aws.client("s3").get_paginator("list_objects_v2").paginate(
        Bucket="ml-artifacts", Prefix="p/", PaginationConfig={"PageSize": 2})
    assert [["p/0", "p/1"], ["p/2", "p/3"], ["p/4"]] == [[o["Key"] for o in page["Contents"]] for page in pages]


# -- STS and several accounts -------------------------------------------------------------------------
def test_assumed_role_credentials_act_in_the_roles_account(aws: Aws) -> None:
    """assume_role into another account: the caller is that account and its resources land there only."""
    other = aws.world.client("sagemaker", account=OTHER_ACCOUNT)
    other.create_model(ModelName="theirs", PrimaryContainer={"Image": "x"},
                       ExecutionRoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/r")
    identity = aws.world.client("sts", account=OTHER_ACCOUNT).get_caller_identity()
    assert (OTHER_ACCOUNT, f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/drift-embedded-world/drift-embedded") == (
        identity["Account"], identity["Arn"])
    assert (["theirs"], []) == ([m["ModelName"] for m in other.list_models()["Models"]],
                                aws.sm.list_models()["Models"])


# -- Organizations ------------------------------------------------------------------------------------
def test_organization_accounts_nested_units_and_moves(aws: Aws) -> None:
    """Create an organization, nested OUs and an account; move it; list it by parent."""
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    prod = org.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    ml = org.create_organizational_unit(ParentId=prod, Name="ml")["OrganizationalUnit"]["Id"]
    status = org.create_account(AccountName="ml-prod", Email="ml-prod@example.com")["CreateAccountStatus"]
    org.move_account(AccountId=status["AccountId"], SourceParentId=root, DestinationParentId=ml)
    assert "SUCCEEDED" == status["State"]
    assert ["ml"] == [u["Name"] for u in org.list_organizational_units_for_parent(ParentId=prod)["OrganizationalUnits"]]
    assert [(status["AccountId"], "ACTIVE")] == [
        (a["Id"], a["Status"]) for a in org.list_accounts_for_parent(ParentId=ml)["Accounts"]]
    assert {"123456789012", status["AccountId"]} == {a["Id"] for a in org.list_accounts()["Accounts"]}


def test_a_closed_account_is_suspended(aws: Aws) -> None:
    """close_account: the account is listed SUSPENDED, so drift's ACTIVE filter leaves it out."""
    org = aws.client("organizations")
    org.create_organization(FeatureSet="ALL")
    account = org.create_account(AccountName="old", Email="old@example.com")["CreateAccountStatus"]["AccountId"]
    org.close_account(AccountId=account)
    assert "SUSPENDED" == {a["Id"]: a["Status"] for a in org.list_accounts()["Accounts"]}[account]


def test_world_pushes_and_writes_in_another_region(aws: Aws) -> None:
    """AwsWorld writes in any region: a bucket outside us-east-1 and an ECR repository there."""
    world = AwsWorld(aws.url)
    world.put_object("eu-artifacts", "k", b"x", region="eu-west-1")
    digest = world.push_image("svc", "1.0", "eu", region="eu-west-1")
    found = world.client("ecr", region="eu-west-1").batch_get_image(repositoryName="svc",
                                                                     imageIds=[{"imageTag": "1.0"}])
    assert [digest] == [i["imageId"]["imageDigest"] for i in found["images"]]
    assert 1 == world.client("s3", region="eu-west-1").head_object(Bucket="eu-artifacts", Key="k")["ContentLength"]
