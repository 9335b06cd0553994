import pytest

from twinsight.extras import MissingExtra, require


def test_present_module_is_returned() -> None:
    assert require("json", "core", "parsing").dumps([]) == "[]"


def test_missing_module_names_the_extra() -> None:
    with pytest.raises(
        MissingExtra,
        match=r"^the mitm addon needs the \[mitm\] extra: pip install 'twinsight\[mitm\]'$",
    ):
        require("no_such_module_for_twinsight", "mitm", "the mitm addon")
