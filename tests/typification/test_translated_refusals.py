"""A hierarchy file's problems in the reader's language, each still naming file and line."""

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from typification.formats import HierarchyFileError, parse
from typification.models import TypificationHierarchy

pytestmark = pytest.mark.django_db

BASE = "/admin/typification/typificationhierarchy/"


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editor", password="x" * 12, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="typification"))
    return user


def test_import_page_in_portuguese__problems_in_portuguese_at_their_lines(client, editor):
    client.force_login(editor)
    client.cookies["django_language"] = "pt-br"
    upload = SimpleUploadedFile("bad.csv", b"level1,level2,level3\nA,,C\n,x,\n")
    html = client.post(f"{BASE}import/", {"file": upload}).content.decode()
    assert "bad.csv:2: level3 está preenchido enquanto level2 está vazio." in html
    assert "bad.csv:3: level1 está vazio." in html
    assert "is set while" not in html
    assert not TypificationHierarchy.objects.exists()


def test_file_errors__english_by_default__portuguese_under_portuguese():
    data = b"level1,colour\nA,red\n"
    with pytest.raises(HierarchyFileError) as caught:
        parse(data, source="x.csv")
    assert caught.value.errors[0].startswith("x.csv:1: unknown column(s) colour. Expected the header ")
    with translation.override("pt-br"), pytest.raises(HierarchyFileError) as caught:
        parse(data, source="x.csv")
    assert caught.value.errors[0].startswith("x.csv:1: coluna(s) desconhecida(s) colour. Era esperado o cabeçalho ")
