"""`--dask`'s address read (local:N or a scheduler's URL, anything else one line), and a
clear line when the dask extra is not installed. No cluster is started."""

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.cluster import DaskAddress, dask_client
from twinsight.errors import MissingExtra, UserError


@pytest.mark.parametrize(
    "text",
    [
        "local:0",
        "local:x",
        "local:07",
        "local:\u0663",
        "local",
        "host:8786",
        "tcp://",
        "tcp://a b",
        "",
    ],
)
def test_an_address_that_is_neither_local_nor_a_url_is_one_line(text: str) -> None:
    with pytest.raises(UserError, match="--dask"):
        DaskAddress.of(text)


def test_addresses_read() -> None:
    assert DaskAddress.of("local:3") == DaskAddress(3, None)
    assert DaskAddress.of("tcp://scheduler:8786") == DaskAddress(None, "tcp://scheduler:8786")


@given(st.one_of(st.text(), st.integers(0, 99).map(lambda n: f"local:{n}")))
def test_an_address_reads_back_as_given_or_is_refused(text: str) -> None:
    try:
        address = DaskAddress.of(text)
    except UserError as error:
        refused = str(error)
    else:
        assert str(address) == text
        assert (address.local is None) != (address.scheduler is None)
        return
    assert "\n" not in refused
    assert refused.startswith(f"--dask {text!r}: ")


def test_without_the_dask_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(MissingExtra, match=r"pip install 'twinsight\[dask\]'"):  # noqa: SIM117
        with dask_client(DaskAddress.of("local:1")):
            pass
