"""Attachments: upload (type and size checked), attach on save, read only with access to
the record; contents in a local folder."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from runtime_support import act

from engine.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from engine.runtime.engine import Engine
from engine.runtime.files import LocalFileStorage


def upload(shop: Engine, username: str, name: str = "scan.pdf", data: bytes = b"%PDF-1") -> int:
    stored = shop.files.upload(
        act(shop, username), "order", "file", name, io.BytesIO(data), "application/pdf"
    )
    return stored.id


def test_an_uploaded_file_is_attached_when_the_record_is_saved(shop: Engine) -> None:
    ann = act(shop, "ann")
    file_id = upload(shop, "ann")
    order = shop.records.create(ann, "order", {"title": "Filed", "file": [file_id]})
    assert order["file"] == [
        {"id": file_id, "name": "scan.pdf", "size": 6, "mime": "application/pdf"}
    ]
    stored, contents = shop.files.open(ann, file_id)
    with contents:
        assert contents.read() == b"%PDF-1"
    assert stored.record_id == order.id
    assert shop.files.describe(act(shop, "audrey"), file_id).name == "scan.pdf"
    with pytest.raises(NotFound):
        shop.files.describe(act(shop, "cy"), file_id)
    cleared = shop.records.update(ann, "order", order.id, {"file": []}, version=1)
    assert cleared["file"] == []
    assert shop.records.history(ann, "order", order.id)[-1].changes == {"file": [[file_id], []]}


def test_files_of_others_or_other_fields_cannot_be_attached(shop: Engine) -> None:
    theirs = upload(shop, "bob")
    with pytest.raises(ValidationFailed) as caught:
        shop.records.create(act(shop, "ann"), "order", {"title": "Stolen", "file": [theirs, 999]})
    assert caught.value.fields == {
        "file": [
            "Only one file may be attached here.",
            f"There is no uploaded file with id {theirs} for this field.",
            "There is no uploaded file with id 999 for this field.",
        ]
    }
    with pytest.raises(NotFound):
        shop.files.describe(act(shop, "ann"), theirs)


def test_uploads_are_checked_for_type_size_and_rights(shop: Engine) -> None:
    with pytest.raises(ValidationFailed) as kind:
        upload(shop, "ann", name="run.exe")
    assert kind.value.fields == {
        "file": ["Files of this type are not accepted here (accepted: .pdf, image/*)."]
    }
    photo = shop.files.upload(
        act(shop, "ann"), "order", "file", "p.bin", io.BytesIO(b"x"), "image/png"
    )
    assert photo.mime == "image/png"
    with pytest.raises(ValidationFailed) as size:
        upload(shop, "bob", data=b"x" * (1024 * 1024 + 1))
    assert size.value.fields == {"file": ["文件超过 1 MB。"]}
    with pytest.raises(Forbidden):
        upload(shop, "audrey")
    with pytest.raises(BadRequest):
        shop.files.upload(act(shop, "ann"), "order", "title", "a.pdf", io.BytesIO(b""))


def test_local_storage_keeps_contents_by_key(tmp_path: Path) -> None:
    storage = LocalFileStorage(tmp_path)
    key = "shop/" + "ab" * 16
    assert storage.save(key, io.BytesIO(b"hello")) == 5
    assert (tmp_path / "shop" / "ab" / ("ab" * 15)).read_bytes() == b"hello"
    with storage.open(key) as handle:
        assert handle.read() == b"hello"
    with pytest.raises(ValueError):
        storage.save("shop/" + "cd" * 16, io.BytesIO(b"toolong"), limit=3)
    assert not (tmp_path / "shop" / "cd").exists() or not any((tmp_path / "shop" / "cd").iterdir())
    storage.delete(key)
    with pytest.raises(FileNotFoundError):
        storage.open(key)
    with pytest.raises(ValueError, match="not a storage key"):
        storage.open("../etc/passwd")
