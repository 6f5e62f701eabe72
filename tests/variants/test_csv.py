"""Variants CSV: export, import, round trips per delimiter, formula injection, all-or-nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.support.envelope import assert_error
from tests.variants.test_attributes import attributes, create_attribute
from tests.variants.test_variants import create_variant, variants

DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


async def export(
    client: httpx.AsyncClient, headers: dict[str, str], base: str, delimiter: str = "comma"
) -> str:
    response = await client.get(f"{base}/variants/export", params={"delimiter": delimiter}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    return response.text


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    base: str,
    content: str | bytes,
    content_type: str = "text/csv",
) -> httpx.Response:
    files = {"file": ("variants.csv", content, content_type)}
    return await client.post(f"{base}/variants/import", files=files, headers=headers)


async def imported(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, content: str
) -> dict[str, Any]:
    response = await upload(client, admin, base, content)
    assert response.status_code == 200, response.text
    counts: dict[str, Any] = response.json()
    return counts


def rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


async def snapshot(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> tuple[Any, Any]:
    return await attributes(client, admin, base), await variants(client, admin, base)


@pytest.fixture
async def populated(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> dict[str, str]:
    """Two attributes and three variants with awkward values."""
    city = await create_attribute(client, admin, base, "City")
    motto = await create_attribute(client, admin, base, 'Motto; "quoted" | x, y')
    await create_variant(
        client, admin, base, "Zürich", attributeValues={"values": {city: "Zürich 🇨🇭", motto: "a,b;c|d\te\nf"}}
    )
    await create_variant(client, admin, base, "東京", attributeValues={"values": {city: "東京"}})
    await create_variant(
        client,
        admin,
        base,
        '=HYPERLINK("http://evil")',
        attributeValues={"values": {city: "+1 555", motto: "@SUM(A1)"}},
    )
    return {"city": city, "motto": motto}


async def test_export_format(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, populated: dict[str, str]
) -> None:
    text = await export(client, admin, base)
    assert text.endswith("\r\n")
    table = rows(text)
    listed = await variants(client, admin, base)
    assert table[0] == ["id", "name", "is_default", "attribute_City", 'attribute_Motto; "quoted" | x, y']
    assert table[1] == [listed[0]["id"], "Zürich", "true", "Zürich 🇨🇭", "a,b;c|d\te\nf"]
    assert table[2] == [listed[1]["id"], "東京", "false", "東京", ""]
    # Cells a spreadsheet would run as formulas are neutralised with a leading apostrophe.
    assert table[3] == [listed[2]["id"], '\'=HYPERLINK("http://evil")', "false", "'+1 555", "'@SUM(A1)"]


async def test_empty_branch_exports_the_header(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    assert await export(client, admin, base) == "id,name,is_default\r\n"


@pytest.mark.parametrize("delimiter", list(DELIMITERS))
async def test_round_trip_in_place(
    client: httpx.AsyncClient, admin: dict[str, str], base: str, populated: dict[str, str], delimiter: str
) -> None:
    before = await snapshot(client, admin, base)
    text = await export(client, admin, base, delimiter)
    assert rows(text, DELIMITERS[delimiter])[1][1] == "Zürich"
    counts = await imported(client, admin, base, text)
    assert counts == {"created": 0, "updated": 3, "attributesCreated": 0}
    assert await snapshot(client, admin, base) == before


@pytest.mark.parametrize("delimiter", list(DELIMITERS))
async def test_round_trip_into_another_branch(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    agent: str,
    base: str,
    populated: dict[str, str],
    delimiter: str,
) -> None:
    """Without ids the rows are new variants, and missing attributes are created from the header."""
    text = await export(client, admin, base, delimiter)
    sep = DELIMITERS[delimiter]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    for index, row in enumerate(rows(text, sep)):
        writer.writerow(row if index == 0 else ["", *row[1:]])
    response = await client.post(
        f"/v1/agents/{agent}/branches", json={"branchName": delimiter}, headers=admin
    )
    other = f"/v1/agents/{agent}/branches/{response.json()['branchId']}"
    counts = await imported(client, admin, other, buffer.getvalue())
    assert counts == {"created": 3, "updated": 0, "attributesCreated": 2}

    def portable(snap: tuple[Any, Any]) -> Any:
        names = {a["id"]: a["name"] for a in snap[0]}
        return [
            (
                v["name"],
                v["isDefault"],
                {names[k]: value for k, value in v["attributeValues"]["values"].items()},
            )
            for v in snap[1]
        ]

    assert portable(await snapshot(client, admin, other)) == portable(await snapshot(client, admin, base))


async def test_formula_cells_are_unescaped_on_import(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    content = (
        "name,attribute_Formula\n"
        "'=cmd,'=1+1\n"
        "'-minus,'@at\n"
        "plain,'+plus\n"
        "quote,'not a formula\n"
        "double,''=kept one\n"
    )
    await imported(client, admin, base, content)
    listed = await variants(client, admin, base)
    formula = (await attributes(client, admin, base))[0]["id"]
    assert [(v["name"], v["attributeValues"]["values"][formula]) for v in listed] == [
        ("=cmd", "=1+1"),
        ("-minus", "@at"),
        ("plain", "+plus"),
        ("quote", "'not a formula"),
        ("double", "'=kept one"),
    ]
    # And they go out protected again, so that a round trip changes nothing.
    table = rows(await export(client, admin, base))
    assert [row[1] for row in table[1:]] == ["'=cmd", "'-minus", "plain", "quote", "double"]
    assert [row[3] for row in table[1:]] == ["'=1+1", "'@at", "'+plus", "''not a formula", "''=kept one"]
    before = await snapshot(client, admin, base)
    await imported(client, admin, base, await export(client, admin, base))
    assert await snapshot(client, admin, base) == before


async def test_import_updates_creates_and_sets_the_default(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    city = await create_attribute(client, admin, base, "City")
    london = await create_variant(client, admin, base, "London", attributeValues={"values": {city: "London"}})
    paris = await create_variant(client, admin, base, "Paris", attributeValues={"values": {city: "Paris"}})
    content = (
        "\ufeffID;Name;IS_DEFAULT;attribute_city;attribute_Phone\r\n"
        f"{london['id']};Londres;;;+44\r\n"
        ";Berlin;yes;Berlin;+49\r\n"
        "\r\n"
    )
    counts = await imported(client, admin, base, content)
    assert counts == {"created": 1, "updated": 1, "attributesCreated": 1}
    phone = next(a["id"] for a in await attributes(client, admin, base) if a["name"] == "Phone")
    assert [
        (v["name"], v["isDefault"], v["attributeValues"]["values"])
        for v in await variants(client, admin, base)
    ] == [
        # An empty cell clears the value; attributes without a column are left alone.
        ("Londres", False, {phone: "+44"}),
        ("Paris", False, {city: "Paris"}),
        ("Berlin", True, {city: "Berlin", phone: "+49"}),
    ]
    assert paris["isDefault"] is False


async def test_first_imported_variant_becomes_default(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    await imported(client, admin, base, "name,is_default\nA,false\nB,false\n")
    assert [(v["name"], v["isDefault"]) for v in await variants(client, admin, base)] == [
        ("A", True),
        ("B", False),
    ]
    # false does not take the default away (the file cannot leave the branch without one).
    await imported(client, admin, base, "name,is_default\nC,false\n")
    assert [v["name"] for v in await variants(client, admin, base) if v["isDefault"]] == ["A"]


async def test_names_can_be_swapped_in_one_import(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    a = await create_variant(client, admin, base, "A")
    b = await create_variant(client, admin, base, "B")
    await imported(client, admin, base, f"id,name\n{a['id']},B\n{b['id']},A\n")
    assert [(v["id"], v["name"]) for v in await variants(client, admin, base)] == [
        (a["id"], "B"),
        (b["id"], "A"),
    ]


async def test_quoted_cells_with_delimiters_and_newlines(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    content = 'name|attribute_Address\n"Pipe | name"|"1 Main St\nSpringfield, ""USA"""\n'
    await imported(client, admin, base, content)
    listed = await variants(client, admin, base)
    assert listed[0]["name"] == "Pipe | name"
    assert list(listed[0]["attributeValues"]["values"].values()) == ['1 Main St\nSpringfield, "USA"']


