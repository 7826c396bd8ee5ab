"""ganzoo's loggers: TensorBoard (built in), MLflow and Weights & Biases (optional extras).

Loggers are step callbacks (``ganzoo.Callback``, registered with ``register_callbacks``) that
work only in ``on_log``, ``on_grid`` (each epoch's grid, handed over as a tensor), ``end_epoch`` and
``end_run`` (where they finish): nothing on the training hot path. A recipe switches
them on with ``loggers: [tensorboard]`` (or the override ``loggers=[tensorboard,mlflow]``); any
callback plugin can be a logger the same way. They write in the main process only.
"""

from ganzoo import hookimpl

from ganzoo_loggers.mlflow_logger import MLflowLogger, MLflowParams
from ganzoo_loggers.tensorboard import TensorBoardLogger, TensorBoardParams
from ganzoo_loggers.wandb_logger import WandbLogger, WandbParams


@hookimpl
def register_callbacks(register):
    register("tensorboard", TensorBoardLogger, TensorBoardParams,
             "Logger: every logged scalar and each epoch's grid, live, to TensorBoard event files in RUN_DIR/tensorboard.")
    register("mlflow", MLflowLogger, MLflowParams,
             "Logger: scalars and grids to MLflow, an SQLite store, RUN_DIR/mlruns/mlflow.db, by default; needs the mlflow extra.")
    register("wandb", WandbLogger, WandbParams,
             "Logger: scalars, grids and the recipe to Weights & Biases, offline in RUN_DIR/wandb by default; "
             "needs the wandb extra.")
