"""Third-party clients against Reef's own OpenAPI document (run by tests/openapi.rs).

1. openapi-core validates real requests and responses (README-shaped calls, including the
   raw-text upload and errors) against the document.
2. openapi-python-client generates a client from it, and the generated client lists, creates,
   gets, updates under If-Match, exports and renders.

Usage: openapi_clients.py BASE_URL TOKEN DOCUMENT WORKDIR
"""

import subprocess
import sys
from pathlib import Path

import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

base, token, document, workdir = sys.argv[1:5]
FLOW = "flowchart LR\n  api[Generated client] --> reef[Reef]\n"

openapi = OpenAPI.from_file_path(document)
session = requests.Session()


def call(method, path, expect, auth=True, **kwargs):
    """Sends one request, checking it (when it carries a token, as the document requires)
    and its answer against the document."""
    headers = kwargs.pop("headers", {})
    if auth:
        headers["Authorization"] = f"Bearer {token}"
    prepared = session.prepare_request(
        requests.Request(method, base + path, headers=headers, **kwargs)
    )
    if auth:
        openapi.validate_request(RequestsOpenAPIRequest(prepared))
    response = session.send(prepared)
    assert response.status_code == expect, (method, path, response.status_code, response.text)
    openapi.validate_response(
        RequestsOpenAPIRequest(prepared), RequestsOpenAPIResponse(response)
    )
    return response


# 1. Real requests and responses, validated.
call("GET", "/api/me", 200)
call("GET", "/api/diagrams", 200, params={"limit": "5"})
created = call("POST", "/api/diagrams", 201, json={"title": "Checked", "source": FLOW}).json()
ident = created["id"]
call("GET", f"/api/diagrams/{ident}", 200)
# The README's `curl -T network.mmd` upload, as text.
replaced = call(
    "PUT",
    f"/api/diagrams/{ident}",
    200,
    data=FLOW.replace("Reef]", "Reef, replaced]").encode(),
    headers={"Content-Type": "text/plain", "If-Match": f'"{created["version"]}"'},
).json()
call(
    "PATCH",
    f"/api/diagrams/{ident}",
    412,
    json={"title": "Stale"},
    headers={"If-Match": f'"{created["version"]}"'},
)
call("PATCH", f"/api/diagrams/{ident}", 200, json={"title": "Patched"},
     headers={"If-Match": f'"{replaced["version"]}"'})
for ext in ["svg", "png", "pdf", "txt", "mmd"]:
    call("GET", f"/api/diagrams/{ident}.{ext}", 200)
call("GET", f"/api/diagrams/{ident}/revisions", 200)
call("GET", f"/api/diagrams/{ident}/revisions/1", 200)
call("POST", f"/api/diagrams/{ident}/share", 200, json={"enabled": True})
call("POST", "/api/render", 200, json={"source": FLOW})
call("POST", "/api/render", 200, params={"format": "png"}, data=FLOW.encode(),
     headers={"Content-Type": "text/plain"})
call("GET", "/api/diagrams/NoSuchDiagram", 404)
call("POST", "/api/render", 422, json={"source": "flowchart LR\n  a -->"})
call("GET", "/api/me", 401, auth=False)
call("DELETE", f"/api/diagrams/{ident}", 204)
call("POST", f"/api/diagrams/{ident}/restore", 200)
print("openapi-core: every request and response matched the document")

# 2. A generated client.
out = Path(workdir) / "generated"
generated = subprocess.run(
    ["openapi-python-client", "generate", "--path", document, "--output-path", str(out)],
    capture_output=True,
    text=True,
)
assert generated.returncode == 0, generated.stdout + generated.stderr
sys.path.insert(0, str(out))

from reef_api_client import AuthenticatedClient  # noqa: E402
from reef_api_client.api.diagrams import (  # noqa: E402
    create_diagram,
    export_png,
    export_svg,
    get_diagram,
    list_diagrams,
    replace_diagram,
)
from reef_api_client.api.rendering import render  # noqa: E402
from reef_api_client.models import CreateBody, RenderBody, ReplaceBody  # noqa: E402

client = AuthenticatedClient(base_url=base, token=token)
made = create_diagram.sync(client=client, body=CreateBody(title="Generated", source=FLOW))
assert made.title == "Generated" and made.version == 1, made
listed = list_diagrams.sync(client=client)
assert any(item.id == made.id for item in listed.items), listed
got = get_diagram.sync(id=made.id, client=client)
assert got.source == FLOW, got
new_source = FLOW.replace("Reef]", "Reef again]")
updated = replace_diagram.sync(
    id=made.id,
    client=client,
    body=ReplaceBody(title="Generated", source=new_source),
    if_match=f'"{got.version}"',
)
assert updated.version == 2, updated
stale = replace_diagram.sync_detailed(
    id=made.id,
    client=client,
    body=ReplaceBody(title="Generated", source=FLOW),
    if_match='"1"',
)
assert stale.status_code == 412, stale
svg = export_svg.sync_detailed(id=made.id, client=client)
assert svg.status_code == 200 and b"Reef again" in svg.content, svg.status_code
png = export_png.sync_detailed(id=made.id, client=client, scale=1)
assert png.status_code == 200 and png.content.startswith(b"\x89PNG"), png.status_code
drawn = render.sync(client=client, body=RenderBody(source=FLOW))
assert "Generated client" in drawn, drawn[:200]
print("openapi-python-client: list, create, get, update with If-Match, export and render work")
