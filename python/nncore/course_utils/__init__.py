"""The course's helper modules, one submodule each, on nncore's fast core.

The assignments import their helpers from modules of their own: ``init_utils``
(initialization), ``reg_utils`` (regularization), ``gc_utils`` (gradient checking) and
``opt_utils_v1a`` (optimization). Under the same name these modules do not always agree, and
a notebook relies on its own module's meaning:

=========================  ==========================================================
name                       meaning per helper module
=========================  ==========================================================
``initialize_parameters``  ``reg_utils``: ``randn(n_l, n_{l-1}) / sqrt(n_{l-1})`` (seed 3,
                           :func:`nncore.initialize_parameters_xavier`); ``opt_utils``:
                           He, ``randn * sqrt(2 / n_{l-1})`` (seed 3,
                           :func:`nncore.initialize_parameters_he`)
``compute_cost``           ``reg_utils``: the mean cross-entropy (:func:`nncore.compute_cost`);
                           ``opt_utils``: the *sum* over the minibatch (its training loop
                           divides the epoch's total by ``m``)
``backward_propagation``   ``reg_utils``: nncore's, the course's keys ``dZl``, ``dAl``
                           (``dZL = AL - Y``); ``init_utils`` and ``opt_utils``: lower-case
                           keys ``dzl``, ``dal``, with ``1/m`` taken into ``dz3``
                           (``dz3 = (a3 - Y) / m``); ``dWl``, ``dbl`` are the same in all
``load_dataset``           ``init_utils``: the circles (:func:`nncore.datasets.load_circles`);
                           ``opt_utils``: the moons (:func:`nncore.datasets.load_moons`)
=========================  ==========================================================

So each helper module has a submodule here with the names its notebook imports and the
module's own meaning: replace ``from reg_utils import ...`` with
``from nncore.course_utils.reg_utils import ...`` (or keep the notebook's line and put a
``reg_utils.py`` beside it that star-imports the submodule). The network functions are
nncore's own (see :mod:`nncore`); what a submodule adds is only the composition its helper
module makes of them. The loaders draw the course's scatter plot, as the course's do, and
``plot_decision_boundary`` is the course's signature on :func:`nncore.plot.decision_boundary`;
these need matplotlib (``pip install nncore[plot]``). The helper modules' loaders of files the
course ships (``load_cat_dataset``'s ``.h5`` files, ``load_planar_dataset``) are not provided:
no notebook of these assignments calls them.
"""
