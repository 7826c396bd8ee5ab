"""The hooks through which plugins contribute components (and commands) to ganzoo.

Each hook receives a ``register`` callback. Call it once per component::

    register(name, factory, params=ParamsDataclass, description="One line.")

``name`` is what recipes use (``generator: {name: mlp}``), ``factory`` builds the
component, ``params`` is a dataclass that is the component's typed schema in a
recipe, and ``description`` is the line ``ganzoo list`` shows. The last hook,
``register_commands``, adds ``ganzoo`` commands; its ``register`` takes a
command's name, function and arguments instead.
"""

import pluggy

hookspec = pluggy.HookspecMarker("ganzoo")
hookimpl = pluggy.HookimplMarker("ganzoo")


@hookspec
def register_algorithms(register):
    """Register training algorithms: the update rule of a GAN.

    ``factory`` is a subclass of ``ganzoo.Algorithm``, called with the params
    dataclass instance. Its ``roles`` (role -> kind: generator, discriminator or
    loss) name the components a recipe gives it, one recipe section per role;
    its ``train_step(batch, step)`` runs one training step with the
    ``ganzoo.TrainStep`` the trainer hands it (models and losses by role, fresh
    latents, ``step.update(role, loss)`` for each optimiser step,
    ``step.log(...)`` for the scalars named in its ``scalars``). The trainer
    keeps devices, data, precision, checkpoints, resume and logging. A recipe
    picks one with ``algorithm: {name: gan, params: {...}}``; ``gan`` (the
    built-in ``ganzoo.GAN``) is the default. See docs/writing-plugins.md,
    "Writing a training algorithm".
    """


@hookspec
def register_generators(register):
    """Register generators.

    ``factory(params, data)`` receives the params dataclass instance and a
    ``ganzoo.DataSpec`` (image shape, number of classes) and returns a
    ``torch.nn.Module`` with an integer ``latent_dim`` attribute. Its
    ``forward(z)`` maps noise of shape ``(N, latent_dim)`` to images of shape
    ``(N, *data.image_shape)`` in [-1, 1]. A module with ``conditional = True``
    is called as ``forward(z, labels)``.

    A generator may own how its latent is drawn: ``sample_latent(n, rng)``
    returns the whole ``(n, latent_dim)`` batch on ``rng.device``, every random
    number drawn from ``rng`` (a ``torch.Generator``), so runs reproduce and
    resume exactly. One with latent codes (InfoGAN) declares them:
    ``code_categories`` (K >= 2 values of a categorical code) and
    ``continuous_codes`` (C >= 0), laid out last in z as
    ``[noise, one_hot(code, K), C continuous codes]``; its
    ``sample_latent(n, rng, code=None)`` fixes the categorical code of every row
    to ``code`` when given, which ``ganzoo sample --code K`` uses.

    Generators of translation algorithms (``Algorithm.directions``: pix2pix, CycleGAN,
    SRGAN) take no latent: on two-sided data (``data.target_shape`` set) they
    map a batch of images ``(N, *data.image_shape)`` to ``(N, *data.target_shape)``
    (or back, for a b2a generator), ``forward(x)``.
    """


@hookspec
def register_discriminators(register):
    """Register discriminators (critics).

    ``factory(params, data)`` receives the params dataclass instance and a
    ``ganzoo.DataSpec`` and returns a ``torch.nn.Module`` whose ``forward(x)``
    maps images of shape ``(N, *data.image_shape)`` to one logit per image,
    shape ``(N,)`` or ``(N, 1)``. A module with ``conditional = True`` is called
    as ``forward(x, labels)``. It may return a dict instead, the logits under
    ``"logits"`` beside extra outputs with one row per image (ACGAN's
    ``class_logits``, InfoGAN's ``code_logits`` and ``code_values``), which the
    algorithm and the loss read (``LossContext.real_extras``, ``fake_extras``).
    """


@hookspec
def register_encoders(register):
    """Register encoders: networks from pictures to codes (x -> z), for algorithms
    with an encoder role (an adversarial autoencoder, BiGAN/ALI, ClusterGAN).

    ``factory(params, data)`` receives the params dataclass instance and a
    ``ganzoo.DataSpec`` and returns a ``torch.nn.Module`` with an integer
    ``latent_dim`` attribute (the width of its codes) whose ``forward(x)`` maps
    images ``(N, *data.image_shape)`` to codes ``(N, latent_dim)``. Like every
    model role it gets an optimiser (``optimizers.<role>``) and is saved in
    checkpoints; it is never sampled from and has no EMA.
    ``ganzoo.testing.check_encoder`` checks the contract.
    """


