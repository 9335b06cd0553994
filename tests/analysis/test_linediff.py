"""Line-format bodies compared by key: iCalendar, vCard, CSV and `key: value` text."""

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from twinsight.analysis.bodies.difference import BodyDifference
from twinsight.analysis.bodies.linediff import diff_line_bodies, line_format, read_lines
from twinsight.analysis.diff import Difference, Message, diff_responses
from twinsight.analysis.inference import Evidence, Window, infer
from twinsight.analysis.inference_values import Moment, time_of

CALENDAR = "text/calendar; charset=utf-8"
NOW = 1_796_032_800.0  # 2026-11-30T10:00:00Z


def event(uid: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", *lines, "END:VEVENT"])


def shown(component: str) -> str:
    """A component as a difference shows it: its unfolded lines."""
    return component.replace("\r\n", "\n")


def calendar(*events: str) -> bytes:
    inner = "\r\n".join(events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{inner}\r\nEND:VCALENDAR\r\n".encode()


def found(a: bytes, b: bytes, kind: str = CALENDAR) -> list[tuple[str, str, object, object]]:
    result = diff_line_bodies(a, kind, b, kind)
    assert result is not None
    return [(d.location, d.kind, d.legacy, d.candidate) for d in result]


def test_events_are_compared_by_property_and_parameter() -> None:
    a = calendar(event("a1", "DTSTART;TZID=Europe/Paris:20261201T090000", "SUMMARY:Review"))
    b = calendar(event("a1", "DTSTART;TZID=Europe/Berlin:20261201T100000", "SUMMARY:Review"))
    assert found(a, b) == [
        ("body.VCALENDAR.VEVENT[0].DTSTART", "changed", "20261201T090000", "20261201T100000"),
        ("body.VCALENDAR.VEVENT[0].DTSTART.@TZID", "changed", "Europe/Paris", "Europe/Berlin"),
    ]


def test_refolded_lines_and_property_order_are_a_match() -> None:
    a = calendar(event("a1", "SUMMARY:A long meeting about things", "LOCATION:Room 1"))
    b = calendar(event("a1", "LOCATION:Room 1", "SUMMARY:A long me\r\n eting about\r\n\t things"))
    assert found(a, b) == []


def test_events_are_matched_by_uid() -> None:
    one, two = event("a1", "SUMMARY:One"), event("b2", "SUMMARY:Two")
    assert found(calendar(one, two), calendar(two, one)) == [
        ("body.VCALENDAR.VEVENT", "order", ["a1", "b2"], ["b2", "a1"])
    ]
    three = event("c3", "SUMMARY:Three")
    changed = event("b2", "SUMMARY:Deux")
    assert found(calendar(one, two), calendar(three, changed)) == [
        ("body.VCALENDAR.VEVENT[0]", "missing", shown(one), None),
        ("body.VCALENDAR.VEVENT[1].SUMMARY", "changed", "Two", "Deux"),
        ("body.VCALENDAR.VEVENT[0]", "extra", None, shown(three)),
    ]


def test_one_event_is_still_indexed_and_repeated_properties_are_too() -> None:
    a = calendar(event("a1", "ATTENDEE:mailto:a@x", "ATTENDEE:mailto:b@x"))
    b = calendar(event("a1", "ATTENDEE:mailto:a@x", "ATTENDEE:mailto:c@x"), event("d4"))
    assert found(a, b) == [
        ("body.VCALENDAR.VEVENT[0].ATTENDEE[1]", "changed", "mailto:b@x", "mailto:c@x"),
        ("body.VCALENDAR.VEVENT[1]", "extra", None, shown(event("d4"))),
    ]


def test_a_vcard_is_compared_by_property() -> None:
    a = b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann Lee\r\nTEL;TYPE=work:+331\r\nEND:VCARD\r\n"
    b = b"begin:vcard\r\nversion:4.0\r\nfn:Ann Lee\r\ntel;type=home:+331\r\nEND:VCARD\r\n"
    assert found(a, b, "text/vcard") == [("body.VCARD.TEL.@TYPE", "changed", "work", "home")]
    assert diff_line_bodies(a, "text/x-vcard", b, "text/vcard") is not None


def test_a_csv_is_compared_by_key_column_and_cell() -> None:
    a = b"id,name,price\n1,tea,3\n2,cake,4\n"
    b = b"id,name,price\r\n2,cake,5\r\n1,tea,3\r\n3,jam,1\r\n"
    assert found(a, b, "text/csv") == [
        ("body.rows[1].price", "changed", "4", "5"),
        ("body.rows[2]", "extra", None, "3,jam,1"),
        ("body.rows", "order", ["1", "2"], ["2", "1"]),
    ]


def test_a_csv_without_a_unique_key_is_compared_by_index() -> None:
    a = b"sku,price\nx,1\nx,2\n"
    b = b"sku,price\nx,2\nx,1\n"
    assert found(a, b, "text/csv") == [("body.rows", "order", ["x,1", "x,2"], ["x,2", "x,1"])]
    assert found(a, b"sku,price\nx,1\nx,3\n", "text/csv") == [
        ("body.rows[1].price", "changed", "2", "3")
    ]


def test_csv_columns_are_compared_in_order() -> None:
    assert found(b"id,b\n1,2\n", b"b,id\n2,1\n", "text/csv") == [
        ("body.columns", "order", ["id", "b"], ["b", "id"])
    ]
    assert found(b"id,b\n1,2\n", b"id,c\n1,2\n", "text/csv") == [
        ("body.columns[1]", "changed", "b", "c"),
        ("body.rows[0].b", "missing", "2", None),
        ("body.rows[0].c", "extra", None, "2"),
    ]


def test_key_value_text_is_compared_by_key() -> None:
    a = b"status: ok\nserver.port=8080\nnode: a\nnode: b\n"
    b = b"server.port = 8081\nstatus: ok\nnode: a\n\n"
    assert found(a, b, "text/plain") == [
        ("body.node[1]", "missing", "b", None),
        ('body["server.port"]', "changed", "8080", "8081"),
    ]


def test_bodies_that_do_not_read_as_their_format_fall_back_to_text() -> None:
    good = calendar(event("a1"))
    assert diff_line_bodies(good, CALENDAR, b"not a calendar", CALENDAR) is None
    assert (
        diff_line_bodies(good, CALENDAR, good.replace(b"END:VEVENT", b"END:VTODO"), CALENDAR)
        is None
    )
    assert diff_line_bodies(b"a,b\n1,2,3\n", "text/csv", b"a,b\n", "text/csv") is None
    assert diff_line_bodies(b"a,a\n1,2\n", "text/csv", b"a,b\n", "text/csv") is None
    assert diff_line_bodies(b"a: 1\nprose here\n", "text/plain", b"a: 1", "text/plain") is None
    assert diff_line_bodies(good, CALENDAR, good, "text/plain") is None
    assert diff_line_bodies(b"a: 1", None, b"a: 2", None) is None
    assert line_format("TEXT/CSV; header=present") == "csv"
    assert read_lines(b"\xff", "icalendar") is None
    deep = b"BEGIN:X\n" * 5000 + b"END:X\n" * 5000
    assert diff_line_bodies(deep, CALENDAR, deep + b"BEGIN:Y\nEND:Y\n", CALENDAR) is None


def test_diff_responses_reaches_the_line_comparer() -> None:
    headers = (("Content-Type", "text/plain"),)
    legacy, candidate = Message(200, headers, b"a: 1\nb: 2"), Message(200, headers, b"b: 2\na: 3")
    assert diff_responses(legacy, candidate) == [Difference("body.a", "changed", "1", "3")]


def test_basic_format_times_read_as_times() -> None:
    moment = time_of("20261130T101500Z")
    assert moment == Moment(NOW + 900, "iso ddddddddTddddddZ")
    assert time_of("20261130T101500") is not None
    assert time_of("20261130") is None  # a date alone is not stamped per exchange
    assert time_of("20261399T999999Z") is None


def test_a_dtstamp_inside_the_window_is_time_noise() -> None:
    headers = (("Content-Type", "text/calendar"),)
    a = calendar(event("a1", "DTSTAMP:20261130T100000Z", "SUMMARY:x"))
    b = calendar(event("a1", "DTSTAMP:20261130T100001Z", "SUMMARY:x"))
    (difference,) = diff_responses(Message(200, headers, a), Message(200, headers, b))
    assert difference.location == "body.VCALENDAR.VEVENT[0].DTSTAMP"
    windows = Evidence(Window(NOW, NOW + 0.2), Window(NOW + 0.01, NOW + 0.3))
    assert infer(difference, windows) == "time"
    late = Difference(difference.location, "changed", difference.legacy, "20261129T100000Z")
    assert infer(late, windows) is None


# properties

KINDS = [CALENDAR, "text/vcard", "text/csv", "text/plain"]


@given(st.binary(max_size=300), st.sampled_from(KINDS))
def test_arbitrary_bytes_never_raise(body: bytes, kind: str) -> None:
    diff_line_bodies(body, kind, calendar(event("a")), kind)
    diff_line_bodies(b"id,a\n1,2\n", kind, body, kind)


@given(st.text(max_size=300), st.sampled_from(KINDS))
def test_arbitrary_text_never_raises_and_matches_itself(text: str, kind: str) -> None:
    body = text.encode()
    assert diff_line_bodies(body, kind, body, kind) in (None, [])


Events = list[tuple[str | None, list[tuple[str, str]]]]
values = st.text('ab:;," =', max_size=6)
events = st.lists(
    st.tuples(
        st.sampled_from(["u1", "u2", "u3", None]),
        st.lists(st.tuples(st.sampled_from(["SUMMARY", "DTSTART", "X-A"]), values), max_size=3),
    ),
    max_size=3,
)


def render(generated: Events, width: int) -> bytes:
    lines = []
    for uid, properties in generated:
        lines.append("BEGIN:VEVENT")
        if uid is not None:
            lines.append(f"UID:{uid}")
        lines += [f"{name}:{value}" for name, value in properties]
        lines.append("END:VEVENT")
    folded = [
        "\r\n ".join(line[i : i + width] for i in range(0, len(line), width)) for line in lines
    ]
    return calendar(*folded) if folded else calendar("X-EMPTY:1")


@given(events, st.integers(3, 80), st.integers(3, 80))
def test_a_calendar_folded_otherwise_is_a_match(generated: Events, width: int, other: int) -> None:
    assert found(render(generated, width), render(generated, other)) == []


def seen(result: list[BodyDifference] | None, flip: bool) -> Counter[tuple[object, ...]]:
    assert result is not None
    swap = {"missing": "extra", "extra": "missing"}
    return Counter(
        (
            Difference(d.location, d.kind).group,
            swap.get(d.kind, d.kind) if flip else d.kind,
            str(d.candidate if flip else d.legacy),
            str(d.legacy if flip else d.candidate),
        )
        for d in result
    )


@given(events, events)
def test_the_calendar_diff_is_symmetric(ours: Events, theirs: Events) -> None:
    a, b = render(ours, 75), render(theirs, 75)
    assert seen(diff_line_bodies(a, CALENDAR, b, CALENDAR), False) == seen(
        diff_line_bodies(b, CALENDAR, a, CALENDAR), True
    )


rows = st.lists(
    st.tuples(st.sampled_from(["1", "2", "3", "4"]), st.text('xy,"\n', max_size=3)), max_size=4
)


def csv_body(generated: list[tuple[str, str]]) -> bytes:
    quoted = [f'{key},"{value.replace(chr(34), chr(34) * 2)}"' for key, value in generated]
    return "\r\n".join(["id,value", *quoted]).encode()


@given(rows, rows)
def test_the_csv_diff_is_symmetric(
    ours: list[tuple[str, str]], theirs: list[tuple[str, str]]
) -> None:
    a, b = csv_body(ours), csv_body(theirs)
    assert seen(diff_line_bodies(a, "text/csv", b, "text/csv"), False) == seen(
        diff_line_bodies(b, "text/csv", a, "text/csv"), True
    )


def test_a_byte_order_mark_on_one_side_is_a_difference() -> None:
    # Read past when parsing, but a client's parser may take it into the first name.
    bom = "\ufeff".encode()
    mark = "byte order mark EF BB BF"
    assert found(bom + b"id,a\n1,2\n", b"id,a\n1,2\n", "text/csv") == [
        ("body.#bom", "missing", mark, None)
    ]
    assert found(b"a: 1", bom + b"a: 2", "text/plain") == [
        ("body.#bom", "extra", None, mark),
        ("body.a", "changed", "1", "2"),
    ]
    assert found(bom + calendar(event("a")), bom + calendar(event("a"))) == []


def test_bytes_utf8_does_not_decode_are_compared_as_bytes() -> None:
    # Decoding is strict: bodies that differ in undecodable bytes never read the same.
    for kind, a, b in [
        ("text/csv", b"id,name\n1,Jos\xe9\n", b"id,name\n1,Jos\xe8\n"),
        ("text/plain", b"name: Jos\xe9", b"name: Jos\xe8"),
        (CALENDAR, calendar(event("a")) + b"\xe9", calendar(event("a")) + b"\xe8"),
    ]:
        assert diff_line_bodies(a, kind, b, kind) is None
        headers = (("Content-Type", kind),)
        [binary] = diff_responses(Message(200, headers, a), Message(200, headers, b))
        assert (binary.location, binary.summary) == ("body", "binary bodies differ")
