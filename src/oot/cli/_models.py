"""The models ``oot analyze --model`` names."""

from __future__ import annotations

from typing import Any

from ._common import CLIError


def _models() -> dict[str, tuple[str, str | None, str | None]]:
    """name -> (description, regressor class path, classifier class path)."""
    return {
        "linear": ("ordinary least squares (scaled)", "sklearn.linear_model.LinearRegression",
                   None),
        "ridge": ("ridge regression / classifier (scaled)", "sklearn.linear_model.Ridge",
                  "sklearn.linear_model.LogisticRegression"),
        "logistic": ("logistic regression (scaled)", None,
                     "sklearn.linear_model.LogisticRegression"),
        "hgb": ("histogram gradient boosting", "sklearn.ensemble.HistGradientBoostingRegressor",
                "sklearn.ensemble.HistGradientBoostingClassifier"),
        "gbm": ("gradient boosting", "sklearn.ensemble.GradientBoostingRegressor",
                "sklearn.ensemble.GradientBoostingClassifier"),
        "rf": ("random forest", "sklearn.ensemble.RandomForestRegressor",
               "sklearn.ensemble.RandomForestClassifier"),
        "et": ("extra trees", "sklearn.ensemble.ExtraTreesRegressor",
               "sklearn.ensemble.ExtraTreesClassifier"),
        "dummy": ("predicts the training mean / class prior (a floor to compare with)",
                  "sklearn.dummy.DummyRegressor", "sklearn.dummy.DummyClassifier"),
    }


#: Model names ``oot analyze --model`` accepts.
MODELS: tuple[str, ...] = tuple(_models())


#: At most this many one-hot columns per categorical feature (rarer values are grouped).
MAX_CATEGORIES = 20


def make_estimator(name: str, task: str, params: dict[str, Any] | None = None, *,
                   numeric: list[str] | None = None,
                   categorical: list[str] | None = None) -> Any:
    """Build the scikit-learn estimator ``--model name`` stands for.

    Linear models get a :class:`~sklearn.preprocessing.StandardScaler`, and every model
    but ``hgb`` (which handles missing values itself) a median
    :class:`~sklearn.impute.SimpleImputer`, in a Pipeline.

    The default preprocessing of categorical columns (strings, pandas categories): with
    ``categorical`` given, a :class:`~sklearn.compose.ColumnTransformer` one-hot encodes
    those columns (missing values as a category of their own, at most
    :data:`MAX_CATEGORIES` columns per feature with the rarest values grouped as
    "infrequent", values unseen in training ignored) and applies the numeric steps
    above to the ``numeric`` columns.

    Parameters
    ----------
    name : str
        One of :data:`MODELS`.
    task : {"regression", "classification"}
    params : dict, default=None
        Keyword arguments for the model (``--model-params``).
    numeric, categorical : list of str, default=None
        The numeric and the categorical feature columns; without categorical columns the
        model takes the features as they are.

    Returns
    -------
    estimator

    Raises
    ------
    ValueError
        Unknown name, a model that does not fit the task, or bad parameters.

    Examples
    --------
    >>> from oot.cli import make_estimator
    >>> make_estimator("hgb", "regression", {"max_iter": 50})
    HistGradientBoostingRegressor(max_iter=50)
    >>> make_estimator("logistic", "classification").steps[-1][0]
    'logisticregression'
    >>> est = make_estimator("hgb", "regression", numeric=["x"], categorical=["city"])
    >>> [n for n, _, cols in est.steps[0][1].transformers]
    ['numeric', 'categorical']
    """
    import importlib

    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    table = _models()
    if name not in table:
        msg = (f"argument --model: invalid choice: {name!r} (choose from "
               + ", ".join(repr(m) for m in table) + ")")
        raise CLIError(msg)
    _, reg, clf = table[name]
    path = reg if task == "regression" else clf
    if path is None:
        other = "classification" if task == "regression" else "regression"
        msg = (f"argument --model: {name!r} is a {other} model but the metric is a "
               f"{task} metric; choose another model or metric")
        raise CLIError(msg)
    module, cls_name = path.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), cls_name)
    kwargs = dict(params or {})
    if name == "logistic" or (name == "ridge" and task == "classification"):
        kwargs.setdefault("max_iter", 1000)
    try:
        model = cls(**kwargs)
    except TypeError as exc:
        msg = f"argument --model-params: {cls_name} does not accept these parameters: {exc}"
        raise CLIError(msg) from exc
    steps: list[Any] = [] if name == "hgb" else [SimpleImputer(strategy="median")]
    if name in ("linear", "ridge", "logistic"):
        steps.append(StandardScaler())
    if categorical:
        from sklearn.compose import ColumnTransformer
        from sklearn.preprocessing import OneHotEncoder

        encode = make_pipeline(
            SimpleImputer(strategy="constant", fill_value="(missing)"),
            OneHotEncoder(handle_unknown="infrequent_if_exist",
                          max_categories=MAX_CATEGORIES, sparse_output=False))
        pre = ColumnTransformer(
            [("numeric", make_pipeline(*steps) if steps else "passthrough",
              list(numeric or [])), ("categorical", encode, list(categorical))],
            verbose_feature_names_out=False)
        return make_pipeline(pre, model)
    if name == "hgb":
        return model
    return make_pipeline(*steps, model)