@hookspec
def register_networks(register):
    """Register auxiliary networks: trained models that are neither generators,
    discriminators nor encoders, whose inputs and outputs the algorithm using
    them defines (a joint critic D(x, z), an InfoGAN Q head, a critic of codes).

    ``factory(params, data)`` receives the params dataclass instance and a
    ``ganzoo.DataSpec`` and returns a ``torch.nn.Module``; the algorithm calls it
    directly, ``step.models[role](...)``, with what it documents (say so in the
    description). Like every model role it gets an optimiser
    (``optimizers.<role>``) and is saved in checkpoints; it has no EMA.
    ``ganzoo.testing.check_network`` checks it on example inputs and the output
    shape the algorithm expects.
    """


@hookspec
def register_losses(register):
    """Register adversarial losses.

    ``factory(params)`` returns a ``ganzoo.AdversarialLoss``: an object with
    ``discriminator_loss(real_logits, fake_logits, ctx)`` and
    ``generator_loss(fake_logits, ctx)``, each returning a scalar tensor.
    ``ctx`` is a ``ganzoo.LossContext`` holding the discriminator and the real
    and fake batches (and labels), so a loss can add penalties that call the
    discriminator again, such as a gradient penalty.
    """


@hookspec
def register_optimizers(register):
    """Register optimisers.

    ``factory(params, parameters)`` receives the params dataclass instance and the
    parameters of one model (already on the training device) and returns a
    ``torch.optim.Optimizer``. A recipe gives each model role one:
    ``optimizers: {generator: {name: adam, params: {lr: 2.0e-4}}}``. Its state is
    saved in checkpoints with ``state_dict()``.
    """


@hookspec
def register_schedules(register):
    """Register learning-rate schedules.

    ``factory(params, optimizer, total_steps)`` returns a torch learning-rate
    scheduler (an object with ``step()``, ``state_dict()`` and
    ``load_state_dict()``, such as ``torch.optim.lr_scheduler.LambdaLR``) for the
    optimiser of one role; the trainer calls its ``step()`` after every training
    step, ``total_steps`` times in the run, and saves its state in checkpoints. A
    recipe names one per optimiser: ``optimizers.generator.schedule: {name: linear}``.
    """


@hookspec
def register_callbacks(register):
    """Register step callbacks.

    ``factory(params)`` returns a ``ganzoo.Callback``: an object whose optional
    methods the trainer calls at events, with ``run`` a ``ganzoo.RunInfo``
    (models and optimisers by role, the step, the run folder, the recipe):
    ``before_run(run)``, ``setup(run)``, ``after_update(run, roles)`` (after
    each optimiser step), ``after_step(run)``, ``on_log(run, record)``,
    ``on_grid(run, epoch, picture)`` (an epoch's sample grid as a uint8
    tensor), ``end_epoch(run, epoch)``, ``before_save_checkpoint(run, state)``,
    ``after_save_checkpoint(run, path)``, ``after_load_checkpoint(run, state)``,
    ``end_run(run)`` and ``teardown(run)``; ``state_dict()`` and
    ``load_state_dict(state)`` save and restore its own state in checkpoints.
    A callback writes its files where ``run.path(name)`` says: inside the run
    folder, whatever a recipe's param names (one line and no run otherwise).
    At each event callbacks run by their ``priority`` (lower first, mmengine's
    scale: ``ganzoo.PRIORITIES``), equal ones in the recipe's order.
    Enough for weight clipping, an adaptive augmentation probability or an
    experiment tracker. A recipe lists them: ``callbacks: [{name: clip-weights,
    params: {clip: 0.01}}]``. Loggers are callbacks too (the built-in
    tensorboard, mlflow and wandb): a recipe's second list, ``loggers:
    [tensorboard]``, names them (a name or ``{name, params}``), so an override
    of one list leaves the other alone. The trainer's side duties (the metrics
    file, progress, EMA, evaluation, sample grids, the loss plot, checkpoints)
    are registered through this hook too and named in the recipe's ``duties``
    section, where each can be dropped (``null``) or replaced.
    """


