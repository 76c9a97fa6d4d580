"""OpenAPI: each operation is tagged with the surface (document) it belongs to."""

from drf_spectacular.openapi import AutoSchema

SURFACE_TAGS = {
    "retail": "retail (documents 000, 001)",
    "clients": "clients (document 002)",
    "crm_v1": "crm v1 (document 003)",
    "telecom": "telecom (document 004)",
}


class SurfaceAutoSchema(AutoSchema):
    def get_tags(self) -> list[str]:
        module = type(self.view).__module__
        parts = module.split(".")
        if len(parts) > 2 and parts[0] == "savdo" and parts[1] == "api":
            return [SURFACE_TAGS.get(parts[2], parts[2])]
        return super().get_tags()
