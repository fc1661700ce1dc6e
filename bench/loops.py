"""Reference loops the benchmark compares `drift check` with, each run as a whole process.

    python bench/loops.py naive URL   sequential: list (default pages), then describe each model
    python bench/loops.py ideal URL   list in pages of 100, then 32 threads of describe_model
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    config = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=40)
    client = boto3.client("sagemaker", endpoint_url=url, region_name="us-east-1", config=config)
    if mode == "naive":
        names = [m["ModelName"] for page in client.get_paginator("list_models").paginate() for m in page["Models"]]
        described = [client.describe_model(ModelName=n) for n in names]
    else:
        pages = client.get_paginator("list_models").paginate(PaginationConfig={"PageSize": 100})
        names = [m["ModelName"] for page in pages for m in page["Models"]]
        with ThreadPoolExecutor(max_workers=32) as pool:
            described = list(pool.map(lambda n: client.describe_model(ModelName=n), names))
    print(len(described))


if __name__ == "__main__":
    main()
