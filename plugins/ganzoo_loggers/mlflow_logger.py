"""The MLflow logger: scalars and grids into a store in RUN_DIR/mlruns, no server needed.

The store is an SQLite database, RUN_DIR/mlruns/mlflow.db, with the artifacts beside it (MLflow 3
refuses its older plain-file store). Look at it with
``mlflow ui --backend-store-uri sqlite:///RUN_DIR/mlruns/mlflow.db`` (the UI needs ``pip install mlflow``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

from ganzoo import Callback

from ganzoo_loggers.records import missing_extra, pixels_of, scalars_of

FOLDER = "mlruns"


@dataclass
class MLflowParams:
    experiment: str = "ganzoo"  # the MLflow experiment the run is filed under
    tracking_uri: Optional[str] = None  # null: a database in RUN_DIR/mlruns (offline); or a server's URL


def store_uri(run_dir) -> str:
    """The tracking URI of a run folder's own MLflow store."""
    return f"sqlite:///{(run_dir / FOLDER).resolve() / 'mlflow.db'}"


class MLflowLogger(Callback):
    """One MLflow run per ganzoo run: its recipe.yaml as an artifact, every logged scalar at its
    step, each epoch's grid under ``samples/``. A resumed run goes on logging into the same
    MLflow run (its id is kept in the checkpoint)."""

    name = "mlflow"

    def __init__(self, params: MLflowParams):
        try:
            import mlflow  # noqa: F401
            if params.tracking_uri is None:
                import alembic, sqlalchemy  # noqa: E401, F401 - MLflow's SQLite store needs them
        except ImportError as error:
            raise missing_extra("mlflow", "MLflow", "mlflow") from error
        self.params = params
        self.client = None
        self.run_id: Optional[str] = None

    def setup(self, run) -> None:
        if not run.is_main:
            return
        from mlflow.tracking import MlflowClient

        folder = run.path(FOLDER).resolve()  # inside the run folder, even if mlruns is a symlink
        if self.params.tracking_uri is None:
            folder.mkdir(parents=True, exist_ok=True)
        self.client = MlflowClient(tracking_uri=self.params.tracking_uri or store_uri(run.run_dir))
        if self.run_id is None:
            experiment = self.client.get_experiment_by_name(self.params.experiment)
            artifacts = None if self.params.tracking_uri else (folder / "artifacts").as_uri()
            experiment_id = (experiment.experiment_id if experiment is not None
                             else self.client.create_experiment(self.params.experiment, artifacts))
            self.run_id = self.client.create_run(experiment_id, run_name=run.run_dir.name).info.run_id
            recipe = run.recipe_file
            if recipe.is_file():
                self.client.log_artifact(self.run_id, str(recipe))
        else:
            self.client.update_run(self.run_id, status="RUNNING")

    def on_log(self, run, record) -> None:
        if self.client is None:
            return
        from mlflow.entities import Metric

        stamp = int(time.time() * 1000)
        metrics = [Metric(name.replace("/", "."), value, stamp, record["step"])
                   for name, value in scalars_of(record).items()]
        self.client.log_batch(self.run_id, metrics=metrics)

    def on_grid(self, run, epoch: int, picture) -> None:
        if self.client is not None:
            self.client.log_image(self.run_id, pixels_of(picture), artifact_file=f"samples/epoch-{epoch:03d}.png")

    def end_run(self, run) -> None:
        if self.client is not None:
            self.client.set_terminated(self.run_id)

    def state_dict(self):
        return {"logger": self.name, "run_id": self.run_id}

    def load_state_dict(self, state) -> None:
        if state.get("logger") == self.name:  # not another callback's state, after the list changed
            self.run_id = state.get("run_id")
