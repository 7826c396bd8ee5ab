"""ganzoo-shapes: a worked example of a third-party ganzoo plugin.

It registers a dataset (``shapes``: circles, squares and triangles drawn on the
fly), a loss (``rahinge``: the relativistic average hinge loss) and a metric
(``mean_gap``: the distance between the generated and the reference images' mean
features, which ``ganzoo eval`` computes for every run). It imports only ganzoo's
public API, like every plugin should.
"""

from ganzoo import hookimpl

from ganzoo_shapes.data import ShapesParams, load_shapes
from ganzoo_shapes.mean_gap import MeanGap, MeanGapParams
from ganzoo_shapes.rahinge import RaHingeParams, make_rahinge


@hookimpl
def register_losses(register):
    register("rahinge", make_rahinge, RaHingeParams,
             "Relativistic average hinge loss (Jolicoeur-Martineau 2018): D judges real against the average fake.")


@hookimpl
def register_datasets(register):
    register("shapes", load_shapes, ShapesParams,
             "Synthetic 1xSxS circles, squares and triangles (labels 0, 1, 2), drawn on the fly; no download.")


@hookimpl
def register_metrics(register):
    register("mean_gap", MeanGap, MeanGapParams,
             "Distance between the generated and the reference images' mean features, in any extractor's space.")