@hookspec
def register_datasets(register):
    """Register datasets.

    ``factory(params)`` returns a ``ganzoo.ImageData``: all images as one tensor
    of shape ``(N, C, H, W)``, uint8 (the trainer scales each batch to [-1, 1]
    on the device) or float already in [-1, 1], with optional integer labels,
    or as a ``ganzoo.RowSource`` that reads rows by index (e.g. lazily from disk).
    The trainer holds it on the training device (within ``data.memory_budget_gb``,
    else a row source is streamed) and shuffles it by index.
    Data that are not pictures (e.g. 2-D points, shape ``(N, 2)``) set
    ``ImageData.presentation=Presentation(plot=...)`` (samples -> PNG bytes, drawn in
    place of the per-epoch image grid; ``figures``, optional: samples -> quality figures,
    shown after every epoch).
    Raise ``ganzoo.GanzooError`` with a one-line message when the data is missing.
    """


@hookspec
def register_metrics(register):
    """Register evaluation metrics (``ganzoo eval``, and ``eval.every`` in a recipe).

    Every run is scored through them, generators and translators alike.
    ``factory(params)`` returns a ``ganzoo.Metric``: an object whose
    ``compute(generated, real)`` returns a dict of named floats, and whose
    ``better`` maps each of those names to ``"lower"`` or ``"higher"``.
    ``generated`` and ``real`` are ``ganzoo.Features``: the activations
    (``features``, N x D), class probabilities (``probs``, N x K, or ``None``
    from an extractor without classes) and, where known, the classes the
    images should show (``labels``: a translated input's) of the run's
    feature extractor (``register_feature_extractors``; ganzoo's MNIST
    classifier for MNIST, D = 128, K = 10) on the generated (or translated)
    images and on the reference set. ``compute_pairs(outputs, targets)``,
    optional, compares a translation run's outputs with their right answers
    row by row (pictures in [0, 1]). Either returns ``{}`` for what it cannot
    score.
    """


@hookspec
def register_feature_extractors(register):
    """Register feature extractors: the space ``ganzoo eval``'s metrics compare images in.

    ``factory(params)`` returns a ``ganzoo.FeatureExtractor``. Its ``image_shape``
    (``(C, H, W)``, or ``None`` for any size with one of ``channels``) and
    ``datasets`` (registered dataset names; empty for any) say which data it
    accepts, and ``accepts(image_shape, dataset)`` returns why it cannot score
    them (``""`` when it can). ``missing()`` says cheaply what stops it loading
    (weights absent, say). ``load(device)`` loads its weights and returns their
    name and SHA-256 (recorded in eval.json); ``embed(images)`` turns uint8
    images ``(N, C, H, W)`` (data that are not pictures, such as 2-D points,
    as they are) into ``ganzoo.Features``: the features, and the class
    probabilities where it has classes (``None`` otherwise). ``fetch()``,
    optional, gets what ``load`` needs when ``--features NAME`` names it
    (Inception's weights are downloaded). ``ganzoo eval`` picks the first that
    accepts the run's data and can load, those naming its dataset first, or the
    one ``--features NAME`` names; the built-in ones are ``mnist-classifier``,
    ``fashion-classifier``, ``inception`` and ``points``.
    """


@hookspec
def register_commands(register):
    """Register ``ganzoo`` commands (``ganzoo NAME ...``).

    Call it once per command::

        register(name, run, add_arguments=None, help="One line.", description=None)

    ``ganzoo NAME`` gets an ``argparse`` subparser of its own:
    ``add_arguments(parser)`` adds the command's arguments to it, ``help`` is the
    command's line in ``ganzoo --help`` and ``description`` the paragraph atop
    ``ganzoo NAME --help``. ``run(args)`` is called with the parsed
    ``argparse.Namespace`` and returns the exit code (``None`` counts as 0).
    Every command takes ``--debug`` and ``--strict``, as the built-in ones do: a
    ``ganzoo.GanzooError`` that ``run`` raises is printed on one line with exit
    code 2, anything else it raises is one line naming the command and its
    plugin, and ``--debug`` shows the traceback. Import what the command needs
    inside ``run``, so ``ganzoo --help`` stays quick. A name another plugin
    registered first (a built-in command's, say) is refused: the plugin is
    skipped with a warning. The built-in commands (``run``, ``list``...) are
    registered through this hook too, by the built-in plugin ``commands``
    (``ganzoo/commands/``); ``ganzoo plugins`` lists each plugin's commands.
    """
