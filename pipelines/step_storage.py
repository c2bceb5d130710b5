"""Where the parse graph's steps hand each other their small values (batches, batch summaries).

The batches of one run may be parsed on other machines (Celery workers), so these values live
in the data folder, which every machine shares (it holds the archive), as JSON: a list of
document ids, a dict of counts. Dagster's default would pickle them under DAGSTER_HOME, which
the workers would then have to share as well. A run's folder is removed once its partitions are
materialized (`pipelines.assets.parse.summarize_parse`).
"""
from __future__ import annotations

import json
import shutil
from typing import Any

from dagster import InputContext, OutputContext, io_manager
from dagster._core.storage.upath_io_manager import UPathIOManager
from upath import UPath

STEP_STORAGE_KEY = "step_storage"
STEP_FOLDER = "steps"


class JsonStepStorage(UPathIOManager):
    extension = ".json"

    def dump_to_path(self, context: OutputContext, obj: Any, path: UPath) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(obj, sort_keys=True), encoding="utf-8")

    def load_from_path(self, context: InputContext, path: UPath) -> Any:
        return json.loads(path.read_text(encoding="utf-8"))


@io_manager(required_resource_keys={"settings"},
            description="JSON values passed between the parse steps, in <data_dir>/steps/<run id>/.")
def step_storage(init_context) -> JsonStepStorage:
    return JsonStepStorage(base_path=UPath(init_context.resources.settings.data / STEP_FOLDER))


def remove_run_folder(data_dir, run_id: str) -> None:
    shutil.rmtree(data_dir / STEP_FOLDER / run_id, ignore_errors=True)
