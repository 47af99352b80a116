import pytest
from lsprotocol import types

from .conftest import open_doc, start


@pytest.mark.asyncio
async def test_smoke(client, tmp_path):
    result = await start(client, tmp_path)
    print(result.capabilities)
    path = tmp_path / "Dockerfile"
    path.write_text("FROM alpine\nrun echo hi\n")
    uri = open_doc(client, path, path.read_text())
    diags = await client.diagnostics_for(uri, 1)
    print(diags)
    assert diags