async def test_structural_errors(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    await create_variant(client, admin, base, "Existing")
    before = await snapshot(client, admin, base)

    error = assert_error(
        await upload(client, admin, base, "name:is_default\nA:true\n"), "VariantsImportInvalidDelimiter"
    )
    assert error["data"]["allowedDelimiters"] == [",", ";", "\t", "|"]
    assert_error(
        await upload(client, admin, base, "name is_default\nA true\n"), "VariantsImportInvalidDelimiter"
    )

    for content in ("id,is_default\n,true\n", "", "\n\n", "attribute_City\nx\n", "nme\nA\n"):
        error = assert_error(await upload(client, admin, base, content), "VariantImportMissingColumnsHttp")
        assert error["data"] == {"missingColumns": ["name"]}

    error = assert_error(
        await upload(client, admin, base, "name,Name,attribute_City,attribute_city\nA,B,c,d\n"),
        "VariantImportDuplicateColumnsHttp",
    )
    assert error["data"] == {"duplicateColumns": ["name", "Name", "attribute_City", "attribute_city"]}

    error = assert_error(await upload(client, admin, base, "name,city,\nA,B,\n"), "SCHEMA_VALIDATION_FAILED")
    assert error["data"] == {"unknownColumns": ["city", ""]}
    error = assert_error(
        await upload(client, admin, base, f"name,attribute_{'x' * 101}\nA,B\n"), "SCHEMA_VALIDATION_FAILED"
    )
    assert "invalidColumns" in error["data"]
    assert await snapshot(client, admin, base) == before


async def test_cell_errors_are_all_reported_and_nothing_is_written(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    await create_variant(client, admin, base, "Existing")
    before = await snapshot(client, admin, base)
    content = (
        "name,is_default,attribute_City\n"
        "Good,false,Rome\n"
        ",false,Nowhere\n"
        "Bad flag,maybe,x\n"
        f"Long value,false,{'v' * 5001}\n"
        f"{'n' * 101},false,x\n"
        "Too,many,cells,here\n"
    )
    error = assert_error(await upload(client, admin, base, content), "SCHEMA_VALIDATION_FAILED")
    assert [(e["line"], e["column"]) for e in error["data"]["errors"]] == [
        (3, "name"),
        (4, "is_default"),
        (5, "attribute_City"),
        (6, "name"),
        (7, ""),
    ]
    # Not even the attribute from the header was created.
    assert await snapshot(client, admin, base) == before


async def test_row_errors_against_the_branch_leave_it_unchanged(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    existing = await create_variant(client, admin, base, "Existing")
    before = await snapshot(client, admin, base)
    new_rows = "".join(f",New {i},false,v\n" for i in range(5))
    header = "id,name,is_default,attribute_Fresh\n"

    error = assert_error(
        await upload(client, admin, base, header + new_rows + "VARIANT-NOPE,Ghost,false,v\n"),
        "VARIANT_NOT_FOUND",
    )
    assert error["data"] == {"line": 7, "id": "VARIANT-NOPE"}
    error = assert_error(
        await upload(client, admin, base, header + new_rows + ",existing,false,v\n"),
        "VARIANTS_DUPLICATE_NAME_ERROR",
    )
    assert error["data"] == {"line": 7, "name": "existing"}
    assert_error(
        await upload(client, admin, base, header + new_rows + ",New 0,false,v\n"),
        "VARIANTS_DUPLICATE_NAME_ERROR",
    )
    error = assert_error(
        await upload(client, admin, base, header + ",A,true,v\n,B,true,v\n"), "SCHEMA_VALIDATION_FAILED"
    )
    assert [e["line"] for e in error["data"]["errors"]] == [2, 3]
    error = assert_error(
        await upload(
            client, admin, base, f"{header}{existing['id']},X,false,v\n{existing['id']},Y,false,v\n"
        ),
        "SCHEMA_VALIDATION_FAILED",
    )
    assert error["data"]["errors"][0]["line"] == 3
    assert await snapshot(client, admin, base) == before


async def test_limits(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    header = "name," + ",".join(f"attribute_a{i}" for i in range(51))
    error = assert_error(
        await upload(client, admin, base, header + "\nx" + "," * 51 + "\n"), "UNPROCESSABLE_ENTITY"
    )
    assert error["data"]["kind"] == "attribute"
    error = assert_error(
        await upload(client, admin, base, "name\n" + "\n".join(f"v{i}" for i in range(1001))),
        "UNPROCESSABLE_ENTITY",
    )
    assert error["data"]["kind"] == "variant"
    assert await snapshot(client, admin, base) == ([], [])


async def test_upload_errors(client: httpx.AsyncClient, admin: dict[str, str], base: str) -> None:
    url = f"{base}/variants/import"
    error = assert_error(await client.post(url, headers=admin), "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"] == "/body/file"
    response = await client.post(url, files={"document": ("v.csv", "name\nA\n", "text/csv")}, headers=admin)
    assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert_error(await client.post(url, json={"file": "name\nA\n"}, headers=admin), "UNSUPPORTED_MEDIA_TYPE")
    assert_error(
        await upload(client, admin, base, b"\x89PNG\r\n\x1a\n", "image/png"), "UNSUPPORTED_MEDIA_TYPE"
    )
    assert_error(
        await upload(client, admin, base, b'{"name": "A"}', "application/json"), "UNSUPPORTED_MEDIA_TYPE"
    )
    error = assert_error(
        await upload(client, admin, base, "name\nCaf\xe9\n".encode("latin-1")), "UNSUPPORTED_MEDIA_TYPE"
    )
    assert "UTF-8" in error["message"]
    assert_error(
        await upload(client, admin, base, b"name\nA\x00B\n", "application/octet-stream"),
        "UNSUPPORTED_MEDIA_TYPE",
    )
    response = await client.post(
        url, content=b"--x\r\nbroken", headers={**admin, "content-type": "multipart/form-data; boundary=x"}
    )
    assert_error(response, "SCHEMA_VALIDATION_FAILED")
    big = "name\n" + ("x" * 1023 + "\n") * (10 * 1024 + 1)
    assert_error(await upload(client, admin, base, big), "PAYLOAD_TOO_LARGE")
    assert await variants(client, admin, base) == []


async def test_curl_style_upload_without_file_type_works(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    response = await upload(client, admin, base, b"name\nA\n", "application/octet-stream")
    assert response.status_code == 200 and response.json()["created"] == 1


async def test_export_delimiter_must_be_known(
    client: httpx.AsyncClient, admin: dict[str, str], base: str
) -> None:
    response = await client.get(f"{base}/variants/export", params={"delimiter": "colon"}, headers=admin)
    error = assert_error(response, "SCHEMA_VALIDATION_FAILED")
    assert error["data"]["errors"][0]["path"] == "/query/delimiter"
