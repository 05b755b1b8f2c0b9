// /docs: Swagger UI (served from the installed package) reading this server's OpenAPI document.
"use strict";

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,  // no request to the public validator
});
