/* Starts Swagger UI for /api/v1/docs; settings come from the JSON data block (no inline script). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("swagger-settings").textContent);
  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  window.SwaggerUIBundle(config);
})();
