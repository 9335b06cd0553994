"""`twinsight example xml-legacy|xml-candidate` and `files xml`, as a user runs them."""

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli.run import twinsight


@pytest.mark.parametrize("command", ["xml-legacy", "xml-candidate"])
def test_help_has_an_example(command: str) -> None:
    shown = twinsight("example", command, "--help")
    assert shown.returncode == 0
    assert "Example:" in shown.stdout
    assert "--port" in shown.stdout


def test_example_files_xml_holds_the_divergences() -> None:
    folder = Path(twinsight("example", "files", "xml").stdout.strip())
    assert {"DIVERGENCES.md", "traffic.py"} <= {p.name for p in folder.iterdir()}
    assert (Path(twinsight("example", "files").stdout.strip()) / "spec.yaml").exists()
    assert twinsight("example", "files", "json").returncode == 2


def soap(url: str, operation: str, inner: bytes) -> tuple[int, bytes]:
    """Call `operation` of the orders service at `url`: its status and body, faults included."""
    body = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:o="urn:example:orders"><soap:Body><o:%s>%s</o:%s></soap:Body></soap:Envelope>'
    ) % (operation.encode(), inner, operation.encode())
    headers = {"SOAPAction": f'"urn:example:orders/{operation}"'}
    call = urllib.request.Request(f"{url}/soap", data=body, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as fault:
        return fault.code, fault.read()


@pytest.mark.parametrize(
    ("service", "options", "spelled"),
    [
        ("xml-legacy", [], b"<o:total>9.50</o:total>"),
        ("xml-candidate", [], b"<amount>9.50</amount>"),  # row 6
        ("xml-candidate", ["--faithful"], b"<total>9.50</total>"),
    ],
)
def test_service_answers_soap_and_stops_on_sigterm(
    service: str, options: list[str], spelled: bytes
) -> None:
    argv = [sys.executable, "-m", "twinsight", "example", service, "--port", "0", *options]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith(f"{service} listening on http://127.0.0.1:")
        url = line.split()[-1]
        with urllib.request.urlopen(f"{url}/health", timeout=10) as answer:
            assert answer.status == 200
        assert soap(url, "GetOrder", b"<o:orderId>1</o:orderId>")[0] == 500  # not found
        order = b"<o:customer>acme</o:customer><o:line><o:sku>P-1</o:sku>"
        order += b"<o:quantity>1</o:quantity><o:unitPrice>9.50</o:unitPrice></o:line>"
        created = soap(url, "CreateOrder", order)
        assert created[0] == 200
        order_id = ET.fromstring(created[1]).findtext(".//{urn:example:orders}orderId")
        status, body = soap(url, "GetOrder", b"<o:orderId>%s</o:orderId>" % str(order_id).encode())
        assert status == 200
        assert spelled in body
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert returncode == 0
